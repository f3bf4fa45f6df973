"""A show's completed and aired episode counts, recomputed from its ``episodes`` rows.

Its own module because every writer of watch state needs it (the full watched sync, metadata,
local plays, the outbox and refusals), and metadata and watched import each other otherwise.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def update_show_counts(conn: sqlite3.Connection, show_ids: Any) -> None:
    """Recompute completed (and, without Trakt's figure, aired) counts for ``show_ids``."""
    for show_id in show_ids:
        conn.execute(
            "UPDATE shows SET completed_episodes = ("
            " SELECT COUNT(*) FROM episodes e WHERE e.show_id = shows.trakt_id AND e.season > 0"
            " AND e.plays > 0 AND (shows.reset_at IS NULL OR e.last_watched_at > shows.reset_at)"
            ") WHERE trakt_id = ?",
            (show_id,),
        )
