"""Pure decisions of the outbox push: conflicts, error handling, backoff (no I/O, no SQL).

The rules (README "Local changes and conflicts"):

* An item changed on both sides since the last sync when its Trakt category moved
  (``/sync/last_activities`` differs from the unit's stored cursor) *and* the item's own remote
  state differs from the state the mirror had before the local change.
* The remote change time is the item's own timestamp where Trakt keeps one (``listed_at``,
  ``paused_at``, a play's ``watched_at``); Trakt keeps no time for a removal, so for a removal
  it is the category timestamp (an upper bound).
* A local change made after the remote one wins and is pushed; otherwise (same time or earlier)
  the remote state wins and the local change is dropped with a log line.
* A local change that the remote side already made is confirmed without a write.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from .items import parse_time

PUSH = "push"
CONFIRMED = "confirmed"  # Trakt already has the change: remove the row, no write
DROP = "drop"  # the remote state wins: remove the row, no write

KEEP = "keep"
REJECTED = "rejected"

BACKOFF_BASE = 30.0
BACKOFF_CAP = 1800.0


def _ts(value: Optional[str]) -> Optional[float]:
    parsed = parse_time(value)
    return parsed.timestamp() if parsed is not None else None


def local_wins(local_at: str, remote_at: Optional[str]) -> bool:
    """True when the local change is strictly newer than the remote one (or the remote has no
    time). Equal times go to the remote side: it is the shared source of truth."""
    remote = _ts(remote_at)
    if remote is None:
        return True
    local = _ts(local_at)
    return local is not None and local > remote


def category_moved(cursor: Optional[Dict[str, Any]], activities: Dict[str, Any], key: str) -> bool:
    """Did the remote ``section.key`` timestamp move since the unit's stored cursor?

    Without a cursor (never synced) every category counts as moved.
    """
    if cursor is None or key not in cursor:
        return True
    return cursor.get(key) != activity_time(activities, key)


def activity_time(activities: Dict[str, Any], key: str) -> Optional[str]:
    section, _, name = key.partition(".")
    value = activities.get(section)
    found = value.get(name) if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def decide_watchlist_remove(
    created_at: str, remote_listed_at: Optional[str], present: bool, before_listed_at: Optional[str]
) -> str:
    """Local "remove from watchlist" against the item's remote watchlist entry."""
    if not present:
        return CONFIRMED
    if remote_listed_at is not None and remote_listed_at != before_listed_at:
        # (Re-)added on Trakt since the last sync: the newer change wins.
        return PUSH if local_wins(created_at, remote_listed_at) else DROP
    return PUSH


def decide_remove_playback(created_at: str, remote_paused_at: Iterable[Optional[str]]) -> str:
    """Local "remove resume point" against the item's remote playback entries."""
    stamps = list(remote_paused_at)
    if not stamps:
        return CONFIRMED
    newest = max((s for s in stamps if s), default=None, key=lambda s: _ts(s) or 0.0)
    return PUSH if local_wins(created_at, newest) else DROP


def decide_unwatch(created_at: str, remote_plays_at: Iterable[Optional[str]]) -> str:
    """Local "mark unwatched" against the item's remote plays since the last sync.

    A play recorded on Trakt after the local unwatch is a newer change: the remote wins.
    """
    newest = max((s for s in remote_plays_at if s), default=None, key=lambda s: _ts(s) or 0.0)
    return PUSH if local_wins(created_at, newest) else DROP


def decide_watch(
    created_at: str, before_plays: int, remote_plays: int, category_at: Optional[str]
) -> str:
    """Local "mark watched" (one play) against the item's remote plays.

    A play is an event: another remote play never conflicts. The one conflicting change is an
    unwatch on Trakt (the mirror had plays, Trakt has none): Trakt keeps no time for it, so the
    category timestamp stands for it.
    """
    if before_plays > 0 and remote_plays == 0:
        return PUSH if local_wins(created_at, category_at) else DROP
    return PUSH


def error_outcome(status: Optional[int], network: bool) -> str:
    """What a failed write means for its row: KEEP (retry later), CONFIRMED or REJECTED (drop).

    Network errors, 5xx, 429 and authorisation problems (401/403) keep the row; 409 means Trakt
    already has it; any other 4xx rejects it for good.
    """
    if network or status is None:
        return KEEP
    if status == 409:
        return CONFIRMED
    if status in (401, 403, 429) or status >= 500:
        return KEEP
    if 400 <= status < 500:
        return REJECTED
    return KEEP


def backoff_seconds(attempts: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Wait before retrying a row that failed ``attempts`` times (1 -> base, doubling, capped)."""
    if attempts <= 0:
        return 0.0
    return float(min(cap, base * (2 ** min(attempts - 1, 20))))


def same_moment(a: Optional[str], b: Optional[str], tolerance: float = 1.0) -> bool:
    """Two ISO times less than ``tolerance`` seconds apart (a queued play found in history)."""
    left, right = _ts(a), _ts(b)
    return left is not None and right is not None and abs(left - right) < tolerance


__all__ = [
    "CONFIRMED",
    "DROP",
    "KEEP",
    "PUSH",
    "REJECTED",
    "activity_time",
    "backoff_seconds",
    "category_moved",
    "decide_remove_playback",
    "decide_unwatch",
    "decide_watch",
    "decide_watchlist_remove",
    "error_outcome",
    "local_wins",
    "same_moment",
]
