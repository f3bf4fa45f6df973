"""Watched movies and watched shows/episodes.

Full sync: fetch every page (Trakt paginates these since 2026; shows carry their seasons only
with ``extended=progress``), then replace the local watched set inside one transaction, so an
unwatch on Trakt becomes ``plays = 0`` here. Episode metadata (titles, air dates) lives in the same
``episodes`` rows and is kept when the watch state changes.

There is deliberately no "delta" path (history since the cursor + ``/users/me/stats``): a show
reset moves only ``episodes.watched_at`` and appears in neither, and an unwatch plus a back-dated
play can balance any count check, so such a delta can silently miss changes (the property test
found both). The full fetch is the only way to be sure; it costs one request per 100 shows.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List, Tuple

from ...trakt import ratelimit
from . import metadata
from .context import SyncContext, Unit
from .items import MalformedItem, as_dict, as_int, as_list, iso_time, media_columns, trakt_id
from .show_counts import update_show_counts
from .store import Changes, no_changes, replace_rows

WATCHED_MOVIES_PATH = "/sync/watched/movies"
WATCHED_SHOWS_PATH = "/sync/watched/shows"
WATCHED_SHOWS_PARAMS = {"extended": "progress"}

EpisodeKey = Tuple[int, int, int]


class WatchedMovies(Unit):
    name = "watched_movies"
    category = "watched"
    activity_keys = (("movies", "watched_at"),)

    def fetch(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        with ratelimit.background():  # sync work: keeps Trakt's reserve for the user
            return ctx.parse_all(self.name, ctx.fetch_pages(WATCHED_MOVIES_PATH), _parse_movie)

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        return replace_rows(conn, "movies", data)


def _parse_movie(item: Any) -> Dict[str, Any]:
    item = as_dict(item)
    movie = item.get("movie")
    row = media_columns(movie)
    row["trakt_id"] = trakt_id(movie, "movie")
    row["plays"] = as_int(item.get("plays")) or 0
    if row["plays"] <= 0:
        raise MalformedItem("watched movie without plays")
    row["last_watched_at"] = iso_time(item.get("last_watched_at"))
    row["last_updated_at"] = iso_time(item.get("last_updated_at"))
    return row


class WatchedShows(Unit):
    name = "watched_shows"
    category = "watched"
    # A show reset moves episodes.watched_at too.
    activity_keys = (("episodes", "watched_at"),)

    def fetch(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        with ratelimit.background():
            items = ctx.fetch_pages(WATCHED_SHOWS_PATH, dict(WATCHED_SHOWS_PARAMS))
            return ctx.parse_all(self.name, items, _parse_show)

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        changes = apply_watched_shows(conn, data, ctx)
        # Start fetching season metadata now, in the background, while the sync goes on with
        # the other lists: on a first sync that fills Next Up seconds earlier. The metadata step
        # takes these results (nothing is written here beyond the watched data).
        metadata.prefetch(ctx, metadata.shows_needing_metadata(conn, ctx))
        return changes


def _parse_show(item: Any) -> Dict[str, Any]:
    item = as_dict(item)
    show = as_dict(item.get("show"))
    row = media_columns(show)
    row["trakt_id"] = trakt_id(show, "show")
    row["status"] = show.get("status") if isinstance(show.get("status"), str) else None
    row["runtime"] = as_int(show.get("runtime"))
    row["aired_episodes"] = as_int(show.get("aired_episodes"))
    row["plays"] = as_int(item.get("plays")) or 0
    row["last_watched_at"] = iso_time(item.get("last_watched_at"))
    row["last_updated_at"] = iso_time(item.get("last_updated_at"))
    row["reset_at"] = iso_time(item.get("reset_at"))
    episodes: Dict[Tuple[int, int], Tuple[int, Any]] = {}
    for season in as_list(item.get("seasons")):
        season_number = as_int(as_dict(season).get("number"))
        if season_number is None or season_number < 0:
            continue
        for episode in as_list(as_dict(season).get("episodes")):
            number = as_int(as_dict(episode).get("number"))
            plays = as_int(as_dict(episode).get("plays")) or 0
            if number is None or number < 0 or plays <= 0:
                continue
            episodes[(season_number, number)] = (
                plays,
                iso_time(as_dict(episode).get("last_watched_at")),
            )
    row["episodes"] = episodes
    return row


_SHOW_COLUMNS = tuple(
    "slug imdb_id tmdb_id tvdb_id title year status runtime plays last_watched_at"
    " last_updated_at reset_at aired_episodes".split()
)


def apply_watched_shows(
    conn: sqlite3.Connection, shows: List[Dict[str, Any]], ctx: SyncContext
) -> Changes:
    """Make shows/episodes hold exactly the watched set in ``shows``."""
    changes = no_changes()
    remote: Dict[int, Dict[str, Any]] = {show["trakt_id"]: show for show in shows}
    local_shows = {
        row["trakt_id"]: row
        for row in conn.execute(
            "SELECT trakt_id, reset_at, plays, last_watched_at FROM shows"
        ).fetchall()
    }
    for show_id in set(local_shows) - set(remote):
        conn.execute("DELETE FROM shows WHERE trakt_id = ?", (show_id,))
        changes["removed"] += 1
    local_watched: Dict[int, Dict[Tuple[int, int], Tuple[int, Any]]] = {}
    for row in conn.execute(
        "SELECT show_id, season, number, plays, last_watched_at FROM episodes WHERE plays > 0"
    ):
        local_watched.setdefault(row[0], {})[(row[1], row[2])] = (row[3], row[4])
    for show_id, show in remote.items():
        values = tuple(show.get(column) for column in _SHOW_COLUMNS)
        if show_id not in local_shows:
            conn.execute(
                "INSERT INTO shows (trakt_id, slug, imdb_id, tmdb_id, tvdb_id, title, year, "
                "status, runtime, plays, last_watched_at, last_updated_at, reset_at, "
                "aired_episodes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (show_id,) + values,
            )
            changes["added"] += 1
            ctx.touched_shows.add(show_id)
        else:
            conn.execute(
                "UPDATE shows SET slug = ?, imdb_id = ?, tmdb_id = ?, tvdb_id = ?, title = ?, "
                "year = ?, status = COALESCE(?, status), runtime = COALESCE(?, runtime), "
                "plays = ?, last_watched_at = ?, last_updated_at = ?, reset_at = ?, "
                "aired_episodes = COALESCE(?, aired_episodes) WHERE trakt_id = ?",
                values + (show_id,),
            )
            if local_shows[show_id]["reset_at"] != show["reset_at"]:
                changes["changed"] += 1
                ctx.touched_shows.add(show_id)
        if show["aired_episodes"] is not None:
            ctx.aired_counts[show_id] = show["aired_episodes"]
        before = local_watched.get(show_id, {})
        after = show["episodes"]
        if before != after:
            ctx.touched_shows.add(show_id)
        for key in set(before) - set(after):
            conn.execute(
                "UPDATE episodes SET plays = 0, last_watched_at = NULL "
                "WHERE show_id = ? AND season = ? AND number = ?",
                (show_id,) + key,
            )
            changes["removed"] += 1
        for key, (plays, watched_at) in after.items():
            if key in before and before[key] == (plays, watched_at):
                continue
            conn.execute(
                "INSERT INTO episodes (show_id, season, number, plays, last_watched_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (show_id, season, number) DO UPDATE SET "
                "plays = excluded.plays, last_watched_at = excluded.last_watched_at",
                (show_id,) + key + (plays, watched_at),
            )
            changes["changed" if key in before else "added"] += 1
    conn.execute("DELETE FROM episodes WHERE plays = 0 AND has_metadata = 0")
    update_show_counts(conn, ctx.touched_shows)
    return changes
