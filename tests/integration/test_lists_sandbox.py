"""Trakt lists against the sandbox: personal and liked lists mirrored with paging and per-list
deltas, a nothing-new sync still one request, list add/remove through the outbox, and the free
account's 420 at the list item limit (dropped, undone, one notice)."""

from __future__ import annotations

import pytest

from resources.lib.database.trakt_sync.outbox import LocalAction
from tests.support.sync_rig import SyncRig

ITEMS = "GET /users/me/lists/{id}/items"


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path))
    yield rig
    rig.close()


def _movies(rig, count, skip=0):
    return sorted(rig.sandbox.state.catalog.movies)[skip : skip + count]


def _shows(rig, count):
    return sorted(rig.sandbox.state.catalog.shows)[:count]


def _setup_lists(rig):
    sb = rig.sandbox
    sb.mutate("list_page_limit", limit=3)
    mine = sb.mutate("list_create", name="Weekend Films", movies=_movies(rig, 7))["id"]
    other = sb.mutate("list_create", name="Later", shows=_shows(rig, 2))["id"]
    foreign = sb.mutate("list_foreign", name="Best Of Bob", username="bob", shows=_shows(rig, 4))
    sb.mutate("list_like", list=foreign["id"])
    return mine, other, foreign["id"]


def test_lists_mirrored_with_paging(rig):
    mine, other, foreign = _setup_lists(rig)
    log = rig.requests_during()
    assert log["result"].status == "ok", log["result"].error
    personal = rig.db.lists("personal")
    assert [(row["list_id"], row["name"], row["item_count"]) for row in personal] == [
        (mine, "Weekend Films", 7),
        (other, "Later", 2),
    ]
    assert all(row["kind"] == "personal" and row["owner"] for row in personal)
    liked = rig.db.lists("liked")
    assert [(row["list_id"], row["owner"], row["kind"]) for row in liked] == [
        (foreign, "bob", "liked")
    ]
    items = rig.db.list_items(mine)
    assert [row["trakt_id"] for row in items] == _movies(rig, 7)
    assert {row["media_type"] for row in items} == {"movie"} and items[0]["title"]
    assert len(rig.db.list_items(foreign)) == 4
    # 7 items in pages of 3: three requests for that list, one for the other.
    assert log["by_endpoint"][ITEMS] == 3 + 1
    assert log["by_endpoint"]["GET /users/bob/lists/{id}/items"] == 2
    assert log["by_endpoint"]["GET /users/likes/lists"] == 1


def test_nothing_new_sync_is_one_request(rig):
    _setup_lists(rig)
    assert rig.sync().status == "ok"
    log = rig.requests_during()
    assert log["result"].status == "ok"
    assert log["total"] == 1, log["by_endpoint"]


def test_one_list_changed_fetches_only_that_list(rig):
    mine, other, _ = _setup_lists(rig)
    assert rig.sync().status == "ok"
    rig.sandbox.mutate("list_add", list=other, movies=_movies(rig, 1, skip=20))
    log = rig.requests_during()
    assert log["result"].status == "ok"
    assert log["by_endpoint"] == {
        "GET /sync/last_activities": 1,
        "GET /users/me/lists": 1,
        ITEMS: 1,
    }
    assert len(rig.db.list_items(other)) == 3
    assert len(rig.db.list_items(mine)) == 7


def test_like_and_unlike_move_liked_at(rig):
    _, _, foreign = _setup_lists(rig)
    assert rig.sync().status == "ok"
    rig.sandbox.mutate("list_unlike", list=foreign)
    log = rig.requests_during()
    assert "GET /users/likes/lists" in log["by_endpoint"]
    assert "GET /users/me/lists" not in log["by_endpoint"]
    assert rig.db.lists("liked") == []
    assert rig.db.list_items(foreign) == []


def test_list_add_and_remove_through_the_outbox(rig):
    mine, other, _ = _setup_lists(rig)
    assert rig.sync().status == "ok"
    movie = _movies(rig, 1, skip=30)[0]
    first = _movies(rig, 1)[0]
    rig.db.queue_change(LocalAction("list_add", "movie", movie, list_id=other))
    rig.db.queue_change(LocalAction("list_remove", "movie", first, list_id=mine))
    # The mirror shows both at once (one transaction with the queued row).
    assert movie in [row["trakt_id"] for row in rig.db.list_items(other)]
    assert first not in [row["trakt_id"] for row in rig.db.list_items(mine)]
    assert len(rig.db.outbox_rows()) == 2
    log = rig.requests_during()
    assert log["result"].status == "ok", log["result"].error
    assert log["by_endpoint"]["POST /users/me/lists/{id}/items"] == 1
    assert log["by_endpoint"]["POST /users/me/lists/{id}/items/remove"] == 1
    assert rig.db.outbox_rows() == []
    truth = rig.sandbox.state.__dict__["_user_lists"]
    assert movie in [e.item.trakt for e in truth.own[other].entries]
    assert first not in [e.item.trakt for e in truth.own[mine].entries]
    assert movie in [row["trakt_id"] for row in rig.db.list_items(other)]


def test_add_and_remove_cancel_out_before_sending(rig):
    _, other, _ = _setup_lists(rig)
    assert rig.sync().status == "ok"
    movie = _movies(rig, 1, skip=30)[0]
    rig.db.queue_change(LocalAction("list_add", "movie", movie, list_id=other))
    rig.db.queue_change(LocalAction("list_remove", "movie", movie, list_id=other))
    assert rig.db.outbox_rows() == []


def test_change_to_a_liked_list_is_refused(rig):
    _, _, foreign = _setup_lists(rig)
    assert rig.sync().status == "ok"
    with pytest.raises(ValueError):
        rig.db.queue_change(LocalAction("list_add", "movie", _movies(rig, 1)[0], list_id=foreign))
    assert rig.db.outbox_rows() == []


def test_free_account_420_at_the_list_limit(rig):
    sb = rig.sandbox
    sb.mutate("list_item_limit", items=10)  # the small catalog has fewer than Trakt's 100
    full = sb.mutate("list_create", name="Full", movies=_movies(rig, 10))["id"]
    assert rig.sync().status == "ok"
    extra = _movies(rig, 1, skip=10)[0]
    rig.db.queue_change(LocalAction("list_add", "movie", extra, list_id=full))
    assert rig.db.lists("personal")[0]["item_count"] == 11
    log = rig.requests_during()
    assert log["result"].status == "ok", log["result"].error
    statuses = [
        e["status"] for e in log["log"] if e["endpoint"] == "POST /users/me/lists/{id}/items"
    ]
    assert statuses == [420]
    assert rig.db.outbox_rows() == []
    assert extra not in [row["trakt_id"] for row in rig.db.list_items(full)]
    assert rig.db.lists("personal")[0]["item_count"] == 10
    notices = rig.db.take_list_notices()
    assert notices == [{"code": "account_limit", "limit": "list_items", "count": 10, "vip": False}]
    assert rig.db.take_list_notices() == []


def test_vip_account_is_not_limited_like_a_free_one(rig):
    sb = rig.sandbox
    sb.mutate("list_item_limit", items=10)
    full = sb.mutate("list_create", name="Full", movies=_movies(rig, 10))["id"]
    sb.mutate("list_vip", vip=True)
    assert rig.sync().status == "ok"
    extra = _movies(rig, 1, skip=10)[0]
    rig.db.queue_change(LocalAction("list_add", "movie", extra, list_id=full))
    assert rig.sync().status == "ok"
    assert rig.db.outbox_rows() == [] and rig.db.take_list_notices() == []
    assert extra in [row["trakt_id"] for row in rig.db.list_items(full)]


def test_another_account_leaves_no_lists_behind(rig):
    mine, _, _ = _setup_lists(rig)
    assert rig.sync().status == "ok"
    assert rig.db.lists("personal")
    rig.sandbox.mutate("switch_user", username="someone-new")
    assert rig.sync().status == "ok"
    assert rig.db.lists("personal") == [] and rig.db.lists("liked") == []
    assert rig.db.list_items(mine) == []
