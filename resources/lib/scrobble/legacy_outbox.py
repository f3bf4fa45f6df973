"""The JSON scrobble outbox of earlier versions (``scrobble_outbox.json``), moved into the sync
database's ``outbox`` once, when the service starts.

The file held ``{"pending": [PendingItem dicts], "done": [keys delivered]}``. Its pending items
are queued (:class:`~.queue.ScrobbleQueue` keeps its rules: a play once, a progress's expiry
counted from when it was made) and the file is removed. A corrupt, absurdly nested or oversized
file is moved aside (kept for a look, warned about once) and nothing is migrated: scrobbling
must go on.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import List, Optional

from ..constants import LEGACY_OUTBOX_FILENAME
from .pending import PendingItem, PendingStore

log = logging.getLogger(__name__)

LEGACY_FILENAME = LEGACY_OUTBOX_FILENAME
# A few hundred pending items take a few hundred KB; a file far larger is not one we wrote.
MAX_FILE_BYTES = 4 * 1024 * 1024


def read_legacy(path: str) -> Optional[List[PendingItem]]:
    """The file's pending items; None when there is no file, or it was unreadable (then it is
    moved aside)."""
    if not os.path.exists(path):
        return None
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise ValueError("larger than %d bytes" % MAX_FILE_BYTES)
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return [PendingItem.from_dict(d) for d in data.get("pending", [])]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        _move_aside(path, exc)
        return None


def migrate_legacy(path: str, queue: PendingStore) -> int:
    """Queue what the file at ``path`` holds into ``queue`` (``put(item)``), then remove it.
    Returns how many items were queued."""
    items = read_legacy(path)
    if items is None:
        return 0
    queued = sum(1 for item in items if queue.put(item))
    try:
        os.unlink(path)
    except OSError as exc:  # it is read again next time: the outbox keeps each item once
        log.warning("could not remove the old scrobble outbox file: %s", exc)
    log.info("old scrobble outbox: %d of %d item(s) moved to the sync outbox", queued, len(items))
    return queued


def _move_aside(path: str, exc: BaseException) -> None:
    reason = "%s: %s" % (type(exc).__name__, str(exc)[:200])
    target = "%s.corrupt-%d" % (path, int(time.time()))
    try:
        os.replace(path, target)
    except OSError:
        log.warning("old scrobble outbox file unreadable, not migrated (%s)", reason)
        return
    log.warning(
        "old scrobble outbox file unreadable, moved to %s; not migrated (%s)", target, reason
    )


__all__ = ["LEGACY_FILENAME", "MAX_FILE_BYTES", "migrate_legacy", "read_legacy"]
