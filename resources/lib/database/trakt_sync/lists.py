"""The user's Trakt lists: personal lists and liked lists, with their items.

Two sync units, each with its own cursor from ``/sync/last_activities``:

* ``lists_personal`` (``lists.updated_at``): ``GET /users/me/lists`` (one request: Trakt does not
  page it), then ``GET /users/me/lists/{id}/items`` (paged) for every list whose ``updated_at``
  differs from the one its stored items were fetched at;
* ``lists_liked`` (``lists.liked_at``): ``GET /users/likes/lists`` (paged), then the items of each
  liked list that changed, from its owner (``/users/{owner}/lists/{id}/items``). An owner's edit
  does not move *our* activities, so the engine also refreshes this unit once a day.

So a sync in which nothing moved asks for nothing here, and one list edited costs two requests.
A list's items are written in the unit's one transaction together with the list rows and the
cursor. Reads (:func:`lists`, :func:`list_items`) and the mirror side of the outbox kinds
``list_add`` / ``list_remove`` (:func:`apply_change`, :func:`undo_add`) live here too.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List, Optional, Tuple

from .context import SyncContext, Unit
from .items import MalformedItem, as_dict, as_int, as_str, iso_time, listed_entry
from .store import Changes, add_changes, no_changes

PERSONAL = "personal"
LIKED = "liked"
KINDS = (PERSONAL, LIKED)
PERSONAL_PATH = "/users/me/lists"
LIKED_PATH = "/users/likes/lists"
_LIST_COLUMNS = tuple(
    "kind list_id name slug description privacy item_count updated_at liked_at owner owner_slug"
    " position items_updated_at".split()
)
# The columns of a list that count as a change, in the order ``replace_lists`` selects them.
_COMPARED = ("name", "slug", "item_count", "updated_at", "liked_at", "position", "items_updated_at")
_ITEM_COLUMNS = tuple(
    "list_id media_type trakt_id entry_id rank listed_at notes slug imdb_id tmdb_id tvdb_id"
    " title year show_id show_title season number".split()
)


def items_path(owner_slug: str, list_id: int) -> str:
    return "/users/%s/lists/%d/items" % (owner_slug, list_id)


def parse_list(raw: Any, kind: str, position: int, liked_at: Any = None) -> Dict[str, Any]:
    """A list row from Trakt's list object."""
    raw = as_dict(raw)
    ids = as_dict(raw.get("ids"))
    list_id = as_int(ids.get("trakt"))
    if list_id is None:
        raise MalformedItem("list without a Trakt id")
    user = as_dict(raw.get("user"))
    return {
        "kind": kind,
        "list_id": list_id,
        "name": as_str(raw.get("name")) or as_str(ids.get("slug")) or str(list_id),
        "slug": as_str(ids.get("slug")),
        "description": as_str(raw.get("description")),
        "privacy": as_str(raw.get("privacy")),
        "item_count": as_int(raw.get("item_count")) or 0,
        "updated_at": iso_time(raw.get("updated_at")),
        "liked_at": iso_time(liked_at),
        "owner": as_str(user.get("username")),
        "owner_slug": as_str(as_dict(user.get("ids")).get("slug")) or as_str(user.get("username")),
        "position": position,
        "items_updated_at": None,
    }


def parse_list_item(list_id: int, item: Any) -> Dict[str, Any]:
    """A ``trakt_list_items`` row from one entry of a list's items."""
    row = listed_entry(item, "list")
    row["list_id"] = list_id
    return row


def _stored_stamps(conn: Optional[sqlite3.Connection], kind: str) -> Dict[int, Optional[str]]:
    """list id -> the ``updated_at`` its stored items were fetched at."""
    if conn is None:
        return {}
    found = conn.execute(
        "SELECT list_id, items_updated_at FROM trakt_lists WHERE kind = ?", (kind,)
    ).fetchall()
    return {int(row[0]): row[1] for row in found}


class _ListsUnit(Unit):
    kind = PERSONAL

    def summaries(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        raise NotImplementedError

    def fetch(self, ctx: SyncContext) -> Dict[str, Any]:
        """``{"lists": [rows], "items": {list id: [rows]}}``; items only for changed lists."""
        rows = self.summaries(ctx)
        stored = _stored_stamps(getattr(ctx, "conn", None), self.kind)
        items: Dict[int, List[Dict[str, Any]]] = {}
        for row in rows:
            list_id = row["list_id"]
            if list_id in stored and stored[list_id] == row["updated_at"]:
                continue  # unchanged since its items were fetched
            path = items_path(row["owner_slug"] or "me", list_id)
            if self.kind == PERSONAL:
                path = items_path("me", list_id)
            items[list_id] = ctx.parse_all(
                self.name, ctx.fetch_pages(path), lambda raw, lid=list_id: parse_list_item(lid, raw)
            )
        return {"lists": rows, "items": items}

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        return replace_lists(conn, self.kind, data["lists"], data["items"])


class PersonalLists(_ListsUnit):
    name = "lists_personal"
    category = "lists"
    kind = PERSONAL
    path = PERSONAL_PATH
    activity_keys = (("lists", "updated_at"),)

    def summaries(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        ctx.check_abort()
        answer = ctx.client.get(PERSONAL_PATH)
        raw_lists = answer if isinstance(answer, list) else []
        return ctx.parse_all(
            self.name, list(enumerate(raw_lists)), lambda p: parse_list(p[1], PERSONAL, p[0])
        )


class LikedLists(_ListsUnit):
    name = "lists_liked"
    category = "lists"
    kind = LIKED
    path = LIKED_PATH
    activity_keys = (("lists", "liked_at"),)

    def summaries(self, ctx: SyncContext) -> List[Dict[str, Any]]:
        liked = [(n, as_dict(entry)) for n, entry in enumerate(ctx.fetch_pages(LIKED_PATH))]
        return ctx.parse_all(
            self.name,
            liked,
            lambda p: parse_list(p[1].get("list"), LIKED, p[0], p[1].get("liked_at")),
        )


def replace_lists(
    conn: sqlite3.Connection,
    kind: str,
    rows: List[Dict[str, Any]],
    items: Dict[int, List[Dict[str, Any]]],
) -> Changes:
    """Inside a transaction: the ``kind`` lists become ``rows``; lists in ``items`` get those
    items; lists gone lose their items (unless the other kind still holds the list)."""
    changes = no_changes()
    current = {
        int(r[0]): tuple(r[1:])
        for r in conn.execute(
            "SELECT list_id, name, slug, item_count, updated_at, liked_at, position, "
            "items_updated_at FROM trakt_lists WHERE kind = ?",
            (kind,),
        ).fetchall()
    }
    wanted = {row["list_id"]: row for row in rows}
    for list_id in current:
        if list_id not in wanted:
            conn.execute("DELETE FROM trakt_lists WHERE kind = ? AND list_id = ?", (kind, list_id))
            still = conn.execute(
                "SELECT 1 FROM trakt_lists WHERE list_id = ?", (list_id,)
            ).fetchone()
            if still is None:
                conn.execute("DELETE FROM trakt_list_items WHERE list_id = ?", (list_id,))
            changes["removed"] += 1
    for list_id, row in wanted.items():
        row = dict(row)
        old = current.get(list_id)
        kept = old[6] if old else None  # items not fetched now: as new as before
        row["items_updated_at"] = row["updated_at"] if list_id in items else kept
        conn.execute(
            "INSERT OR REPLACE INTO trakt_lists (%s) VALUES (%s)"  # noqa: S608 - fixed names
            % (", ".join(_LIST_COLUMNS), ", ".join("?" for _ in _LIST_COLUMNS)),
            tuple(row[c] for c in _LIST_COLUMNS),
        )
        new = tuple(row[c] for c in _COMPARED)
        if old is None:
            changes["added"] += 1
        elif old != new:
            changes["changed"] += 1
    for list_id, list_rows in items.items():
        add_changes(changes, _replace_items(conn, list_id, list_rows))
    return changes


def _replace_items(conn: sqlite3.Connection, list_id: int, rows: List[Dict[str, Any]]) -> Changes:
    before = {
        (r[0], int(r[1])): tuple(r[2:])
        for r in conn.execute(
            "SELECT media_type, trakt_id, rank, listed_at FROM trakt_list_items WHERE list_id = ?",
            (list_id,),
        ).fetchall()
    }
    conn.execute("DELETE FROM trakt_list_items WHERE list_id = ?", (list_id,))
    conn.executemany(
        "INSERT OR REPLACE INTO trakt_list_items (%s) VALUES (%s)"  # noqa: S608 - fixed names
        % (", ".join(_ITEM_COLUMNS), ", ".join("?" for _ in _ITEM_COLUMNS)),
        [tuple(row.get(c) for c in _ITEM_COLUMNS) for row in rows],
    )
    after = {(row["media_type"], row["trakt_id"]): (row["rank"], row["listed_at"]) for row in rows}
    return {
        "added": len([k for k in after if k not in before]),
        "changed": len([k for k in after if k in before and before[k] != after[k]]),
        "removed": len([k for k in before if k not in after]),
    }


# -- reads ---------------------------------------------------------------------------------------


def lists(conn: sqlite3.Connection, kind: str = PERSONAL) -> List[Dict[str, Any]]:
    """The lists of ``kind`` in Trakt's order: ``{list_id, name, slug, item_count, updated_at,
    kind, owner, owner_slug, liked_at, privacy, description}``."""
    if kind not in KINDS:
        raise ValueError("kind must be one of %s" % (KINDS,))
    cursor = conn.execute(
        "SELECT list_id, name, slug, item_count, updated_at, kind, owner, owner_slug, liked_at, "
        "privacy, description FROM trakt_lists WHERE kind = ? ORDER BY position, name",
        (kind,),
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def list_items(conn: sqlite3.Connection, list_id: int) -> List[Dict[str, Any]]:
    """The items of one list in rank order, shaped like watchlist rows (``type`` and
    ``media_type``, ``imdb_id`` and ``imdb``, ``plays`` of a movie from the mirror)."""
    cursor = conn.execute(
        "SELECT i.media_type, i.media_type AS type, i.trakt_id, i.title, i.year, i.slug, "
        "i.imdb_id, i.imdb_id AS imdb, i.tmdb_id, i.tvdb_id, i.rank, i.listed_at, i.notes, "
        "i.list_id, i.entry_id, i.show_id AS show_trakt_id, i.show_title, i.season, i.number, "
        "CASE WHEN i.media_type = 'movie' THEN COALESCE(m.plays, 0) ELSE 0 END AS plays "
        "FROM trakt_list_items i LEFT JOIN movies m ON i.media_type = 'movie' "
        "AND m.trakt_id = i.trakt_id WHERE i.list_id = ? "
        "ORDER BY i.rank IS NULL, i.rank, i.listed_at",
        (int(list_id),),
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# -- mirror side of the outbox kinds list_add / list_remove --------------------------------------


def _item_info(conn: sqlite3.Connection, media_type: str, item_id: int) -> Tuple[Any, ...]:
    """(slug, imdb, tmdb, tvdb, title, year) of an item from anywhere in the mirror."""
    table = "movies" if media_type == "movie" else "shows"
    tvdb = "NULL" if media_type == "movie" else "tvdb_id"
    found = conn.execute(
        "SELECT slug, imdb_id, tmdb_id, %s, title, year FROM %s WHERE trakt_id = ?"  # noqa: S608
        % (tvdb, table),
        (item_id,),
    ).fetchone()
    if found is None:
        found = conn.execute(
            "SELECT slug, imdb_id, tmdb_id, tvdb_id, title, year FROM watchlist "
            "WHERE media_type = ? AND trakt_id = ? UNION ALL "
            "SELECT slug, imdb_id, tmdb_id, tvdb_id, title, year FROM trakt_list_items "
            "WHERE media_type = ? AND trakt_id = ? LIMIT 1",
            (media_type, item_id, media_type, item_id),
        ).fetchone()
    return tuple(found) if found else (None,) * 6


def apply_change(
    conn: sqlite3.Connection, add: bool, list_id: int, media_type: str, item_id: int, stamp: str
) -> None:
    """Inside the caller's transaction: put the item on (or take it off) the list."""
    present = conn.execute(
        "SELECT 1 FROM trakt_list_items WHERE list_id = ? AND media_type = ? AND trakt_id = ?",
        (list_id, media_type, item_id),
    ).fetchone()
    if add and present is None:
        rank = conn.execute(
            "SELECT COALESCE(MAX(rank), 0) + 1 FROM trakt_list_items WHERE list_id = ?",
            (list_id,),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO trakt_list_items (list_id, media_type, trakt_id, rank, listed_at, slug, "
            "imdb_id, tmdb_id, tvdb_id, title, year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (list_id, media_type, item_id, rank, stamp) + _item_info(conn, media_type, item_id),
        )
        conn.execute(
            "UPDATE trakt_lists SET item_count = item_count + 1 WHERE list_id = ?", (list_id,)
        )
    elif not add and present is not None:
        conn.execute(
            "DELETE FROM trakt_list_items WHERE list_id = ? AND media_type = ? AND trakt_id = ?",
            (list_id, media_type, item_id),
        )
        conn.execute(
            "UPDATE trakt_lists SET item_count = MAX(0, item_count - 1) WHERE list_id = ?",
            (list_id,),
        )


def is_personal(conn: sqlite3.Connection, list_id: int) -> bool:
    found = conn.execute(
        "SELECT 1 FROM trakt_lists WHERE kind = ? AND list_id = ?", (PERSONAL, list_id)
    ).fetchone()
    return found is not None


__all__ = [
    "KINDS",
    "LIKED",
    "PERSONAL",
    "LikedLists",
    "PersonalLists",
    "apply_change",
    "list_items",
    "lists",
    "replace_lists",
]
