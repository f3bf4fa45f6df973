"""The command line's ``upcoming`` and ``recent``: Trakt -> Upcoming (the next 14 days, by day in
this machine's time zone) and Trakt -> Recently Watched (the last 50 plays), from the mirror.
Words come from strings.po (``i18n``), like the Kodi lists.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Dict, List, Optional, Sequence

from . import i18n
from .browse import upcoming_days
from .cli_context import EXIT_OK, Context
from .cli_output import episode_name, print_lines

UPCOMING_EMPTY = 31662
RECENT_EMPTY = 31663
UPCOMING_HEADER = 31678
RECENT_HEADER = 31679


def format_upcoming(
    rows: Sequence[Dict[str, Any]], now: float, tz: Optional[datetime.tzinfo] = None
) -> List[str]:
    """Upcoming by local day: a heading per day, then ``HH:MM  Show  S01E02  Title``."""
    if not rows:
        return [i18n.localize(UPCOMING_EMPTY)]
    lines = [i18n.localize(UPCOMING_HEADER, count=len(rows))]
    for day in upcoming_days.group_by_day(rows, now, tz):
        lines.append("  " + upcoming_days.heading(day, i18n.localize))
        for airing in day.airings:
            lines.append(f"    {airing.local.strftime('%H:%M')}  {episode_name(airing.row)}")
    return lines


def format_recent(
    rows: Sequence[Dict[str, Any]], tz: Optional[datetime.tzinfo] = None
) -> List[str]:
    """The last plays, newest first: ``YYYY-MM-DD HH:MM  name`` in local time."""
    if not rows:
        return [i18n.localize(RECENT_EMPTY)]
    lines = [i18n.localize(RECENT_HEADER, count=len(rows))]
    for row in rows:
        watched = upcoming_days.local_time(row.get("last_watched_at"), tz)
        when = watched.strftime("%Y-%m-%d %H:%M") if watched else ""
        if row.get("type") == "episode":
            name = episode_name(row)
        else:
            title, year = row.get("title") or "", row.get("year")
            name = f"{title} ({year})" if year else str(title)
        lines.append(f"  {when:16}  {name}")
    return lines


def cmd_upcoming(ctx: Context) -> int:
    db = ctx.database()
    try:
        print_lines(format_upcoming(db.upcoming(), time.time()))
    finally:
        db.close()
    return EXIT_OK


def cmd_recent(ctx: Context) -> int:
    db = ctx.database()
    try:
        print_lines(format_recent(db.recently_watched()))
    finally:
        db.close()
    return EXIT_OK


COMMANDS = {"upcoming": cmd_upcoming, "recent": cmd_recent}
HELP = {
    "upcoming": "episodes of your shows airing in the next 14 days, by day (local time)",
    "recent": "the last 50 episodes and movies watched",
}
