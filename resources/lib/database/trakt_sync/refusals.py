"""Local changes Trakt refused for good because of an account limit (HTTP 420), and the notices
the front end shows once about them.

Trakt answers 420 to a write when a free account is over one of its limits (250 watchlist items,
1,000 library items, list limits; ``X-Account-Limit``, ``X-VIP-User``, ``X-Upgrade-URL``). Such a
change can never succeed by retrying, so the outbox push drops its row and, in the same
transaction, :func:`undo` takes its effect back out of the mirror (a watchlist add disappears
again) and :func:`record` leaves a notice. The next pull of the unit confirms Trakt's state.

A notice is a code, not a sentence: ``{"code": "account_limit", "limit": "watchlist",
"count": 250, "vip": false}``. Front ends call :func:`take` (which also deletes them) and turn
each into words from strings.po. Notices live in ``meta`` under :data:`META_KEY` as JSON.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any, Dict, List, Mapping, Optional

from ..connection import write_transaction
from . import outbox as box
from .show_counts import update_show_counts

log = logging.getLogger(__name__)

META_KEY = "notices"
ACCOUNT_LIMIT = "account_limit"
# At most this many notices wait for the front end (a long offline queue must not flood it).
MAX_NOTICES = 20

# Which account limit a refused write of each kind runs into.
LIMIT_OF_KIND = {
    box.WATCHLIST_ADD: "watchlist",
    box.WATCH: "history",
    box.HIDE: "hidden",
    box.RATE: "ratings",
}
# Trakt's documented free-account limits (2026), used when X-Account-Limit is missing.
FREE_LIMITS = {"watchlist": 250, "library": 1000, "ratings": 10000, "history": 100000}


def notice_for(kind: str, account_limit: Any, vip: Optional[bool]) -> Dict[str, Any]:
    """The notice for a 420 on a write of ``kind`` (``account_limit``: the header's value)."""
    limit = LIMIT_OF_KIND.get(kind, "unknown")
    try:
        count: Optional[int] = int(str(account_limit).strip())
    except ValueError:
        count = None
    if count is None or count <= 0:
        count = None if vip else FREE_LIMITS.get(limit)
    return {"code": ACCOUNT_LIMIT, "limit": limit, "count": count, "vip": bool(vip)}


def record(conn: sqlite3.Connection, notice: Mapping[str, Any]) -> None:
    """Inside the caller's transaction: add ``notice`` unless the same one is waiting."""
    notices = _load(conn)
    if dict(notice) not in notices:
        notices = (notices + [dict(notice)])[-MAX_NOTICES:]
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        (META_KEY, json.dumps(notices, sort_keys=True)),
    )


def take(conn: sqlite3.Connection) -> List[Dict[str, Any]]:
    """The waiting notices, oldest first; they are deleted (each is shown once)."""
    if not _load(conn):
        return []  # the common case stays a single read, no write lock
    with write_transaction(conn):
        notices = _load(conn)
        conn.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
    return notices


def _load(conn: sqlite3.Connection) -> List[Dict[str, Any]]:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    try:
        value = json.loads(row[0]) if row and row[0] else []
    except ValueError:
        log.warning("unreadable notices in the database: dropped")
        return []
    return [n for n in value if isinstance(n, dict)] if isinstance(value, list) else []


def undo(conn: sqlite3.Connection, row: box.OutboxRow) -> None:
    """Inside the caller's transaction: take a refused change's effect out of the mirror.

    Additions are undone here; a refused removal (not expected from a limit) is left to the
    pull of its unit, which the caller forces.
    """
    action = row.action
    before = row.payload
    if action.kind == box.WATCHLIST_ADD:
        conn.execute(
            "DELETE FROM watchlist WHERE media_type = ? AND trakt_id = ?",
            (action.media_type, action.trakt_id),
        )
    elif action.kind == box.HIDE:
        conn.execute(
            "DELETE FROM hidden WHERE section = ? AND media_type = 'show' AND trakt_id = ?",
            (box.HIDDEN_SECTION, action.trakt_id),
        )
    elif action.kind == box.WATCH:
        _undo_play(conn, action, int(before.get("before_plays") or 0))
    elif action.kind == box.RATE:
        from . import ratings

        ratings.undo(conn, action, before)


def _undo_play(conn: sqlite3.Connection, action: box.LocalAction, before_plays: int) -> None:
    if action.media_type == "movie":
        conn.execute(
            "UPDATE movies SET plays = ?, last_watched_at = CASE WHEN ? > 0 THEN "
            "last_watched_at END WHERE trakt_id = ?",
            (before_plays, before_plays, action.trakt_id),
        )
        return
    found = conn.execute(
        "SELECT plays FROM episodes WHERE show_id = ? AND season = ? AND number = ?",
        (action.show_id, action.season, action.number),
    ).fetchone()
    if found is None:
        return
    conn.execute(
        "UPDATE episodes SET plays = ?, last_watched_at = CASE WHEN ? > 0 THEN "
        "last_watched_at END WHERE show_id = ? AND season = ? AND number = ?",
        (before_plays, before_plays, action.show_id, action.season, action.number),
    )
    removed = max(0, int(found[0] or 0) - before_plays)
    if removed:
        conn.execute(
            "UPDATE shows SET plays = MAX(0, plays - ?) WHERE trakt_id = ?",
            (removed, action.show_id),
        )
    update_show_counts(conn, [action.show_id])


__all__ = ["ACCOUNT_LIMIT", "notice_for", "record", "take", "undo"]
