"""One-time import of the 2.7.x legacy JSON cache into the SQLite mirror.

Add-on versions before 2.8.0 kept Trakt data (watchlist, watched movies and shows, shows hidden
from progress, per-show progress) as JSON files in ``<data_dir>/cache/``. Importing them lets a
user who upgrades see their lists at once, before the first sync finishes. The import:

- runs once, guarded by ``<data_dir>/.migration_complete`` (delete it to run again); the flag is
  written atomically and only after the import committed;
- writes everything in ONE transaction and never touches the ``activities`` cursors, so the first
  sync still fetches every category and corrects whatever the cache had wrong or stale;
- skips a mirror that already holds synced data (synced data is newer than any cache);
- skips corrupt, truncated, unknown and old-format files with one log line each, ignores the
  AIOStreams (non-Trakt) cache files quietly, and never raises on hostile content.

Reading and parsing the files is ``migration_read``; the run's record is ``migration_result``.
This module runs the import, writes the mirror and the flag.
"""

import json
import logging
import os
import sqlite3
import tempfile
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ..constants import LEGACY_CACHE_DIR, MIGRATION_FLAG_FILENAME
from .connection import DatabaseUnavailable, open_database, write_transaction
from .migration_read import MAX_FILE_BYTES, SQLITE_INT_MAX, LegacyData, read_cache
from .migration_result import COUNT_KINDS, MigrationResult
from .schema import migrate
from .trakt_sync.items import as_int, iso_time

__all__ = ["COUNT_KINDS", "FLAG_NAME", "MAX_FILE_BYTES", "MigrationResult", "run_migration"]

log = logging.getLogger(__name__)

FLAG_NAME = MIGRATION_FLAG_FILENAME
CACHE_DIR = LEGACY_CACHE_DIR
MAX_TEXT = 10000
# Tables whose rows show that a sync already ran: the mirror is newer than the cache.
_SYNCED_MARKERS = ("activities",)


def flag_path(data_dir: str) -> str:
    return os.path.join(data_dir, FLAG_NAME)


def run_migration(data_dir: str, db_path: str, now: Optional[float] = None) -> MigrationResult:
    """Import the legacy cache once; see the module docstring. Never raises for bad input.

    A database that cannot be opened or written leaves the flag unwritten (so the next start
    tries again) and is reported in ``result.error``.
    """
    now = time.time() if now is None else now
    result = MigrationResult()
    if os.path.exists(flag_path(data_dir)):
        result.already_done = True
        log.debug("legacy cache migration already done (%s exists)", FLAG_NAME)
        return result
    cache_dir = os.path.join(data_dir, CACHE_DIR)
    result.cache_found = os.path.isdir(cache_dir)
    if not result.cache_found:
        log.info("Legacy cache not found; nothing to migrate")
        return _finish(data_dir, result, now)
    started = time.monotonic()
    data = LegacyData()
    read_cache(cache_dir, data, result)
    try:
        _store(db_path, data, result)
    except (sqlite3.Error, DatabaseUnavailable, OSError) as exc:
        result.error = f"could not write the legacy cache into {db_path}: {exc}"
        log.error("Legacy cache migration failed, will retry next start: %s", result.error)
        return result
    log.info("Legacy cache migrated in %.2fs: %s", time.monotonic() - started, result.summary())
    return _finish(data_dir, result, now)


def _finish(data_dir: str, result: MigrationResult, now: float) -> MigrationResult:
    try:
        _write_flag(data_dir, result, now)
    except OSError as exc:
        result.error = f"could not write {FLAG_NAME}: {exc}"
        log.error("%s", result.error)
        return result
    result.flag_written = True
    return result


def _write_flag(data_dir: str, result: MigrationResult, now: float) -> None:
    os.makedirs(data_dir, exist_ok=True)
    body = json.dumps({"migrated_ts": now, "counts": result.counts}, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=FLAG_NAME + ".", dir=data_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, flag_path(data_dir))
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ---- writing the mirror -----------------------------------------------------------------------

# Column names as word lists: one string per table reads like the schema and stays as written.
_MEDIA = "slug imdb_id tmdb_id tvdb_id title year"
_MOVIE_COLUMNS = tuple(
    "trakt_id slug imdb_id tmdb_id title year plays last_watched_at last_updated_at".split()
)
_SHOW_COLUMNS = tuple(
    (
        "trakt_id " + _MEDIA + " aired_episodes plays last_watched_at last_updated_at reset_at"
    ).split()
)
_WATCHLIST_COLUMNS = tuple(("media_type trakt_id list_id rank listed_at notes " + _MEDIA).split())
_HIDDEN_COLUMNS = ("section", "media_type", "trakt_id", "slug", "title", "year")
_COLLECTION_COLUMNS = tuple(
    "media_type trakt_id collected_at slug imdb_id tmdb_id title year".split()
)
_EPISODE_COLUMNS = ("show_id", "season", "number", "plays", "last_watched_at")


def _upsert_sql(table: str, columns: Tuple[str, ...], keys: Tuple[str, ...]) -> str:
    """``INSERT ... ON CONFLICT DO UPDATE`` from the fixed names above (never from data)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    marks = ", ".join("?" for _ in columns)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608 - fixed names
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


_UPSERT_MOVIE = _upsert_sql("movies", _MOVIE_COLUMNS, ("trakt_id",))
_UPSERT_SHOW = _upsert_sql("shows", _SHOW_COLUMNS, ("trakt_id",))
_UPSERT_EPISODE = _upsert_sql("episodes", _EPISODE_COLUMNS, ("show_id", "season", "number"))
_UPSERT_WATCHLIST = _upsert_sql("watchlist", _WATCHLIST_COLUMNS, ("media_type", "trakt_id"))
_UPSERT_HIDDEN = _upsert_sql("hidden", _HIDDEN_COLUMNS, ("section", "media_type", "trakt_id"))
_UPSERT_COLLECTION = _upsert_sql("collection", _COLLECTION_COLUMNS, ("media_type", "trakt_id"))
_COMPLETED_EPISODES = (
    "UPDATE shows SET completed_episodes = ("
    " SELECT COUNT(*) FROM episodes e WHERE e.show_id = shows.trakt_id AND e.season > 0"
    " AND e.plays > 0 AND (shows.reset_at IS NULL OR e.last_watched_at > shows.reset_at)"
    ") WHERE trakt_id = ?"
)


def _clean(value: Any) -> Any:
    """A value SQLite can bind: 64-bit integers, valid UTF-8 text of bounded length."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if -SQLITE_INT_MAX <= value <= SQLITE_INT_MAX else None
    if isinstance(value, str):
        # Lone surrogates (legal in JSON escapes) cannot be encoded for SQLite.
        return value[:MAX_TEXT].encode("utf-8", "replace").decode("utf-8")
    return value


def _rows(items: Any, columns: Tuple[str, ...]) -> Iterator[Tuple[Any, ...]]:
    """Rows one at a time: ``executemany`` then never holds a second copy of 100K rows."""
    return (tuple(_clean(item.get(c)) for c in columns) for item in items)


def _apply_progress(data: LegacyData, result: MigrationResult) -> None:
    """Fill aired counts and restarts from the per-show progress files of watched shows."""
    by_imdb = {row["imdb_id"]: show_id for show_id, row in data.shows.items() if row["imdb_id"]}
    merged: Dict[int, Tuple[float, Dict[str, Any]]] = {}
    for key, (timestamp, progress) in data.progress.items():
        show_id = key if isinstance(key, int) else by_imdb.get(key)
        if show_id in data.shows and (show_id not in merged or merged[show_id][0] <= timestamp):
            merged[show_id] = (timestamp, progress)
    for show_id, (_timestamp, progress) in merged.items():
        row = data.shows[show_id]
        aired = as_int(progress.get("aired"))
        if row["aired_episodes"] is None and aired is not None and aired >= 0:
            row["aired_episodes"] = aired
        if row["reset_at"] is None:
            row["reset_at"] = iso_time(progress.get("reset_at"))
        result.counts["show_progress"] += 1


def _hidden_rows(data: LegacyData) -> List[Dict[str, Any]]:
    known: Dict[int, Dict[str, Any]] = dict(data.shows)
    for (kind, show_id), row in data.watchlist.items():
        if kind == "show":
            known.setdefault(show_id, row)
    rows = []
    for show_id in data.hidden:
        show = known.get(show_id, {})
        rows.append(
            {
                "section": "progress_watched",
                "media_type": "show",
                "trakt_id": show_id,
                "slug": show.get("slug"),
                "title": show.get("title"),
                "year": show.get("year"),
            }
        )
    return rows


def _already_synced(conn: sqlite3.Connection) -> bool:
    for table in _SYNCED_MARKERS:
        if conn.execute("SELECT 1 FROM " + table + " LIMIT 1").fetchone():  # noqa: S608
            return True
    return False


def _open(db_path: str) -> sqlite3.Connection:
    conn, recovered = open_database(db_path)
    if recovered:
        log.warning("the mirror was corrupt and has been moved to %s", recovered)
    migrate(conn)
    return conn


def _store(db_path: str, data: LegacyData, result: MigrationResult) -> None:
    """Write ``data`` into the mirror in one transaction (counts are set only on commit)."""
    _apply_progress(data, result)
    counts = {
        "watchlist_movies": sum(1 for kind, _ in data.watchlist if kind == "movie"),
        "watchlist_shows": sum(1 for kind, _ in data.watchlist if kind == "show"),
        "watched_movies": len(data.movies),
        "watched_shows": len(data.shows),
        "watched_episodes": len(data.episodes),
        "hidden_shows": len(data.hidden),
        "collection_movies": len(data.collection),
    }
    conn = _open(db_path)
    try:
        with write_transaction(conn):
            if _already_synced(conn):
                log.info("The mirror already holds synced data; legacy cache not imported")
                result.counts["show_progress"] = 0
                return
            conn.executemany(_UPSERT_MOVIE, _rows(data.movies.values(), _MOVIE_COLUMNS))
            conn.executemany(_UPSERT_SHOW, _rows(data.shows.values(), _SHOW_COLUMNS))
            conn.executemany(
                _UPSERT_EPISODE,
                (tuple(_clean(v) for v in key + value) for key, value in data.episodes.items()),
            )
            conn.executemany(_COMPLETED_EPISODES, ((show_id,) for show_id in data.shows))
            conn.executemany(_UPSERT_WATCHLIST, _rows(data.watchlist.values(), _WATCHLIST_COLUMNS))
            conn.executemany(_UPSERT_HIDDEN, _rows(_hidden_rows(data), _HIDDEN_COLUMNS))
            conn.executemany(
                _UPSERT_COLLECTION, _rows(data.collection.values(), _COLLECTION_COLUMNS)
            )
        result.counts.update(counts)
    finally:
        conn.close()
