"""What a queued outbox change does to the mirror, and the mirror's state before it.

``outbox.queue_in_transaction`` applies a change here as it queues it, and
``outbox.reapply_pending`` applies it again on top of a unit a pull has just replaced.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

from .outbox_rows import (
    HIDDEN_SECTION,
    HIDE,
    LIST_ADD,
    LIST_KINDS,
    RATING_KINDS,
    REMOVE_PLAYBACK,
    UNWATCH,
    WATCH,
    WATCHLIST_ADD,
    WATCHLIST_REMOVE,
    LocalAction,
)
from .plays import PlayedItem, add_play
from .show_counts import update_show_counts


def before_state(conn: sqlite3.Connection, action: LocalAction) -> Dict[str, Any]:
    """The mirror's state of the item before the change (what the last sync saw)."""
    if action.kind in (WATCH, UNWATCH):
        if action.media_type == "movie":
            row = conn.execute(
                "SELECT plays FROM movies WHERE trakt_id = ?", (action.trakt_id,)
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT plays FROM episodes WHERE show_id = ? AND season = ? AND number = ?",
                (action.show_id, action.season, action.number),
            ).fetchone()
        return {"before_plays": int(row[0]) if row and row[0] else 0}
    if action.kind == WATCHLIST_REMOVE:
        row = conn.execute(
            "SELECT listed_at FROM watchlist WHERE media_type = ? AND trakt_id = ?",
            (action.media_type, action.trakt_id),
        ).fetchone()
        return {"before_listed_at": row[0] if row else None}
    if action.kind in RATING_KINDS:
        from .ratings import current_rating

        return {"before_rating": current_rating(conn, action)}
    if action.kind == REMOVE_PLAYBACK:
        where, params = bookmark_where(action)
        select = "SELECT playback_id FROM bookmarks WHERE " + where  # noqa: S608 - fixed text
        found = conn.execute(select, params).fetchall()
        return {"playback_ids": sorted(int(r[0]) for r in found if int(r[0]) > 0)}
    return {}


def bookmark_where(action: LocalAction) -> Any:
    if action.media_type == "movie":
        return "media_type = 'movie' AND trakt_id = ?", (action.trakt_id,)
    where = "media_type = 'episode' AND ((show_id = ? AND season = ? AND number = ?)"
    params: List[Any] = [action.show_id, action.season, action.number]
    if action.trakt_id is not None:
        where += " OR trakt_id = ?"
        params.append(action.trakt_id)
    return where + ")", tuple(params)


def _plays(conn: sqlite3.Connection, action: LocalAction) -> int:
    where = (action.trakt_id, action.show_id, action.season, action.number)
    state = before_state(conn, LocalAction(WATCH, action.media_type, *where))
    return int(state["before_plays"])


def apply_action(conn: sqlite3.Connection, action: LocalAction, stamp: str, overlay: bool) -> None:
    """The change's effect on the mirror. ``overlay``: re-applied after a pull replaced the
    unit (a queued play then only makes sure the item counts as watched)."""
    kind = action.kind
    if kind == WATCH:
        if overlay and _plays(conn, action) > 0:
            return
        where = {"show_id": action.show_id, "season": action.season, "number": action.number}
        add_play(conn, PlayedItem(action.media_type, trakt_id=action.trakt_id, **where), stamp)
    elif kind == UNWATCH:
        _unwatch(conn, action)
    elif kind == WATCHLIST_ADD:
        _watchlist_add(conn, action, stamp)
    elif kind == WATCHLIST_REMOVE:
        conn.execute(
            "DELETE FROM watchlist WHERE media_type = ? AND trakt_id = ?",
            (action.media_type, action.trakt_id),
        )
    elif kind == HIDE:
        show = conn.execute(
            "SELECT slug, title, year FROM shows WHERE trakt_id = ?", (action.trakt_id,)
        ).fetchone()
        conn.execute(
            "INSERT OR IGNORE INTO hidden (section, media_type, trakt_id, hidden_at, slug, title, "
            "year) VALUES (?, 'show', ?, ?, ?, ?, ?)",
            (HIDDEN_SECTION, action.trakt_id, stamp) + (tuple(show) if show else (None,) * 3),
        )
    elif kind == REMOVE_PLAYBACK:
        where, params = bookmark_where(action)
        conn.execute("DELETE FROM bookmarks WHERE " + where, params)  # noqa: S608 - fixed text
    elif kind in RATING_KINDS:
        from . import ratings

        ratings.apply(conn, action, stamp)
    elif kind in LIST_KINDS:
        from .lists import apply_change

        list_id, trakt_id = int(action.list_id or 0), int(action.trakt_id or 0)
        apply_change(conn, kind == LIST_ADD, list_id, action.media_type, trakt_id, stamp)


def _unwatch(conn: sqlite3.Connection, action: LocalAction) -> None:
    if action.media_type == "movie":
        conn.execute(
            "UPDATE movies SET plays = 0, last_watched_at = NULL WHERE trakt_id = ?",
            (action.trakt_id,),
        )
        return
    removed = conn.execute(
        "SELECT plays FROM episodes WHERE show_id = ? AND season = ? AND number = ?",
        (action.show_id, action.season, action.number),
    ).fetchone()
    conn.execute(
        "UPDATE episodes SET plays = 0, last_watched_at = NULL "
        "WHERE show_id = ? AND season = ? AND number = ?",
        (action.show_id, action.season, action.number),
    )
    if removed and removed[0]:
        conn.execute(
            "UPDATE shows SET plays = MAX(0, plays - ?) WHERE trakt_id = ?",
            (int(removed[0]), action.show_id),
        )
    update_show_counts(conn, [action.show_id])


def _watchlist_add(conn: sqlite3.Connection, action: LocalAction, stamp: str) -> None:
    if action.media_type == "movie":
        info = conn.execute(
            "SELECT slug, imdb_id, tmdb_id, NULL, title, year FROM movies WHERE trakt_id = ? "
            "UNION ALL SELECT slug, imdb_id, tmdb_id, NULL, title, year FROM bookmarks "
            "WHERE media_type = 'movie' AND trakt_id = ? LIMIT 1",
            (action.trakt_id, action.trakt_id),
        ).fetchone()
    else:
        info = conn.execute(
            "SELECT slug, imdb_id, tmdb_id, tvdb_id, title, year FROM shows WHERE trakt_id = ?",
            (action.trakt_id,),
        ).fetchone()
    if info is None:  # not in the mirror (a catalog or search item): the action's own label
        info = (None, action.imdb_id, None, None, action.title, action.year)
    conn.execute(
        "INSERT OR IGNORE INTO watchlist (media_type, trakt_id, listed_at, slug, imdb_id, "
        "tmdb_id, tvdb_id, title, year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (action.media_type, action.trakt_id, stamp) + tuple(info),
    )
