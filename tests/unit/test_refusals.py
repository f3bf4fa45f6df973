"""A change Trakt refused for an account limit (420): its notice, its undo, shown once."""

from __future__ import annotations

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase, refusals
from resources.lib.database.trakt_sync import outbox as box
from resources.lib.database.trakt_sync.outbox import LocalAction


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "t.db"))
    yield database
    database.close()


@pytest.mark.parametrize(
    "kind, header, vip, limit, count",
    [
        ("watchlist_add", "250", False, "watchlist", 250),
        ("watchlist_add", None, False, "watchlist", 250),  # no header: Trakt's free limit
        ("watchlist_add", "garbage", True, "watchlist", None),  # VIP: no guess
        ("watchlist_add", "5000", True, "watchlist", 5000),
        ("watch", None, False, "history", 100000),
        ("hide", None, False, "hidden", None),
        ("unwatch", "7", False, "unknown", 7),
    ],
)
def test_notice_names_the_limit(kind, header, vip, limit, count):
    assert refusals.notice_for(kind, header, vip) == {
        "code": "account_limit", "limit": limit, "count": count, "vip": vip,
    }  # fmt: skip


def test_notices_are_taken_once_without_duplicates_and_capped(db):
    conn = db.connection
    assert db.take_notices() == []
    first = refusals.notice_for("watchlist_add", "250", False)
    with write_transaction(conn):
        refusals.record(conn, first)
        refusals.record(conn, first)
        for n in range(refusals.MAX_NOTICES + 5):
            refusals.record(conn, refusals.notice_for("unwatch", str(n + 1), False))
    taken = db.take_notices()
    assert len(taken) == refusals.MAX_NOTICES and taken[-1]["count"] == refusals.MAX_NOTICES + 5
    assert db.take_notices() == []


def test_unreadable_notices_are_dropped_not_raised(db):
    with write_transaction(db.connection):
        db.connection.execute("INSERT INTO meta (key, value) VALUES ('notices', '{not json')")
    assert db.take_notices() == []


def _only_row(db):
    rows = db.outbox_rows()
    assert len(rows) == 1
    return rows[0]


def test_undo_of_a_watchlist_add_and_a_hide(db):
    conn = db.connection
    db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=5))
    row = _only_row(db)
    with write_transaction(conn):
        refusals.undo(conn, row)
        box.delete_row(conn, row.id)
    assert db.snapshot()["watchlist"] == []
    db.queue_change(LocalAction("hide", "show", trakt_id=9))
    row = _only_row(db)
    with write_transaction(conn):
        refusals.undo(conn, row)
    assert db.snapshot()["hidden"] == []


def test_undo_of_a_first_play_unwatches_and_of_a_rewatch_restores_the_count(db):
    conn = db.connection
    with write_transaction(conn):
        conn.execute("INSERT INTO movies (trakt_id, title, plays, last_watched_at) VALUES "
                     "(7, 'Seen', 2, '2024-01-01T00:00:00.000Z')")  # fmt: skip
    for movie, expected in ((6, None), (7, 2)):
        db.queue_change(LocalAction("watch", "movie", trakt_id=movie))
        row = next(r for r in db.outbox_rows() if r.payload["trakt"] == movie)
        with write_transaction(conn):
            refusals.undo(conn, row)
        assert db.snapshot()["movies"].get(str(movie)) == expected
