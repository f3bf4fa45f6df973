"""The mirror's rows for Up Next's next-episode choice (``upnext/choose.py`` holds the rule).

Three lookups, each on a primary key or an index: the show, its hidden/dropped marks, and the
first episode after the current one. One episode row is enough: after a regular episode every
later row is regular too, and after a special the first later row is either the next special or
the first regular episode (which the rule refuses).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List, Optional, Set

_SHOW = (
    "SELECT trakt_id, slug, imdb_id, tmdb_id, tvdb_id, title, runtime FROM shows WHERE trakt_id = ?"
)
_HIDDEN = (
    "SELECT section FROM hidden WHERE media_type = 'show' AND trakt_id = ? "
    "AND section IN ('progress_watched', 'dropped')"
)
_FOLLOWING = (
    "SELECT season, number, trakt_id, imdb_id, tmdb_id, tvdb_id, title, first_aired, runtime "
    "FROM episodes WHERE show_id = ? AND has_metadata = 1 AND (season, number) > (?, ?) "
    "ORDER BY season, number LIMIT 1"
)


def _dict(cursor: sqlite3.Cursor, row: Any) -> Optional[Dict[str, Any]]:
    if row is None:
        return None
    return {column[0]: value for column, value in zip(cursor.description, row)}


def show_row(conn: sqlite3.Connection, show_id: int) -> Optional[Dict[str, Any]]:
    cursor = conn.execute(_SHOW, (show_id,))
    return _dict(cursor, cursor.fetchone())


def hidden_sections(conn: sqlite3.Connection, show_id: int) -> Set[str]:
    """Which of ``progress_watched`` and ``dropped`` hold the show."""
    return {row[0] for row in conn.execute(_HIDDEN, (show_id,))}


def following_rows(
    conn: sqlite3.Connection, show_id: int, season: int, number: int
) -> List[Dict[str, Any]]:
    """The first episode with metadata after (season, number), as a list of 0 or 1 rows."""
    cursor = conn.execute(_FOLLOWING, (show_id, season, number))
    row = _dict(cursor, cursor.fetchone())
    return [] if row is None else [row]


def ids_of(row: Dict[str, Any]) -> Dict[str, Any]:
    """Trakt's ``ids`` object from a row's id columns, without the unknown ones."""
    columns = (("trakt", "trakt_id"), ("slug", "slug"), ("imdb", "imdb_id"),
               ("tmdb", "tmdb_id"), ("tvdb", "tvdb_id"))  # fmt: skip
    return {name: row[column] for name, column in columns if row.get(column) is not None}
