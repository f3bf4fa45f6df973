"""Cross-process sync lease, throttle and the sync run record.

The lease is a row in ``sync_lease`` (owner = pid + random, expiry in Unix seconds). Only one
process can hold it; one whose holder died is taken over once it has expired. Every data
transaction of a sync re-checks the lease (:func:`assert_lease`), so a process that lost its lease
(for example after being suspended past the expiry) cannot overwrite the new holder's work.

A full disk must not leave a run ``running`` nor the lease held: :func:`start_run` keeps a space
reserve next to the database (``storage.ensure_reserve``), and :func:`finish_run` and
:func:`release` give it up and retry once when SQLite reports the disk full.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import secrets
import sqlite3
import time
from typing import Any, Callable, Dict, List, Optional, TypeVar

from .. import storage
from ..connection import write_transaction
from ..sync_status import SyncStatus
from .items import now_iso

log = logging.getLogger(__name__)

LEASE_NAME = "sync"
LEASE_SECONDS = 120.0
THROTTLE_SECONDS = 300.0
# Run records are pruned at the end of every run: runs older than KEEP_DAYS go (the 7-day
# statistics need 7 days), except the newest KEEP_RECENT (the history lists 50), and never more
# than KEEP_RUNS are kept (a 5-minute interval makes ~2,000 runs a week).
KEEP_RUNS = 5000
KEEP_DAYS = 8
KEEP_RECENT = 50
# Only runs that synced count for the throttle: a failed, aborted (Kodi shutting down) or
# unauthorised run did not, so the next attempt is never delayed by it.
_THROTTLE_EXEMPT = (
    SyncStatus.ABORTED,
    SyncStatus.BUSY,
    SyncStatus.THROTTLED,
    SyncStatus.ERROR,
    SyncStatus.UNAUTHORIZED,
)
# meta key: runs started before this Unix time no longer count for the throttle (set by Clear,
# Rebuild and a new authorisation, after which the next sync runs at once).
THROTTLE_RESET_META = "throttle_reset_ts"
_OWNER_RE = re.compile(r"^(\d+)-[0-9a-f]+$")


class LeaseLost(Exception):
    """Another process took over the sync lease."""


def _database_path(conn: sqlite3.Connection) -> str:
    for row in conn.execute("PRAGMA database_list").fetchall():
        if row[1] == "main":
            return str(row[2] or "")
    return ""


_Write = TypeVar("_Write", bound=Callable[..., None])


def _uses_reserve_when_full(write: _Write) -> _Write:
    """``write(conn, ...)``; on a full disk give up the space reserve and run it once more."""

    @functools.wraps(write)
    def wrapper(conn: sqlite3.Connection, *args: Any, **kwargs: Any) -> None:
        try:
            write(conn, *args, **kwargs)
        except sqlite3.Error as exc:
            path = _database_path(conn)
            full = isinstance(storage.classify(exc), storage.DiskFull)
            if not full or not path or not storage.release_reserve(path):
                raise
            log.info("the disk is full: the space reserve was used to record the sync")
            write(conn, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_owner() -> str:
    return "%d-%s" % (os.getpid(), secrets.token_hex(6))


def acquire(
    conn: sqlite3.Connection, owner: str, seconds: float = LEASE_SECONDS, name: str = LEASE_NAME
) -> bool:
    """Take the lease if it is free, expired or already ours."""
    now = time.time()
    with write_transaction(conn):
        row = conn.execute(
            "SELECT owner, expires_ts FROM sync_lease WHERE name = ?", (name,)
        ).fetchone()
        if (
            row is not None
            and row["owner"] != owner
            and row["expires_ts"] > now
            and not _owner_is_dead(row["owner"])
        ):
            return False
        if row is not None and row["owner"] != owner:
            log.warning("taking over an expired sync lease from %s", row["owner"])
        conn.execute(
            "INSERT OR REPLACE INTO sync_lease (name, owner, acquired_ts, expires_ts) "
            "VALUES (?, ?, ?, ?)",
            (name, owner, now, now + seconds),
        )
    return True


def _owner_is_dead(owner: str) -> bool:
    """True when ``owner`` (``<pid>-<hex>``, see :func:`new_owner`) names a process that no longer
    exists on this machine: a killed sync (power cut, SIGKILL) frees its lease at once instead of
    blocking every sync until the expiry. Unknown formats and non-POSIX systems count as alive."""
    match = _OWNER_RE.match(str(owner))
    if match is None or os.name != "posix":
        return False
    pid = int(match.group(1))
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists (another user)
        return False
    return False


def holder(conn: sqlite3.Connection, name: str = LEASE_NAME) -> Optional[Dict[str, Any]]:
    """The current unexpired lease holder, or None."""
    row = conn.execute(
        "SELECT owner, acquired_ts, expires_ts FROM sync_lease WHERE name = ? AND expires_ts > ?",
        (name, time.time()),
    ).fetchone()
    return dict(row) if row else None


def assert_lease(conn: sqlite3.Connection, owner: str, name: str = LEASE_NAME) -> None:
    """Inside a write transaction: raise LeaseLost unless ``owner`` still holds the lease."""
    row = conn.execute("SELECT owner FROM sync_lease WHERE name = ?", (name,)).fetchone()
    if row is None or row["owner"] != owner:
        raise LeaseLost("the sync lease is now held by %s" % (row["owner"] if row else "nobody"))


def renew(
    conn: sqlite3.Connection, owner: str, seconds: float = LEASE_SECONDS, name: str = LEASE_NAME
) -> None:
    with write_transaction(conn):
        assert_lease(conn, owner, name)
        conn.execute(
            "UPDATE sync_lease SET expires_ts = ? WHERE name = ? AND owner = ?",
            (time.time() + seconds, name, owner),
        )


@_uses_reserve_when_full
def release(conn: sqlite3.Connection, owner: str, name: str = LEASE_NAME) -> None:
    with write_transaction(conn):
        conn.execute("DELETE FROM sync_lease WHERE name = ? AND owner = ?", (name, owner))


def next_allowed_ts(conn: sqlite3.Connection, interval: float = THROTTLE_SECONDS) -> float:
    """Unix time from which a non-forced sync may run again."""
    reset = conn.execute("SELECT value FROM meta WHERE key = ?", (THROTTLE_RESET_META,)).fetchone()
    try:
        since = float(reset[0]) if reset else 0.0
    except (TypeError, ValueError):
        since = 0.0
    row = conn.execute(
        "SELECT MAX(started_ts) FROM sync_runs WHERE status NOT IN (?, ?, ?, ?, ?) "
        "AND started_ts >= ?",
        _THROTTLE_EXEMPT + (since,),
    ).fetchone()
    last = row[0] if row and row[0] is not None else None
    return 0.0 if last is None else float(last) + interval


def reset_throttle(conn: sqlite3.Connection, now: Optional[float] = None) -> None:
    """Inside a write transaction: the next sync may run at once (after Clear, Rebuild or a new
    authorisation the mirror must be filled now, not in five minutes)."""
    stamp = time.time() if now is None else now
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (THROTTLE_RESET_META, repr(stamp))
    )


def start_run(conn: sqlite3.Connection, trigger: str, started_ts: float) -> int:
    path = _database_path(conn)
    if path:
        storage.ensure_reserve(path)
    with write_transaction(conn):
        cursor = conn.execute(
            "INSERT INTO sync_runs (started_at, started_ts, trigger, status) "
            "VALUES (?, ?, ?, 'running')",
            (now_iso(started_ts), started_ts, trigger),
        )
        return int(cursor.lastrowid)


@_uses_reserve_when_full
def finish_run(
    conn: sqlite3.Connection,
    run_id: int,
    status: str,
    duration: float,
    requests: int,
    changes: Dict[str, Any],
    error: Optional[str],
    keep: int = KEEP_RUNS,
    failures: Optional[List[Dict[str, Any]]] = None,
) -> None:
    with write_transaction(conn):
        conn.execute(
            "UPDATE sync_runs SET finished_at = ?, duration = ?, requests = ?, changes = ?, "
            "status = ?, error = ?, failures = ? WHERE id = ?",
            (now_iso(), duration, requests, json.dumps(changes, sort_keys=True), status, error,
             json.dumps(failures, sort_keys=True) if failures else None, run_id),
        )  # fmt: skip
        conn.execute(
            "DELETE FROM sync_runs WHERE id <= (SELECT MAX(id) FROM sync_runs) - ? "
            "OR (started_ts < ? AND id <= (SELECT MAX(id) FROM sync_runs) - ?)",
            (keep, time.time() - KEEP_DAYS * 86400, KEEP_RECENT),
        )


def run_rows(conn: sqlite3.Connection, limit: int) -> List[Dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, started_at, finished_at, trigger, duration, requests, changes, status, error, "
        "failures FROM sync_runs ORDER BY id DESC LIMIT ?",
        (int(limit),),
    ).fetchall()
    result = []
    for row in rows:
        item = dict(row)
        try:
            item["changes"] = json.loads(item["changes"]) if item["changes"] else {}
        except ValueError:
            item["changes"] = {}
        item["failures"] = parse_failures(item.get("failures"))
        if item["status"] == "running":
            item["status"] = "interrupted" if item["finished_at"] is None else item["status"]
        result.append(item)
    return result


def parse_failures(text: Any) -> List[Dict[str, Any]]:
    """The failure records of a run row (``sync_runs.failures`` JSON); [] when absent or bad."""
    try:
        value = json.loads(text) if text else []
    except (TypeError, ValueError):
        return []
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]
