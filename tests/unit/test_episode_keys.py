"""The key of an episode the mirror does not know by its own Trakt id (a queued rating, a
collected episode Trakt lists by number only): one helper, collision-free, so a daily show's
S2024E01 is never another show's S24E01 (the old ``show*100000 + season*1000 + number`` was)."""

from __future__ import annotations

import itertools

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.database.trakt_sync.items import episode_key
from resources.lib.database.trakt_sync.outbox import LocalAction
from tests.support.fake_trakt import T1, FakeClient, show


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "t.db"))
    yield database
    database.close()


def test_no_two_episodes_share_a_key():
    shows = (1, 5, 25, 250, 2**31 - 1)
    seasons = (0, 1, 24, 99, 100, 999, 1000, 2024, 2**16 - 1)
    numbers = (0, 1, 999, 1000, 1001, 2**16 - 1)
    keys = [episode_key(*numbers_) for numbers_ in itertools.product(shows, seasons, numbers)]
    assert None not in keys and len(set(keys)) == len(keys)
    assert all(-(2**63) <= key < 0 for key in keys)  # SQLite's range, never a Trakt id
    assert episode_key(5, 2024, 1) != episode_key(25, 24, 1)
    assert episode_key("5", "2024", "1") == episode_key(5, 2024, 1)


@pytest.mark.parametrize(
    "show_id, season, number",
    [(0, 1, 1), (None, 1, 1), (5, None, 1), (5, 1, None), (5, -1, 1), (5, 1, -1),
     (2**31, 1, 1), (5, 2**16, 1), (5, 1, 2**16), (5, "x", 1), (5, True, 1)],
)  # fmt: skip
def test_numbers_outside_the_keys_range_give_no_key(show_id, season, number):
    assert episode_key(show_id, season, number) is None


def test_rating_a_daily_episode_leaves_another_shows_episode_unrated(db):
    db.queue_change(LocalAction("rate", "episode", show_id=5, season=2024, number=1, rating=8))
    # show 25 S24E01, listed with its own Trakt id: not rated
    assert db.ratings_for([("episode", 777, 25, 24, 1)]) == [None]
    db.queue_change(LocalAction("rate", "episode", show_id=25, season=24, number=1, rating=6))
    # the second queued rating did not replace the first one's row
    found = db.ratings_for([("episode", None, 5, 2024, 1), ("episode", None, 25, 24, 1)])
    assert found == [8, 6]
    assert db.connection.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 2


def test_a_listed_episode_finds_its_own_rating_queued_before_the_mirror_knew_its_id(db):
    db.queue_change(LocalAction("rate", "episode", show_id=5, season=2024, number=1, rating=8))
    assert db.ratings_for([("episode", 4242, 5, 2024, 1)]) == [8]


def test_a_collection_rows_own_key_is_no_trakt_id_its_numbers_find_the_rating(db):
    with write_transaction(db.connection):
        db.connection.execute(
            "INSERT INTO ratings (media_type, trakt_id, rating, show_id, season, number) "
            "VALUES ('episode', 77, 9, 9, 1, 2)"
        )
    assert db.ratings_for([("episode", episode_key(9, 1, 2), 9, 1, 2)]) == [9]


def _collected(show_id, season, number):
    return {
        "last_collected_at": T1,
        "show": show(show_id, "Show %d" % show_id),
        "seasons": [
            {"number": season, "episodes": [{"number": number, "collected_at": T1, "ids": {}}]}
        ],
    }


def test_collected_episodes_without_ids_keep_a_row_each(db):
    client = FakeClient()
    client.data["/sync/collection/movies"] = []
    client.data["/sync/collection/shows"] = [_collected(5, 2024, 1), _collected(25, 24, 1)]
    result = db.sync_activities(client, force=True)
    assert result.status == "ok", result
    rows = db.connection.execute(
        "SELECT trakt_id, show_id, season, number FROM collection ORDER BY show_id"
    ).fetchall()
    assert [tuple(row[1:]) for row in rows] == [(5, 2024, 1), (25, 24, 1)]
    assert [row[0] for row in rows] == [episode_key(5, 2024, 1), episode_key(25, 24, 1)]


def test_a_rating_of_numbers_beyond_the_key_still_goes_to_trakt(db):
    db.queue_change(LocalAction("rate", "episode", show_id=5, season=70000, number=1, rating=8))
    (row,) = db.outbox_rows()
    assert (row.kind, row.payload["season"], row.payload["rating"]) == ("rate", 70000, 8)
    assert db.connection.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 0
