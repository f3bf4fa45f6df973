"""The user's own ratings (1-10): the outbox kinds ``rate`` / ``unrate`` and the list reads.

The ``ratings`` table is keyed by (media_type, trakt_id) and holds ``show_id``, ``season`` and
``number`` for episodes, so an episode is found by either. A rating queued for an episode whose
own Trakt id the mirror does not know is stored under the negative key of its numbers
(``items.episode_key``, like the collection's episodes); the next pull of the unit replaces it
with Trakt's row.

Coalescing (only rows never sent, ``state = 'pending'``): a newer rating of an item replaces an
older queued one, and the new row keeps the rating Trakt had before the first of them
(``before_rating``, what a 420 restores). A change that ends where Trakt already is (rating an
item unrated on Trakt and then removing it, or going back to Trakt's own rating) queues nothing.

Reads: :func:`ratings_for` gives the ratings of one list page in ONE query.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .items import as_int, episode_key
from .outbox_rows import PENDING, RATE, UNRATE, LocalAction

RATINGS_PATH = "/sync/ratings"
REMOVE_PATH = "/sync/ratings/remove"
_CHUNK = 400

# (media_type, trakt_id, show_id, season, number): how a list row names its item.
RatingKey = Tuple[str, Optional[int], Optional[int], Optional[int], Optional[int]]


def _episode_id(conn: sqlite3.Connection, action: LocalAction) -> Optional[int]:
    """The episode's Trakt id: the action's, the mirror's metadata, or the negative key of its
    numbers (None: numbers beyond that key's range)."""
    if action.trakt_id:
        return int(action.trakt_id)
    found = conn.execute(
        "SELECT trakt_id FROM episodes WHERE show_id = ? AND season = ? AND number = ? "
        "AND trakt_id IS NOT NULL",
        (action.show_id, action.season, action.number),
    ).fetchone()
    if found:
        return int(found[0])
    return episode_key(action.show_id, action.season, action.number)


def _where(action: LocalAction) -> Tuple[str, Tuple[Any, ...]]:
    if action.media_type == "episode":
        where = "media_type = 'episode' AND ((show_id = ? AND season = ? AND number = ?)"
        params: Tuple[Any, ...] = (action.show_id, action.season, action.number)
        if action.trakt_id:
            return where + " OR trakt_id = ?)", params + (action.trakt_id,)
        return where + ")", params
    return "media_type = ? AND trakt_id = ?", (action.media_type, action.trakt_id)


def current_rating(conn: sqlite3.Connection, action: LocalAction) -> Optional[int]:
    where, params = _where(action)
    select = "SELECT rating FROM ratings WHERE " + where  # noqa: S608 - fixed text
    found = conn.execute(select, params).fetchone()
    return int(found[0]) if found else None


def set_rating(
    conn: sqlite3.Connection, action: LocalAction, rating: Optional[int], stamp: Optional[str]
) -> None:
    """Put ``rating`` (None: no rating) on the item in the mirror."""
    where, params = _where(action)
    conn.execute("DELETE FROM ratings WHERE " + where, params)  # noqa: S608 - fixed text
    if rating is None:
        return
    if action.media_type == "episode":
        trakt_id = _episode_id(conn, action)
        if trakt_id is None:
            return  # no key to keep it under: Trakt still gets it, the next pull shows it
        title = conn.execute(
            "SELECT title FROM shows WHERE trakt_id = ?", (action.show_id,)
        ).fetchone()
    else:
        trakt_id = int(action.trakt_id or 0)
        table = "movies" if action.media_type == "movie" else "shows"
        select = "SELECT title FROM " + table + " WHERE trakt_id = ?"  # noqa: S608 - fixed names
        title = conn.execute(select, (trakt_id,)).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO ratings (media_type, trakt_id, rating, rated_at, title, year, "
        "show_id, season, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            action.media_type,
            trakt_id,
            int(rating),
            stamp,
            title[0] if title else action.title,
            action.year,
            action.show_id,
            action.season,
            action.number,
        ),
    )


def apply(conn: sqlite3.Connection, action: LocalAction, stamp: str) -> None:
    """A ``rate`` / ``unrate`` on the mirror (queued, or re-applied after a pull)."""
    set_rating(conn, action, action.rating if action.kind == RATE else None, stamp)


def coalesce(conn: sqlite3.Connection, action: LocalAction, payload: Dict[str, Any]) -> bool:
    """Inside the queueing transaction, after the change was applied: drop the item's queued,
    never-sent ratings (this one is newer). ``payload`` gets the rating Trakt had before the
    first of them. False: the net change is nothing, queue no row."""
    queued = conn.execute(
        "SELECT id, payload FROM outbox WHERE item_key = ? AND state = ? ORDER BY id",
        (action.item_key, PENDING),
    ).fetchall()
    if queued:
        try:
            first = json.loads(queued[0][1])
        except (TypeError, ValueError):
            first = {}
        if isinstance(first, dict) and "before_rating" in first:
            payload["before_rating"] = first.get("before_rating")
        conn.executemany("DELETE FROM outbox WHERE id = ?", [(row[0],) for row in queued])
        trakt_has = payload.get("before_rating")
        wanted = action.rating if action.kind == RATE else None
        if trakt_has == wanted:
            return False
    return True


def undo(conn: sqlite3.Connection, action: LocalAction, payload: Dict[str, Any]) -> None:
    """A refused ``rate``: the mirror goes back to the rating Trakt has."""
    before = payload.get("before_rating")
    set_rating(conn, action, int(before) if isinstance(before, int) else None, None)


def body(action: LocalAction, rated_at: str) -> Tuple[str, Dict[str, Any]]:
    """(path, body) of the Trakt write: ``POST /sync/ratings`` with ``rating`` and
    ``rated_at``, or ``POST /sync/ratings/remove``. An episode is named by its own Trakt id when
    known, else by show, season and number."""
    extra: Dict[str, Any] = {}
    path = REMOVE_PATH
    if action.kind == RATE:
        extra = {"rating": action.rating, "rated_at": rated_at}
        path = RATINGS_PATH
    if action.media_type == "movie":
        return path, {"movies": [dict({"ids": {"trakt": action.trakt_id}}, **extra)]}
    if action.media_type == "show":
        return path, {"shows": [dict({"ids": {"trakt": action.trakt_id}}, **extra)]}
    if action.trakt_id:
        return path, {"episodes": [dict({"ids": {"trakt": action.trakt_id}}, **extra)]}
    episode = dict({"number": action.number}, **extra)
    season = {"number": action.season, "episodes": [episode]}
    return path, {"shows": [{"ids": {"trakt": action.show_id}, "seasons": [season]}]}


# -- reads ---------------------------------------------------------------------------------------


_Named = Tuple[str, Optional[int], Optional[int], Optional[Tuple[int, int, int]]]


def _named(key: RatingKey) -> _Named:
    """(media_type, own Trakt id, episode key, (show, season, number)) of a list row's key. A
    negative id is no Trakt id (a collection row's own key): such an episode is named by numbers."""
    media_type, trakt_id, show_id, season, number = key
    own = as_int(trakt_id)
    own = own if own is not None and own > 0 else None
    if media_type != "episode":
        return media_type, own, None, None
    derived = episode_key(show_id, season, number)
    if derived is None:
        return media_type, own, None, None
    return media_type, own, derived, (int(show_id), int(season), int(number))


def ratings_for(conn: sqlite3.Connection, keys: Sequence[RatingKey]) -> List[Optional[int]]:
    """The user's rating of each item (None: not rated), in the order of ``keys``.

    One query for a list page (one per 400 ids beyond that), on the table's primary key: items
    match by Trakt id, an episode also by the key of its numbers (``items.episode_key``, the key
    a rating queued before the mirror knew the episode's id is kept under; no two episodes share
    it). Only an episode named without its own Trakt id (a season page's) adds a read by show and
    numbers."""
    named = [_named(key) for key in keys]
    wanted: Dict[int, None] = {}
    for _, own, derived, _ in named:
        for trakt_id in (own, derived):
            if trakt_id is not None:
                wanted[trakt_id] = None
    ids = sorted(wanted)
    found_by_id: Dict[Tuple[str, int], int] = {}
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        select = (
            "SELECT media_type, trakt_id, rating FROM ratings WHERE media_type IN "  # noqa: S608 - placeholders only
            "('movie', 'show', 'season', 'episode') AND trakt_id IN (%s)"
            % ",".join("?" * len(part))
        )
        for media_type, trakt_id, rating in conn.execute(select, part):
            found_by_id[(media_type, int(trakt_id))] = int(rating)
    by_numbers = [numbers for _, own, _, numbers in named if own is None and numbers]
    found_by_numbers = _episodes_by_numbers(conn, by_numbers)
    found: List[Optional[int]] = []
    for media_type, own, derived, numbers in named:
        rating = found_by_id.get((media_type, own)) if own is not None else None
        if rating is None and derived is not None:
            rating = found_by_id.get(("episode", derived))
        if rating is None and own is None and numbers:
            rating = found_by_numbers.get(numbers)
        found.append(rating)
    return found


def _episodes_by_numbers(
    conn: sqlite3.Connection, wanted: Sequence[Tuple[int, int, int]]
) -> Dict[Tuple[int, int, int], int]:
    found: Dict[Tuple[int, int, int], int] = {}
    for show_id in sorted({show for show, _, _ in wanted}):
        for season, number, rating in conn.execute(
            "SELECT season, number, rating FROM ratings WHERE media_type = 'episode' "
            "AND show_id = ? AND season IS NOT NULL AND number IS NOT NULL",
            (show_id,),
        ):
            found[(show_id, int(season), int(number))] = int(rating)
    return found


def last_episode_number(conn: sqlite3.Connection, show_id: int, season: int) -> Optional[int]:
    """The highest episode number of one season in the show's episode list (None: the mirror
    has no list for it). Rows a local play created (``has_metadata`` 0) do not count: without a
    list, every episode played would be the season's last."""
    found = conn.execute(
        "SELECT MAX(number) FROM episodes WHERE show_id = ? AND season = ? AND has_metadata = 1",
        (show_id, season),
    ).fetchone()
    return int(found[0]) if found and found[0] is not None else None


__all__ = ["RATE", "UNRATE", "RatingKey", "apply", "body", "coalesce", "current_rating",
           "last_episode_number", "ratings_for", "set_rating", "undo"]  # fmt: skip
