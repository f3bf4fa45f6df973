"""Scrobbles the player could not deliver, kept in the ``outbox`` table beside the local changes.

The scrobble layer (``scrobble.queue``) builds the Trakt request; this module stores it and
``outbox_push`` sends it before the pull, like every other queued write. Two kinds:

``scrobble_progress``
    ``POST /scrobble/pause`` restoring the progress Trakt lost when the playback's start cleared
    it (a pause or a stop under 80 % that could not be sent, or a playback a crash cut short).
    One row per item (``item_key``): a newer position replaces an older one, an older one is
    refused. It expires at ``payload["expires_ts"]`` (stale progress must never overwrite what
    the user watched elsewhere since) and is then dropped unsent.
``history_play``
    ``POST /sync/history`` with the real ``watched_at`` of a >= 80 % stop of an item known only
    by IMDb or TMDb id (an item with Trakt ids becomes a ``watch`` row, applied to the mirror).
    Its idempotency key is media + watched_at second: queued once. Before the post, Trakt's
    history is read around ``watched_at`` when the payload names a lookup, so a crash between
    the post and the row's deletion never adds the play twice (Trakt does not de-duplicate).

Neither kind touches the mirror: the scrobble's effect on it was applied when the playback
stopped (``local_changes.record_stop``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ...trakt import errors
from ..connection import write_transaction
from . import conflicts, lease
from . import outbox as box
from .context import SyncContext
from .items import as_dict, as_int, iso_time, now_iso

log = logging.getLogger(__name__)

SCROBBLE_PROGRESS = "scrobble_progress"
HISTORY_PLAY = "history_play"
KINDS = (SCROBBLE_PROGRESS, HISTORY_PLAY)
ITEM_PREFIX = "scrobble:"
# Trakt answers these for an item it does not know or a body it refuses: asking again is useless.
_PERMANENT = (errors.NotFound, errors.ClientError, errors.VipOnly)


@dataclass
class ScrobbleWrite:
    """One pending scrobble write as the scrobble layer hands it over.

    ``key``: the item (progress) or the play (history: media + watched_at second).
    ``lookup``: for a play, ``{"path": "/sync/history/movies/1", "media": {...}}`` naming where
    Trakt's history would show it (None: it cannot be checked).
    """

    kind: str
    key: str
    path: str
    body: Dict[str, Any]
    created_ts: float
    media: Dict[str, Any] = field(default_factory=dict)
    watched_at: str = ""
    expires_ts: float = 0.0
    lookup: Optional[Dict[str, Any]] = None
    attempts: int = 0

    def to_payload(self) -> Dict[str, Any]:
        return {
            "key": self.key,
            "path": self.path,
            "body": self.body,
            "created_ts": self.created_ts,
            "media": self.media,
            "watched_at": self.watched_at,
            "expires_ts": self.expires_ts,
            "lookup": self.lookup,
        }

    @classmethod
    def from_row(cls, row: box.OutboxRow) -> ScrobbleWrite:
        """Raises KeyError, TypeError or ValueError for a payload this module did not write."""
        data = row.payload
        return cls(
            kind=row.kind,
            key=str(data["key"]),
            path=str(data["path"]),
            body=dict(data["body"]),
            created_ts=float(data["created_ts"]),
            media=dict(data.get("media") or {}),
            watched_at=str(data.get("watched_at") or ""),
            expires_ts=float(data.get("expires_ts") or 0.0),
            lookup=data.get("lookup") if isinstance(data.get("lookup"), dict) else None,
            attempts=row.attempts,
        )


def queue(conn: sqlite3.Connection, write: ScrobbleWrite) -> bool:
    """Keep ``write`` (one transaction). False when it is not kept: a play already queued, or a
    progress older than the one queued for the same item."""
    if write.kind not in KINDS:
        raise ValueError("unknown scrobble kind")
    item_key = ITEM_PREFIX + write.key
    with write_transaction(conn):
        if write.kind == HISTORY_PLAY:
            found = conn.execute(
                "SELECT 1 FROM outbox WHERE idempotency_key = ?", (write.key,)
            ).fetchone()
            if found:
                log.info("outbox: this play is already queued")
                return False
            idempotency_key = write.key
        else:
            for row in _rows_of(conn, item_key):
                if float(row.payload.get("created_ts") or 0.0) >= write.created_ts:
                    log.info("outbox: a later progress of this item is already queued")
                    return False
            conn.execute("DELETE FROM outbox WHERE item_key = ?", (item_key,))
            idempotency_key = "%s@%s" % (write.key, uuid.uuid4())
        payload = json.dumps(write.to_payload(), sort_keys=True)
        conn.execute(
            "INSERT INTO outbox (idempotency_key, kind, item_key, payload, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (idempotency_key, write.kind, item_key, payload, now_iso(write.created_ts)),
        )
    return True


def rows(conn: sqlite3.Connection) -> List[box.OutboxRow]:
    """The queued scrobble writes, oldest first."""
    return [row for row in box.rows(conn) if row.kind in KINDS]


def _rows_of(conn: sqlite3.Connection, item_key: str) -> List[box.OutboxRow]:
    return [row for row in rows(conn) if row.item_key == item_key]


def discard(conn: sqlite3.Connection, key: str) -> int:
    """Forget the queued writes of ``key`` (a newer scrobble of the item reached Trakt)."""
    # Called after every scrobble that reached Trakt: read first, so the usual case takes no
    # write lock (a sync writing at that moment would make the quit's pause wait for it).
    found = conn.execute(
        "SELECT 1 FROM outbox WHERE item_key = ? LIMIT 1", (ITEM_PREFIX + key,)
    ).fetchone()
    if not found:
        return 0
    with write_transaction(conn):
        return conn.execute("DELETE FROM outbox WHERE item_key = ?", (ITEM_PREFIX + key,)).rowcount


# -- the push (called by outbox_push for rows of these kinds) ------------------------------------


def push_row(
    conn: sqlite3.Connection,
    ctx: SyncContext,
    owner: str,
    row: box.OutboxRow,
    now: float,
    result: Any,
) -> str:
    """Send one queued scrobble write; the outcome for the push log. Trakt errors propagate
    (``outbox_push`` keeps, confirms or drops the row by the error)."""
    try:
        write = ScrobbleWrite.from_row(row)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("outbox row %d is malformed (%s): dropped", row.id, exc)
        _finish(conn, row, owner)
        result.dropped += 1
        return "malformed"
    if write.kind == SCROBBLE_PROGRESS and now > write.expires_ts:
        log.info("outbox: dropping stale scrobble progress (row %d)", row.id)
        _finish(conn, row, owner)
        result.dropped += 1
        return "expired"
    if write.kind == HISTORY_PLAY and in_history(ctx, write):
        log.info("outbox row %d: the play is already in the Trakt history", row.id)
        _finish(conn, row, owner)
        result.confirmed += 1
        return "confirmed"
    with write_transaction(conn):
        lease.assert_lease(conn, owner)
        box.mark_sending(conn, row.id)
    result.writes += 1
    if write.kind == HISTORY_PLAY:
        answer = ctx.client.post(write.path, write.body)
        if _nothing_added(answer):
            log.warning("outbox: Trakt does not know this item; dropping the play")
            _finish(conn, row, owner)
            result.dropped += 1
            return "rejected"
    else:
        ctx.client.post(write.path, write.body, idempotent=True)
    _finish(conn, row, owner)
    result.pushed += 1
    return "pushed"


def in_history(ctx: SyncContext, write: ScrobbleWrite) -> bool:
    """Does Trakt's history hold this play (same item, watched_at within 1 s)? False when it
    cannot tell (no lookup, or Trakt refuses it); network errors propagate."""
    lookup = write.lookup or {}
    path, media = lookup.get("path"), as_dict(lookup.get("media"))
    if not path or not write.watched_at:
        return False
    params = {"start_at": write.watched_at, "end_at": write.watched_at}
    try:
        entries = list(ctx.fetch_pages(str(path), params))
    except _PERMANENT:
        return False
    return any(
        conflicts.same_moment(iso_time(as_dict(entry).get("watched_at")), write.watched_at)
        and _same_item(media, as_dict(entry))
        for entry in entries
    )


def _same_item(media: Dict[str, Any], entry: Dict[str, Any]) -> bool:
    ids = as_dict(media.get("ids"))
    if media.get("kind") == "movie":
        found = as_dict(as_dict(entry.get("movie")).get("ids"))
        return any(found.get(k) == v for k, v in ids.items())
    episode = as_dict(entry.get("episode"))
    if media.get("show_ids") and media.get("season") is not None:
        numbers = (as_int(episode.get("season")), as_int(episode.get("number")))
        return numbers == (media.get("season"), media.get("number"))
    found = as_dict(episode.get("ids"))
    return any(found.get(k) == v for k, v in ids.items())


def _nothing_added(answer: Any) -> bool:
    """Trakt answered, added nothing and listed the item under ``not_found``."""
    if not isinstance(answer, dict):
        return False
    added = any(isinstance(v, int) and v > 0 for v in as_dict(answer.get("added")).values())
    missing = any(bool(v) for v in as_dict(answer.get("not_found")).values())
    return missing and not added


def _finish(conn: sqlite3.Connection, row: box.OutboxRow, owner: str) -> None:
    with write_transaction(conn):
        lease.assert_lease(conn, owner)
        box.delete_row(conn, row.id)


__all__ = [
    "HISTORY_PLAY",
    "KINDS",
    "SCROBBLE_PROGRESS",
    "ScrobbleWrite",
    "discard",
    "in_history",
    "push_row",
    "queue",
    "rows",
]
