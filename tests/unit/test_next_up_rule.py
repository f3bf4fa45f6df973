"""Next Up follows Trakt's rule: the first aired regular episode after the *highest* episode
watched since the show's ``reset_at``, never the most recently watched one; dropped shows leave.

Hand-built mirror rows (real SQLite), one show per case, so each case names its own answer.
"""

from __future__ import annotations

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase, queries

AIRED = "2020-%02d-%02dT00:00:00.000Z"
FUTURE = "2999-01-01T00:00:00.000Z"


def _show(conn, trakt, reset_at=None):
    conn.execute(
        "INSERT INTO shows (trakt_id, title, year, last_watched_at, reset_at, has_metadata, "
        "aired_episodes, completed_episodes) VALUES (?, ?, 2019, NULL, ?, 1, 0, 0)",
        (trakt, "Show %d" % trakt, reset_at),
    )


def _season(conn, show, season, count, watched=None, aired=None):
    """``count`` episodes; ``watched`` maps number -> last_watched_at; ``aired`` caps airing."""
    watched = watched or {}
    for number in range(1, count + 1):
        first_aired = AIRED % (season, number) if aired is None or number <= aired else FUTURE
        stamp = watched.get(number)
        conn.execute(
            "INSERT INTO episodes (show_id, season, number, trakt_id, title, first_aired, "
            "has_metadata, plays, last_watched_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (show, season, number, show * 1000 + season * 100 + number, "E%d" % number,
             first_aired, 1 if stamp else 0, stamp),
        )  # fmt: skip


def _at(day):
    return "2024-03-%02dT12:00:00.000Z" % day


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "rule.db"))
    yield database
    database.close()


def _next(db, show):
    rows = queries.next_up(db.connection, include_hidden=True, show_id=show)
    answer = (rows[0]["season"], rows[0]["number"]) if rows else None
    # The stored answers (next_up table, filled by this read) follow the same rule.
    stored = [r for r in queries.next_up(db.connection, include_hidden=True)
              if r["show_trakt_id"] == show]  # fmt: skip
    assert db.connection.execute("SELECT COUNT(*) FROM next_up").fetchone()[0] > 0
    assert [(r["season"], r["number"]) for r in stored] == ([answer] if answer else [])
    return answer


def test_back_dated_play_of_a_later_episode_moves_next_up_past_it(db):
    with write_transaction(db.connection):
        _show(db.connection, 1)
        # 1x1, 1x2 watched recently; 1x4 added later with a play back-dated to 2019.
        _season(
            db.connection, 1, 1, 6, watched={1: _at(10), 2: _at(11), 4: "2019-05-01T00:00:00.000Z"}
        )
    assert _next(db, 1) == (1, 5)


def test_rewatching_an_early_episode_does_not_jump_back(db):
    with write_transaction(db.connection):
        _show(db.connection, 2)
        # At 2x2 with 1x3 never watched; 1x1 watched again last.
        _season(db.connection, 2, 1, 3, watched={1: _at(20), 2: _at(2)})
        _season(db.connection, 2, 2, 4, watched={1: _at(3), 2: _at(4)})
    assert _next(db, 2) == (2, 3)


def test_a_gap_before_the_last_aired_episode_gives_no_next_up(db):
    with write_transaction(db.connection):
        _show(db.connection, 3)
        # 1x1 and 1x3 (the last aired) watched, 1x2 never; 1x4 not aired yet.
        _season(db.connection, 3, 1, 4, watched={1: _at(1), 3: _at(3)}, aired=3)
    assert _next(db, 3) is None
    assert db.show_progress(3)["next_episode"] is None


def test_the_highest_counts_only_plays_since_reset_at(db):
    with write_transaction(db.connection):
        _show(db.connection, 4, reset_at=_at(15))
        # Everything up to 1x5 watched before the reset; 1x2 watched again after it.
        _season(db.connection, 4, 1, 5, watched={1: _at(1), 2: _at(16), 3: _at(3), 5: _at(5)})
    assert _next(db, 4) == (1, 3)


def test_specials_and_unaired_episodes_never_count(db):
    with write_transaction(db.connection):
        _show(db.connection, 5)
        _season(db.connection, 5, 0, 9, watched={9: _at(9)})  # S0E9 watched: ignored
        _season(db.connection, 5, 1, 3, watched={1: _at(1)})
        _show(db.connection, 6)
        _season(db.connection, 6, 1, 3, watched={1: _at(1)}, aired=1)
    assert _next(db, 5) == (1, 2)
    assert _next(db, 6) is None


def test_a_reset_show_with_no_play_since_starts_at_the_first_aired_episode(db):
    with write_transaction(db.connection):
        _show(db.connection, 7, reset_at=_at(28))
        _season(db.connection, 7, 0, 1)
        _season(db.connection, 7, 1, 2, watched={1: _at(1), 2: _at(2)})
    assert _next(db, 7) == (1, 1)


@pytest.mark.parametrize("section", ["progress_watched", "dropped"])
def test_a_hidden_or_dropped_show_leaves_next_up_but_stays_in_snapshot(db, section):
    with write_transaction(db.connection):
        _show(db.connection, 8)
        _season(db.connection, 8, 1, 3, watched={1: _at(1)})
        db.connection.execute(
            "INSERT INTO hidden (section, media_type, trakt_id) VALUES (?, 'show', 8)", (section,)
        )
    assert [r["show_trakt_id"] for r in db.next_up()] == []
    assert db.snapshot()["next_up"] == {"8": {"season": 1, "number": 2}}


def test_a_show_hidden_from_the_calendar_stays_in_next_up(db):
    with write_transaction(db.connection):
        _show(db.connection, 9)
        _season(db.connection, 9, 1, 3, watched={1: _at(1)})
        db.connection.execute(
            "INSERT INTO hidden (section, media_type, trakt_id) VALUES ('calendar', 'show', 9)"
        )
    assert [(r["season"], r["number"]) for r in db.next_up()] == [(1, 2)]
