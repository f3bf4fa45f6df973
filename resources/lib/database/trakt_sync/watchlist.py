"""The watchlist (movies, shows, seasons, episodes) with rank, listed_at and notes.

The activity keys are the real Trakt names (``movies.watchlisted_at``, ``shows.watchlisted_at``,
``seasons.watchlisted_at``, ``episodes.watchlisted_at`` and ``watchlist.updated_at``): the upstream
add-on looked up names that do not exist and so re-synced the watchlist on every cycle.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

from .context import SyncContext, Unit
from .items import listed_entry
from .store import Changes, replace_rows

WATCHLIST_PATH = "/sync/watchlist"


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
    """A ``watchlist`` row; its ``list_id`` column holds the entry's own id."""
    row = listed_entry(item, "watchlist")
    row["list_id"] = row.pop("entry_id")
    return row
