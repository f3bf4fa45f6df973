"""Up Next's next-episode choice: the pure rule, then the facade over a real mirror on disk."""

from __future__ import annotations

import datetime

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.upnext.choose import NextEpisode, choose_next, has_aired

NOW = datetime.datetime(2024, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
PAST = "2024-01-01T00:00:00.000Z"
FUTURE = "2024-06-01T12:00:01.000Z"  # one second after NOW


def ep(season, number, first_aired=PAST):
    return {"season": season, "number": number, "first_aired": first_aired}


# The show every rule case uses unless it brings its own: two seasons of three, two specials.
SHOW = [ep(1, 1), ep(1, 2), ep(1, 3), ep(2, 1), ep(2, 2), ep(2, 3), ep(0, 1), ep(0, 2)]

RULE_CASES = [
    ("next in the season", SHOW, (1, 1), {}, (1, 2)),
    ("crosses into the next season", SHOW, (1, 3), {}, (2, 1)),
    ("rows in any order", list(reversed(SHOW)), (1, 3), {}, (2, 1)),
    ("no special after a regular episode", [ep(1, 1), ep(0, 2), ep(0, 3)], (1, 1), {}, None),
    ("no special between seasons", [ep(1, 1), ep(0, 1), ep(2, 1)], (1, 1), {}, (2, 1)),
    ("after a special: the next special", SHOW, (0, 1), {}, (0, 2)),
    ("after the last special: nothing, not a regular episode", SHOW, (0, 2), {}, None),
    (
        "after a special: the next special has not aired",
        [ep(0, 1), ep(0, 2, FUTURE), ep(1, 1)],
        (0, 1),
        {},
        None,
    ),
    (
        "after a special: the next special has no air date",
        [ep(0, 1), ep(0, 2, None)],
        (0, 1),
        {},
        None,
    ),
    ("last aired episode", SHOW, (2, 3), {}, None),
    ("next one airs in the future", [ep(1, 1), ep(1, 2, FUTURE)], (1, 1), {}, None),
    ("next one has no air date", [ep(1, 1), ep(1, 2, None), ep(1, 3)], (1, 1), {}, None),
    (
        "next one aired exactly now",
        [ep(1, 1), ep(1, 2, "2024-06-01T12:00:00.000Z")],
        (1, 1),
        {},
        (1, 2),
    ),
    (
        "an episode not in the rows (a gap in the numbers) is skipped",
        [ep(1, 1), ep(1, 3)],
        (1, 1),
        {},
        (1, 3),
    ),
    ("current episode unknown to the rows", SHOW, (1, 5), {}, (2, 1)),
    ("hidden from progress", SHOW, (1, 1), {"hidden": True}, None),
    ("dropped", SHOW, (1, 1), {"dropped": True}, None),
    ("no rows", [], (1, 1), {}, None),
]


@pytest.mark.parametrize(
    "episodes, current, flags, expected",
    [c[1:] for c in RULE_CASES],
    ids=[c[0] for c in RULE_CASES],
)
def test_choose_next_rule(episodes, current, flags, expected):
    chosen = choose_next(episodes, current[0], current[1], NOW, **flags)
    assert (None if chosen is None else (chosen["season"], chosen["number"])) == expected


def test_has_aired_takes_a_naive_now_as_utc():
    naive = datetime.datetime(2024, 6, 1, 12, 0)
    assert has_aired("2024-06-01T12:00:00.000Z", naive) is True
    assert has_aired(FUTURE, naive) is False
    assert has_aired("not a date", NOW) is False
    assert has_aired(None, NOW) is False
    assert has_aired("2024-06-01", NOW) is True  # a plain date: its midnight, UTC
    assert has_aired("2024-06-01T14:00:00+02:00", NOW) is True  # another zone: 12:00 UTC
    assert has_aired("2024-06-01T14:00:01+02:00", NOW) is False


def _show(conn, trakt, title, reset_at=None, runtime=45):
    conn.execute(
        "INSERT INTO shows (trakt_id, slug, imdb_id, tmdb_id, tvdb_id, title, year, runtime, "
        "reset_at, has_metadata) VALUES (?, ?, ?, ?, NULL, ?, 2019, ?, ?, 1)",
        (trakt, "show-%d" % trakt, "tt%07d" % trakt, trakt * 10, title, runtime, reset_at),
    )


def _episode(conn, show, season, number, aired=PAST, plays=0, runtime=None, metadata=1):
    conn.execute(
        "INSERT INTO episodes (show_id, season, number, trakt_id, imdb_id, tmdb_id, title, "
        "first_aired, runtime, has_metadata, plays, last_watched_at) "
        "VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
        (show, season, number, show * 1000 + season * 100 + number, show * 7 + number,
         "Episode %dx%d" % (season, number), aired, runtime, metadata, plays,
         PAST if plays else None),
    )  # fmt: skip


def _hide(conn, section, show):
    conn.execute(
        "INSERT INTO hidden (section, media_type, trakt_id) VALUES (?, 'show', ?)", (section, show)
    )


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    conn = database.connection
    with write_transaction(conn):
        # 1: two seasons of two, a special; 2x1 already watched; a reset after everything
        _show(conn, 1, "Linear", reset_at="2024-05-01T00:00:00.000Z")
        _episode(conn, 1, 1, 1, plays=1, runtime=50)
        _episode(conn, 1, 1, 2, plays=1)
        _episode(conn, 1, 2, 1, plays=1, runtime=61)
        _episode(conn, 1, 2, 2)
        _episode(conn, 1, 0, 1, plays=1)
        _episode(conn, 1, 0, 2, aired=None)
        # 2: the next episode airs later; 3: hidden from progress; 4: dropped
        _show(conn, 2, "Waiting")
        _episode(conn, 2, 1, 1, plays=1)
        _episode(conn, 2, 1, 2, aired=FUTURE)
        for trakt, section in ((3, "progress_watched"), (4, "dropped")):
            _show(conn, trakt, "Hidden %d" % trakt)
            _episode(conn, trakt, 1, 1, plays=1)
            _episode(conn, trakt, 1, 2)
            _hide(conn, section, trakt)
        # 5: hidden in a section that does not stop Up Next (the calendar)
        _show(conn, 5, "Calendar-hidden")
        _episode(conn, 5, 1, 1, plays=1)
        _episode(conn, 5, 1, 2)
        _hide(conn, "calendar", 5)
        # 6: a row known from history only (no metadata) is not offered
        _show(conn, 6, "Partial")
        _episode(conn, 6, 1, 1, plays=1)
        _episode(conn, 6, 1, 2, aired=None, plays=1, metadata=0)
    yield database
    database.close()


def test_facade_next_episode_is_the_full_record(db):
    assert db.next_episode_after(1, 1, 2, now=NOW) == NextEpisode(
        show_id=1,
        show_ids={"trakt": 1, "slug": "show-1", "imdb": "tt0000001", "tmdb": 10},
        show_title="Linear",
        season=2,
        number=1,
        title="Episode 2x1",
        ids={"trakt": 1201, "tmdb": 8},
        first_aired=PAST,
        runtime=61,
    )


@pytest.mark.parametrize(
    "show, current, expected",
    [
        (1, (1, 1), (1, 2)),  # watched, and after a reset: still the episode after this one
        (1, (2, 1), (2, 2)),
        (1, (2, 2), None),  # the last episode
        (1, (0, 1), None),  # after a special: the next special has no air date
        (1, (9, 9), None),  # past the end
        (2, (1, 1), None),  # not aired yet
        (3, (1, 1), None),  # hidden from progress
        (4, (1, 1), None),  # dropped
        (5, (1, 1), (1, 2)),  # hidden from the calendar only
        (6, (1, 1), None),  # the following row has no metadata
        (99, (1, 1), None),  # unknown show
    ],
)
def test_facade_next_episode_after(db, show, current, expected):
    chosen = db.next_episode_after(show, current[0], current[1], now=NOW)
    assert (None if chosen is None else (chosen.season, chosen.number)) == expected


def test_facade_runtime_falls_back_to_the_show(db):
    chosen = db.next_episode_after(1, 2, 1, now=NOW)
    assert (chosen.title, chosen.runtime) == ("Episode 2x2", 45)


def test_facade_now_defaults_to_the_clock(db):
    # 2x2 aired in 2024; FUTURE is in the past by the real clock, so show 2 offers 1x2 too.
    assert db.next_episode_after(1, 2, 1).number == 2
    assert db.next_episode_after(2, 1, 1).number == 2


def test_facade_after_a_special_offers_the_next_aired_special(db):
    with write_transaction(db.connection):
        db.connection.execute(
            "UPDATE episodes SET first_aired = ? WHERE show_id = 1 AND season = 0 AND number = 2",
            (PAST,),
        )
    chosen = db.next_episode_after(1, 0, 1, now=NOW)
    assert (chosen.season, chosen.number, chosen.title) == (0, 2, "Episode 0x2")
