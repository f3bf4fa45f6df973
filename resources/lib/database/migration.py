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
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import tempfile
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from . import legacy_json
from .connection import DatabaseUnavailable, open_database, write_transaction
from .schema import migrate
from .trakt_sync.items import (
    MalformedItem,
    as_dict,
    as_int,
    as_list,
    as_str,
    iso_time,
    media_columns,
    trakt_id,
)

log = logging.getLogger(__name__)

FLAG_NAME = ".migration_complete"
CACHE_DIR = "cache"
# A watched-shows cache at Trakt's 100K-play cap is about 60 MB; a file above this cap is not
# one the old add-on wrote and is skipped unread. Files are read streaming (``legacy_json``), so
# memory does not grow with the file: the import of a 100K-play cache peaks under 80 MB.
MAX_FILE_BYTES = 128 * 1024 * 1024
SQLITE_INT_MAX = 2**63 - 1
MAX_TEXT = 10000

_HASHED_NAME = re.compile(r"^(?P<type>[a-z0-9_]+?)_(?P<hash>[0-9a-f]{32})\.json$")
_METADATA_NAME = re.compile(r"^[0-9a-f]{32}\.json$")
_NOT_TRAKT = ("manifest", "catalog", "http_headers")
_PROGRESS_TRAKT = re.compile(r"^show_progress_trakt_(?P<id>[0-9]{1,18})$")
_PROGRESS_IMDB = re.compile(r"^show_progress_(?P<imdb>tt[0-9]{1,12})$")
# Known Trakt cache types that hold nothing the mirror needs (cursors must stay unset; a
# collection of shows lacks the episode ids the collection table is keyed by).
_KNOWN_UNUSED = (
    "watchlist_movies_last_sync",
    "watchlist_shows_last_sync",
    "watched_movies_last_sync",
    "watched_shows_last_sync",
    "collection_movies_last_sync",
    "collection_shows_last_sync",
    "hidden_shows_last_sync",
    "collection_shows",
)
_LIST_TYPES = (
    "watchlist_movies",
    "watchlist_shows",
    "watched_movies",
    "watched_shows",
    "collection_movies",
    "hidden_shows",
)
# Tables whose rows show that a sync already ran: the mirror is newer than the cache.
_SYNCED_MARKERS = ("activities",)

COUNT_KINDS = (
    "watchlist_movies",
    "watchlist_shows",
    "watched_movies",
    "watched_shows",
    "watched_episodes",
    "hidden_shows",
    "show_progress",
    "collection_movies",
    "items_skipped",
)

_ITEM_ERRORS = (MalformedItem, TypeError, ValueError, AttributeError, KeyError, OverflowError)


class MigrationResult:
    """What a migration run did. ``counts`` has one entry per :data:`COUNT_KINDS`."""

    def __init__(self) -> None:
        self.counts: Dict[str, int] = {kind: 0 for kind in COUNT_KINDS}
        self.skipped: List[Tuple[str, str]] = []  # (file name, reason)
        self.ignored = 0  # non-Trakt cache files
        self.flag_written = False
        self.already_done = False
        self.cache_found = False
        self.error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> Dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "skipped": [list(item) for item in self.skipped],
            "ignored": self.ignored,
            "flag_written": self.flag_written,
            "already_done": self.already_done,
            "cache_found": self.cache_found,
            "error": self.error,
        }

    def __repr__(self) -> str:
        if self.already_done:
            return "MigrationResult(already done)"
        state = "flag written" if self.flag_written else "flag NOT written"
        error = f", error: {self.error}" if self.error else ""
        return f"MigrationResult({self.summary()}; {state}{error})"

    def summary(self) -> str:
        parts = [f"{n} {kind.replace('_', ' ')}" for kind, n in self.counts.items() if n]
        text = ", ".join(parts) if parts else "nothing imported"
        return f"{text}; {len(self.skipped)} file(s) skipped"


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
    for name, path in _cache_files(cache_dir):
        _read_one(name, path, data, result)
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


# ---- reading the cache ------------------------------------------------------------------------


class LegacyData:
    """Rows parsed from the cache, keyed so that duplicates collapse (idempotent writes)."""

    def __init__(self) -> None:
        self.movies: Dict[int, Dict[str, Any]] = {}
        self.shows: Dict[int, Dict[str, Any]] = {}
        self.episodes: Dict[Tuple[int, int, int], Tuple[int, Optional[str]]] = {}
        self.watchlist: Dict[Tuple[str, int], Dict[str, Any]] = {}
        self.hidden: Dict[int, Dict[str, Any]] = {}
        self.collection: Dict[int, Dict[str, Any]] = {}
        # show key (trakt id or imdb id) -> (cache timestamp, progress response)
        self.progress: Dict[Any, Tuple[float, Dict[str, Any]]] = {}


def _cache_files(cache_dir: str) -> Iterator[Tuple[str, str]]:
    try:
        names = sorted(os.listdir(cache_dir))
    except OSError as exc:
        log.warning("legacy cache: cannot list %s: %s", cache_dir, exc)
        return
    for name in names:
        if name.endswith(".json"):
            yield name, os.path.join(cache_dir, name)


def classify(name: str) -> Optional[str]:
    """The cache type a file name says it holds; "" for non-Trakt files; None if unknown."""
    if _METADATA_NAME.match(name):
        return ""
    match = _HASHED_NAME.match(name)
    if match is None:
        return None
    cache_type = match.group("type")
    if cache_type in _NOT_TRAKT:
        return ""
    if (
        cache_type in _LIST_TYPES
        or cache_type in _KNOWN_UNUSED
        or _PROGRESS_TRAKT.match(cache_type)
        or _PROGRESS_IMDB.match(cache_type)
    ):
        return cache_type
    return None


def _read_one(name: str, path: str, data: LegacyData, result: MigrationResult) -> None:
    cache_type = classify(name)
    if cache_type == "":
        result.ignored += 1
        return
    if cache_type is None:
        _skip(result, name, "unknown cache file")
        return
    if cache_type in _KNOWN_UNUSED:
        return
    problem, payload = _load_wrapper(path, cache_type)
    if problem:
        _skip(result, name, problem)
        return
    timestamp, content = payload
    try:
        _import(cache_type, timestamp, content, data, result, path)
    except (OSError, legacy_json.EntryTooLarge) as exc:  # changed between the two passes
        _skip(result, name, f"unreadable ({type(exc).__name__})")
    except _ITEM_ERRORS + (RecursionError,) as exc:
        _skip(result, name, f"unusable content ({type(exc).__name__})")


def _skip(result: MigrationResult, name: str, reason: str) -> None:
    result.skipped.append((name, reason))
    log.warning("legacy cache: skipped %s: %s", name, reason)


def _load_wrapper(path: str, cache_type: str) -> Tuple[Optional[str], Any]:
    """``(problem, None)`` or ``(None, (timestamp, data))`` for one cache file.

    The whole file is checked in a streaming pass; a ``data`` list is not kept (``data`` is
    then ``legacy_json.STREAMED`` and :func:`_import` reads its elements in a second pass).
    """
    try:
        if not os.path.isfile(path):
            return "not a regular file", None
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return (
                f"larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB a cache file may have",
                None,
            )
        with open(path, "rb") as handle:
            wrapper = legacy_json.read_wrapper(handle)
    except OSError as exc:
        return "unreadable (%s)" % (exc.strerror or exc), None
    except UnicodeDecodeError:
        return "corrupt (not UTF-8 text)", None
    except RecursionError:
        return "corrupt (nested too deeply)", None
    except legacy_json.EmptyFile:
        return "empty file", None
    except legacy_json.EntryTooLarge as exc:
        return f"corrupt ({exc})", None
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        return f"corrupt or truncated JSON ({str(exc).split(':')[0]})", None
    if wrapper is None:
        return "old cache format (no wrapper object)", None
    if "data" not in wrapper:
        return "old cache format (no data field)", None
    stored_type = wrapper.get("cache_type")
    if stored_type is not None and stored_type != cache_type:
        return "cache type does not match the file name", None
    timestamp = wrapper.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        timestamp = 0.0
    return None, (float(timestamp) if timestamp == timestamp else 0.0, wrapper["data"])


def _import(
    cache_type: str,
    timestamp: float,
    content: Any,
    data: LegacyData,
    result: MigrationResult,
    path: str = "",
) -> None:
    progress_trakt = _PROGRESS_TRAKT.match(cache_type)
    progress_imdb = _PROGRESS_IMDB.match(cache_type)
    if progress_trakt or progress_imdb:
        if not isinstance(content, dict):
            raise MalformedItem("progress is not an object")
        key: Any = (
            int(progress_trakt.group("id")) if progress_trakt else progress_imdb.group("imdb")
        )
        if key not in data.progress or data.progress[key][0] <= timestamp:
            data.progress[key] = (timestamp, content)
        return
    parse = _LIST_PARSERS[cache_type]

    def parse_one(item: Any) -> None:
        try:
            parse(item, data)
        except _ITEM_ERRORS + (RecursionError,):
            result.counts["items_skipped"] += 1

    if content is legacy_json.STREAMED:
        with open(path, "rb") as handle:  # second pass: one element at a time
            legacy_json.read_wrapper(handle, parse_one)
        return
    if not isinstance(content, list):
        raise MalformedItem("data is not a list")
    for item in content:
        parse_one(item)


def _media(obj: Any, what: str) -> Dict[str, Any]:
    row = media_columns(obj)
    row["trakt_id"] = _key_id(trakt_id(obj, what))
    return row


def _key_id(value: Optional[int]) -> int:
    """A Trakt id usable as a key: positive and within SQLite's integer range."""
    if value is None or not 0 < value <= SQLITE_INT_MAX:
        raise MalformedItem("Trakt id is not a positive 64-bit integer")
    return value


def _parse_watchlist(kind: str) -> Callable[[Any, LegacyData], None]:
    def parse(item: Any, data: LegacyData) -> None:
        item = as_dict(item)
        row = _media(item.get(kind), kind)
        row.update(
            media_type=kind,
            list_id=as_int(item.get("id")),
            rank=as_int(item.get("rank")),
            listed_at=iso_time(item.get("listed_at")),
            notes=as_str(item.get("notes")),
        )
        data.watchlist[(kind, row["trakt_id"])] = row

    return parse


def _play_count(value: Any) -> int:
    """A play count SQLite can store; anything else counts as no plays (the item is skipped)."""
    plays = as_int(value) or 0
    return plays if 0 < plays <= SQLITE_INT_MAX else 0


def _parse_watched_movie(item: Any, data: LegacyData) -> None:
    item = as_dict(item)
    row = _media(item.get("movie"), "movie")
    row["plays"] = _play_count(item.get("plays"))
    if row["plays"] <= 0:
        raise MalformedItem("watched movie without plays")
    row["last_watched_at"] = iso_time(item.get("last_watched_at"))
    row["last_updated_at"] = iso_time(item.get("last_updated_at"))
    data.movies[row["trakt_id"]] = row


def _parse_watched_show(item: Any, data: LegacyData) -> None:
    item = as_dict(item)
    show = as_dict(item.get("show"))
    row = _media(show, "show")
    show_id = row["trakt_id"]
    row["aired_episodes"] = as_int(show.get("aired_episodes"))
    row["plays"] = _play_count(item.get("plays"))
    row["last_watched_at"] = iso_time(item.get("last_watched_at"))
    row["last_updated_at"] = iso_time(item.get("last_updated_at"))
    row["reset_at"] = iso_time(item.get("reset_at"))
    episodes = {}
    for season in as_list(item.get("seasons")):
        season_number = as_int(as_dict(season).get("number"))
        if season_number is None or not 0 <= season_number <= SQLITE_INT_MAX:
            continue
        for episode in as_list(as_dict(season).get("episodes")):
            episode = as_dict(episode)
            number = as_int(episode.get("number"))
            plays = _play_count(episode.get("plays"))
            if number is None or not 0 <= number <= SQLITE_INT_MAX or plays <= 0:
                continue
            episodes[(show_id, season_number, number)] = (
                plays,
                iso_time(episode.get("last_watched_at")),
            )
    data.shows[show_id] = row
    data.episodes.update(episodes)


def _parse_hidden_show(item: Any, data: LegacyData) -> None:
    show_id = _key_id(as_int(item))
    data.hidden[show_id] = {"trakt_id": show_id}


def _parse_collected_movie(item: Any, data: LegacyData) -> None:
    item = as_dict(item)
    row = _media(item.get("movie"), "movie")
    row["collected_at"] = iso_time(item.get("collected_at"))
    row["media_type"] = "movie"
    data.collection[row["trakt_id"]] = row


_LIST_PARSERS: Dict[str, Callable[[Any, LegacyData], None]] = {
    "watchlist_movies": _parse_watchlist("movie"),
    "watchlist_shows": _parse_watchlist("show"),
    "watched_movies": _parse_watched_movie,
    "watched_shows": _parse_watched_show,
    "hidden_shows": _parse_hidden_show,
    "collection_movies": _parse_collected_movie,
}


# ---- writing the mirror -----------------------------------------------------------------------

_MOVIE_COLUMNS = (
    "trakt_id", "slug", "imdb_id", "tmdb_id", "title", "year", "plays", "last_watched_at",
    "last_updated_at",
)  # fmt: skip
_SHOW_COLUMNS = (
    "trakt_id", "slug", "imdb_id", "tmdb_id", "tvdb_id", "title", "year", "aired_episodes",
    "plays", "last_watched_at", "last_updated_at", "reset_at",
)  # fmt: skip
_WATCHLIST_COLUMNS = (
    "media_type", "trakt_id", "list_id", "rank", "listed_at", "notes", "slug", "imdb_id",
    "tmdb_id", "tvdb_id", "title", "year",
)  # fmt: skip
_HIDDEN_COLUMNS = ("section", "media_type", "trakt_id", "slug", "title", "year")
_COLLECTION_COLUMNS = (
    "media_type", "trakt_id", "collected_at", "slug", "imdb_id", "tmdb_id", "title", "year",
)  # fmt: skip
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
