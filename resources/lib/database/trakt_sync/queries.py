"""Read queries for the plugin views: no network, no writes, one SQL statement each.

Next Up follows Trakt's rule (``/shows/{id}/progress/watched``): only regular seasons and aired
episodes (``first_aired <= now``) count, and plays before the show's ``reset_at`` do not count.
The *highest* counted episode in (season, number) order is where the user is; the next one is the
first aired regular episode after it, or none when it was the last aired one (an earlier episode
never watched is not offered: Trakt does not wrap back to a gap, and rewatching or back-dating an
older episode does not move the user back). A show with no counted episode (a reset, say) starts
at its first aired episode. Shows hidden from ``progress_watched`` or dropped (the ``dropped``
section) are left out of the view, not out of ``snapshot()``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Dict, Iterable, List, Optional

from . import next_up_rule, next_up_table
from .items import now_iso

# Trakt's rule over every show with metadata (or one): see next_up_rule.
_NEXT_UP_CTES = "".join(
    (
        "\nWITH ",
        next_up_rule.last_counted_cte(
            "shows s\n    WHERE s.has_metadata = 1 AND (:show_id IS NULL OR s.trakt_id = :show_id)"
        ),
        next_up_rule.NEXT_KEY_CTE,
    )
)

_NEXT_UP_FIELDS = """
SELECT e.trakt_id, e.imdb_id, e.tmdb_id, e.tvdb_id, e.title, e.season, e.number,
    e.first_aired, COALESCE(e.runtime, s.runtime) AS runtime,
    s.trakt_id AS show_trakt_id, s.title AS show_title, s.year AS show_year,
    s.imdb_id AS show_imdb_id, s.tmdb_id AS show_tmdb_id, s.tvdb_id AS show_tvdb_id,
    s.aired_episodes, s.completed_episodes, s.last_watched_at,
    COALESCE((SELECT MAX(b.progress) FROM bookmarks b WHERE b.media_type = 'episode'
        AND b.trakt_id = e.trakt_id), 0.0) AS progress
"""
_NEXT_UP_NOT_HIDDEN = """
AND (:include_hidden = 1 OR NOT EXISTS (
    SELECT 1 FROM hidden h WHERE h.section IN ('progress_watched', 'dropped')
      AND h.media_type = 'show' AND h.trakt_id = s.trakt_id))
"""
_NEXT_UP_SELECT = "".join((_NEXT_UP_CTES, _NEXT_UP_FIELDS, """
FROM next_key n
JOIN shows s ON s.trakt_id = n.show_id
JOIN episodes e ON e.show_id = n.show_id AND e.season = n.next_key / 100000
    AND e.number = n.next_key % 100000
WHERE n.next_key IS NOT NULL""", _NEXT_UP_NOT_HIDDEN))  # fmt: skip
# The same rows from the stored answers (next_up_table.py, which keeps the episode's fields):
# no per-show range walks, no episode lookups.
_NEXT_UP_FROM_TABLE = "".join((_NEXT_UP_FIELDS, """
FROM next_up e
JOIN shows s ON s.trakt_id = e.show_id
WHERE e.next_key IS NOT NULL""", _NEXT_UP_NOT_HIDDEN))  # fmt: skip
_PAGE = " LIMIT :limit OFFSET :offset"

NEXT_UP_ORDERS = {
    "last_watched": " ORDER BY s.last_watched_at DESC, s.trakt_id",
    "air_date": " ORDER BY e.first_aired DESC, s.trakt_id",
}

_IN_PROGRESS = """
SELECT b.media_type AS type, b.playback_id, b.trakt_id, b.progress, b.paused_at,
    COALESCE(e.title, b.title) AS title, b.year,
    COALESCE(e.imdb_id, b.imdb_id) AS imdb_id, COALESCE(e.tmdb_id, b.tmdb_id) AS tmdb_id,
    COALESCE(e.tvdb_id, b.tvdb_id) AS tvdb_id, b.slug,
    b.show_id AS show_trakt_id, COALESCE(s.title, b.show_title) AS show_title,
    COALESCE(s.year, b.show_year) AS show_year,
    COALESCE(s.imdb_id, b.show_imdb_id) AS show_imdb_id,
    COALESCE(s.tmdb_id, b.show_tmdb_id) AS show_tmdb_id,
    COALESCE(s.tvdb_id, b.show_tvdb_id) AS show_tvdb_id,
    b.season, b.number, b.number AS episode, e.first_aired,
    COALESCE(e.runtime, s.runtime) AS runtime
FROM bookmarks b
LEFT JOIN shows s ON b.media_type = 'episode' AND s.trakt_id = b.show_id
LEFT JOIN episodes e ON b.media_type = 'episode' AND e.show_id = b.show_id
    AND e.season = b.season AND e.number = b.number
ORDER BY b.paused_at DESC, b.playback_id DESC
"""

_WATCHLIST_SELECT = """
SELECT w.media_type AS type, w.trakt_id, w.title, w.year, w.slug, w.imdb_id, w.tmdb_id,
    w.tvdb_id, w.rank, w.listed_at, w.notes, w.list_id, w.show_id AS show_trakt_id, w.show_title,
    w.season, w.number,
    CASE WHEN w.media_type = 'movie' THEN COALESCE(m.plays, 0) ELSE 0 END AS plays
FROM watchlist w LEFT JOIN movies m ON w.media_type = 'movie' AND m.trakt_id = w.trakt_id
WHERE w.media_type = ?
"""

WATCHLIST_ORDERS = {
    "rank": " ORDER BY w.rank IS NULL, w.rank, w.listed_at DESC",
    "added": " ORDER BY w.listed_at DESC, w.rank",
}


def rows_as_dicts(conn: sqlite3.Connection, sql: str, params: Any = ()) -> List[Dict[str, Any]]:
    """Rows as dicts; plain tuples + zip is several times faster than dict(sqlite3.Row)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def next_up(
    conn: sqlite3.Connection,
    order: str = "last_watched",
    include_hidden: bool = False,
    now: Optional[float] = None,
    show_id: Optional[int] = None,
    limit: Optional[int] = None,
    offset: int = 0,
) -> List[Dict[str, Any]]:
    """Next Up rows in ``order``; ``limit``/``offset`` give one page of them."""
    if order not in NEXT_UP_ORDERS:
        raise ValueError("order must be one of %s" % sorted(NEXT_UP_ORDERS))
    params = {"now": now_iso(now), "include_hidden": 1 if include_hidden else 0,
              "show_id": show_id, "limit": -1 if limit is None else max(0, int(limit)),
              "offset": max(0, int(offset))}  # fmt: skip
    items = None
    if now is None and show_id is None:  # the stored answers hold for "now" (next_up_table)
        sql = "".join((_NEXT_UP_FROM_TABLE, NEXT_UP_ORDERS[order], _PAGE))
        items = next_up_table.read(conn, sql, params)
    if items is None:
        items = rows_as_dicts(
            conn, "".join((_NEXT_UP_SELECT, NEXT_UP_ORDERS[order], _PAGE)), params
        )
    for item in items:
        item["type"] = "episode"
        item["episode"] = item["number"]
    return items


def in_progress(conn: sqlite3.Connection) -> List[Dict[str, Any]]:
    return rows_as_dicts(conn, _IN_PROGRESS)


def watchlist(conn: sqlite3.Connection, kind: str = "movie", order: str = "rank") -> List[Dict]:
    if order not in WATCHLIST_ORDERS:
        raise ValueError("order must be one of %s" % sorted(WATCHLIST_ORDERS))
    return rows_as_dicts(conn, _WATCHLIST_SELECT + WATCHLIST_ORDERS[order], (kind,))


def show_progress(
    conn: sqlite3.Connection, show_id: int, now: Optional[float] = None
) -> Optional[Dict[str, Any]]:
    """Progress of one show like Trakt's progress endpoint (None for an unwatched show)."""
    show = conn.execute(
        "SELECT trakt_id, title, year, aired_episodes, completed_episodes, plays, "
        "last_watched_at, reset_at, has_metadata FROM shows WHERE trakt_id = ?",
        (show_id,),
    ).fetchone()
    if show is None:
        return None
    now_text = now_iso(now)
    counts = conn.execute(
        "SELECT COUNT(*) AS aired, COALESCE(SUM(CASE WHEN e.plays > 0 AND (s.reset_at IS NULL "
        "OR e.last_watched_at >= s.reset_at) THEN 1 ELSE 0 END), 0) AS completed "
        "FROM episodes e JOIN shows s ON s.trakt_id = e.show_id WHERE e.show_id = ? "
        "AND e.season > 0 AND e.has_metadata = 1 AND e.first_aired <= ?",
        (show_id, now_text),
    ).fetchone()
    following = next_up(conn, include_hidden=True, now=now, show_id=show_id)
    result = dict(show)
    result.update(
        aired=counts["aired"] if show["has_metadata"] else show["aired_episodes"],
        completed=counts["completed"] if show["has_metadata"] else show["completed_episodes"],
        next_episode=following[0] if following else None,
    )
    return result


def counts(conn: sqlite3.Connection) -> Dict[str, int]:
    row = conn.execute(
        "SELECT (SELECT COUNT(*) FROM shows) AS shows,"
        " (SELECT COUNT(*) FROM episodes WHERE plays > 0) AS episodes,"
        " (SELECT COUNT(*) FROM movies WHERE plays > 0) AS movies,"
        " (SELECT COUNT(*) FROM watchlist) AS watchlist,"
        " (SELECT COUNT(*) FROM bookmarks) AS bookmarks,"
        " (SELECT COUNT(*) FROM hidden) AS hidden,"
        " (SELECT COUNT(*) FROM collection) AS collection,"
        " (SELECT COUNT(*) FROM ratings) AS ratings"
    ).fetchone()
    return dict(row)


def snapshot(conn: sqlite3.Connection, now: Optional[float] = None) -> Dict[str, Any]:
    """The mirror in the sandbox's ``GET /_sandbox/truth`` format."""
    user = conn.execute("SELECT value FROM meta WHERE key = 'trakt_user'").fetchone()
    movies = {
        str(row[0]): row[1]
        for row in conn.execute("SELECT trakt_id, plays FROM movies WHERE plays > 0 ORDER BY 1")
    }
    episodes: Dict[str, Dict[str, int]] = {}
    for row in conn.execute(
        "SELECT show_id, season, number, plays FROM episodes WHERE plays > 0 ORDER BY 1, 2, 3"
    ):
        episodes.setdefault(str(row[0]), {})["%d:%d" % (row[1], row[2])] = row[3]
    reset_at = {
        str(row[0]): row[1]
        for row in conn.execute(
            "SELECT trakt_id, reset_at FROM shows WHERE reset_at IS NOT NULL ORDER BY 1"
        )
    }
    playback = {
        str(row[0]): {"type": row[1], "trakt_id": row[2], "progress": row[3]}
        for row in conn.execute(
            "SELECT playback_id, media_type, trakt_id, progress FROM bookmarks ORDER BY 1"
        )
    }
    return {
        "user": user[0] if user else None,
        "movies": movies,
        "episodes": episodes,
        "reset_at": reset_at,
        "watchlist": [
            [row[0], row[1]]
            for row in conn.execute("SELECT media_type, trakt_id FROM watchlist ORDER BY 1, 2")
        ],
        "playback": playback,
        "hidden": [
            [row[0], row[1], row[2]]
            for row in conn.execute(
                "SELECT section, media_type, trakt_id FROM hidden ORDER BY 1, 2, 3"
            )
        ],
        "next_up": {
            str(item["show_trakt_id"]): {"season": item["season"], "number": item["number"]}
            for item in sorted(
                next_up(conn, include_hidden=True, now=now), key=lambda i: i["show_trakt_id"]
            )
        },
    }


def is_movie_watched(conn: sqlite3.Connection, trakt_id: int) -> bool:
    row = conn.execute("SELECT plays FROM movies WHERE trakt_id = ?", (trakt_id,)).fetchone()
    return bool(row and row[0] > 0)


def is_episode_watched(conn: sqlite3.Connection, show_id: int, season: int, number: int) -> bool:
    row = conn.execute(
        "SELECT plays FROM episodes WHERE show_id = ? AND season = ? AND number = ?",
        (show_id, season, number),
    ).fetchone()
    return bool(row and row[0] > 0)


def meta_value(conn: sqlite3.Connection, key: str) -> Optional[str]:
    """One value of the ``meta`` table (``last_sync_at``, ``trakt_user``), or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def snapshot_in_one_transaction(conn: sqlite3.Connection) -> Dict[str, Any]:
    """:func:`snapshot` read inside one read transaction (a consistent picture)."""
    conn.execute("BEGIN")
    try:
        return snapshot(conn)
    finally:
        conn.execute("COMMIT")


def sync_stats(conn: sqlite3.Connection, days: int, now: float) -> Dict[str, Any]:
    """Totals over the runs of the last ``days`` days before ``now``."""
    since = now - days * 86400
    rows = conn.execute(
        "SELECT status, COUNT(*), COALESCE(SUM(requests), 0), AVG(duration), "
        "MAX(duration) FROM sync_runs WHERE started_ts >= ? GROUP BY status",
        (since,),
    ).fetchall()
    by_trigger = dict(
        conn.execute(
            "SELECT trigger, COUNT(*) FROM sync_runs WHERE started_ts >= ? GROUP BY trigger",
            (since,),
        ).fetchall()
    )
    change_rows = conn.execute(
        "SELECT changes FROM sync_runs WHERE started_ts >= ? AND changes IS NOT NULL",
        (since,),
    ).fetchall()
    last_error = conn.execute(
        "SELECT started_at, error, failures FROM sync_runs WHERE started_ts >= ? "
        "AND error IS NOT NULL AND status NOT IN ('ok') ORDER BY id DESC LIMIT 1",
        (since,),
    ).fetchone()
    by_status = {row[0]: row[1] for row in rows}
    runs = sum(by_status.values())
    durations = [(row[1], row[3]) for row in rows if row[3] is not None]
    total_time = sum(count * avg for count, avg in durations)
    timed = sum(count for count, _ in durations)
    return {
        "days": days,
        "runs": runs,
        "by_status": by_status,
        "requests": sum(row[2] for row in rows),
        "average_duration": total_time / timed if timed else None,
        "max_duration": max((row[4] for row in rows if row[4] is not None), default=None),
        "last_error": dict(last_error) if last_error else None,
        "by_trigger": by_trigger,
        "total_duration": total_time,
        "changes": _sum_changes(row[0] for row in change_rows),
    }


def _sum_changes(documents: Iterable[Any]) -> Dict[str, Dict[str, int]]:
    """Per-category added/changed/removed totals of run records' ``changes`` JSON."""
    totals: Dict[str, Dict[str, int]] = {}
    for document in documents:
        try:
            changes = json.loads(document) if document else {}
        except ValueError:
            continue
        if not isinstance(changes, dict):
            continue
        for category, counts in changes.items():
            if not isinstance(counts, dict):
                continue
            total = totals.setdefault(str(category), {"added": 0, "changed": 0, "removed": 0})
            for key in total:
                value = counts.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    total[key] += value
    return totals
