"""Reads for the browse pages: the mirror's state of items named by IMDb id.

AIOStreams names items by IMDb id; the mirror keys them by Trakt id and keeps the IMDb id in the
``imdb_id`` columns of ``movies``, ``shows``, ``watchlist``, ``collection`` and ``bookmarks``
(``show_imdb_id`` for episodes). These reads map one to the other; Next Up itself stays in
``queries.py`` (callers use ``TraktSyncDatabase.show_progress``).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List, Optional, Sequence

_CHUNK = 400


def _chunks(values: Sequence[str]) -> List[List[str]]:
    unique = list(dict.fromkeys(v for v in values if v))
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]


def states_by_imdb(conn: sqlite3.Connection, imdb_ids: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    """Per IMDb id: ``type`` (movie|show), ``trakt_id``, ``plays``, ``progress`` (resume
    percent, movies), ``completed``/``aired`` (shows), ``in_watchlist``, ``rating`` (the user's
    1-10, None). Unknown ids are absent."""
    found: Dict[str, Dict[str, Any]] = {}
    for chunk in _chunks(imdb_ids):
        marks = ",".join("?" * len(chunk))
        for imdb, trakt_id, plays, progress in conn.execute(
            "SELECT m.imdb_id, m.trakt_id, m.plays, (SELECT MAX(b.progress) FROM bookmarks b "  # noqa: S608 - placeholders only
            "WHERE b.media_type = 'movie' AND b.trakt_id = m.trakt_id) FROM movies m "
            f"WHERE m.imdb_id IN ({marks})",
            chunk,
        ):
            found[imdb] = {
                "type": "movie",
                "trakt_id": trakt_id,
                "plays": plays or 0,
                "progress": progress or 0.0,
                "in_watchlist": False,
            }
        for imdb, trakt_id, completed, aired, plays in conn.execute(
            "SELECT imdb_id, trakt_id, completed_episodes, aired_episodes, plays FROM shows "  # noqa: S608 - placeholders only
            f"WHERE imdb_id IN ({marks})",
            chunk,
        ):
            found[imdb] = {
                "type": "show",
                "trakt_id": trakt_id,
                "plays": plays or 0,
                "completed": completed or 0,
                "aired": aired,
                "progress": 0.0,
                "in_watchlist": False,
            }
        for imdb, media_type, trakt_id in conn.execute(
            f"SELECT imdb_id, media_type, trakt_id FROM watchlist WHERE imdb_id IN ({marks}) "  # noqa: S608 - placeholders only
            "AND media_type IN ('movie', 'show')",
            chunk,
        ):
            state = found.setdefault(
                imdb, {"type": media_type, "trakt_id": trakt_id, "plays": 0, "progress": 0.0}
            )
            state["in_watchlist"] = True
        for imdb, progress, trakt_id in conn.execute(
            "SELECT imdb_id, MAX(progress), trakt_id FROM bookmarks WHERE media_type = 'movie' "  # noqa: S608 - placeholders only
            f"AND imdb_id IN ({marks}) GROUP BY imdb_id",
            chunk,
        ):
            state = found.setdefault(
                imdb, {"type": "movie", "trakt_id": trakt_id, "plays": 0, "in_watchlist": False}
            )
            state["progress"] = max(state.get("progress") or 0.0, progress or 0.0)
    _add_ratings(conn, found)
    return found


def _add_ratings(conn: sqlite3.Connection, found: Dict[str, Dict[str, Any]]) -> None:
    """Each found item's own rating: one read per 400 items."""
    states = [s for s in found.values() if s.get("trakt_id")]
    for start in range(0, len(states), _CHUNK):
        part = states[start : start + _CHUNK]
        marks = ",".join("?" * len(part))
        rated = {
            (media_type, trakt_id): rating
            for media_type, trakt_id, rating in conn.execute(
                "SELECT media_type, trakt_id, rating FROM ratings WHERE media_type IN "  # noqa: S608 - placeholders only
                f"('movie', 'show') AND trakt_id IN ({marks})",
                [int(s["trakt_id"]) for s in part],
            )
        }
        for state in part:
            state["rating"] = rated.get((state.get("type"), int(state["trakt_id"])))


def show_id_by_imdb(conn: sqlite3.Connection, imdb_id: str) -> Optional[int]:
    """The show's Trakt id from whichever table knows it (watched, resume points, lists)."""
    row = conn.execute(
        "SELECT trakt_id FROM shows WHERE imdb_id = :imdb UNION ALL "
        "SELECT show_id FROM bookmarks WHERE show_imdb_id = :imdb AND show_id IS NOT NULL "
        "UNION ALL SELECT trakt_id FROM watchlist WHERE media_type = 'show' AND imdb_id = :imdb "
        "UNION ALL SELECT trakt_id FROM collection WHERE media_type = 'show' AND imdb_id = :imdb "
        "LIMIT 1",
        {"imdb": imdb_id},
    ).fetchone()
    return int(row[0]) if row else None


def episode_states(conn: sqlite3.Connection, show_id: int) -> Dict[str, Any]:
    """One show's episodes as the mirror knows them: ``episodes`` maps ``(season, number)`` to
    ``{plays, last_watched_at, counted}`` (``counted``: watched since the show's ``reset_at``),
    ``resume`` maps ``(season, number)`` to the resume percent, ``ratings`` maps
    ``(season, number)`` to the user's rating and ``season_ratings`` a season number to its
    rating, plus ``hidden`` (hidden from Next Up) and ``reset_at``."""
    show = conn.execute("SELECT reset_at FROM shows WHERE trakt_id = ?", (show_id,)).fetchone()
    reset_at = show[0] if show else None
    episodes = {}
    for season, number, plays, watched_at in conn.execute(
        "SELECT season, number, plays, last_watched_at FROM episodes WHERE show_id = ? "
        "AND plays > 0",
        (show_id,),
    ):
        counted = reset_at is None or (watched_at is not None and watched_at >= reset_at)
        episodes[(season, number)] = {
            "plays": plays,
            "last_watched_at": watched_at,
            "counted": counted,
        }
    resume = {
        (season, number): progress
        for season, number, progress in conn.execute(
            "SELECT season, number, MAX(progress) FROM bookmarks WHERE media_type = 'episode' "
            "AND show_id = ? AND season IS NOT NULL GROUP BY season, number",
            (show_id,),
        )
    }
    hidden = conn.execute(
        "SELECT 1 FROM hidden WHERE section = 'progress_watched' AND media_type = 'show' "
        "AND trakt_id = ?",
        (show_id,),
    ).fetchone()
    ratings: Dict[Any, int] = {}
    season_ratings: Dict[int, int] = {}
    for media_type, season, number, rating in conn.execute(
        "SELECT media_type, season, number, rating FROM ratings WHERE show_id = ? "
        "AND media_type IN ('episode', 'season') AND season IS NOT NULL",
        (show_id,),
    ):
        if media_type == "season":
            season_ratings[int(season)] = int(rating)
        elif number is not None:
            ratings[(int(season), int(number))] = int(rating)
    return {
        "show_id": show_id,
        "reset_at": reset_at,
        "ratings": ratings,
        "season_ratings": season_ratings,
        "episodes": episodes,
        "resume": resume,
        "hidden": hidden is not None,
    }


def collection(conn: sqlite3.Connection) -> List[Dict[str, Any]]:
    """The collection as list rows, newest first: movies, and shows (one row per show with
    collected episodes; the show's IMDb id from ``shows`` when the mirror has the show)."""
    rows: List[Dict[str, Any]] = []
    for row in conn.execute(
        "SELECT 'movie', c.trakt_id, c.title, c.year, c.imdb_id, c.tmdb_id, "
        "COALESCE(m.plays, 0), c.collected_at FROM collection c LEFT JOIN movies m "
        "ON m.trakt_id = c.trakt_id WHERE c.media_type = 'movie'"
    ):
        rows.append(_collected(row))
    for row in conn.execute(
        "SELECT 'show', c.show_id, COALESCE(s.title, MAX(c.title)), s.year, s.imdb_id, "
        "s.tmdb_id, COALESCE(s.plays, 0), MAX(c.collected_at) FROM collection c "
        "LEFT JOIN shows s ON s.trakt_id = c.show_id WHERE c.media_type = 'episode' "
        "AND c.show_id IS NOT NULL GROUP BY c.show_id"
    ):
        rows.append(_collected(row))
    rows.sort(key=lambda r: r["collected_at"] or "", reverse=True)
    return rows


def _collected(row: Sequence[Any]) -> Dict[str, Any]:
    keys = ("type", "trakt_id", "title", "year", "imdb_id", "tmdb_id", "plays", "collected_at")
    return dict(zip(keys, row))
