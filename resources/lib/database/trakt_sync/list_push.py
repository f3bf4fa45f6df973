"""The outbox kinds ``list_add`` / ``list_remove``: their Trakt path, and a 420 from the list
limits (a free account may hold a few lists of 100 items each).

A 420 cannot succeed by retrying, so (like issue 10's refusals of other writes) the row is
dropped, its change is taken back out of the mirror, the unit is re-fetched and a notice
``{"code": "account_limit", "limit": "list_items", "count": N, "vip": bool}`` is left for the
front end, all in one transaction. The notice is recorded through ``refusals`` when that module
is present (it owns the notices of the other kinds); otherwise in the same ``meta`` entry and
format, so whichever front end reads the notices shows this one too.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any, Dict, Optional

from ...trakt import errors
from ..connection import write_transaction
from . import lists
from . import outbox as box

log = logging.getLogger(__name__)

LIMIT_NAME = "list_items"
FREE_LIST_ITEMS = 100  # Trakt's free-account items per list (2026), when the header is missing
NOTICES_META = "notices"
MAX_NOTICES = 20


def items_path(action: box.LocalAction, add: bool) -> str:
    return "/users/me/lists/%d/items%s" % (int(action.list_id or 0), "" if add else "/remove")


def notice(account_limit: Any, vip: Optional[bool]) -> Dict[str, Any]:
    try:
        count: Optional[int] = int(str(account_limit).strip())
    except ValueError:
        count = None
    if count is None or count <= 0:
        count = None if vip else FREE_LIST_ITEMS
    return {"code": "account_limit", "limit": LIMIT_NAME, "count": count, "vip": bool(vip)}


def _record(conn: sqlite3.Connection, entry: Dict[str, Any]) -> None:
    try:
        from . import refusals  # type: ignore[attr-defined]
    except ImportError:
        refusals = None
    if refusals is not None:
        refusals.record(conn, entry)
        return
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (NOTICES_META,)).fetchone()
    try:
        waiting = json.loads(row[0]) if row and row[0] else []
    except ValueError:
        waiting = []
    waiting = [n for n in waiting if isinstance(n, dict)] if isinstance(waiting, list) else []
    if entry not in waiting:
        waiting = (waiting + [entry])[-MAX_NOTICES:]
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        (NOTICES_META, json.dumps(waiting, sort_keys=True)),
    )


def refused_by_limit(conn: sqlite3.Connection, row: box.OutboxRow, exc: errors.AccountLimit) -> str:
    """420 on a list write: drop, undo, re-fetch, notice; one transaction. Returns the outcome."""
    entry = notice(getattr(exc, "account_limit", None), getattr(exc, "vip", None))
    what = (row.kind, entry["count"])
    log.warning(
        "outbox: %s refused by Trakt: list limit (%s items) reached; dropped and undone", *what
    )
    with write_transaction(conn):
        box.delete_row(conn, row.id)
        try:
            action = row.action
        except ValueError:
            action = None
        if action is not None and action.kind == box.LIST_ADD:
            list_id, trakt_id = int(action.list_id or 0), int(action.trakt_id or 0)
            lists.apply_change(conn, False, list_id, action.media_type, trakt_id, "")
        box.refetch_unit(conn, "lists_personal")
        _record(conn, entry)
    return "limit"


def take_notices(conn: sqlite3.Connection) -> Any:
    """The waiting notices (deleted: each is shown once); ``refusals.take`` when present."""
    try:
        from . import refusals  # type: ignore[attr-defined]
    except ImportError:
        refusals = None
    if refusals is not None:
        return refusals.take(conn)
    with write_transaction(conn):
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (NOTICES_META,)).fetchone()
        conn.execute("DELETE FROM meta WHERE key = ?", (NOTICES_META,))
    try:
        value = json.loads(row[0]) if row and row[0] else []
    except ValueError:
        return []
    return [n for n in value if isinstance(n, dict)] if isinstance(value, list) else []


__all__ = ["items_path", "notice", "refused_by_limit", "take_notices"]
