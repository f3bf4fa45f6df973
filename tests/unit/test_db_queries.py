"""Read queries on a hand-built database: exact rows for Next Up, in progress, watchlist."""

from __future__ import annotations

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase

AIRED = "2020-01-%02dT00:00:00.000Z"
FUTURE = "2999-01-01T00:00:00.000Z"


def _show(conn, trakt, title, last_watched, reset_at=None):
    conn.execute(
        "INSERT INTO shows (trakt_id, title, year, tvdb_id, last_watched_at, reset_at, "
        "has_metadata, aired_episodes, completed_episodes) VALUES (?, ?, 2019, ?, ?, ?, 1, 0, 0)",
        (trakt, title, trakt * 10, last_watched, reset_at),
    )


def _episode(conn, show, season, number, aired=True, plays=0, watched=None):
    conn.execute(
        "INSERT INTO episodes (show_id, season, number, trakt_id, title, first_aired, runtime, "
        "has_metadata, plays, last_watched_at) VALUES (?, ?, ?, ?, ?, ?, 42, 1, ?, ?)",
        (show, season, number, show * 1000 + season * 100 + number,
         "S%02dE%02d" % (season, number), AIRED % (season * 10 + number) if aired else FUTURE,
         plays, watched),
    )  # fmt: skip


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "t.db"))
    conn = database.connection
    with write_transaction(conn):
        # 1: watched 1x1, 1x2 -> next 1x3
        _show(conn, 1, "Linear", "2021-01-03T00:00:00.000Z")
        for n in (1, 2, 3):
            _episode(conn, 1, 1, n, plays=1 if n < 3 else 0,
                     watched="2021-01-0%dT00:00:00.000Z" % n if n < 3 else None)  # fmt: skip
        _episode(conn, 1, 0, 1)  # a special: never Next Up
        # 2: next episode not aired yet -> no Next Up
        _show(conn, 2, "Waiting", "2021-02-01T00:00:00.000Z")
        _episode(conn, 2, 1, 1, plays=1, watched="2021-02-01T00:00:00.000Z")
        _episode(conn, 2, 1, 2, aired=False)
        # 3: rewatched 1x1 most recently; 1x2 is watched -> next is 1x3 (first unwatched after it)
        _show(conn, 3, "Rewatch", "2021-03-09T00:00:00.000Z")
        _episode(conn, 3, 1, 1, plays=2, watched="2021-03-09T00:00:00.000Z")
        _episode(conn, 3, 1, 2, plays=1, watched="2021-03-02T00:00:00.000Z")
        _episode(conn, 3, 1, 3)
        # 4: reset after watching everything -> starts again at 1x1
        _show(conn, 4, "Reset", "2021-04-02T00:00:00.000Z", reset_at="2021-05-01T00:00:00.000Z")
        _episode(conn, 4, 1, 1, plays=1, watched="2021-04-01T00:00:00.000Z")
        _episode(conn, 4, 1, 2, plays=1, watched="2021-04-02T00:00:00.000Z")
        # 5: hidden from progress -> not in the view, but in snapshot()
        _show(conn, 5, "Hidden", "2021-06-01T00:00:00.000Z")
        _episode(conn, 5, 1, 1, plays=1, watched="2021-06-01T00:00:00.000Z")
        _episode(conn, 5, 1, 2)
        conn.execute(
            "INSERT INTO hidden (section, media_type, trakt_id) VALUES ('progress_watched', "
            "'show', 5)"
        )
        # 6: the last aired episode is watched, an earlier gap is not -> no Next Up (no wrap)
        _show(conn, 6, "Gap", "2021-07-03T00:00:00.000Z")
        _episode(conn, 6, 1, 1, plays=1, watched="2021-07-01T00:00:00.000Z")
        _episode(conn, 6, 1, 2)
        _episode(conn, 6, 1, 3, plays=1, watched="2021-07-03T00:00:00.000Z")
        conn.execute(
            "INSERT INTO bookmarks (playback_id, media_type, trakt_id, progress, paused_at, "
            "title, show_id, show_title, season, number) VALUES (1, 'episode', 1103, 25.0, "
            "'2021-08-01T00:00:00.000Z', 'S01E03', 1, 'Linear', 1, 3)"
        )
        conn.execute(
            "INSERT INTO bookmarks (playback_id, media_type, trakt_id, progress, paused_at, "
            "title, year, imdb_id) VALUES (2, 'movie', 77, 60.5, '2021-09-01T00:00:00.000Z', "
            "'Film', 2001, 'tt0000077')"
        )
        for media_type, trakt, rank, listed in (
            ("movie", 10, 2, "2021-01-01T00:00:00.000Z"),
            ("movie", 11, 1, "2021-01-02T00:00:00.000Z"),
            ("show", 12, 3, "2021-01-03T00:00:00.000Z"),
        ):
            conn.execute(
                "INSERT INTO watchlist (media_type, trakt_id, rank, listed_at, title) "
                "VALUES (?, ?, ?, ?, ?)",
                (media_type, trakt, rank, listed, "W%d" % trakt),
            )
        conn.execute("INSERT INTO movies (trakt_id, title, plays) VALUES (11, 'W11', 1)")
    yield database
    database.close()


def _keys(rows):
    return [(r["show_trakt_id"], r["season"], r["number"]) for r in rows]


def test_next_up_rows_by_last_watched(db):
    assert _keys(db.next_up()) == [(4, 1, 1), (3, 1, 3), (1, 1, 3)]


def test_next_up_rows_by_air_date(db):
    assert _keys(db.next_up("air_date")) == [(1, 1, 3), (3, 1, 3), (4, 1, 1)]


def test_next_up_item_has_list_item_fields(db):
    item = next(r for r in db.next_up() if r["show_trakt_id"] == 1)
    assert item == {
        "type": "episode",
        "trakt_id": 1103,
        "imdb_id": None,
        "tmdb_id": None,
        "tvdb_id": None,
        "title": "S01E03",
        "season": 1,
        "number": 3,
        "episode": 3,
        "first_aired": "2020-01-13T00:00:00.000Z",
        "runtime": 42,
        "show_trakt_id": 1,
        "show_title": "Linear",
        "show_year": 2019,
        "show_imdb_id": None,
        "show_tmdb_id": None,
        "show_tvdb_id": 10,
        "aired_episodes": 0,
        "completed_episodes": 0,
        "last_watched_at": "2021-01-03T00:00:00.000Z",
        "progress": 25.0,
    }


def test_snapshot_next_up_includes_hidden_shows(db):
    assert db.snapshot()["next_up"] == {
        "1": {"season": 1, "number": 3},
        "3": {"season": 1, "number": 3},
        "4": {"season": 1, "number": 1},
        "5": {"season": 1, "number": 2},
    }


def test_in_progress_rows(db):
    rows = db.in_progress()
    assert [(r["type"], r["trakt_id"], r["progress"]) for r in rows] == [
        ("movie", 77, 60.5),
        ("episode", 1103, 25.0),
    ]
    episode = rows[1]
    assert (episode["show_title"], episode["season"], episode["episode"]) == ("Linear", 1, 3)
    assert episode["first_aired"] == "2020-01-13T00:00:00.000Z" and episode["runtime"] == 42
    assert (rows[0]["title"], rows[0]["year"], rows[0]["imdb_id"]) == ("Film", 2001, "tt0000077")


def test_watchlist_orders(db):
    assert [r["trakt_id"] for r in db.watchlist("movie")] == [11, 10]
    assert [r["trakt_id"] for r in db.watchlist("movie", order="added")] == [11, 10]
    assert [(r["trakt_id"], r["rank"], r["plays"]) for r in db.watchlist("movie")] == [
        (11, 1, 1),
        (10, 2, 0),
    ]
    assert [r["title"] for r in db.watchlist("show")] == ["W12"]
    with pytest.raises(ValueError):
        db.watchlist("movie", order="bogus")


def test_watched_lookups_and_counts(db):
    assert db.is_movie_watched(11) and not db.is_movie_watched(10)
    assert db.is_episode_watched(1, 1, 2) and not db.is_episode_watched(1, 1, 3)
    assert db.counts() == {
        "shows": 6, "episodes": 10, "movies": 1, "watchlist": 3, "bookmarks": 2, "hidden": 1,
        "collection": 0, "ratings": 0,
    }  # fmt: skip


def test_show_progress_honours_reset(db):
    progress = db.show_progress(4)
    assert (progress["aired"], progress["completed"]) == (2, 0)
    assert progress["next_episode"]["number"] == 1
    progress = db.show_progress(1)
    assert (progress["aired"], progress["completed"]) == (3, 2)
    assert db.show_progress(999) is None


def test_reads_do_not_write(db, tmp_path):
    db.next_up()  # stores the Next Up answers the fixture's direct writes left stale (once)
    before = db.connection.total_changes
    db.next_up(), db.in_progress(), db.watchlist(), db.counts(), db.snapshot()
    assert db.connection.total_changes == before
