"""A scrobble that could not be sent, as a write to keep for later (offline, Trakt down,
signed out). :mod:`.queue` keeps it in the sync database's ``outbox``.

Rules:
* ``start`` is never kept: "watching now" means nothing later.
* A ``pause`` or a ``stop`` under 80 % is kept as a ``progress`` item (``/scrobble/pause`` with
  that progress), one per media: a newer one replaces an older one, a successful scrobble of
  the same media removes it, and it expires after ``PROGRESS_MAX_AGE`` so stale progress never
  overwrites what the user watched elsewhere since.
* A ``stop`` at >= 80 % is kept as a ``history`` item: ``POST /sync/history`` with the real
  ``watched_at`` of the stop (a late scrobble would record the time it is sent). Its
  idempotency key is media + watched_at second: it is queued once, and before posting the
  outbox checks Trakt's history for a play at that moment, so a crash between "sent" and
  "saved" cannot add the play twice (Trakt does not de-duplicate).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Protocol

from .media import MediaRef, iso_utc
from .state import PAUSE, START, STOP, WATCHED_PROGRESS, Action

log = logging.getLogger(__name__)

HISTORY = "history"
PROGRESS = "progress"
PROGRESS_MAX_AGE = 6 * 3600.0


@dataclass
class PendingItem:
    """One write to retry. ``key`` is the idempotency key."""

    key: str
    kind: str
    path: str
    body: Dict[str, Any]
    created_at: float
    media: Dict[str, Any] = field(default_factory=dict)
    watched_at: str = ""
    attempts: int = 0

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> PendingItem:
        return cls(
            key=str(data["key"]),
            kind=str(data["kind"]),
            path=str(data["path"]),
            body=dict(data["body"]),
            created_at=float(data["created_at"]),
            media=dict(data.get("media") or {}),
            watched_at=str(data.get("watched_at") or ""),
            attempts=int(data.get("attempts") or 0),
        )


class PendingStore(Protocol):
    """Where pending items are kept (:class:`~.queue.ScrobbleQueue`; tests may pass a list)."""

    def put(self, item: PendingItem) -> bool: ...

    def pending(self) -> List[PendingItem]: ...

    def discard(self, key: str) -> None: ...


def progress_key(media: MediaRef) -> str:
    return "progress:" + media.key


def history_key(media: MediaRef, watched_at_epoch: float) -> str:
    return f"history:{media.key}@{int(watched_at_epoch)}"


def pending_for_failure(media: MediaRef, action: Action) -> Optional[PendingItem]:
    """What to keep for an action that could not be sent (None: drop it)."""
    if action.kind == START or action.kind not in (PAUSE, STOP):
        return None
    if action.kind == STOP and action.progress >= WATCHED_PROGRESS:
        watched_at = iso_utc(action.at)
        return PendingItem(
            key=history_key(media, action.at),
            kind=HISTORY,
            path="/sync/history",
            body=media.history_body(watched_at),
            created_at=action.at,
            media=media.to_dict(),
            watched_at=watched_at,
        )
    return PendingItem(
        key=progress_key(media),
        kind=PROGRESS,
        path="/scrobble/pause",
        body=media.scrobble_body(action.progress),
        created_at=action.at,
        media=media.to_dict(),
    )


def expired(item: PendingItem, now: float, progress_max_age: float = PROGRESS_MAX_AGE) -> bool:
    """A progress item too old to be trusted; history items never expire."""
    return item.kind == PROGRESS and now - item.created_at > progress_max_age


__all__ = [
    "HISTORY",
    "PROGRESS",
    "PROGRESS_MAX_AGE",
    "PendingItem",
    "PendingStore",
    "expired",
    "history_key",
    "pending_for_failure",
    "progress_key",
]
