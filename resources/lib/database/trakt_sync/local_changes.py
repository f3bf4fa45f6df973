"""Local changes to the mirror made by this device's own playback (no network).

When a playback stops, the player monitor scrobbles it to Trakt *and* updates the mirror at
once, so Next Up and In Progress are right before the next sync:

* a stop at >= 80 % is a play: the movie or episode gets one more play at ``watched_at``, the
  show's counts and ``last_watched_at`` follow, its bookmark (resume point) is removed, and so
  Next Up moves on to the following episode;
* a stop between 1 % and 80 % is a pause: the item's bookmark is updated (or created).

A watched stop whose scrobble could not be sent (offline, Trakt down, signed out) is recorded
with ``queue=True``: the same transaction also queues a ``watch`` row (and, if the item had a
resume point, a ``remove_playback`` row) in the ``outbox`` table, with the real ``watched_at``,
and without letting the outbox apply the play a second time. Whichever process syncs next
pushes it, exactly once (``outbox_push`` checks the history for a row left "sending").

The next sync
-------------
The watched units have no delta path (see ``watched.py``): when Trakt's watched cursor moves,
which the scrobble or the queued ``watch`` row makes it do, the next sync fetches the whole
watched set and replaces the local one, which then agrees with the play recorded here. Watched
shows are also fetched in full at least daily (``engine.FULL_REFRESH_SECONDS``), so a play Trakt
never got does not stay. Nothing here touches the sync's cursors or stamps.

A locally created bookmark has a negative ``playback_id`` (Trakt's id is unknown until the next
``/sync/playback`` fetch, whose full replace then swaps it for Trakt's row).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any, Dict, Optional, Tuple

from ..connection import write_transaction
from .items import now_iso
from .outbox import WATCH, LocalAction, queue_in_transaction
from .plays import LocalChange, PlayedItem, add_play, bookmark_match, mark_watched

log = logging.getLogger(__name__)

WATCHED_PERCENT = 80.0
MIN_PERCENT = 1.0


def record_stop(
    conn: sqlite3.Connection,
    item: PlayedItem,
    progress: float,
    watched_at: Optional[float] = None,
    queue: bool = False,
) -> LocalChange:
    """Apply a playback stop at ``progress`` percent to the mirror, in one transaction.

    ``queue``: the stop's scrobble was not delivered; a watched stop is also queued for Trakt
    (see the module docstring). Raises ValueError if it cannot be queued (nothing is applied).
    """
    if not item.usable or progress < MIN_PERCENT:
        return LocalChange()
    if watched_at is None:
        watched_at = time.time()
    stamp = now_iso(watched_at)
    with write_transaction(conn):
        if progress >= WATCHED_PERCENT:
            if queue:
                _queue_play(conn, item, watched_at)
            change = mark_watched(conn, item, stamp)
            change.queued = queue
        else:
            change = _save_bookmark(conn, item, min(100.0, float(progress)), stamp)
    log.info("mirror updated locally: %s %s (%s)", item.kind, change.action, _describe(item))
    return change


def bookmark_progress(conn: sqlite3.Connection, item: PlayedItem) -> Optional[float]:
    """The mirror's saved progress (percent) for ``item``, None without a bookmark."""
    where, params = bookmark_match(item)
    if not where:
        return None
    row = conn.execute(
        "SELECT progress FROM bookmarks WHERE " + where + " ORDER BY paused_at DESC LIMIT 1",  # noqa: S608
        params,
    ).fetchone()
    return float(row[0]) if row else None


# -- internals ---------------------------------------------------------------------------------


def _describe(item: PlayedItem) -> str:
    if item.kind == "movie":
        return f"movie {item.trakt_id}"
    return f"show {item.show_id} {item.season}x{item.number}"


def _queue_play(conn: sqlite3.Connection, item: PlayedItem, watched_at: float) -> None:
    """Queue the play (before the mirror changes: the row records the state the last sync saw);
    the caller applies it to the mirror, once."""
    where = {"show_id": item.show_id, "season": item.season, "number": item.number}
    action = LocalAction(WATCH, item.kind, trakt_id=item.trakt_id, **where)
    queue_in_transaction(conn, action, watched_at, apply=False)


def _save_bookmark(
    conn: sqlite3.Connection, item: PlayedItem, progress: float, stamp: str
) -> LocalChange:
    where, params = bookmark_match(item)
    select = "SELECT playback_id FROM bookmarks WHERE " + where  # noqa: S608 - fixed text
    row = conn.execute(select + " ORDER BY paused_at DESC LIMIT 1", params).fetchone()
    if row is not None:
        conn.execute(
            "UPDATE bookmarks SET progress = ?, paused_at = ? WHERE playback_id = ?",
            (progress, stamp, row[0]),
        )
        return LocalChange("bookmark", playback_id=int(row[0]))
    playback_id = _local_playback_id(conn)
    show: Dict[str, Any] = {}
    episode_trakt = item.trakt_id
    title, year = item.title, None
    if item.kind == "movie":
        title, year = _movie_label(conn, item)
    if item.kind == "episode":
        found = conn.execute(
            "SELECT s.title, s.year, s.imdb_id, s.tmdb_id, s.tvdb_id, e.trakt_id, e.title "
            "FROM shows s LEFT JOIN episodes e ON e.show_id = s.trakt_id AND e.season = ? "
            "AND e.number = ? WHERE s.trakt_id = ?",
            (item.season, item.number, item.show_id),
        ).fetchone()
        if found is not None:
            show = dict(zip(("title", "year", "imdb", "tmdb", "tvdb"), found[:5]))
            episode_trakt = episode_trakt if episode_trakt is not None else found[5]
    trakt_id = episode_trakt if episode_trakt is not None else -(item.show_id or 0)
    conn.execute(
        "INSERT INTO bookmarks (playback_id, media_type, trakt_id, progress, paused_at, imdb_id, "
        "tmdb_id, title, year, show_id, show_title, show_year, show_imdb_id, show_tmdb_id, "
        "show_tvdb_id, season, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (playback_id, item.kind, trakt_id, progress, stamp, item.imdb_id, item.tmdb_id, title)
        + (year, item.show_id)
        + tuple(show.get(key) for key in ("title", "year", "imdb", "tmdb", "tvdb"))
        + (item.season, item.number),
    )
    return LocalChange("bookmark", playback_id=playback_id)


def _movie_label(conn: sqlite3.Connection, item: PlayedItem) -> Tuple[Optional[str], Any]:
    """A first-time movie bookmark's title and year: the mirror's (watched, watchlist or
    collection row), else the title the player handed over. Without one, In Progress showed an
    empty label until the next sync."""
    for table, where in (
        ("movies", "trakt_id = ?"),
        ("watchlist", "media_type = 'movie' AND trakt_id = ?"),
        ("collection", "media_type = 'movie' AND trakt_id = ?"),
    ):
        row = conn.execute(
            "SELECT title, year FROM " + table + " WHERE " + where,  # noqa: S608 - fixed text
            (item.trakt_id,),
        ).fetchone()
        if row is not None and row[0]:
            return row[0], row[1]
    return item.title, None


def _local_playback_id(conn: sqlite3.Connection) -> int:
    lowest = conn.execute("SELECT MIN(playback_id) FROM bookmarks").fetchone()[0]
    return min(-1, int(lowest) - 1) if lowest is not None and lowest < 0 else -1


__all__ = ["LocalChange", "PlayedItem", "add_play", "bookmark_progress", "record_stop"]
