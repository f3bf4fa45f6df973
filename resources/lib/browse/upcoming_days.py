"""Upcoming episodes grouped by the day they air in the device's time zone (pure, Kodi-free).

The mirror stores air times in UTC (``2026-12-07T01:30:00.000Z``); a user reads a calendar in
local time, where that episode airs on Sunday evening in New York but on Monday in London. The
grouping converts each air time to ``tz`` (by default the system's zone, with the offset that
applies at that instant, so a daylight-saving change inside the 14 days is right) and groups by
the local date. ``offset`` is the number of local days from "today" (0 today, 1 tomorrow): the
front end words the heading from it and the date (strings.po, never here).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .shows import parse_time

_UTC = datetime.timezone.utc

# strings.po ids of the headings (worded by the caller's ``localize``: Kodi's or the CLI's).
TODAY = 31664
TOMORROW = 31665
WEEKDAY_DAY = 31666  # "{weekday} {day}"
WEEKDAYS = (31667, 31668, 31669, 31670, 31671, 31672, 31673)  # Monday ... Sunday


@dataclass(frozen=True)
class Airing:
    """One upcoming episode: its mirror row and its air time in the local zone."""

    row: Dict[str, Any]
    local: datetime.datetime


@dataclass(frozen=True)
class Day:
    """The episodes airing on one local date, in air-time order."""

    date: datetime.date
    offset: int  # local days after today: 0 today, 1 tomorrow ...
    airings: Tuple[Airing, ...]


def local_time(text: Any, tz: Optional[datetime.tzinfo] = None) -> Optional[datetime.datetime]:
    """A stored UTC time (``2026-12-07T01:30:00.000Z``) in ``tz`` (None: the system's zone),
    or None when it cannot be read."""
    # shows.parse_time uses fromisoformat, not strptime: in Kodi's reused interpreters
    # strptime fails from the second call on (its lazy import of _strptime).
    stamp = parse_time(text) if isinstance(text, str) else None
    if stamp is None:
        return None
    return to_local(datetime.datetime.fromtimestamp(stamp, _UTC), tz)


def to_local(moment: datetime.datetime, tz: Optional[datetime.tzinfo]) -> datetime.datetime:
    """``moment`` in ``tz``; None = the system's zone with the offset in force at ``moment``."""
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def group_by_day(
    rows: Sequence[Dict[str, Any]], now: float, tz: Optional[datetime.tzinfo] = None
) -> List[Day]:
    """``rows`` (``upcoming()`` rows, each with ``first_aired``) grouped by local air date,
    days in order and each day's episodes in air-time order. ``now``: epoch seconds, which fixes
    "today" in ``tz``. Rows without a readable air time are left out."""
    today = to_local(datetime.datetime.fromtimestamp(now, _UTC), tz).date()
    by_date: Dict[datetime.date, List[Airing]] = {}
    for row in rows:
        local = local_time(row.get("first_aired"), tz)
        if local is None:
            continue
        by_date.setdefault(local.date(), []).append(Airing(row, local))
    days = []
    for date in sorted(by_date):
        airings = sorted(by_date[date], key=lambda airing: airing.local)  # stable: row order
        days.append(Day(date, (date - today).days, tuple(airings)))
    return days


def heading(day: Day, localize: Callable[..., str]) -> str:
    """ "Today", "Tomorrow", else "Monday 7" (weekday and day of the month, local)."""
    if day.offset == 0:
        return localize(TODAY)
    if day.offset == 1:
        return localize(TOMORROW)
    return weekday_day(day.date, localize)


def weekday_day(date: datetime.date, localize: Callable[..., str]) -> str:
    """ "Monday 7" for ``date``."""
    return localize(WEEKDAY_DAY, weekday=localize(WEEKDAYS[date.weekday()]), day=date.day)
