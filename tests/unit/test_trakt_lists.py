"""Trakt lists in the mirror without a server: parsing list and item objects, replacing lists
with per-list item deltas, the reads' shapes, and the list_add / list_remove local actions."""

from __future__ import annotations

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.database.trakt_sync.items import MalformedItem
from resources.lib.database.trakt_sync.lists import parse_list, parse_list_item, replace_lists
from resources.lib.database.trakt_sync.outbox import LocalAction

LIST = {
    "name": "Weekend",
    "ids": {"trakt": 55, "slug": "weekend"},
    "item_count": 2,
    "updated_at": "2026-01-02T03:04:05.000Z",
    "user": {"username": "Me", "ids": {"slug": "me-slug"}},
}
MOVIE = {"title": "A", "year": 2001, "ids": {"trakt": 7, "imdb": "tt0000007", "slug": "a"}}
SHOW = {"title": "S", "year": 2010, "ids": {"trakt": 9, "imdb": "tt0000009", "tvdb": 3}}


def _items():
    return [
        parse_list_item(55, {"rank": 1, "id": 100, "listed_at": "2026-01-01T00:00:00.000Z",
                             "type": "movie", "movie": MOVIE}),
        parse_list_item(55, {"rank": 2, "id": 101, "listed_at": "2026-01-01T00:00:00.000Z",
                             "type": "show", "show": SHOW}),
    ]  # fmt: skip


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    yield database
    database.close()


def test_parse_list_and_items():
    row = parse_list(LIST, "personal", 0)
    assert (row["list_id"], row["name"], row["owner"], row["owner_slug"]) == (
        55,
        "Weekend",
        "Me",
        "me-slug",
    )
    items = _items()
    assert [(i["media_type"], i["trakt_id"], i["imdb_id"]) for i in items] == [
        ("movie", 7, "tt0000007"),
        ("show", 9, "tt0000009"),
    ]
    with pytest.raises(MalformedItem):
        parse_list({"name": "no ids"}, "personal", 0)
    with pytest.raises(MalformedItem):
        parse_list_item(55, {"type": "person", "person": {"ids": {"trakt": 1}}})


def test_replace_keeps_items_of_lists_not_fetched(db):
    conn = db.connection
    row = parse_list(LIST, "personal", 0)
    with write_transaction(conn):
        first = replace_lists(conn, "personal", [row], {55: _items()})
    assert first == {"added": 3, "changed": 0, "removed": 0}
    with write_transaction(conn):  # the same list, its items not fetched again
        again = replace_lists(conn, "personal", [row], {})
    assert again == {"added": 0, "changed": 0, "removed": 0}
    assert [r["trakt_id"] for r in db.list_items(55)] == [7, 9]
    listed = db.lists("personal")
    assert listed[0]["list_id"] == 55 and listed[0]["kind"] == "personal"
    assert {"list_id", "name", "slug", "item_count", "updated_at", "kind", "owner"} <= set(
        listed[0]
    )
    item = db.list_items(55)[0]
    assert item["media_type"] == item["type"] == "movie" and item["imdb"] == "tt0000007"
    with write_transaction(conn):  # the list is gone on Trakt: its items go too
        gone = replace_lists(conn, "personal", [], {})
    assert gone["removed"] == 1 and db.list_items(55) == []


def test_unknown_kind_is_refused(db):
    with pytest.raises(ValueError):
        db.lists("watchlist")


def test_list_actions_need_a_personal_list(db):
    with pytest.raises(ValueError):
        LocalAction("list_add", "movie", 7).validate()  # no list id
    with pytest.raises(ValueError):
        LocalAction("list_add", "episode", 7, list_id=55).validate()
    with pytest.raises(ValueError):  # not a list the mirror knows as personal
        db.queue_change(LocalAction("list_add", "movie", 7, list_id=55))
    conn = db.connection
    with write_transaction(conn):
        replace_lists(conn, "personal", [parse_list(LIST, "personal", 0)], {55: _items()[:1]})
    assert db.queue_change(LocalAction("list_add", "show", 9, list_id=55)) is not None
    assert [r["trakt_id"] for r in db.list_items(55)] == [7, 9]
    assert db.lists("personal")[0]["item_count"] == 3  # Trakt's 2 plus the local add
    (row,) = db.outbox_rows()
    assert row.kind == "list_add" and row.action.list_id == 55
