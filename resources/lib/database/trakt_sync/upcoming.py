"""Upcoming episodes and recently watched items, read from the mirror (one statement each).

Upcoming: the episodes of the shows the user watches (every show in the mirror has plays) that
air after ``now`` and at most :data:`UPCOMING_DAYS` days later, from the season metadata
(``episodes.first_aired``, ISO UTC text, which sorts as time). Shows hidden from progress or
dropped are left out, as Next Up leaves them out. An episode with no air date (not announced)
is not listed. The metadata step fetches the lists of the shows followed lately, caught up or
not (``metadata.FOLLOWING_DAYS``).

Recently watched: the last plays, episodes and movies together, newest ``last_watched_at``
first, one row per item (an item watched twice appears once, at its latest play).

The rows are shaped like ``next_up()`` rows (``type``, ids, ``show_*`` columns) so the list
views, the art lookup and the play route take them as they are.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, Dict, List, Optional

from .items import now_iso
from .queries import rows_as_dicts

UPCOMING_DAYS = 14
RECENT_LIMIT = 50

_UPCOMING = """
SELECT 'episode' AS type, e.trakt_id, e.imdb_id, e.tmdb_id, e.tvdb_id, e.title, e.season,
    e.number, e.number AS episode, e.first_aired, COALESCE(e.runtime, s.runtime) AS runtime,
    s.trakt_id AS show_trakt_id, s.title AS show_title, s.year AS show_year,
    s.imdb_id AS show_imdb_id, s.tmdb_id AS show_tmdb_id, s.tvdb_id AS show_tvdb_id
FROM episodes e JOIN shows s ON s.trakt_id = e.show_id
WHERE s.plays > 0 AND e.has_metadata = 1
  AND e.first_aired > :start AND e.first_aired <= :end
  AND NOT EXISTS (
    SELECT 1 FROM hidden h WHERE h.section IN ('progress_watched', 'dropped')
      AND h.media_type = 'show' AND h.trakt_id = s.trakt_id)
ORDER BY e.first_aired, s.title, s.trakt_id, e.season, e.number
"""

_RECENT = """
SELECT * FROM (
    SELECT 'episode' AS type, e.trakt_id, e.imdb_id, e.tmdb_id, e.tvdb_id, e.title,
        NULL AS year, e.season, e.number, e.number AS episode, e.first_aired,
        COALESCE(e.runtime, s.runtime) AS runtime, e.plays, e.last_watched_at,
        s.trakt_id AS show_trakt_id, s.title AS show_title, s.year AS show_year,
        s.imdb_id AS show_imdb_id, s.tmdb_id AS show_tmdb_id, s.tvdb_id AS show_tvdb_id
    FROM episodes e JOIN shows s ON s.trakt_id = e.show_id
    WHERE e.plays > 0 AND e.last_watched_at IS NOT NULL
    UNION ALL
    SELECT 'movie', m.trakt_id, m.imdb_id, m.tmdb_id, NULL, m.title, m.year, NULL, NULL, NULL,
        NULL, m.runtime, m.plays, m.last_watched_at, NULL, NULL, NULL, NULL, NULL, NULL
    FROM movies m
    WHERE m.plays > 0 AND m.last_watched_at IS NOT NULL)
ORDER BY last_watched_at DESC, type, show_trakt_id, season, number, trakt_id
LIMIT :limit
"""


def upcoming(
    conn: sqlite3.Connection, now: Optional[float] = None, days: int = UPCOMING_DAYS
) -> List[Dict[str, Any]]:
    """Episodes airing in ``(now, now + days]`` (epoch seconds; None = the clock), soonest
    first."""
    now = time.time() if now is None else float(now)
    start, end = now_iso(now), now_iso(now + days * 86400.0)
    return rows_as_dicts(conn, _UPCOMING, {"start": start, "end": end})


def recently_watched(conn: sqlite3.Connection, limit: int = RECENT_LIMIT) -> List[Dict[str, Any]]:
    """The last ``limit`` items watched (episodes and movies), newest first."""
    return rows_as_dicts(conn, _RECENT, {"limit": max(0, int(limit))})
