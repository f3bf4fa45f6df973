"""The scrobbles kept for later, in the sync database's ``outbox`` (one store for every pending
Trakt write).

:class:`ScrobbleQueue` turns a :class:`~.pending.PendingItem` into a
``database.trakt_sync.scrobble_rows.ScrobbleWrite`` (adding the progress's expiry and, for a
play, where Trakt's history would show it) and back. The next sync pushes the rows before its
pull; the service's player flush pushes them sooner (:meth:`ScrobbleQueue.push`).
"""

from __future__ import annotations

import logging
from typing import Any, List, Optional

from resources.lib.database.trakt_sync import scrobble_rows

from .media import MediaRef
from .pending import HISTORY, PROGRESS, PROGRESS_MAX_AGE, PendingItem

log = logging.getLogger(__name__)

_KIND_OF = {HISTORY: scrobble_rows.HISTORY_PLAY, PROGRESS: scrobble_rows.SCROBBLE_PROGRESS}
_PENDING_KIND = {row_kind: kind for kind, row_kind in _KIND_OF.items()}


def to_write(item: PendingItem, progress_max_age: float = PROGRESS_MAX_AGE) -> Any:
    """The outbox row's content for ``item``."""
    lookup = None
    if item.kind == HISTORY:
        found = MediaRef.from_dict(item.media).history_lookup() if item.media else None
        if found is not None:
            lookup = {"path": "/sync/history/%s/%s" % found, "media": dict(item.media)}
    return scrobble_rows.ScrobbleWrite(
        kind=_KIND_OF[item.kind],
        key=item.key,
        path=item.path,
        body=dict(item.body),
        created_ts=item.created_at,
        media=dict(item.media),
        watched_at=item.watched_at,
        expires_ts=item.created_at + progress_max_age if item.kind == PROGRESS else 0.0,
        lookup=lookup,
        attempts=item.attempts,
    )


def from_row(row: Any) -> Optional[PendingItem]:
    """The pending item an outbox row holds (None: not one this module wrote)."""
    try:
        write = scrobble_rows.ScrobbleWrite.from_row(row)
    except (KeyError, TypeError, ValueError):
        return None
    return PendingItem(
        key=write.key,
        kind=_PENDING_KIND[write.kind],
        path=write.path,
        body=write.body,
        created_at=write.created_ts,
        media=write.media,
        watched_at=write.watched_at,
        attempts=write.attempts,
    )


class ScrobbleQueue:
    """Pending scrobbles of one ``TraktSyncDatabase`` (``db``: its facade, nothing else)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def put(self, item: PendingItem) -> bool:
        """Keep ``item``: a play once, a progress unless a later one of the media is queued."""
        return bool(self.db.queue_scrobble(to_write(item)))

    def pending(self) -> List[PendingItem]:
        found = (from_row(row) for row in self.db.queued_scrobbles())
        return [item for item in found if item is not None]

    def discard(self, key: str) -> None:
        """Forget a pending item of ``key`` (a newer scrobble of the media reached Trakt)."""
        self.db.discard_scrobble(key)

    def push(self, client: Any) -> Any:
        """Send what is queued now (None: a sync is running and pushes it itself)."""
        return self.db.push_scrobbles(client)

    def __len__(self) -> int:
        return len(self.db.queued_scrobbles())


__all__ = ["ScrobbleQueue", "from_row", "to_write"]
