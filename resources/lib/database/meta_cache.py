"""``meta_cache.db``: AIOStreams metas, catalog pages and the search history (not the mirror).

A separate SQLite file beside ``trakt_sync.db``, so *Clear Trakt Database* keeps it. Opened like
the mirror (WAL, busy timeout, a corrupt file moved aside: :func:`connection.open_database`),
except that an existing file is opened without ``PRAGMA quick_check``: on a 30 MB cache it costs
20 ms of every plugin call, and a cache can afford to find corruption when it reads it (then the
file is moved aside and the cache starts empty). File mode 0600 (SQLite gives ``-wal`` and
``-shm`` the same mode); the schema is versioned by named migrations recorded in
``schema_migrations``, as ``schema.py`` does it.

``entries`` (1): key (``kind``, ``key``); ``kind`` is ``meta`` (key ``<type>:<id>``),
``catalog`` (key = the route path) or ``manifest``; ``status`` ``ok`` (``payload`` is compact
JSON) or ``none`` (no meta: remembered until ``expires_ts`` so the item is not asked again);
``size`` (bytes of key and payload), ``fetched_ts``, ``expires_ts`` (Unix seconds). An expired
entry is still returned (flagged stale): a list shows old art rather than none while the
service refreshes it. ``totals`` (1) holds the running byte count, kept by triggers, so the size
bound costs no scan: when it passes ``max_bytes`` the oldest entries (by ``fetched_ts``) go until
it is back under 90 % of the bound, and freed pages are returned to the file system
(``auto_vacuum = INCREMENTAL``).
``search_history`` (1): ``query``, ``media_type`` (``movie``/``series``/``all``), ``searched_ts``;
one row per (query, type), the newest :data:`HISTORY_LIMIT` kept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from ..constants import META_CACHE_FILENAME
from .connection import move_aside, open_database, write_transaction
from .meta_cache_schema import (
    chmod_private,
    looks_corrupt,
    migrate,
    open_cache,
)

log = logging.getLogger(__name__)

FILE_NAME = META_CACHE_FILENAME
# Payload bytes: with indexes, free pages and a full -wal the files stay under 50 MB.
DEFAULT_MAX_BYTES = 36 * 1024 * 1024
HISTORY_LIMIT = 20
WAL_LIMIT_BYTES = 4 * 1024 * 1024
_EVICT_TO = 0.9


@dataclass(frozen=True)
class CacheEntry:
    """One cached answer. ``payload`` is None for a remembered "no meta"."""

    kind: str
    key: str
    status: str
    payload: Any
    fetched_ts: float
    expires_ts: float
    now: float

    @property
    def fresh(self) -> bool:
        return self.now < self.expires_ts

    @property
    def missing(self) -> bool:
        return self.status == "none"


@dataclass(frozen=True)
class SearchEntry:
    id: int
    query: str
    media_type: str
    searched_ts: float


def meta_key(media_type: str, stremio_id: str) -> str:
    return f"{media_type}:{stremio_id}"


class MetaCache:
    """The cache database. Thread-safe (one connection, serialised); cheap to open."""

    def __init__(
        self,
        path: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.RLock()
        self._conn, self.recovered = open_cache(path)
        self._prepare()

    def _prepare(self) -> None:
        # Before anything is written: SQLite created the file with the umask's mode, and gives
        # the -wal and -shm files the mode of the database file.
        chmod_private(self.path)
        self._conn.execute("PRAGMA journal_size_limit = 4194304")  # = WAL_LIMIT_BYTES
        try:
            migrate(self._conn)
        except sqlite3.Error:
            self._conn.close()
            raise

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        """The file turned out corrupt while in use: move it aside, start an empty cache."""
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self.recovered = move_aside(self.path)
            log.warning("meta cache corrupt (%s): moved aside to %s", exc, self.recovered)
            self._conn, _ = open_database(self.path)
            self._prepare()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> MetaCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- entries --------------------------------------------------------------------------------
    def get(self, kind: str, key: str) -> Optional[CacheEntry]:
        return self.get_many(kind, [key]).get(key)

    def get_many(self, kind: str, keys: Iterable[str]) -> Dict[str, CacheEntry]:
        """The cached entries among ``keys`` (fresh or stale), one query per 500 keys."""
        wanted = list(dict.fromkeys(keys))
        try:
            return self._read_many(kind, wanted)
        except sqlite3.DatabaseError as exc:
            if not looks_corrupt(exc):
                raise
            self._recover(exc)
            return {}

    def _read_many(self, kind: str, wanted: List[str]) -> Dict[str, CacheEntry]:
        now = self._clock()
        found: Dict[str, CacheEntry] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = self._conn.execute(
                    "SELECT key, status, payload, fetched_ts, expires_ts FROM entries "  # noqa: S608 - placeholders only
                    "WHERE kind = ? AND key IN ({})".format(",".join("?" * len(chunk))),
                    [kind] + chunk,
                ).fetchall()
                for key, status, payload, fetched, expires in rows:
                    data = _load(payload)
                    if status == "ok" and data is None:
                        continue  # unreadable payload: as if absent, fetched again
                    found[key] = CacheEntry(kind, key, status, data, fetched, expires, now)
        return found

    def put(self, kind: str, key: str, payload: Any, ttl: float) -> None:
        """Store an answer for ``ttl`` seconds, then keep the cache under its size bound."""
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        self._store(kind, key, "ok", text, ttl)

    def put_missing(self, kind: str, key: str, ttl: float) -> None:
        """Remember "nothing there" for ``ttl`` seconds (no request for it until then)."""
        self._store(kind, key, "none", None, ttl)

    def _store(self, kind: str, key: str, status: str, text: Optional[str], ttl: float) -> None:
        try:
            self._write(kind, key, status, text, ttl)
        except sqlite3.DatabaseError as exc:
            if not looks_corrupt(exc):
                raise
            self._recover(exc)
            self._write(kind, key, status, text, ttl)

    def _write(self, kind: str, key: str, status: str, text: Optional[str], ttl: float) -> None:
        now = self._clock()
        size = len(key.encode("utf-8")) + (len(text.encode("utf-8")) if text else 0) + 32
        with self._lock, write_transaction(self._conn):
            # Not INSERT OR REPLACE: its implicit delete fires no trigger, the total would drift.
            self._conn.execute("DELETE FROM entries WHERE kind = ? AND key = ?", (kind, key))
            self._conn.execute(
                "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, key, status, text, size, now, now + max(0.0, ttl)),
            )
            evicted = self._evict_locked()
        if evicted:
            self._release_pages()

    def delete_kind(self, kind: str) -> int:
        with self._lock, write_transaction(self._conn):
            return self._conn.execute("DELETE FROM entries WHERE kind = ?", (kind,)).rowcount

    def total_bytes(self) -> int:
        with self._lock:
            return int(
                self._conn.execute("SELECT value FROM totals WHERE name = 'bytes'").fetchone()[0]
            )

    def _evict_locked(self) -> int:
        total = self._conn.execute("SELECT value FROM totals WHERE name = 'bytes'").fetchone()[0]
        if total <= self.max_bytes:
            return 0
        target = int(self.max_bytes * _EVICT_TO)
        removed = 0
        rows = self._conn.execute("SELECT kind, key, size FROM entries ORDER BY fetched_ts, rowid")
        victims: List[Tuple[str, str]] = []
        for kind, key, size in rows.fetchall():
            if total <= target:
                break
            victims.append((kind, key))
            total -= size
        for kind, key in victims:
            removed += self._conn.execute(
                "DELETE FROM entries WHERE kind = ? AND key = ?", (kind, key)
            ).rowcount
        log.info("meta cache over %d bytes: evicted %d oldest entries", self.max_bytes, removed)
        return removed

    def _release_pages(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.OperationalError):
            self._conn.execute("PRAGMA incremental_vacuum")
            # PASSIVE never waits for a reader (TRUNCATE would, up to the busy timeout); the
            # journal_size_limit set at open trims the -wal file after the checkpoint.
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    # -- search history -------------------------------------------------------------------------
    def add_search(self, query: str, media_type: str = "all") -> None:
        """Record a query (moved to the top when repeated); keeps the newest 20."""
        query = " ".join((query or "").split())
        if not query:
            return
        with self._lock, write_transaction(self._conn):
            now = self._clock()
            # No UPSERT: it needs SQLite 3.24, older than some Kodi builds ship.
            moved = self._conn.execute(
                "UPDATE search_history SET searched_ts = ? WHERE query = ? AND media_type = ?",
                (now, query, media_type),
            ).rowcount
            if not moved:
                self._conn.execute(
                    "INSERT INTO search_history (query, media_type, searched_ts) VALUES (?, ?, ?)",
                    (query, media_type, now),
                )
            self._conn.execute(
                "DELETE FROM search_history WHERE id NOT IN (SELECT id FROM search_history "
                "ORDER BY searched_ts DESC, id DESC LIMIT ?)",
                (HISTORY_LIMIT,),
            )

    def searches(self) -> List[SearchEntry]:
        """The history, newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, query, media_type, searched_ts FROM search_history "
                "ORDER BY searched_ts DESC, id DESC"
            ).fetchall()
        return [SearchEntry(*row) for row in rows]

    def remove_search(self, entry_id: int) -> bool:
        with self._lock, write_transaction(self._conn):
            return (
                self._conn.execute("DELETE FROM search_history WHERE id = ?", (entry_id,)).rowcount
                > 0
            )

    def clear_searches(self) -> int:
        with self._lock, write_transaction(self._conn):
            return self._conn.execute("DELETE FROM search_history").rowcount

    # -- maintenance ----------------------------------------------------------------------------
    def info(self) -> Dict[str, Any]:
        """Counts and sizes for *Show Database Info*: entries per kind and status, bytes."""
        now = self._clock()
        with self._lock:
            rows = self._conn.execute(
                "SELECT kind, status, COUNT(*), SUM(expires_ts <= ?) FROM entries "
                "GROUP BY kind, status",
                (now,),
            ).fetchall()
            history = self._conn.execute("SELECT COUNT(*) FROM search_history").fetchone()[0]
        by_kind: Dict[str, Dict[str, int]] = {}
        for kind, status, count, expired in rows:
            slot = by_kind.setdefault(kind, {"ok": 0, "none": 0, "expired": 0})
            slot[status] = count
            slot["expired"] += int(expired or 0)
        return {
            "path": self.path,
            "file_bytes": file_bytes(self.path),
            "payload_bytes": self.total_bytes(),
            "max_bytes": self.max_bytes,
            "entries": by_kind,
            "searches": history,
        }

    def clear(self) -> None:
        """Drop every cached answer (the search history stays)."""
        with self._lock, write_transaction(self._conn):
            self._conn.execute("DELETE FROM entries")
        self._release_pages()


def file_bytes(path: str) -> int:
    """Size on disk of the database with its ``-wal`` and ``-shm`` files."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            total += os.path.getsize(path + suffix)
    return total


def _load(payload: Optional[str]) -> Any:
    if payload is None:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return None


@contextlib.contextmanager
def opened(path: str, **kwargs: Any) -> Iterator[MetaCache]:
    cache = MetaCache(path, **kwargs)
    try:
        yield cache
    finally:
        cache.close()


__all__ = [
    "DEFAULT_MAX_BYTES",
    "FILE_NAME",
    "HISTORY_LIMIT",
    "CacheEntry",
    "MetaCache",
    "SearchEntry",
    "file_bytes",
    "meta_key",
    "migrate",
    "opened",
]
