"""The episode Up Next offers after the one that just played, from the mirror's rows.

The rule (``choose_next``) is pure; ``TraktSyncDatabase.next_episode_after`` reads the rows
(``database/trakt_sync/next_episode.py``) and applies it. It is "the episode after this one",
not Trakt's Next Up: a reset (``shows.reset_at``) or an already watched next episode changes
nothing, because the user just chose to watch this one.

- A regular episode is followed by the next regular episode in (season, number) order, across
  seasons; specials (season 0) are never offered after a regular episode.
- A special is followed by the next special, or by nothing.
- Nothing is offered when that episode has not aired (no air date, or a future one), after the
  last known episode, or for a show hidden from progress or dropped.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Mapping, Optional

SPECIALS = 0


@dataclass(frozen=True)
class NextEpisode:
    show_id: int
    show_ids: Dict[str, Any]
    show_title: str
    season: int
    number: int
    title: str
    ids: Dict[str, Any]
    first_aired: str
    runtime: Optional[int]


def _key(row: Mapping[str, Any]) -> Any:
    return (int(row["season"]), int(row["number"]))


def _parse_time(value: Any) -> Optional[datetime.datetime]:
    """Trakt's ISO 8601 time (as the mirror stores it) in UTC, or None. Parsed here rather than
    with ``database``'s helper: the mirror's facade imports this module, so it imports none of
    the mirror's."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def has_aired(first_aired: Any, now: datetime.datetime) -> bool:
    """True when ``first_aired`` (Trakt's ISO time) is known and not after ``now`` (a naive
    ``now`` is taken as UTC)."""
    aired = _parse_time(first_aired)
    if aired is None:
        return False
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    return aired <= now


def choose_next(
    episodes: Iterable[Mapping[str, Any]],
    current_season: int,
    current_number: int,
    now: datetime.datetime,
    hidden: bool = False,
    dropped: bool = False,
) -> Optional[Mapping[str, Any]]:
    """The row of the episode to offer after (``current_season``, ``current_number``), or None.

    ``episodes`` are the show's episode rows (any order, any subset that holds the episodes
    after the current one): ``season``, ``number`` and ``first_aired`` are read. ``hidden`` is
    "hidden from progress" (``progress_watched``), ``dropped`` the ``dropped`` section."""
    if hidden or dropped:
        return None
    current = (int(current_season), int(current_number))
    if current[0] == SPECIALS:
        candidates = [r for r in episodes if int(r["season"]) == SPECIALS and _key(r) > current]
    else:
        candidates = [r for r in episodes if int(r["season"]) != SPECIALS and _key(r) > current]
    if not candidates:
        return None
    following = min(candidates, key=_key)
    # The episode right after this one, or nothing: a later one is not offered in its place.
    if not has_aired(following.get("first_aired"), now):
        return None
    return following
