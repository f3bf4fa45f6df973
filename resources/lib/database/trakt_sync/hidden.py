"""Items hidden by the user, per section (``progress_watched`` drives Next Up filtering).

Hidden data changes rarely, so it is fetched only when ``movies/shows/seasons.hidden_at`` or
``shows.dropped_at`` moved (upstream fetched all sections on every cycle).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

from .context import SyncContext, Unit
from .items import MalformedItem, as_dict, as_int, iso_time, media_columns, trakt_id
from .store import Changes, replace_rows

HIDDEN_PATH = "/users/hidden/%s"
SECTIONS = (
    "progress_watched",
    "progress_watched_reset",
    "progress_collected",
    "calendar",
    "dropped",
    "recommendations",
)


class Hidden(Unit):
    name = "hidden"
    category = "hidden"
    activity_keys = (
        ("movies", "hidden_at"),
        ("shows", "hidden_at"),
        ("seasons", "hidden_at"),
        ("shows", "dropped_at"),
    )

    def fetch(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        rows: List[Dict[str, Any]] = []
        for section in SECTIONS:
            items = ctx.fetch_pages(HIDDEN_PATH % section)
            for row in ctx.parse_all(self.name, items, parse_hidden_item):
                row["section"] = section
                rows.append(row)
        return rows

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        return replace_rows(conn, "hidden", data)


def parse_hidden_item(item: Any) -> Dict[str, Any]:
    item = as_dict(item)
    media_type = item.get("type")
    if media_type not in ("movie", "show", "season"):
        raise MalformedItem("unknown hidden type %r" % (media_type,))
    media = as_dict(item.get(media_type))
    columns = media_columns(media)
    row = {
        "media_type": media_type,
        "trakt_id": trakt_id(media, media_type),
        "hidden_at": iso_time(item.get("hidden_at")),
        "slug": columns["slug"],
        "title": columns["title"],
        "year": columns["year"],
        "show_id": None,
        "season": None,
    }
    if media_type == "season":
        show = as_dict(item.get("show"))
        row["show_id"] = as_int(as_dict(show.get("ids")).get("trakt"))
        row["season"] = as_int(media.get("number"))
        row["title"] = media_columns(show)["title"]
    return row
