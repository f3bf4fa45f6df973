"""Scrobbles that could not be sent, kept for later (offline, Trakt down, signed out).

Rules:
* ``start`` is never kept: "watching now" means nothing later.
* A ``pause`` or a ``stop`` under 80 % is kept as a ``progress`` item (``/scrobble/pause`` with
  that progress), one per media: a newer one replaces an older one, a successful scrobble of
  the same media removes it, and it expires after ``PROGRESS_MAX_AGE`` so stale progress never
  overwrites what the user watched elsewhere since.
* A ``stop`` at >= 80 % is kept as a ``history`` item: ``POST /sync/history`` with the real
  ``watched_at`` of the stop (a late scrobble would record the time it is sent). Its
  idempotency key is media + watched_at second; the outbox accepts a key once, remembers the
  keys it delivered, and before posting checks Trakt's history for a play at that moment, so a
  crash between "sent" and "saved" cannot add the play twice (Trakt does not de-duplicate).

:class:`Outbox` is a JSON file written atomically. One process (the service) owns it.

In the service, a missed >= 80 % stop of an item with Trakt ids does not come here: it becomes a
``watch`` row of the sync database's outbox (``database.trakt_sync.outbox``, queued by
``local_changes.record_stop`` with the real ``watched_at``), pushed once by the next sync of
any process. This file keeps what that outbox cannot express: pending progress (which expires)
and plays of items known only by other ids.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional

from .media import MediaRef, iso_utc
from .state import PAUSE, START, STOP, WATCHED_PROGRESS, Action

log = logging.getLogger(__name__)

HISTORY = "history"
PROGRESS = "progress"
PROGRESS_MAX_AGE = 6 * 3600.0
DONE_KEYS_KEPT = 500
# A few hundred pending items take a few hundred KB; a file far larger is not one we wrote.
MAX_FILE_BYTES = 4 * 1024 * 1024


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


class Outbox:
    """Pending items plus the keys already delivered. ``path=None`` keeps it in memory."""

    def __init__(self, path: Optional[str] = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._pending: Dict[str, PendingItem] = {}
        self._done: List[str] = []
        self._load()

    def put(self, item: PendingItem) -> bool:
        """Keep ``item``. A history key is accepted once, ever; a progress key is replaced."""
        with self._lock:
            if item.kind == HISTORY and (item.key in self._pending or item.key in self._done):
                log.info("outbox: %s already queued or delivered", item.kind)
                return False
            self._pending[item.key] = item
            self._save()
            return True

    def pending(self) -> List[PendingItem]:
        with self._lock:
            return sorted(self._pending.values(), key=lambda i: i.created_at)

    def discard(self, key: str) -> None:
        """Forget a pending item without recording it as delivered."""
        with self._lock:
            if self._pending.pop(key, None) is not None:
                self._save()

    def mark_done(self, key: str) -> None:
        """The item reached Trakt (or Trakt already had it)."""
        with self._lock:
            item = self._pending.pop(key, None)
            if item is not None and item.kind == HISTORY and key not in self._done:
                self._done = (self._done + [key])[-DONE_KEYS_KEPT:]
            self._save()

    def bump(self, key: str) -> None:
        """One more failed attempt for ``key``."""
        with self._lock:
            if key in self._pending:
                self._pending[key].attempts += 1
                self._save()

    def was_delivered(self, key: str) -> bool:
        with self._lock:
            return key in self._done

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    # -- storage ----------------------------------------------------------------------------

    def _load(self) -> None:
        """Read the file; a corrupt, absurdly nested or oversized one is moved aside (kept for a
        look, warned about once) and the outbox starts empty: scrobbling must go on."""
        if not self.path or not os.path.exists(self.path):
            return
        try:
            if os.path.getsize(self.path) > MAX_FILE_BYTES:
                raise ValueError("larger than %d bytes" % MAX_FILE_BYTES)
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            items = [PendingItem.from_dict(d) for d in data.get("pending", [])]
            done = [str(k) for k in data.get("done", [])][-DONE_KEYS_KEPT:]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            self._pending, self._done = {}, []
            self._move_aside(exc)
            return
        self._pending = {i.key: i for i in items}
        self._done = done

    def _move_aside(self, exc: BaseException) -> None:
        reason = "%s: %s" % (type(exc).__name__, str(exc)[:200])
        target = "%s.corrupt-%d" % (self.path, int(time.time()))
        try:
            os.replace(str(self.path), target)
        except OSError:
            log.warning("outbox file unreadable, starting empty (%s)", reason)
            return
        log.warning("outbox file unreadable, moved to %s; starting empty (%s)", target, reason)

    def _save(self) -> None:
        if not self.path:
            return
        payload = {
            "pending": [i.to_dict() for i in self._pending.values()],
            "done": self._done,
        }
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".outbox-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def expired(item: PendingItem, now: float, progress_max_age: float = PROGRESS_MAX_AGE) -> bool:
    """A progress item too old to be trusted; history items never expire."""
    return item.kind == PROGRESS and now - item.created_at > progress_max_age


@dataclass
class FlushResult:
    delivered: int = 0
    kept: int = 0
    dropped: int = 0


def flush_outbox(
    outbox: Outbox,
    client: Any,
    now: Callable[[], float] = time.time,
    progress_max_age: float = PROGRESS_MAX_AGE,
) -> FlushResult:
    """Send what the outbox holds, oldest first. Call it from the service when online.

    Stops at the first failure that looks like "still offline" (the rest would fail too).
    """
    from .sender import Outcome, deliver_pending  # sender imports this module

    result = FlushResult()
    for item in outbox.pending():
        if expired(item, now(), progress_max_age):
            log.info("outbox: dropping stale progress item")
            outbox.discard(item.key)
            result.dropped += 1
            continue
        outcome = deliver_pending(client, item)
        if outcome == Outcome.DELIVERED:
            outbox.mark_done(item.key)
            result.delivered += 1
        elif outcome == Outcome.REJECTED:
            outbox.discard(item.key)
            result.dropped += 1
        else:
            outbox.bump(item.key)
            result.kept = len(outbox)
            return result
    result.kept = len(outbox)
    return result


__all__ = [
    "HISTORY",
    "PROGRESS",
    "FlushResult",
    "Outbox",
    "PendingItem",
    "flush_outbox",
    "history_key",
    "pending_for_failure",
    "progress_key",
]
