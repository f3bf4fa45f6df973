"""Replace a category's rows with a freshly fetched set, counting what changed.

Only called inside a write transaction. Table and column names come from the fixed
:data:`TABLES` description below, never from data; values are always bound parameters.
"""

from __future__ import annotations

import functools
import sqlite3
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

Changes = Dict[str, int]

# table -> (key columns, value columns): the only identifiers SQL is ever built from.
TABLES: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "movies": (
        ("trakt_id",),
        ("slug", "imdb_id", "tmdb_id", "title", "year", "plays", "last_watched_at",
         "last_updated_at"),
    ),
    "watchlist": (
        ("media_type", "trakt_id"),
        ("list_id", "rank", "listed_at", "notes", "slug", "imdb_id", "tmdb_id", "tvdb_id",
         "title", "year", "show_id", "show_title", "season", "number"),
    ),
    "bookmarks": (
        ("playback_id",),
        ("media_type", "trakt_id", "progress", "paused_at", "slug", "imdb_id", "tmdb_id",
         "tvdb_id", "title", "year", "show_id", "show_title", "show_year", "show_imdb_id",
         "show_tmdb_id", "show_tvdb_id", "season", "number"),
    ),
    "hidden": (
        ("section", "media_type", "trakt_id"),
        ("hidden_at", "slug", "title", "year", "show_id", "season"),
    ),
    "collection": (
        ("media_type", "trakt_id"),
        ("collected_at", "slug", "imdb_id", "tmdb_id", "tvdb_id", "title", "year", "show_id",
         "season", "number"),
    ),
    "ratings": (
        ("media_type", "trakt_id"),
        ("rating", "rated_at", "title", "year", "show_id", "season", "number"),
    ),
}  # fmt: skip


def no_changes() -> Changes:
    return {"added": 0, "changed": 0, "removed": 0}


def add_changes(total: Changes, more: Mapping[str, int]) -> Changes:
    for key in ("added", "changed", "removed"):
        total[key] = total.get(key, 0) + int(more.get(key, 0))
    return total


@functools.lru_cache(maxsize=None)
def _statements(table: str) -> Dict[str, str]:
    """SELECT/DELETE/INSERT/UPDATE for ``table``, built only from the names in TABLES."""
    keys, values = TABLES[table]
    columns = keys + values
    where = " AND ".join(column + " = ?" for column in keys)
    words = {
        "select": ("SELECT", ", ".join(columns), "FROM", table),
        "delete": ("DELETE FROM", table, "WHERE", where),
        "insert": (
            "INSERT INTO", table, "(" + ", ".join(columns) + ")",
            "VALUES", "(" + ", ".join("?" for _ in columns) + ")",
        ),
        "update": ("UPDATE", table, "SET", ", ".join(c + " = ?" for c in values), "WHERE", where),
    }  # fmt: skip
    for column in keys:  # the rows of one scope (one hidden section, one collection type)
        words["select_" + column] = words["select"] + ("WHERE", column + " = ?")
    return {name: " ".join(parts) for name, parts in words.items()}


def replace_rows(
    conn: sqlite3.Connection,
    table: str,
    rows: Iterable[Mapping[str, Any]],
    scope: Optional[Tuple[str, Any]] = None,
) -> Changes:
    """Make ``table`` hold exactly ``rows`` (dicts keyed by column name).

    ``scope=(key column, value)`` limits this to the rows with that value (one hidden section,
    one collection type): the table's other rows are left alone."""
    keys, values = TABLES[table]
    sql = _statements(table)
    wanted: Dict[Tuple[Any, ...], Tuple[Any, ...]] = {}
    for row in rows:
        wanted[tuple(row.get(c) for c in keys)] = tuple(row.get(c) for c in values)
    if scope is None:
        records = conn.execute(sql["select"]).fetchall()
    else:
        column, value = scope
        if column not in keys:  # identifiers only ever come from TABLES
            raise ValueError("scope column %r is not a key of %s" % (column, table))
        index = keys.index(column)
        wanted = {key: val for key, val in wanted.items() if key[index] == value}
        records = conn.execute(sql["select_" + column], (value,)).fetchall()
    current = {}
    for record in records:
        record = tuple(record)
        current[record[: len(keys)]] = record[len(keys) :]
    removed: List[Tuple[Any, ...]] = [key for key in current if key not in wanted]
    added = [key + val for key, val in wanted.items() if key not in current]
    changed = [val + key for key, val in wanted.items() if key in current and current[key] != val]
    conn.executemany(sql["delete"], removed)
    conn.executemany(sql["insert"], added)
    conn.executemany(sql["update"], changed)
    return {"added": len(added), "changed": len(changed), "removed": len(removed)}
