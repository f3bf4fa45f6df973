"""Playback progress (resume points) from ``GET /sync/playback``.

Trakt's playback data carries a percentage, not a duration: the resume point is ``progress``
percent of the runtime the player knows (upstream computed it from a missing ``duration`` field and
always resumed at 0).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

from .context import SyncContext, Unit
from .items import MalformedItem, as_dict, as_float, as_int, iso_time, media_columns, trakt_id
from .store import Changes, replace_rows

# One request for both types (``/sync/playback`` without a type lists movies and episodes).
PLAYBACK_PATHS = ("/sync/playback",)


class Playback(Unit):
    name = "playback"
    category = "playback"
    activity_keys = (("movies", "paused_at"), ("episodes", "paused_at"))

    def fetch(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        rows: List[Dict[str, Any]] = []
        for path in PLAYBACK_PATHS:
            rows.extend(ctx.parse_all(self.name, ctx.fetch_pages(path), parse_playback_item))
        return rows

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        return replace_rows(conn, "bookmarks", data)


def parse_playback_item(item: Any) -> Dict[str, Any]:
    item = as_dict(item)
    media_type = item.get("type")
    if media_type not in ("movie", "episode"):
        raise MalformedItem("unknown playback type %r" % (media_type,))
    playback_id = as_int(item.get("id"))
    progress = as_float(item.get("progress"))
    if playback_id is None or progress is None:
        raise MalformedItem("playback item without id or progress")
    media = as_dict(item.get(media_type))
    row = media_columns(media)
    row.update(
        playback_id=playback_id,
        media_type=media_type,
        trakt_id=trakt_id(media, media_type),
        progress=max(0.0, min(100.0, progress)),
        paused_at=iso_time(item.get("paused_at")),
        show_id=None,
        show_title=None,
        show_year=None,
        show_imdb_id=None,
        show_tmdb_id=None,
        show_tvdb_id=None,
        season=None,
        number=None,
    )
    if media_type == "episode":
        show = as_dict(item.get("show"))
        show_columns = media_columns(show)
        row.update(
            show_id=as_int(as_dict(show.get("ids")).get("trakt")),
            show_title=show_columns["title"],
            show_year=show_columns["year"],
            show_imdb_id=show_columns["imdb_id"],
            show_tmdb_id=show_columns["tmdb_id"],
            show_tvdb_id=show_columns["tvdb_id"],
            season=as_int(media.get("season")),
            number=as_int(media.get("number")),
        )
        row["year"] = None
    return row
