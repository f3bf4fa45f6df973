"""Local changes (context-menu actions) queued for Trakt in the ``outbox`` table.

:func:`queue_action` applies a :class:`LocalAction` to the mirror at once *and* queues it, in
ONE transaction: the lists show the change immediately, and it cannot be lost or sent without
having been applied. ``outbox_push.push_outbox`` sends the rows at the start of the next sync
(before the pull); :func:`reapply_pending` puts the effect of rows still queued back on top of a
unit that the pull has just replaced, so an unsent change never disappears from the lists.

Kinds and their Trakt writes:

=================  =================  ==========================================
kind               media types        write
=================  =================  ==========================================
watch              movie, episode     ``POST /sync/history`` with ``watched_at``
unwatch            movie, episode     ``POST /sync/history/remove``
watchlist_add      movie, show        ``POST /sync/watchlist``
watchlist_remove   movie, show        ``POST /sync/watchlist/remove``
hide               show               ``POST /users/hidden/progress_watched``
remove_playback    movie, episode     ``DELETE /sync/playback/{id}``
list_add           movie, show        ``POST /users/me/lists/{list_id}/items``
list_remove        movie, show        ``POST /users/me/lists/{list_id}/items/remove``
rate               movie, show, ep.   ``POST /sync/ratings`` with ``rating``, ``rated_at``
unrate             movie, show, ep.   ``POST /sync/ratings/remove``
=================  =================  ==========================================

The list kinds carry ``list_id`` (one of the user's personal lists); their mirror side is in
``lists.py``.

Coalescing (only rows never sent, ``state = 'pending'``): the same change queued twice is kept
once (a watch is a play, so every watch is kept); a watchlist add and remove of the same item
cancel out; an unwatch removes the queued watches of its item (they never reached Trakt); a
newer rating of an item replaces its older queued one (``ratings.coalesce``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from typing import Optional

from ..connection import write_transaction
from .items import now_iso
from .outbox_mirror import apply_action, before_state, bookmark_where
from .outbox_rows import (
    HIDDEN_SECTION,
    HIDE,
    KINDS,
    LIST_ADD,
    LIST_KINDS,
    LIST_REMOVE,
    MEDIA_TYPES,
    OPPOSITE,
    PENDING,
    RATE,
    RATING_KINDS,
    REMOVE_PLAYBACK,
    SENDING,
    UNRATE,
    UNWATCH,
    WATCH,
    WATCHLIST_ADD,
    WATCHLIST_REMOVE,
    LocalAction,
    OutboxRow,
    count,
    rows,
)

log = logging.getLogger(__name__)


# -- queueing ------------------------------------------------------------------------------------


def queue_action(
    conn: sqlite3.Connection, action: LocalAction, now: Optional[float] = None
) -> Optional[int]:
    """Apply ``action`` to the mirror and queue it, in one transaction.

    Returns the new outbox row id, or None when it cancelled out / duplicated a queued change
    (the mirror is updated either way). Raises ValueError for a malformed action.
    """
    action.validate()
    with write_transaction(conn):
        return queue_in_transaction(conn, action, now)


def queue_in_transaction(
    conn: sqlite3.Connection,
    action: LocalAction,
    now: Optional[float] = None,
    apply: bool = True,
) -> Optional[int]:
    """:func:`queue_action` inside the caller's write transaction. ``apply=False`` queues
    without touching the mirror: the caller applies the change itself, once, in the same
    transaction (the player's offline stop: ``local_changes.record_stop``).

    For a ``watch``, ``now`` is the play's real time: the row's ``created_at`` and its
    ``watched_at`` (what the push posts and what its history check looks for)."""
    action.validate()
    if action.kind in LIST_KINDS:
        from .lists import is_personal

        if not is_personal(conn, int(action.list_id or 0)):
            raise ValueError("list %s is not one of the user's personal lists" % action.list_id)
    created_at = now_iso(now)
    # Marking watched also clears the resume point (Trakt keeps it after a history add).
    clear_resume = None
    if action.kind == WATCH:
        where = (action.trakt_id, action.show_id, action.season, action.number)
        clear_resume = LocalAction(REMOVE_PLAYBACK, action.media_type, *where)
        where, params = bookmark_where(clear_resume)
        select = "SELECT COUNT(*) FROM bookmarks WHERE " + where  # noqa: S608 - fixed text
        if not conn.execute(select, params).fetchone()[0]:
            clear_resume = None
    row_id = _queue(conn, action, created_at, apply)
    if clear_resume is not None:
        _queue(conn, clear_resume, created_at, apply)
    if row_id is not None:
        what = (action.kind, action.item_key, row_id)
        log.info("local change queued: %s %s (outbox row %d)", *what)
    return row_id


def _queue(
    conn: sqlite3.Connection, action: LocalAction, created_at: str, apply: bool = True
) -> Optional[int]:
    """Inside the transaction: apply ``action`` to the mirror (unless not ``apply``) and insert
    its row."""
    payload = action.to_payload()
    payload.update(before_state(conn, action))
    if action.kind == WATCH:
        payload["watched_at"] = created_at
    if apply:
        apply_action(conn, action, created_at, overlay=False)
    if action.kind in RATING_KINDS:
        from .ratings import coalesce

        if not coalesce(conn, action, payload):
            return None
    elif not _coalesce(conn, action):
        return None
    encoded = json.dumps(payload, sort_keys=True)
    cursor = conn.execute(
        "INSERT INTO outbox (idempotency_key, kind, item_key, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (str(uuid.uuid4()), action.kind, action.item_key, encoded, created_at),
    )
    return int(cursor.lastrowid)


def _coalesce(conn: sqlite3.Connection, action: LocalAction) -> bool:
    """Inside the transaction: merge with queued, never-sent rows; False = queue nothing."""
    queued = conn.execute(
        "SELECT id, kind FROM outbox WHERE item_key = ? AND state = ? ORDER BY id",
        (action.item_key, PENDING),
    ).fetchall()
    for row_id, kind in queued:
        if kind == action.kind and kind != WATCH:
            log.info("local change %s %s already queued", kind, action.item_key)
            return False
        if OPPOSITE.get(kind) == action.kind:
            conn.execute("DELETE FROM outbox WHERE id = ?", (row_id,))
            log.info("local changes %s and %s cancel out", kind, action.kind)
            return False
        if action.kind == UNWATCH and kind == WATCH:
            conn.execute("DELETE FROM outbox WHERE id = ?", (row_id,))
    return True


def reapply_pending(conn: sqlite3.Connection, unit: str) -> int:
    """Inside the pull's transaction for ``unit``: re-apply the changes still queued for it.

    The pull replaces a unit with Trakt's state; a change not yet on Trakt (offline, or its push
    is uncertain) must stay visible. Returns how many rows were re-applied.
    """
    applied = 0
    for row in rows(conn):
        try:
            action = row.action
        except ValueError:
            continue
        if action.unit == unit:
            apply_action(conn, action, row.created_at, overlay=True)
            applied += 1
    return applied


# -- row state (used by outbox_push) ---------------------------------------------------------


def mark_sending(conn: sqlite3.Connection, row_id: int) -> None:
    """Before the write: from now on the outcome is uncertain until Trakt confirms."""
    conn.execute("UPDATE outbox SET state = ? WHERE id = ?", (SENDING, row_id))


def mark_failed(
    conn: sqlite3.Connection, row_id: int, error: str, next_attempt_ts: float, state: str
) -> None:
    conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_ts = ?, "
        "state = ? WHERE id = ?",
        (error[:500], next_attempt_ts, state, row_id),
    )


def delete_row(conn: sqlite3.Connection, row_id: int) -> None:
    conn.execute("DELETE FROM outbox WHERE id = ?", (row_id,))


def refetch_unit(conn: sqlite3.Connection, unit: str) -> None:
    """Forget the unit's cursor so the pull fetches it and the mirror returns to Trakt's state
    (after a dropped or rejected change)."""
    conn.execute("DELETE FROM activities WHERE category = ?", (unit,))


def clear(conn: sqlite3.Connection) -> int:
    """Drop every queued change (sign-out, account switch). Returns how many."""
    with write_transaction(conn):
        return conn.execute("DELETE FROM outbox").rowcount


__all__ = [
    "HIDDEN_SECTION",
    "HIDE",
    "KINDS",
    "LIST_ADD",
    "LIST_KINDS",
    "LIST_REMOVE",
    "MEDIA_TYPES",
    "OPPOSITE",
    "PENDING",
    "RATE",
    "RATING_KINDS",
    "REMOVE_PLAYBACK",
    "SENDING",
    "UNRATE",
    "UNWATCH",
    "WATCH",
    "WATCHLIST_ADD",
    "WATCHLIST_REMOVE",
    "LocalAction",
    "OutboxRow",
    "clear",
    "count",
    "queue_action",
    "queue_in_transaction",
    "reapply_pending",
    "rows",
]
