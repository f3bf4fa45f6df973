"""The stored Next Up answers (``next_up`` table): kept current by every write, valid until the
next air date, and never a reason for a list to wait or be wrong.

Real SQLite; rows written by hand (the sync's own use is covered by the differential test,
tests/integration/test_sync_property.py, whose snapshots read the table).
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase, next_up_table, queries
from resources.lib.database.trakt_sync.items import now_iso

PAST = "2020-01-%02dT00:00:00.000Z"


def _show(conn, trakt, reset_at=None):
    conn.execute(
        "INSERT INTO shows (trakt_id, title, year, reset_at, has_metadata, aired_episodes, "
        "completed_episodes) VALUES (?, ?, 2019, ?, 1, 0, 0)",
        (trakt, "Show %d" % trakt, reset_at),
    )


def _episode(conn, show, number, first_aired, plays=0, watched_at=None):
    conn.execute(
        "INSERT INTO episodes (show_id, season, number, trakt_id, title, first_aired, "
        "has_metadata, plays, last_watched_at) VALUES (?, 1, ?, ?, 'E', ?, 1, ?, ?)",
        (show, number, show * 1000 + number, first_aired, plays, watched_at),
    )


def _answers(db):
    return {r["show_trakt_id"]: r["number"] for r in db.next_up()}


def _stored(db):
    return dict(db.connection.execute("SELECT show_id, next_key FROM next_up").fetchall())


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "table.db"))
    with write_transaction(database.connection):
        for show in (1, 2):
            _show(database.connection, show)
            for number in (1, 2, 3):
                _episode(database.connection, show, number, PAST % number,
                         plays=1 if number == 1 else 0, watched_at=PAST % 20)  # fmt: skip
    yield database
    database.close()


def test_a_read_stores_the_answers_and_the_next_read_uses_them(db):
    assert _stored(db) == {}
    assert _answers(db) == {1: 2, 2: 2}
    assert _stored(db) == {1: 100002, 2: 100002}
    # A stored answer is what the view shows (proof that the table is read, not recomputed).
    with write_transaction(db.connection):
        db.connection.execute("UPDATE next_up SET number = 3 WHERE show_id = 2")
    assert _answers(db) == {1: 2, 2: 3}


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE episodes SET plays = 1, last_watched_at = '2020-02-01T00:00:00.000Z' "
        "WHERE show_id = 1 AND number = 2",
        "UPDATE episodes SET plays = 0 WHERE show_id = 1 AND number = 1",
        "UPDATE episodes SET first_aired = '2999-01-01T00:00:00.000Z' WHERE show_id = 1 "
        "AND number = 2",
        "DELETE FROM episodes WHERE show_id = 1 AND number = 2",
        "UPDATE shows SET reset_at = '2021-01-01T00:00:00.000Z' WHERE trakt_id = 1",
        "UPDATE shows SET has_metadata = 0 WHERE trakt_id = 1",
        "DELETE FROM shows WHERE trakt_id = 1",
    ],
)
def test_every_change_the_answer_depends_on_drops_the_shows_row(db, change):
    _answers(db)
    with write_transaction(db.connection):
        db.connection.execute(change)
    assert set(_stored(db)) == {2}  # the other show's answer is kept
    live = queries.next_up(db.connection, now=time.time())  # the full query (explicit now)
    assert db.next_up() == live


def test_an_update_that_changes_nothing_used_keeps_the_row(db):
    _answers(db)
    with write_transaction(db.connection):
        db.connection.execute("UPDATE episodes SET plays = plays, title = title")
        db.connection.execute("UPDATE shows SET title = 'Renamed' WHERE trakt_id = 1")
    assert set(_stored(db)) == {1, 2}
    assert [r["show_title"] for r in db.next_up() if r["show_trakt_id"] == 1] == ["Renamed"]


def test_a_renamed_next_episode_shows_its_new_title(db):
    _answers(db)
    with write_transaction(db.connection):
        db.connection.execute("UPDATE episodes SET title = 'New' WHERE show_id = 1")
    assert set(_stored(db)) == {2}
    assert [r["title"] for r in db.next_up() if r["show_trakt_id"] == 1] == ["New"]


def test_a_page_of_next_up(db):
    with write_transaction(db.connection):
        for show in range(3, 8):
            _show(db.connection, show)
            _episode(db.connection, show, 1, PAST % 1)
            db.connection.execute(
                "UPDATE shows SET last_watched_at = ? WHERE trakt_id = ?", (PAST % show, show)
            )
    everything = db.next_up()
    assert len(everything) == 7
    assert db.next_up(limit=3) == everything[:3]
    assert db.next_up(limit=3, offset=3) == everything[3:6]
    assert db.next_up(limit=3, offset=6) == everything[6:]
    assert queries.next_up(db.connection, now=time.time(), limit=2, offset=1) == everything[1:3]


def test_an_inserted_episode_of_a_show_drops_its_row(db):
    _answers(db)
    with write_transaction(db.connection):
        _episode(db.connection, 2, 4, PAST % 4)
    assert set(_stored(db)) == {1}


def test_the_answer_is_valid_until_the_next_air_date(db):
    soon = time.time() + 1.2
    with write_transaction(db.connection):
        db.connection.execute("UPDATE episodes SET plays = 1 WHERE show_id = 2")
        _episode(db.connection, 2, 4, now_iso(soon))
    assert _answers(db) == {1: 2}  # show 2: everything aired is watched
    valid_until = db.connection.execute(
        "SELECT valid_until FROM next_up WHERE show_id = 2"
    ).fetchone()[0]
    assert valid_until == now_iso(soon)
    assert db.connection.execute(
        "SELECT valid_until FROM next_up WHERE show_id = 1").fetchone()[0] is None  # fmt: skip
    time.sleep(max(0.0, soon - time.time()) + 0.05)
    assert _answers(db) == {1: 2, 2: 4}  # aired since: recomputed by the read


def test_a_list_never_waits_for_a_sync_holding_the_write_lock(db, tmp_path):
    _answers(db)
    with write_transaction(db.connection):
        db.connection.execute(
            "UPDATE episodes SET plays = 1, last_watched_at = '2020-02-01T00:00:00.000Z' "
            "WHERE show_id = 1 AND number = 2"
        )
    other = sqlite3.connect(str(tmp_path / "table.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a sync in the middle of a unit's transaction
    try:
        started = time.monotonic()
        answers = _answers(db)
        waited = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert answers == {1: 3, 2: 2}  # right, computed by the full query
    assert waited < 1.0
    assert 1 not in _stored(db)  # stored by the next read that gets the lock
    assert _answers(db) == {1: 3, 2: 2} and set(_stored(db)) == {1, 2}


def test_refresh_of_one_show_leaves_the_others_stale(db):
    with write_transaction(db.connection):
        assert next_up_table.refresh(db.connection, show_id=2) == 1
    assert _stored(db) == {2: 100002}
