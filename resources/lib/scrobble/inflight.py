"""The progress of the playback in flight, kept on disk so that a crash cannot lose it.

A scrobble ``start`` clears the user's saved progress on Trakt. From then until a ``pause`` or a
``stop`` saves it again, the position exists only in the service's memory: if Kodi crashes, is
killed, or quits before that pause reaches Trakt, the user's place is gone.

:class:`InflightJournal` is a tiny JSON file (``{"media", "progress", "at"}``) that the player
monitor writes when a start is sent and then every :data:`WRITE_SECONDS` while playing (or at
once after a jump of :data:`WRITE_JUMP` percent), and deletes as soon as a pause or a stop was
sent or queued. When the service starts and finds the file, the previous playback never ended
cleanly: :meth:`InflightJournal.recover` turns it into a pending ``/scrobble/pause`` in the
sync database's outbox, which the player's next flush (or the next sync) delivers.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from typing import Any, Optional

from ..constants import INFLIGHT_FILENAME
from .media import MediaRef
from .pending import PendingItem, PendingStore, pending_for_failure
from .state import MIN_PROGRESS, PAUSE, Action

log = logging.getLogger(__name__)

WRITE_SECONDS = 15.0
WRITE_JUMP = 2.0
MAX_BYTES = 16 * 1024  # a journal is a few hundred bytes: anything bigger is not ours


class InflightJournal:
    """The one playback this service is scrobbling, on disk (``path=None``: memory only)."""

    def __init__(self, path: Optional[str]) -> None:
        self.path = path
        self._written_at: Optional[float] = None
        self._written_progress = 0.0

    def due(self, progress: float, monotonic_now: float) -> bool:
        """Is a write worth it now (time passed or a jump)?"""
        if self._written_at is None:
            return True
        return (
            monotonic_now - self._written_at >= WRITE_SECONDS
            or abs(progress - self._written_progress) >= WRITE_JUMP
        )

    def record(self, media: MediaRef, progress: float, at: float, monotonic_now: float) -> None:
        """Remember ``progress`` (percent) of ``media`` at epoch ``at`` (atomic replace)."""
        self._written_at = monotonic_now
        self._written_progress = progress
        if not self.path:
            return
        payload = {"media": media.to_dict(), "progress": round(float(progress), 2), "at": at}
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".inflight-", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(payload, handle)
                os.replace(tmp, self.path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        except OSError as exc:  # a full disk must not stop the scrobbling itself
            log.warning("could not write the playback journal: %s", exc)

    def clear(self) -> None:
        """The progress is saved (sent or queued): nothing to recover any more."""
        self._written_at = None
        self._written_progress = 0.0
        if self.path:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("could not remove the playback journal: %s", exc)

    def read(self) -> Optional[Action]:
        """The journaled pause, with its media, or None (no file, unreadable, or not usable)."""
        entry = self._load()
        if entry is None:
            return None
        return entry[1]

    def _load(self) -> Optional[Any]:
        if not self.path or not os.path.isfile(self.path):
            return None
        try:
            if os.path.getsize(self.path) > MAX_BYTES:
                raise ValueError("too large")
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            media = MediaRef.from_dict(data["media"])
            progress = float(data["progress"])
            at = float(data["at"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("playback journal unreadable, ignored: %s", exc)
            return None
        if not (MIN_PROGRESS <= progress <= 100.0):
            return None
        return media, Action(PAUSE, round(progress, 2), at, "recovered")

    def recover(self, outbox: PendingStore) -> Optional[PendingItem]:
        """Queue the pause of a playback that never ended cleanly (in the sync database's
        outbox, through :class:`~.queue.ScrobbleQueue`); the file is removed."""
        entry = self._load()
        pending = None
        if entry is not None:
            media, action = entry
            pending = pending_for_failure(media, action)
            key = pending.key if pending is not None else None
            if any(i.key == key and i.created_at >= action.at for i in outbox.pending()):
                pending = None  # the quit path queued a later position before it was cut short
            if pending is not None:
                outbox.put(pending)
                log.info(
                    "the last playback did not end cleanly: its progress %.2f%% is queued",
                    action.progress,
                )
        self.clear()
        return pending


__all__ = ["INFLIGHT_FILENAME", "InflightJournal", "WRITE_JUMP", "WRITE_SECONDS"]
