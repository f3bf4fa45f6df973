"""Items hidden by the user, per section (``progress_watched`` drives Next Up filtering).

Hidden data changes rarely, so it is fetched only when ``movies/shows/seasons.hidden_at`` or
``shows.dropped_at`` moved (upstream fetched all sections on every cycle).

Every section is a part of its own (one request each): a section that fails keeps its stored
rows and is the only one retried, so the shows hidden in the sections that answered stay out of
Next Up.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

from .context import SyncContext, Unit
from .items import MalformedItem, as_dict, as_int, iso_time, media_columns, trakt_id
from .store import Changes, add_changes, no_changes, replace_rows

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

    parts = SECTIONS

    def endpoint(self, part: str) -> str:
        return HIDDEN_PATH % part

    def fetch_part(self, ctx: SyncContext, part: str) -> List[Dict[str, Any]]:
        rows = ctx.parse_all(self.name, ctx.fetch_pages(HIDDEN_PATH % part), parse_hidden_item)
        for row in rows:
            row["section"] = part
        return rows

    def fetch(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        rows: List[Dict[str, Any]] = []
        for section in SECTIONS:
            rows.extend(self.fetch_part(ctx, section))
        return rows

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        return replace_rows(conn, "hidden", data)

    def apply_parts(
        self, conn: sqlite3.Connection, data: Dict[str, Any], ctx: SyncContext
    ) -> Changes:
        total = no_changes()
        for section, rows in data.items():
            add_changes(total, replace_rows(conn, "hidden", rows, scope=("section", section)))
        return total


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
