"""One play of a movie or episode applied to the mirror, shared by the player and the outbox.

``local_changes.record_stop`` (a watched stop) and ``outbox_mirror`` (a queued ``watch``) both
add plays the same way: the item's play count and ``last_watched_at``, the show's counts, and
its resume points removed. Kept here so neither of those modules imports the other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from .show_counts import update_show_counts


@dataclass(frozen=True)
class PlayedItem:
    """The movie or episode that was played, by Trakt ids.

    A movie needs ``trakt_id``; an episode needs ``show_id``, ``season`` and ``number`` (its
    own ``trakt_id`` is optional: the mirror keys episodes by show and numbers).
    """

    kind: str
    trakt_id: Optional[int] = None
    show_id: Optional[int] = None
    season: Optional[int] = None
    number: Optional[int] = None
    imdb_id: Optional[str] = None
    tmdb_id: Optional[int] = None
    title: Optional[str] = None

    @property
    def usable(self) -> bool:
        if self.kind == "movie":
            return self.trakt_id is not None
        if self.kind == "episode":
            return None not in (self.show_id, self.season, self.number)
        return False


@dataclass
class LocalChange:
    """What :func:`record_stop` did (for logs and tests)."""

    action: str = "none"  # "watched" | "bookmark" | "none"
    bookmarks_removed: int = 0
    playback_id: Optional[int] = None
    queued: bool = False  # the play was also queued in the outbox for Trakt


def add_play(conn: sqlite3.Connection, item: PlayedItem, stamp: str) -> LocalChange:
    """One play at ``stamp`` (ISO), inside the caller's write transaction (see ``outbox``)."""
    return mark_watched(conn, item, stamp)


def bookmark_match(item: PlayedItem) -> Tuple[str, Dict[str, Any]]:
    """The WHERE fragment and its parameters that find ``item``'s bookmarks ("" for none)."""
    if item.kind == "movie" and item.trakt_id is not None:
        return "media_type = 'movie' AND trakt_id = :trakt", {"trakt": item.trakt_id}
    if item.kind == "episode" and item.usable:
        where = "media_type = 'episode' AND ((show_id = :show AND season = :season AND " \
            "number = :number)"  # fmt: skip
        params: Dict[str, Any] = {"show": item.show_id, "season": item.season,
                                  "number": item.number}  # fmt: skip
        if item.trakt_id is not None:
            where += " OR trakt_id = :trakt"
            params["trakt"] = item.trakt_id
        return where + ")", params
    return "", {}


def _remove_bookmarks(conn: sqlite3.Connection, item: PlayedItem) -> int:
    where, params = bookmark_match(item)
    return conn.execute("DELETE FROM bookmarks WHERE " + where, params).rowcount  # noqa: S608


def mark_watched(conn: sqlite3.Connection, item: PlayedItem, stamp: str) -> LocalChange:
    if item.kind == "movie":
        updated = conn.execute(
            "UPDATE movies SET plays = plays + 1, last_watched_at = MAX(COALESCE("
            "last_watched_at, ''), ?), last_updated_at = ? WHERE trakt_id = ?",
            (stamp, stamp, item.trakt_id),
        ).rowcount
        if not updated:
            conn.execute(
                "INSERT INTO movies (trakt_id, imdb_id, tmdb_id, title, plays, last_watched_at, "
                "last_updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
                (item.trakt_id, item.imdb_id, item.tmdb_id, item.title, stamp, stamp),
            )
    else:
        updated = conn.execute(
            "UPDATE shows SET plays = plays + 1, last_watched_at = MAX(COALESCE("
            "last_watched_at, ''), ?), last_updated_at = ? WHERE trakt_id = ?",
            (stamp, stamp, item.show_id),
        ).rowcount
        if not updated:
            # A show watched for the first time: the next sync fills in its details.
            conn.execute(
                "INSERT INTO shows (trakt_id, plays, last_watched_at, last_updated_at) "
                "VALUES (?, 1, ?, ?)",
                (item.show_id, stamp, stamp),
            )
        conn.execute(
            "INSERT INTO episodes (show_id, season, number, trakt_id, plays, last_watched_at) "
            "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (show_id, season, number) DO UPDATE SET "
            "plays = plays + 1, last_watched_at = MAX(COALESCE(last_watched_at, ''), "
            "excluded.last_watched_at), trakt_id = COALESCE(trakt_id, excluded.trakt_id)",
            (item.show_id, item.season, item.number, item.trakt_id, stamp),
        )
        update_show_counts(conn, [item.show_id])
    return LocalChange("watched", bookmarks_removed=_remove_bookmarks(conn, item))


__all__ = ["LocalChange", "PlayedItem", "add_play", "bookmark_match", "mark_watched"]
