"""Season/episode metadata (titles, air dates) for the shows Next Up needs.

``GET /shows/{id}/seasons?extended=full,episodes`` costs one request per show, so it is fetched
only for shows that need it (:func:`shows_needing_metadata`):

- shows without metadata that still have an aired episode left to watch (Trakt's
  ``aired_episodes`` from the watched data is larger than the completed count): a fully watched
  show has no Next Up and needs no episode list until that changes;
- shows whose watched state changed in this run and now have a watched episode the metadata
  does not list;
- shows for which the watched data just fetched reports more aired episodes than the metadata
  knows (new episodes aired). The watched shows are re-fetched at least once a day (see
  ``engine.FULL_REFRESH_SECONDS``), which is how airing shows stay fresh without a request per
  show per day.

A failed fetch leaves the show ``metadata_pending``: a transient error (5xx, 429, network, bad
JSON) is retried by the next sync, a 404 after :data:`RETRY_NOT_FOUND_SECONDS`. Each show is
written in its own short transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any, Dict, Iterable, List, Set

from .context import SyncContext
from .items import MalformedItem, as_dict, as_int, as_list, as_str, iso_time, now_iso
from .watched import update_show_counts

log = logging.getLogger(__name__)

SEASONS_PATH = "/shows/%d/seasons"
SEASONS_PARAMS = {"extended": "full,episodes"}
RETRY_NOT_FOUND_SECONDS = 24 * 3600.0


def shows_needing_metadata(conn: sqlite3.Connection, ctx: SyncContext) -> List[int]:
    """Shows whose season metadata must be fetched in this run (see the module docstring)."""
    now = ctx.now
    needed: Set[int] = {
        row[0]
        for row in conn.execute(
            "SELECT trakt_id FROM shows WHERE metadata_pending = 1 "
            "AND (metadata_retry_ts IS NULL OR metadata_retry_ts <= ?)",
            (now,),
        )
    }
    if not ctx.touched_shows and not ctx.aired_counts:
        return sorted(needed)  # the watched data did not change in this run
    rows = conn.execute(
        "SELECT s.trakt_id, s.has_metadata, s.metadata_checked_ts, s.aired_episodes, "
        " s.completed_episodes, s.metadata_pending, "
        " COALESCE(SUM(e.season > 0 AND e.has_metadata = 1 AND e.first_aired <= ?), 0) "
        "   AS aired_known, "
        " COALESCE(SUM(e.plays > 0 AND e.has_metadata = 0), 0) AS unknown_watched "
        "FROM shows s LEFT JOIN episodes e ON e.show_id = s.trakt_id GROUP BY s.trakt_id",
        (now_iso(now),),
    ).fetchall()
    for row in rows:
        show_id = row["trakt_id"]
        if row["metadata_pending"]:
            continue
        aired = row["aired_episodes"]
        if not row["has_metadata"]:
            # Every aired episode watched: no Next Up, so no metadata needed until that changes.
            complete = aired is not None and row["completed_episodes"] >= aired
            if not complete and (
                row["metadata_checked_ts"] is None or show_id in ctx.touched_shows
            ):
                needed.add(show_id)
            continue
        if show_id in ctx.touched_shows and row["unknown_watched"]:
            needed.add(show_id)
        elif show_id in ctx.aired_counts and (ctx.aired_counts[show_id] or 0) > row["aired_known"]:
            needed.add(show_id)  # Trakt knows of newly aired episodes
    return sorted(needed)


def fetch_show_seasons(ctx: SyncContext, show_id: int) -> List[Dict[str, Any]]:
    """Episodes of one show as column dicts (one request)."""
    seasons = ctx.client.get(SEASONS_PATH % show_id, params=dict(SEASONS_PARAMS))
    episodes = []
    for season in as_list(seasons):
        season_number = as_int(as_dict(season).get("number"))
        if season_number is None:
            continue
        for episode in as_list(as_dict(season).get("episodes")):
            episode = as_dict(episode)
            number = as_int(episode.get("number"))
            if number is None:
                log.warning("show %d: episode without a number skipped", show_id)
                continue
            ids = as_dict(episode.get("ids"))
            episodes.append(
                {
                    "season": as_int(episode.get("season")) or season_number,
                    "number": number,
                    "trakt_id": as_int(ids.get("trakt")),
                    "imdb_id": as_str(ids.get("imdb")),
                    "tmdb_id": as_int(ids.get("tmdb")),
                    "tvdb_id": as_int(ids.get("tvdb")),
                    "title": as_str(episode.get("title")),
                    "first_aired": iso_time(episode.get("first_aired")),
                    "runtime": as_int(episode.get("runtime")),
                }
            )
    if seasons is not None and not isinstance(seasons, list):
        raise MalformedItem("seasons of show %d are not a list" % show_id)
    return episodes


def apply_show_seasons(
    conn: sqlite3.Connection, show_id: int, episodes: Iterable[Dict[str, Any]], now: float
) -> int:
    """Store one show's episode metadata; returns the number of episodes written."""
    exists = conn.execute("SELECT 1 FROM shows WHERE trakt_id = ?", (show_id,)).fetchone()
    if not exists:
        return 0  # unwatched meanwhile; nothing to attach the metadata to
    conn.execute("UPDATE episodes SET has_metadata = 0 WHERE show_id = ?", (show_id,))
    count = 0
    for episode in episodes:
        conn.execute(
            "INSERT INTO episodes (show_id, season, number, trakt_id, imdb_id, tmdb_id, tvdb_id, "
            "title, first_aired, runtime, has_metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (show_id, season, number) DO UPDATE SET trakt_id = excluded.trakt_id, "
            "imdb_id = excluded.imdb_id, tmdb_id = excluded.tmdb_id, tvdb_id = excluded.tvdb_id, "
            "title = excluded.title, first_aired = excluded.first_aired, "
            "runtime = excluded.runtime, has_metadata = 1",
            (
                show_id, episode["season"], episode["number"], episode["trakt_id"],
                episode["imdb_id"], episode["tmdb_id"], episode["tvdb_id"], episode["title"],
                episode["first_aired"], episode["runtime"],
            ),
        )  # fmt: skip
        count += 1
    conn.execute(
        "DELETE FROM episodes WHERE show_id = ? AND has_metadata = 0 AND plays = 0", (show_id,)
    )
    conn.execute(
        "UPDATE shows SET has_metadata = 1, metadata_checked_ts = ?, metadata_pending = 0, "
        "metadata_retry_ts = NULL WHERE trakt_id = ?",
        (now, show_id),
    )
    update_show_counts(conn, (show_id,))
    return count


def mark_metadata_failed(
    conn: sqlite3.Connection, show_id: int, now: float, permanent: bool
) -> None:
    """Keep the show pending: retried by the next sync, or a day later if Trakt said 404."""
    conn.execute(
        "UPDATE shows SET metadata_checked_ts = ?, metadata_pending = 1, metadata_retry_ts = ? "
        "WHERE trakt_id = ?",
        (now, now + RETRY_NOT_FOUND_SECONDS if permanent else now, show_id),
    )
