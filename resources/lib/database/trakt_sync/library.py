"""Collection ("library") and ratings: stored for list views, not needed by Next Up.

The collection is two parts (movies, shows: one request each, each with its own activity key
in Trakt), so a failing type keeps the other. Ratings are one request for every type.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

from .context import SyncContext, Unit
from .items import (
    MalformedItem,
    as_dict,
    as_int,
    as_list,
    episode_key,
    iso_time,
    media_columns,
    skip,
    trakt_id,
)
from .store import Changes, add_changes, no_changes, replace_rows

COLLECTION_MOVIES_PATH = "/sync/collection/movies"
COLLECTION_SHOWS_PATH = "/sync/collection/shows"
RATINGS_PATH = "/sync/ratings"


class Collection(Unit):
    name = "collection"
    category = "collection"
    activity_keys = (("movies", "collected_at"), ("episodes", "collected_at"))

    parts = ("movies", "shows")
    # part -> (path, the media_type of its rows)
    _PARTS = {
        "movies": (COLLECTION_MOVIES_PATH, "movie"),
        "shows": (COLLECTION_SHOWS_PATH, "episode"),
    }

    def endpoint(self, part: str) -> str:
        return self._PARTS[part][0]

    def fetch_part(self, ctx: SyncContext, part: str) -> List[Dict[str, Any]]:
        if part == "movies":
            return ctx.parse_all(
                self.name, ctx.fetch_pages(COLLECTION_MOVIES_PATH), _parse_collected_movie
            )
        rows: List[Dict[str, Any]] = []
        for show_rows in ctx.parse_all(
            self.name, ctx.fetch_pages(COLLECTION_SHOWS_PATH), _parse_collected_show
        ):
            rows.extend(show_rows)
        return rows

    def fetch(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        return self.fetch_part(ctx, "movies") + self.fetch_part(ctx, "shows")

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        return replace_rows(conn, "collection", data)

    def apply_parts(
        self, conn: sqlite3.Connection, data: Dict[str, Any], ctx: SyncContext
    ) -> Changes:
        total = no_changes()
        for part, rows in data.items():
            scope = ("media_type", self._PARTS[part][1])
            add_changes(total, replace_rows(conn, "collection", rows, scope=scope))
        return total


def _parse_collected_movie(item: Any) -> Dict[str, Any]:
    item = as_dict(item)
    movie = item.get("movie")
    row = media_columns(movie)
    row.update(
        media_type="movie",
        trakt_id=trakt_id(movie, "movie"),
        collected_at=iso_time(item.get("collected_at") or item.get("last_collected_at")),
        show_id=None,
        season=None,
        number=None,
    )
    return row


def _parse_collected_show(item: Any) -> List[Dict[str, Any]]:
    """A collected show becomes one row per collected episode (keyed by the episode id)."""
    item = as_dict(item)
    show = item.get("show")
    show_id = trakt_id(show, "show")
    title = media_columns(show)["title"]
    rows = []
    for season in as_list(item.get("seasons")):
        season_number = as_int(as_dict(season).get("number"))
        for episode in as_list(as_dict(season).get("episodes")):
            episode = as_dict(episode)
            number = as_int(episode.get("number"))
            ids = as_dict(episode.get("ids"))
            episode_id = as_int(ids.get("trakt"))
            if season_number is None or number is None:
                continue
            # Trakt's collection lists episodes by number; without their own id the key comes
            # from the show id and the numbers (items.episode_key) so it stays unique and stable.
            key = episode_id if episode_id and episode_id > 0 else None
            key = key or episode_key(show_id, season_number, number)
            if key is None:
                skip("collection", episode, MalformedItem("episode numbers out of range"))
                continue
            rows.append(
                {
                    "media_type": "episode",
                    "trakt_id": key,
                    "collected_at": iso_time(episode.get("collected_at")),
                    "slug": None,
                    "imdb_id": as_dict(ids).get("imdb"),
                    "tmdb_id": as_int(ids.get("tmdb")),
                    "tvdb_id": as_int(ids.get("tvdb")),
                    "title": title,
                    "year": None,
                    "show_id": show_id,
                    "season": season_number,
                    "number": number,
                }
            )
    return rows


class Ratings(Unit):
    name = "ratings"
    path = RATINGS_PATH
    category = "ratings"
    activity_keys = (
        ("movies", "rated_at"),
        ("shows", "rated_at"),
        ("seasons", "rated_at"),
        ("episodes", "rated_at"),
    )

    def fetch(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        return ctx.parse_all(self.name, ctx.fetch_pages(RATINGS_PATH), _parse_rating)

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        return replace_rows(conn, "ratings", data)


def _parse_rating(item: Any) -> Dict[str, Any]:
    item = as_dict(item)
    media_type = item.get("type")
    if media_type not in ("movie", "show", "season", "episode"):
        raise MalformedItem("unknown rating type %r" % (media_type,))
    rating = as_int(item.get("rating"))
    if rating is None or not 1 <= rating <= 10:
        raise MalformedItem("rating out of range")
    media = as_dict(item.get(media_type))
    columns = media_columns(media)
    show = as_dict(item.get("show"))
    return {
        "media_type": media_type,
        "trakt_id": trakt_id(media, media_type),
        "rating": rating,
        "rated_at": iso_time(item.get("rated_at")),
        "title": columns["title"] or media_columns(show)["title"],
        "year": columns["year"],
        "show_id": as_int(as_dict(show.get("ids")).get("trakt")),
        "season": as_int(media.get("season") if media_type == "episode" else media.get("number"))
        if media_type in ("season", "episode")
        else None,
        "number": as_int(media.get("number")) if media_type == "episode" else None,
    }
