"""Ratings through the outbox (kinds ``rate`` / ``unrate``): the mirror changes at once, a newer
rating replaces a queued one, a change back to Trakt's state queues nothing, the Trakt body, a
refused rating's undo, and the one-query read of a page's ratings."""

from __future__ import annotations

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase, outbox, ratings, refusals
from resources.lib.database.trakt_sync.outbox import LocalAction
from resources.lib.database.trakt_sync.store import replace_rows


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "t.db"))
    yield database
    database.close()


def _rated(db, media_type="movie", trakt=5, rating=7, **more):
    row = dict(
        media_type=media_type, trakt_id=trakt, rating=rating, rated_at="2024-01-01T00:00:00.000Z"
    )
    row.update(more)
    with write_transaction(db.connection):
        db.connection.execute(
            "INSERT INTO ratings (media_type, trakt_id, rating, rated_at, show_id, season, number) "
            "VALUES (:media_type, :trakt_id, :rating, :rated_at, :show_id, :season, :number)",
            dict({"show_id": None, "season": None, "number": None}, **row),
        )


def _mirror_rating(db, media_type="movie", trakt=5, show=None, season=None, number=None):
    return db.ratings_for([(media_type, trakt, show, season, number)])[0]


def test_rate_changes_the_mirror_at_once_and_queues_one_row(db):
    db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=8))
    assert _mirror_rating(db) == 8
    (row,) = db.outbox_rows()
    assert (row.kind, row.payload["rating"], row.payload["before_rating"]) == ("rate", 8, None)
    assert row.item_key == "rating:movie:5" and row.action.unit == "ratings"


def test_a_newer_rating_replaces_the_queued_one_and_keeps_trakts_rating(db):
    _rated(db, rating=6)
    db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=8))
    db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=9))
    (row,) = db.outbox_rows()
    assert (row.payload["rating"], row.payload["before_rating"]) == (9, 6)
    db.queue_change(LocalAction("unrate", "movie", trakt_id=5))
    (row,) = db.outbox_rows()
    assert (row.kind, row.payload["before_rating"]) == ("unrate", 6)
    assert _mirror_rating(db) is None


def test_changes_that_end_where_trakt_is_queue_nothing(db):
    db.queue_change(LocalAction("rate", "show", trakt_id=3, rating=4))
    db.queue_change(LocalAction("unrate", "show", trakt_id=3))
    assert db.outbox_rows() == [] and _mirror_rating(db, "show", 3) is None
    _rated(db, rating=7)
    db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=2))
    db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=7))
    assert db.outbox_rows() == [] and _mirror_rating(db) == 7


def test_a_rating_does_not_merge_with_other_changes_of_the_item(db):
    db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=5))
    db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=3))
    assert [r.kind for r in db.outbox_rows()] == ["watchlist_add", "rate"]


@pytest.mark.parametrize("rating", [None, 0, 11, True, "8"])
def test_a_rating_outside_1_to_10_is_refused(db, rating):
    with pytest.raises(ValueError):
        db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=rating))
    assert db.outbox_rows() == []


def test_an_episode_is_found_by_numbers_and_named_for_trakt_either_way(db):
    db.queue_change(LocalAction("rate", "episode", show_id=9, season=1, number=2, rating=10))
    assert _mirror_rating(db, "episode", None, 9, 1, 2) == 10
    (row,) = db.outbox_rows()
    path, body = ratings.body(row.action, "2026-01-01T00:00:00.000Z")
    assert path == "/sync/ratings"
    assert body == {"shows": [{"ids": {"trakt": 9}, "seasons": [{"number": 1, "episodes": [
        {"number": 2, "rating": 10, "rated_at": "2026-01-01T00:00:00.000Z"}]}]}]}  # fmt: skip
    known = LocalAction("unrate", "episode", trakt_id=77, show_id=9, season=1, number=2)
    assert ratings.body(known, "x") == (
        "/sync/ratings/remove",
        {"episodes": [{"ids": {"trakt": 77}}]},
    )
    db.queue_change(known)
    assert _mirror_rating(db, "episode", None, 9, 1, 2) is None


def test_a_pull_keeps_a_queued_rating_visible(db):
    db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=8))
    conn = db.connection
    with write_transaction(conn):
        replace_rows(conn, "ratings", [])  # Trakt's state does not have it yet
        assert outbox.reapply_pending(conn, "ratings") == 1
    assert _mirror_rating(db) == 8


@pytest.mark.parametrize("before, after", [(None, None), (6, 6)])
def test_a_refused_rating_goes_back_to_trakts(db, before, after):
    if before:
        _rated(db, rating=before)
    db.queue_change(LocalAction("rate", "movie", trakt_id=5, rating=9))
    (row,) = db.outbox_rows()
    with write_transaction(db.connection):
        refusals.undo(db.connection, row)
    assert _mirror_rating(db) == after
    assert refusals.notice_for("rate", None, False) == {
        "code": "account_limit", "limit": "ratings", "count": 10000, "vip": False}  # fmt: skip


def _selects(db, keys):
    statements = []
    db.connection.set_trace_callback(statements.append)
    try:
        found = db.ratings_for(keys)
    finally:
        db.connection.set_trace_callback(None)
    return found, [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_a_page_of_ratings_is_one_query_on_the_key_in_the_rows_order(db):
    _rated(db, "movie", 5, 7)
    _rated(db, "show", 5, 3)  # same id, other type: kept apart
    _rated(db, "episode", 77, 9, show_id=9, season=1, number=2)
    # rated before the mirror knew the episode's id: found from the row's show and numbers
    db.queue_change(LocalAction("rate", "episode", show_id=9, season=1, number=4, rating=5))
    keys = [("movie", 5, None, None, None), ("show", 5, None, None, None),
            ("episode", 77, 9, 1, 2), ("episode", 78, 9, 1, 4),
            ("movie", 6, None, None, None), ("episode", 79, 9, 1, 3)]  # fmt: skip
    found, selects = _selects(db, keys)
    assert found == [7, 3, 9, 5, None, None]
    assert len(selects) == 1
    plan = db.connection.execute("EXPLAIN QUERY PLAN " + selects[0]).fetchall()
    assert "USING INDEX" in " ".join(str(tuple(row)) for row in plan)  # no table scan
    # An episode named only by numbers (a season page's) is found too, with one more read.
    found, selects = _selects(db, [("episode", None, 9, 1, 2), ("episode", None, 9, 1, 4)])
    assert found == [9, 5] and len(selects) == 2


def test_browse_reads_carry_the_ratings(db):
    conn = db.connection
    with write_transaction(conn):
        conn.execute(
            "INSERT INTO movies (trakt_id, imdb_id, title, plays) VALUES (5, 'tt5', 'M', 1)"
        )
        conn.execute("INSERT INTO shows (trakt_id, imdb_id, title) VALUES (9, 'tt9', 'S')")
    _rated(db, "movie", 5, 7)
    _rated(db, "show", 9, 8)
    _rated(db, "episode", 77, 4, show_id=9, season=1, number=2)
    _rated(db, "season", 400, 6, show_id=9, season=1)
    states = db.states_by_imdb(["tt5", "tt9"])
    assert (states["tt5"]["rating"], states["tt9"]["rating"]) == (7, 8)
    episodes = db.episode_states(9)
    assert episodes["ratings"] == {(1, 2): 4} and episodes["season_ratings"] == {1: 6}


def test_browse_marks_carry_the_ratings(db):
    from resources.lib.browse.mirror import item_marks, show_marks

    conn = db.connection
    with write_transaction(conn):
        conn.execute(
            "INSERT INTO movies (trakt_id, imdb_id, title, plays) VALUES (5, 'tt5', 'M', 0)"
        )
        conn.execute("INSERT INTO shows (trakt_id, imdb_id, title) VALUES (9, 'tt9', 'S')")
    _rated(db, "movie", 5, 7)
    _rated(db, "episode", 77, 4, show_id=9, season=1, number=2)
    _rated(db, "season", 400, 6, show_id=9, season=1)
    assert item_marks(db, ["tt5", "tt9"])["tt5"].rating == 7
    assert item_marks(db, ["tt9"])["tt9"].rating is None
    marks = show_marks(db, "tt9")
    assert marks.mark(1, 2).rating == 4 and marks.mark(1, 3).rating is None
    assert marks.season_ratings == {1: 6}
