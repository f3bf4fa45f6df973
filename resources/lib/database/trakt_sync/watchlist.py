"""The watchlist (movies, shows, seasons, episodes) with rank, listed_at and notes.

The activity keys are the real Trakt names (``movies.watchlisted_at``, ``shows.watchlisted_at``,
``seasons.watchlisted_at``, ``episodes.watchlisted_at`` and ``watchlist.updated_at``): the upstream
add-on looked up names that do not exist and so re-synced the watchlist on every cycle.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

from .context import SyncContext, Unit
from .items import MalformedItem, as_dict, as_int, as_str, iso_time, media_columns, trakt_id
from .store import Changes, replace_rows

WATCHLIST_PATH = "/sync/watchlist"
MEDIA_TYPES = ("movie", "show", "season", "episode")


class Watchlist(Unit):
    name = "watchlist"
    category = "watchlist"
    activity_keys = (
        ("movies", "watchlisted_at"),
        ("shows", "watchlisted_at"),
        ("seasons", "watchlisted_at"),
        ("episodes", "watchlisted_at"),
        ("watchlist", "updated_at"),
    )

    def fetch(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        return ctx.parse_all(self.name, ctx.fetch_pages(WATCHLIST_PATH), parse_watchlist_item)

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        return replace_rows(conn, "watchlist", data)


def parse_watchlist_item(item: Any) -> Dict[str, Any]:
    item = as_dict(item)
    media_type = item.get("type")
    if media_type not in MEDIA_TYPES:
        raise MalformedItem("unknown watchlist type %r" % (media_type,))
    media = as_dict(item.get(media_type))
    row = media_columns(media)
    row.update(
        media_type=media_type,
        trakt_id=trakt_id(media, media_type),
        list_id=as_int(item.get("id")),
        rank=as_int(item.get("rank")),
        listed_at=iso_time(item.get("listed_at")),
        notes=as_str(item.get("notes")),
        show_id=None,
        show_title=None,
        season=None,
        number=None,
    )
    if media_type in ("season", "episode"):
        show = as_dict(item.get("show"))
        row["show_id"] = as_int(as_dict(show.get("ids")).get("trakt"))
        row["show_title"] = as_str(show.get("title"))
        row["season"] = as_int(media.get("season" if media_type == "episode" else "number"))
        row["number"] = as_int(media.get("number")) if media_type == "episode" else None
    return row
