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
=================  =================  ==========================================

The list kinds carry ``list_id`` (one of the user's personal lists); their mirror side is in
``lists.py``.

Coalescing (only rows never sent, ``state = 'pending'``): the same change queued twice is kept
once (a watch is a play, so every watch is kept); a watchlist add and remove of the same item
cancel out; an unwatch removes the queued watches of its item (they never reached Trakt).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from ..connection import write_transaction
from .items import now_iso
from .show_counts import update_show_counts

log = logging.getLogger(__name__)

WATCH = "watch"
UNWATCH = "unwatch"
WATCHLIST_ADD = "watchlist_add"
WATCHLIST_REMOVE = "watchlist_remove"
HIDE = "hide"
REMOVE_PLAYBACK = "remove_playback"
LIST_ADD = "list_add"
LIST_REMOVE = "list_remove"
LIST_KINDS = (LIST_ADD, LIST_REMOVE)

MEDIA_TYPES = {
    WATCH: ("movie", "episode"),
    UNWATCH: ("movie", "episode"),
    WATCHLIST_ADD: ("movie", "show"),
    WATCHLIST_REMOVE: ("movie", "show"),
    HIDE: ("show",),
    REMOVE_PLAYBACK: ("movie", "episode"),
    LIST_ADD: ("movie", "show"),
    LIST_REMOVE: ("movie", "show"),
}
KINDS = tuple(MEDIA_TYPES)
OPPOSITE = {WATCHLIST_ADD: WATCHLIST_REMOVE, WATCHLIST_REMOVE: WATCHLIST_ADD,
            LIST_ADD: LIST_REMOVE, LIST_REMOVE: LIST_ADD}  # fmt: skip
HIDDEN_SECTION = "progress_watched"

PENDING = "pending"
SENDING = "sending"


def _positive(value: Any, name: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("%s must be an integer" % name)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("%s must be positive" % name)
    return value


@dataclass(frozen=True)
class LocalAction:
    """One context-menu action on one item.

    ``media_type`` movie: ``trakt_id`` is the movie; show: ``trakt_id`` is the show; episode:
    ``show_id``, ``season`` (0 = specials) and ``number`` (``trakt_id`` optional).
    ``list_id``: the personal list of a ``list_add`` / ``list_remove``.
    """

    kind: str
    media_type: str
    trakt_id: Optional[int] = None
    show_id: Optional[int] = None
    season: Optional[int] = None
    number: Optional[int] = None
    list_id: Optional[int] = None

    def validate(self) -> LocalAction:
        """Raise ValueError unless this action is well formed; returns self."""
        if self.kind not in MEDIA_TYPES:
            raise ValueError("unknown kind")
        if self.media_type not in MEDIA_TYPES[self.kind]:
            raise ValueError("%s does not apply to a %s" % (self.kind, self.media_type))
        if self.media_type == "episode":
            _positive(self.show_id, "show")
            _positive(self.season, "season", allow_zero=True)
            _positive(self.number, "episode")
            if self.trakt_id is not None:
                _positive(self.trakt_id, "trakt")
        else:
            _positive(self.trakt_id, "trakt")
        if self.kind in LIST_KINDS:
            _positive(self.list_id, "list")
        return self

    @property
    def item_key(self) -> str:
        if self.kind in LIST_KINDS:  # add and remove cancel out on the same list only
            return "list:%d:%s:%d" % (self.list_id, self.media_type, self.trakt_id)
        if self.media_type == "episode":
            return "episode:%d:%d:%d" % (self.show_id, self.season, self.number)
        return "%s:%d" % (self.media_type, self.trakt_id)

    @property
    def unit(self) -> str:
        """The sync unit whose pull covers this change."""
        if self.kind in (WATCH, UNWATCH):
            return "watched_movies" if self.media_type == "movie" else "watched_shows"
        if self.kind in LIST_KINDS:
            return "lists_personal"
        if self.kind in OPPOSITE:
            return "watchlist"
        return "hidden" if self.kind == HIDE else "playback"

    def to_payload(self) -> Dict[str, Any]:
        return {
            "type": self.media_type,
            "trakt": self.trakt_id,
            "show": self.show_id,
            "season": self.season,
            "number": self.number,
            "list": self.list_id,
        }

    @classmethod
    def from_row(cls, kind: str, payload: Dict[str, Any]) -> LocalAction:
        return cls(
            kind=kind,
            media_type=str(payload.get("type")),
            trakt_id=payload.get("trakt"),
            show_id=payload.get("show"),
            season=payload.get("season"),
            number=payload.get("number"),
            list_id=payload.get("list"),
        ).validate()


@dataclass
class OutboxRow:
    """One queued change as stored."""

    id: int
    key: str
    kind: str
    item_key: str
    payload: Dict[str, Any]
    created_at: str
    attempts: int
    last_error: Optional[str]
    state: str
    next_attempt_ts: float

    @property
    def action(self) -> LocalAction:
        return LocalAction.from_row(self.kind, self.payload)


_COLUMNS = (
    "id, idempotency_key, kind, item_key, payload, created_at, attempts, last_error, state, "
    "next_attempt_ts"
)
_SELECT_ROWS = "SELECT " + _COLUMNS + " FROM outbox ORDER BY id"  # noqa: S608 - fixed text


def _to_row(record: Any) -> Optional[OutboxRow]:
    try:
        payload = json.loads(record[4])
    except (TypeError, ValueError):
        payload = None
    if not isinstance(payload, dict):
        log.warning("outbox row %s has an unreadable payload", record[0])
        return None
    return OutboxRow(
        int(record[0]), record[1], record[2], record[3], payload, record[5],
        int(record[6] or 0), record[7], record[8], float(record[9] or 0.0),
    )  # fmt: skip


def rows(conn: sqlite3.Connection) -> List[OutboxRow]:
    """Every queued change, oldest first (unreadable rows are skipped)."""
    found = (_to_row(record) for record in conn.execute(_SELECT_ROWS).fetchall())
    return [row for row in found if row is not None]


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


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
    conn: sqlite3.Connection, action: LocalAction, now: Optional[float] = None,
    apply: bool = True,
) -> Optional[int]:  # fmt: skip
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
        clear_resume = LocalAction(REMOVE_PLAYBACK, action.media_type, action.trakt_id,
                                   action.show_id, action.season, action.number)  # fmt: skip
        where, params = _bookmark_where(clear_resume)
        select = "SELECT COUNT(*) FROM bookmarks WHERE " + where  # noqa: S608 - fixed text
        if not conn.execute(select, params).fetchone()[0]:
            clear_resume = None
    row_id = _queue(conn, action, created_at, apply)
    if clear_resume is not None:
        _queue(conn, clear_resume, created_at, apply)
    if row_id is not None:
        log.info("local change queued: %s %s (outbox row %d)", action.kind, action.item_key,
                 row_id)  # fmt: skip
    return row_id


def _queue(
    conn: sqlite3.Connection, action: LocalAction, created_at: str, apply: bool = True
) -> Optional[int]:
    """Inside the transaction: apply ``action`` to the mirror (unless not ``apply``) and insert
    its row."""
    payload = action.to_payload()
    payload.update(_before_state(conn, action))
    if action.kind == WATCH:
        payload["watched_at"] = created_at
    if apply:
        _apply(conn, action, created_at, overlay=False)
    if not _coalesce(conn, action):
        return None
    cursor = conn.execute(
        "INSERT INTO outbox (idempotency_key, kind, item_key, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (str(uuid.uuid4()), action.kind, action.item_key,
         json.dumps(payload, sort_keys=True), created_at),
    )  # fmt: skip
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


def _before_state(conn: sqlite3.Connection, action: LocalAction) -> Dict[str, Any]:
    """The mirror's state of the item before the change (what the last sync saw)."""
    if action.kind in (WATCH, UNWATCH):
        if action.media_type == "movie":
            row = conn.execute(
                "SELECT plays FROM movies WHERE trakt_id = ?", (action.trakt_id,)
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT plays FROM episodes WHERE show_id = ? AND season = ? AND number = ?",
                (action.show_id, action.season, action.number),
            ).fetchone()
        return {"before_plays": int(row[0]) if row and row[0] else 0}
    if action.kind == WATCHLIST_REMOVE:
        row = conn.execute(
            "SELECT listed_at FROM watchlist WHERE media_type = ? AND trakt_id = ?",
            (action.media_type, action.trakt_id),
        ).fetchone()
        return {"before_listed_at": row[0] if row else None}
    if action.kind == REMOVE_PLAYBACK:
        where, params = _bookmark_where(action)
        select = "SELECT playback_id FROM bookmarks WHERE " + where  # noqa: S608 - fixed text
        found = conn.execute(select, params).fetchall()
        return {"playback_ids": sorted(int(r[0]) for r in found if int(r[0]) > 0)}
    return {}


# -- mirror effects --------------------------------------------------------------------------------


def _bookmark_where(action: LocalAction) -> Any:
    if action.media_type == "movie":
        return "media_type = 'movie' AND trakt_id = ?", (action.trakt_id,)
    where = "media_type = 'episode' AND ((show_id = ? AND season = ? AND number = ?)"
    params: List[Any] = [action.show_id, action.season, action.number]
    if action.trakt_id is not None:
        where += " OR trakt_id = ?"
        params.append(action.trakt_id)
    return where + ")", tuple(params)


def _plays(conn: sqlite3.Connection, action: LocalAction) -> int:
    return int(_before_state(conn, LocalAction(WATCH, action.media_type, action.trakt_id,
                                                action.show_id, action.season,
                                                action.number))["before_plays"])  # fmt: skip


def _apply(conn: sqlite3.Connection, action: LocalAction, stamp: str, overlay: bool) -> None:
    """The change's effect on the mirror. ``overlay``: re-applied after a pull replaced the
    unit (a queued play then only makes sure the item counts as watched)."""
    kind = action.kind
    if kind == WATCH:
        if overlay and _plays(conn, action) > 0:
            return
        from .local_changes import PlayedItem, add_play  # local_changes imports the engine

        add_play(conn, PlayedItem(action.media_type, trakt_id=action.trakt_id,
                                  show_id=action.show_id, season=action.season,
                                  number=action.number), stamp)  # fmt: skip
    elif kind == UNWATCH:
        _unwatch(conn, action)
    elif kind == WATCHLIST_ADD:
        _watchlist_add(conn, action, stamp)
    elif kind == WATCHLIST_REMOVE:
        conn.execute(
            "DELETE FROM watchlist WHERE media_type = ? AND trakt_id = ?",
            (action.media_type, action.trakt_id),
        )
    elif kind == HIDE:
        show = conn.execute(
            "SELECT slug, title, year FROM shows WHERE trakt_id = ?", (action.trakt_id,)
        ).fetchone()
        conn.execute(
            "INSERT OR IGNORE INTO hidden (section, media_type, trakt_id, hidden_at, slug, title, "
            "year) VALUES (?, 'show', ?, ?, ?, ?, ?)",
            (HIDDEN_SECTION, action.trakt_id, stamp) + (tuple(show) if show else (None,) * 3),
        )
    elif kind == REMOVE_PLAYBACK:
        where, params = _bookmark_where(action)
        conn.execute("DELETE FROM bookmarks WHERE " + where, params)  # noqa: S608 - fixed text
    elif kind in LIST_KINDS:
        from .lists import apply_change

        apply_change(conn, kind == LIST_ADD, int(action.list_id or 0), action.media_type,
                     int(action.trakt_id or 0), stamp)  # fmt: skip


def _unwatch(conn: sqlite3.Connection, action: LocalAction) -> None:
    if action.media_type == "movie":
        conn.execute(
            "UPDATE movies SET plays = 0, last_watched_at = NULL WHERE trakt_id = ?",
            (action.trakt_id,),
        )
        return
    removed = conn.execute(
        "SELECT plays FROM episodes WHERE show_id = ? AND season = ? AND number = ?",
        (action.show_id, action.season, action.number),
    ).fetchone()
    conn.execute(
        "UPDATE episodes SET plays = 0, last_watched_at = NULL "
        "WHERE show_id = ? AND season = ? AND number = ?",
        (action.show_id, action.season, action.number),
    )
    if removed and removed[0]:
        conn.execute(
            "UPDATE shows SET plays = MAX(0, plays - ?) WHERE trakt_id = ?",
            (int(removed[0]), action.show_id),
        )
    update_show_counts(conn, [action.show_id])


def _watchlist_add(conn: sqlite3.Connection, action: LocalAction, stamp: str) -> None:
    if action.media_type == "movie":
        info = conn.execute(
            "SELECT slug, imdb_id, tmdb_id, NULL, title, year FROM movies WHERE trakt_id = ? "
            "UNION ALL SELECT slug, imdb_id, tmdb_id, NULL, title, year FROM bookmarks "
            "WHERE media_type = 'movie' AND trakt_id = ? LIMIT 1",
            (action.trakt_id, action.trakt_id),
        ).fetchone()
    else:
        info = conn.execute(
            "SELECT slug, imdb_id, tmdb_id, tvdb_id, title, year FROM shows WHERE trakt_id = ?",
            (action.trakt_id,),
        ).fetchone()
    conn.execute(
        "INSERT OR IGNORE INTO watchlist (media_type, trakt_id, listed_at, slug, imdb_id, "
        "tmdb_id, tvdb_id, title, year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (action.media_type, action.trakt_id, stamp) + (tuple(info) if info else (None,) * 6),
    )


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
            _apply(conn, action, row.created_at, overlay=True)
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
    "HIDE",
    "KINDS",
    "LIST_ADD",
    "LIST_KINDS",
    "LIST_REMOVE",
    "REMOVE_PLAYBACK",
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
