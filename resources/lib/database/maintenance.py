"""Database maintenance behind the settings buttons and the CLI: info, clear, rebuild, vacuum.

Every operation that writes takes the sync lease first (the same row the sync engine uses), so it
never interleaves with a sync in another process; when a sync holds it, :class:`DatabaseBusy` is
raised at once instead of waiting. Waits on SQLite's own lock are bounded by
:data:`BUSY_TIMEOUT_SECONDS`, so nothing here hangs. All deletions happen in one transaction: a
failure leaves the data as it was.

``clear_database`` keeps the ``activities`` rows, whose ``synced_at`` is what the UI shows as
"last synced", but empties their cursors: the engine re-syncs every unit whose stored cursor
differs from Trakt's, so the next sync refills everything (the upstream "Clear" left the mirror
empty until something changed on Trakt).
"""

from __future__ import annotations

import calendar
import logging
import os
import sqlite3
from typing import Any, Callable, Dict, List, Optional, Tuple

from .connection import DatabaseUnavailable, open_database, table_names, write_transaction
from .schema import current_version, migrate
from .storage import StorageError, classify
from .trakt_sync import lease, partstate
from .trakt_sync.items import parse_time

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 5.0
# Mirror data, in delete order (episodes before the shows they belong to).
DATA_TABLES = tuple(
    "episodes shows movies watchlist bookmarks hidden collection ratings"
    " trakt_list_items trakt_lists".split()
)
INFO_TABLES = tuple("shows episodes movies watchlist bookmarks hidden collection ratings".split())
ACTIVITIES_TABLE = "activities"
# A cursor that matches no remote timestamps: the engine sees every unit as changed.
EMPTY_CURSOR = "{}"
_COUNT_SQL = {table: "SELECT COUNT(*) FROM " + table for table in INFO_TABLES}  # noqa: S608
_COUNT_SQL["episodes"] = "SELECT COUNT(*) FROM episodes WHERE plays > 0"
_DELETE_SQL = {table: "DELETE FROM " + table for table in DATA_TABLES}  # noqa: S608


class MaintenanceError(Exception):
    """A maintenance operation failed; nothing was changed. ``str()`` is a one-line reason;
    ``code`` is a ``storage`` code (``disk_full``, ``read_only``, ``foreign_database``) when the
    cause was the storage, for the front end's words, else None."""

    def __init__(self, message: str, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code


class DatabaseBusy(MaintenanceError):
    """A sync holds the lease, or the database stayed locked past the timeout."""


def _file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def database_size(db_path: str) -> int:
    """Bytes on disk: the database plus its ``-wal`` file."""
    return _file_size(db_path) + _file_size(db_path + "-wal")


def _connect(db_path: str) -> sqlite3.Connection:
    try:
        conn, recovered = open_database(db_path)
    except DatabaseUnavailable as exc:
        if "locked" in str(exc).lower():
            raise DatabaseBusy("the database is locked by another process") from exc
        code = exc.code if isinstance(exc, StorageError) else None
        raise MaintenanceError(f"cannot open {db_path}: {exc}", code) from exc
    if recovered:
        log.warning("the database was corrupt and has been moved to %s", recovered)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return conn


def _is_locked(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class _Session:
    """A connection holding the sync lease for one maintenance operation."""

    def __init__(self, db_path: str, what: str) -> None:
        self.what = what
        self.conn = _connect(db_path)
        self.owner = lease.new_owner()
        self.leased = False

    def __enter__(self) -> sqlite3.Connection:
        try:
            migrate(self.conn)
            if not lease.acquire(self.conn, self.owner):
                raise DatabaseBusy(f"cannot {self.what} now: a sync is running, try again shortly")
            self.leased = True
        except sqlite3.Error as exc:
            self.conn.close()
            raise _translate(exc, self.what) from exc
        except BaseException:
            self.conn.close()
            raise
        return self.conn

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if self.leased:
                lease.release(self.conn, self.owner)
        except sqlite3.Error as exc:  # the lease expires by itself
            log.warning("could not release the maintenance lease: %s", exc)
        finally:
            self.conn.close()


def _translate(exc: sqlite3.Error, what: str) -> MaintenanceError:
    if _is_locked(exc):
        return DatabaseBusy(f"cannot {what} now: the database is locked by another process")
    typed = classify(exc)
    return MaintenanceError(f"cannot {what}: {exc}", typed.code if typed else None)


def _existing(conn: sqlite3.Connection, tables: Tuple[str, ...]) -> List[str]:
    present = set(table_names(conn))
    return [table for table in tables if table in present]


def _epoch(value: Any) -> Optional[float]:
    parsed = parse_time(value)
    return float(calendar.timegm(parsed.utctimetuple())) if parsed else None


def database_info(db_path: str) -> Dict[str, Any]:
    """Counts per table (only tables that exist), last sync, size and schema version.

    ``counts["episodes"]`` is the number of watched episodes. A missing database is reported
    as empty without creating it.
    """
    info: Dict[str, Any] = {
        "path": db_path,
        "exists": os.path.exists(db_path),
        "counts": {},
        "last_sync_ts": None,
        "trakt_user": None,
        "schema_version": 0,
        "db_bytes": _file_size(db_path),
        "wal_bytes": _file_size(db_path + "-wal"),
        "size_bytes": database_size(db_path),
        "sync_running": False,
    }
    if not info["exists"]:
        return info
    conn = _connect(db_path)
    try:
        for table in _existing(conn, INFO_TABLES):
            info["counts"][table] = int(conn.execute(_COUNT_SQL[table]).fetchone()[0])
        present = set(table_names(conn))
        info["schema_version"] = current_version(conn)
        if "meta" in present:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            info["last_sync_ts"] = _epoch(meta.get("last_sync_at"))
            info["trakt_user"] = meta.get("trakt_username") or meta.get("trakt_user")
        if info["last_sync_ts"] is None and ACTIVITIES_TABLE in present:
            row = conn.execute("SELECT MAX(synced_at) FROM activities").fetchone()
            info["last_sync_ts"] = _epoch(row[0])
        if "sync_lease" in present:
            info["sync_running"] = lease.holder(conn) is not None
    except sqlite3.Error as exc:
        raise _translate(exc, "read the database info") from exc
    finally:
        conn.close()
    info["size_bytes"] = database_size(db_path)
    return info


def _clear(conn: sqlite3.Connection, keep_activities: bool) -> Dict[str, int]:
    deleted: Dict[str, int] = {}
    with write_transaction(conn):
        for table in _existing(conn, DATA_TABLES):
            deleted[table] = conn.execute(_DELETE_SQL[table]).rowcount
        if keep_activities:
            conn.execute("UPDATE activities SET cursor = ?", (EMPTY_CURSOR,))
        else:
            deleted[ACTIVITIES_TABLE] = conn.execute("DELETE FROM activities").rowcount
        # Everything is fetched again, at once: no part waits for a retry time, no throttle.
        partstate.clear_all_pending(conn)
        lease.reset_throttle(conn)
    return deleted


def clear_database(db_path: str) -> Dict[str, int]:
    """Delete the mirror's data (rows deleted per table) but keep the activities timestamps.

    The cursors are emptied so that the next sync fetches every category again, and it may run
    at once (the 5-minute throttle is reset). Raises :class:`DatabaseBusy` or
    :class:`MaintenanceError`.
    """
    with _Session(db_path, "clear the database") as conn:
        try:
            deleted = _clear(conn, keep_activities=True)
        except sqlite3.Error as exc:
            raise _translate(exc, "clear the database") from exc
    log.info("Trakt database cleared: %s", deleted)
    return deleted


def rebuild_database(
    db_path: str,
    client: Any,
    on_progress: Optional[Callable[[int, Any], None]] = None,
    should_abort: Optional[Callable[[], bool]] = None,
) -> Any:
    """Delete all data and activities, then run a forced manual sync; returns its SyncResult."""
    with _Session(db_path, "rebuild the database") as conn:
        try:
            deleted = _clear(conn, keep_activities=False)
        except sqlite3.Error as exc:
            raise _translate(exc, "rebuild the database") from exc
    log.info("Trakt database emptied for a rebuild: %s", deleted)
    from .trakt_sync import TraktSyncDatabase  # the engine is only needed here

    db = TraktSyncDatabase(db_path)
    try:
        return db.sync_activities(
            client,
            on_progress=on_progress,
            should_abort=should_abort,
            force=True,
            trigger="manual",
        )
    finally:
        db.close()


def _checkpoint(conn: sqlite3.Connection) -> None:
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy and busy[0]:
        log.debug("wal checkpoint could not finish (a reader is active)")


def vacuum_database(db_path: str) -> Tuple[int, int]:
    """Checkpoint the WAL, VACUUM and optimize; returns ``(size_before, size_after)`` in bytes."""
    if not os.path.exists(db_path):
        raise MaintenanceError(f"no database at {db_path}")
    before = database_size(db_path)
    with _Session(db_path, "optimize the database") as conn:
        try:
            _checkpoint(conn)
            conn.execute("VACUUM")
            _checkpoint(conn)
            conn.execute("PRAGMA optimize")
        except sqlite3.Error as exc:
            raise _translate(exc, "optimize the database") from exc
    after = database_size(db_path)
    log.info("Trakt database optimized: %d -> %d bytes", before, after)
    return before, after
