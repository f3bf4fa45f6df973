"""Personal lists, other users' lists and the user's liked lists, for the sandbox.

Trakt's rules that matter to a mirror:

* a change to one of the user's own lists (created, renamed, item added or removed) moves
  ``lists.updated_at`` in ``/sync/last_activities`` and the list's own ``updated_at``;
* liking or unliking a list moves ``lists.liked_at``;
* a change that the *owner* of a liked list makes moves only that list's ``updated_at``: the
  user's activities stay where they are (a mirror finds it by its periodic refresh);
* a free account may hold :data:`FREE_LIST_ITEMS` items per list: one more answers 420 with
  ``X-Account-Limit`` (VIP: :data:`VIP_LIST_ITEMS`).

The object lives on the :class:`state.State` it belongs to (:func:`of`), so a switched account
starts without lists. Callers hold the sandbox lock.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from .state import kind_of

FREE_LIST_ITEMS = 100
VIP_LIST_ITEMS = 5000
FREE_LISTS = 2
FIRST_LIST_ID = 9_000_001


class ListEntry:
    __slots__ = ("id", "item", "listed_at")

    def __init__(self, eid: int, item: Any, listed_at: int) -> None:
        self.id, self.item, self.listed_at = eid, item, listed_at


class TraktList:
    """One list: its owner (a user document), items in rank order and its timestamps."""

    def __init__(self, lid: int, name: str, owner: Dict[str, Any], created_at: int) -> None:
        self.id = lid
        self.name = name
        self.slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "list"
        self.owner = owner
        self.created_at = created_at
        self.updated_at = created_at
        self.entries: List[ListEntry] = []

    def has(self, item: Any) -> bool:
        return any(entry.item is item for entry in self.entries)


class UserLists:
    """The lists part of one account."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.own: Dict[int, TraktList] = {}
        self.others: Dict[int, TraktList] = {}
        self.liked: Dict[int, int] = {}  # list id -> liked_at
        self._next_id = FIRST_LIST_ID
        self._next_entry = 1
        self.page_limit = 250  # largest page of items / likes (``list_page_limit``)
        self.free_item_limit = FREE_LIST_ITEMS  # ``list_item_limit`` lowers it for small catalogs

    # -- lookups --------------------------------------------------------------------------
    def find(self, ref: Any) -> Optional[TraktList]:
        """A list by Trakt id or slug (own lists first)."""
        for table in (self.own, self.others):
            for found in table.values():
                if str(found.id) == str(ref) or found.slug == str(ref):
                    return found
        return None

    def item_limit(self) -> int:
        return VIP_LIST_ITEMS if self.state.user.get("vip") else self.free_item_limit

    # -- mutations --------------------------------------------------------------------------
    def _new(self, name: str, owner: Dict[str, Any], stamp: int) -> TraktList:
        created = TraktList(self._next_id, name, owner, stamp)
        self._next_id += 1
        return created

    def create(self, name: str) -> TraktList:
        stamp = self.state.touch("lists.updated_at")
        created = self._new(name, self.state.user, stamp)
        self.own[created.id] = created
        return created

    def create_foreign(self, name: str, username: str) -> TraktList:
        """Another user's public list (no activity of ours moves)."""
        owner = {"username": username, "slug": username.lower(), "name": username, "vip": False}
        created = self._new(name, owner, self.state.clock.tick())
        self.others[created.id] = created
        return created

    def add(self, target: TraktList, items: Iterable[Any]) -> Dict[str, int]:
        """Append the items not on ``target`` yet; counts by kind (``{"movies": 1, ...}``)."""
        added: Dict[str, int] = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
        todo = [item for item in items if not target.has(item)]
        if not todo:
            return added
        stamp = self._touch(target)
        for item in todo:
            target.entries.append(ListEntry(self._next_entry, item, stamp))
            self._next_entry += 1
            added[kind_of(item) + "s"] += 1
        return added

    def remove(self, target: TraktList, items: Iterable[Any]) -> Dict[str, int]:
        deleted: Dict[str, int] = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
        wanted = [item for item in items if target.has(item)]
        if not wanted:
            return deleted
        self._touch(target)
        target.entries = [e for e in target.entries if all(e.item is not w for w in wanted)]
        for item in wanted:
            deleted[kind_of(item) + "s"] += 1
        return deleted

    def _touch(self, target: TraktList) -> int:
        if target.id in self.own:
            stamp = self.state.touch("lists.updated_at")
        else:
            stamp = self.state.clock.tick()
        target.updated_at = stamp
        return stamp

    def like(self, target: TraktList) -> int:
        stamp = self.state.touch("lists.liked_at")
        self.liked[target.id] = stamp
        return stamp

    def unlike(self, target: TraktList) -> bool:
        if self.liked.pop(target.id, None) is None:
            return False
        self.state.touch("lists.liked_at")
        return True

    def liked_lists(self) -> List[Any]:
        """``[(liked_at, list)]`` newest like first."""
        found = [(stamp, self.find(lid)) for lid, stamp in self.liked.items()]
        return sorted(((s, t) for s, t in found if t is not None), key=lambda p: -p[0])


def of(state: Any) -> UserLists:
    """The lists of ``state``'s account (created on first use)."""
    lists = state.__dict__.get("_user_lists")
    if lists is None:
        lists = state.__dict__["_user_lists"] = UserLists(state)
    return lists


__all__ = ["FREE_LISTS", "FREE_LIST_ITEMS", "ListEntry", "TraktList", "UserLists", "of"]
