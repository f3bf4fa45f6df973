"""Reading the 2.7.x legacy JSON cache into rows, file by file (no database; see ``migration``).

Each file is classified by its name, its wrapper checked in a streaming pass, then its list
parsed item by item into :class:`LegacyData`, keyed so that duplicates collapse. A corrupt,
truncated, unknown or old-format file is skipped with one log line; a malformed item is counted
in ``items_skipped`` and the rest of its file still imported.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

from . import legacy_json
from .migration_result import MigrationResult
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

# A watched-shows cache at Trakt's 100K-play cap is about 60 MB; a file above this cap is not
# one the old add-on wrote and is skipped unread. Files are read streaming (``legacy_json``), so
# memory does not grow with the file: the import of a 100K-play cache peaks under 80 MB.
MAX_FILE_BYTES = 128 * 1024 * 1024
SQLITE_INT_MAX = 2**63 - 1

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

_ITEM_ERRORS = (MalformedItem, TypeError, ValueError, AttributeError, KeyError, OverflowError)


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


def read_cache(cache_dir: str, data: LegacyData, result: MigrationResult) -> None:
    """Parse every ``.json`` file of ``cache_dir`` into ``data``, noting skips in ``result``."""
    for name, path in _cache_files(cache_dir):
        _read_one(name, path, data, result)


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
