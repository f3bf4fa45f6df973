"""Schema and opening of ``meta_cache.db`` (see ``meta_cache.py`` for the tables).

Named migrations recorded in ``schema_migrations``, each in its own transaction, as
``schema.py`` does it for the mirror. :func:`open_cache` opens an existing file without
``PRAGMA quick_check`` (20 ms of every plugin call on a 30 MB cache); a file that is not SQLite
fails at once and goes through :func:`connection.open_database`, which moves it aside.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from typing import Optional, Sequence, Tuple

from .connection import open_database, write_transaction

_V1_INITIAL = (
    """CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)""",
    """CREATE TABLE entries (
        kind TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, payload TEXT,
        size INTEGER NOT NULL, fetched_ts REAL NOT NULL, expires_ts REAL NOT NULL,
        PRIMARY KEY (kind, key))""",
    "CREATE INDEX entries_by_age ON entries(fetched_ts)",
    "CREATE TABLE totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT INTO totals VALUES ('bytes', 0)",
    """CREATE TRIGGER entries_insert AFTER INSERT ON entries BEGIN
        UPDATE totals SET value = value + NEW.size WHERE name = 'bytes'; END""",
    """CREATE TRIGGER entries_delete AFTER DELETE ON entries BEGIN
        UPDATE totals SET value = value - OLD.size WHERE name = 'bytes'; END""",
    """CREATE TRIGGER entries_update AFTER UPDATE OF size ON entries BEGIN
        UPDATE totals SET value = value - OLD.size + NEW.size WHERE name = 'bytes'; END""",
    """CREATE TABLE search_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, query TEXT NOT NULL, media_type TEXT NOT NULL,
        searched_ts REAL NOT NULL, UNIQUE (query, media_type))""",
)
MIGRATIONS: Tuple[Tuple[int, str, Sequence[str]], ...] = ((1, "initial", _V1_INITIAL),)
LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    return int(conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the missing migrations, each in its own transaction with its record row."""
    if current_version(conn) == 0 and not conn.execute("SELECT 1 FROM sqlite_master").fetchone():
        # A new, empty file: VACUUM makes the auto_vacuum mode take effect (WAL is already on).
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("VACUUM")
    for version, name, statements in MIGRATIONS:
        if version <= current_version(conn):
            continue
        with write_transaction(conn):
            if version <= current_version(conn):
                continue  # another process applied it while we waited for the lock
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (version, name, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            )
    return current_version(conn)


def chmod_private(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            if os.path.exists(path + suffix):
                os.chmod(path + suffix, 0o600)


def open_cache(path: str) -> Tuple[sqlite3.Connection, Optional[str]]:
    """An existing cache: connect and set the pragmas (a file that is not SQLite fails here and
    takes the full path). A new or empty one: ``open_database`` with every check."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return open_database(path)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if isinstance(exc, sqlite3.OperationalError) and not looks_corrupt(exc):
            raise
        return open_database(path)  # moves the bad file aside
    return conn, None


def looks_corrupt(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("malformed", "not a database", "corrupt", "disk image"))
