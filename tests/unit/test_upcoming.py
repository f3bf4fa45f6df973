"""Trakt -> Upcoming and Recently Watched, from the mirror on a real SQLite file.

Upcoming: the 14-day window's edges, hidden/dropped and unwatched shows left out, and the day
grouping in the device's zone across midnight (2026-12-07T01:30Z is Monday 7 in UTC and Sunday 6
in New York). Recently watched: newest first, one row per item, at most 50.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import textwrap

import pytest

from resources.lib import i18n
from resources.lib.browse import upcoming_days
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.database.trakt_sync.items import now_iso

# Sunday 2026-12-06 12:00 UTC
NOW = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.timezone.utc).timestamp()
DAY = 86400.0
UTC = datetime.timezone.utc
NEW_YORK_DECEMBER = datetime.timezone(datetime.timedelta(hours=-5))  # EST, no DST in December
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def db(tmp_path):
    db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    yield db
    db.close()


def _show(db, show_id, plays=5, title=None):
    db.connection.execute(
        "INSERT INTO shows (trakt_id, title, imdb_id, plays, last_watched_at, has_metadata) "
        "VALUES (?, ?, ?, ?, ?, 1)",
        (show_id, title or "Show %d" % show_id, "tt%07d" % show_id, plays, now_iso(NOW - DAY)),
    )


def _episode(db, show_id, season, number, aired, plays=0, watched=None):
    db.connection.execute(
        "INSERT INTO episodes (show_id, season, number, trakt_id, title, first_aired, "
        "has_metadata, plays, last_watched_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
        (show_id, season, number, show_id * 1000 + season * 100 + number, "Ep %d" % number,
         aired if isinstance(aired, str) or aired is None else now_iso(aired), plays,
         None if watched is None else now_iso(watched)),
    )  # fmt: skip


def _keys(rows):
    return [(row["show_trakt_id"], row["season"], row["number"]) for row in rows]


# ------------------------------------------------------------------ the 14-day window


def test_the_window_is_after_now_up_to_fourteen_days_later(db):
    _show(db, 1)
    _episode(db, 1, 1, 1, NOW - 1, plays=1, watched=NOW - 1)  # aired: Next Up's, not ours
    _episode(db, 1, 1, 2, NOW)  # airs this very moment: aired
    _episode(db, 1, 1, 3, NOW + 1)
    _episode(db, 1, 1, 4, NOW + 14 * DAY)  # the last moment of the window
    _episode(db, 1, 1, 5, NOW + 14 * DAY + 1)
    _episode(db, 1, 1, 6, None)  # not announced
    assert _keys(db.upcoming(now=NOW)) == [(1, 1, 3), (1, 1, 4)]


def test_soonest_first_across_shows_and_specials_count(db):
    _show(db, 1, title="Beta")
    _show(db, 2, title="Alpha")
    _episode(db, 1, 2, 1, NOW + 3 * DAY)
    _episode(db, 2, 0, 4, NOW + 3 * DAY)  # a special at the same time: title order
    _episode(db, 2, 3, 1, NOW + 1 * DAY)
    assert _keys(db.upcoming(now=NOW)) == [(2, 3, 1), (2, 0, 4), (1, 2, 1)]
    row = db.upcoming(now=NOW)[0]
    assert row["type"] == "episode" and row["show_title"] == "Alpha"
    assert row["show_imdb_id"] == "tt0000002" and row["first_aired"] == now_iso(NOW + DAY)


def test_hidden_dropped_and_unwatched_shows_are_left_out(db):
    for show_id in (1, 2, 3, 5):
        _show(db, show_id)
    _show(db, 4, plays=0)  # no plays: a show the user does not watch
    for show_id in (1, 2, 3, 4, 5):
        _episode(db, show_id, 1, 1, NOW + 2 * DAY)
    db.connection.execute(
        "INSERT INTO hidden (section, media_type, trakt_id) VALUES ('progress_watched', 'show', "
        "2), ('dropped', 'show', 3), ('calendar', 'show', 5)"
    )  # hidden from the calendar only: still a show the user follows in progress
    assert _keys(db.upcoming(now=NOW)) == [(1, 1, 1), (5, 1, 1)]


# ------------------------------------------------------------------ days in the local zone


def _rows_at(*stamps):
    return [{"first_aired": stamp, "title": stamp} for stamp in stamps]


def _named(days):
    return [
        (upcoming_days.heading(day, i18n.localize), [a.row["title"] for a in day.airings])
        for day in days
    ]


def test_an_episode_after_midnight_utc_is_the_evening_before_in_new_york():
    rows = _rows_at("2026-12-07T01:30:00.000Z", "2026-12-06T23:00:00.000Z")
    later = NOW + 2 * DAY  # Tuesday 8: neither day is "today" or "tomorrow"
    in_utc = upcoming_days.group_by_day(rows, NOW - 3 * DAY, tz=UTC)
    in_new_york = upcoming_days.group_by_day(rows, NOW - 3 * DAY, tz=NEW_YORK_DECEMBER)
    assert _named(in_utc) == [
        ("Sunday 6", ["2026-12-06T23:00:00.000Z"]),
        ("Monday 7", ["2026-12-07T01:30:00.000Z"]),
    ]
    assert _named(in_new_york) == [
        ("Sunday 6", ["2026-12-06T23:00:00.000Z", "2026-12-07T01:30:00.000Z"])
    ]
    assert in_new_york[0].airings[1].local.strftime("%H:%M") == "20:30"
    assert upcoming_days.group_by_day(rows, later, tz=UTC)[1].offset == -1


def test_today_and_tomorrow_follow_the_local_date_of_now():
    rows = _rows_at("2026-12-07T01:30:00.000Z", "2026-12-07T23:30:00.000Z")
    now = datetime.datetime(2026, 12, 6, 22, 0, tzinfo=UTC).timestamp()  # 17:00 in New York
    assert _named(upcoming_days.group_by_day(rows, now, tz=UTC)) == [
        ("Tomorrow", ["2026-12-07T01:30:00.000Z", "2026-12-07T23:30:00.000Z"])
    ]
    assert _named(upcoming_days.group_by_day(rows, now, tz=NEW_YORK_DECEMBER)) == [
        ("Today", ["2026-12-07T01:30:00.000Z"]),
        ("Tomorrow", ["2026-12-07T23:30:00.000Z"]),
    ]


def test_unreadable_air_times_are_left_out():
    rows = _rows_at("2026-12-07T01:30:00.000Z", None, "soon", "2026-13-40T00:00:00.000Z")
    assert _named(upcoming_days.group_by_day(rows, NOW, tz=UTC)) == [
        ("Tomorrow", ["2026-12-07T01:30:00.000Z"])
    ]


def test_stored_times_are_read_by_the_browse_parser_into_the_zone():
    """``local_time`` builds on ``browse.shows.parse_time`` (fromisoformat, no strptime)."""
    assert upcoming_days.local_time("2026-12-07T01:30:00.000Z", NEW_YORK_DECEMBER) == (
        datetime.datetime(2026, 12, 6, 20, 30, tzinfo=NEW_YORK_DECEMBER))  # fmt: skip
    assert upcoming_days.local_time("2026-12-07T01:30:00Z", UTC).strftime("%H:%M") == "01:30"
    assert upcoming_days.local_time("2026-12-07", UTC) == datetime.datetime(
        2026, 12, 7, tzinfo=UTC)  # fmt: skip
    for unreadable in (None, "", "soon", 1796000000, "2026-13-40T00:00:00.000Z"):
        assert upcoming_days.local_time(unreadable, UTC) is None


@pytest.mark.skipif(not hasattr(__import__("time"), "tzset"), reason="time.tzset is POSIX only")
@pytest.mark.parametrize(
    "zone, expected",
    [("UTC", "Monday 7 01:30"), ("America/New_York", "Sunday 6 20:30"),
     ("Asia/Tokyo", "Monday 7 10:30")],
)  # fmt: skip
def test_without_a_zone_the_device_zone_is_used(zone, expected):
    """tz=None is the system's zone: a child process with TZ set (time.tzset) groups by it."""
    if not os.path.exists(os.path.join("/usr/share/zoneinfo", zone)):
        pytest.fail("the zone database lacks %s: install tzdata" % zone)
    code = textwrap.dedent(
        """
        import time
        time.tzset()
        from resources.lib import i18n
        from resources.lib.browse import upcoming_days as u
        days = u.group_by_day([{"first_aired": "2026-12-07T01:30:00.000Z"}], 1796000000.0)
        day = days[0]
        print(u.weekday_day(day.date, i18n.localize), day.airings[0].local.strftime("%H:%M"))
        """
    )
    env = dict(os.environ, TZ=zone)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    ).stdout  # fmt: skip
    assert out.strip() == expected


# ------------------------------------------------------------------ recently watched


def _movie(db, movie_id, watched, plays=1):
    db.connection.execute(
        "INSERT INTO movies (trakt_id, title, year, imdb_id, plays, last_watched_at) "
        "VALUES (?, ?, 2020, ?, ?, ?)",
        (movie_id, "Movie %d" % movie_id, "tt9%06d" % movie_id, plays, now_iso(watched)),
    )


def test_recent_plays_newest_first_one_row_per_item(db):
    _show(db, 1)
    _episode(db, 1, 1, 1, NOW - 30 * DAY, plays=3, watched=NOW - 5 * DAY)  # watched 3 times
    _episode(db, 1, 1, 2, NOW - 20 * DAY, plays=1, watched=NOW - 1 * DAY)
    _episode(db, 1, 1, 3, NOW - 10 * DAY)  # never watched
    _movie(db, 7, NOW - 2 * DAY, plays=2)
    _movie(db, 8, NOW - 9 * DAY)
    db.connection.execute("INSERT INTO movies (trakt_id, title, plays) VALUES (9, 'none', 0)")
    rows = db.recently_watched()
    assert [(row["type"], row["trakt_id"]) for row in rows] == [
        ("episode", 1102), ("movie", 7), ("episode", 1101), ("movie", 8)
    ]  # fmt: skip
    episode = rows[0]
    assert (episode["show_title"], episode["season"], episode["number"]) == ("Show 1", 1, 2)
    assert rows[1]["title"] == "Movie 7" and rows[1]["year"] == 2020 and rows[1]["plays"] == 2


def test_recent_keeps_the_last_fifty(db):
    _show(db, 1)
    for number in range(1, 41):
        _episode(db, 1, 1, number, NOW - 90 * DAY, plays=1, watched=NOW - number * 3600)
    for movie_id in range(1, 31):
        _movie(db, movie_id, NOW - movie_id * 3600 - 1800)
    rows = db.recently_watched()
    assert len(rows) == 50
    stamps = [row["last_watched_at"] for row in rows]
    assert stamps == sorted(stamps, reverse=True)
    # episodes 1 h ... 25 h ago and movies 1.5 h ... 25.5 h ago are the 50 newest
    assert stamps[-1] == now_iso(NOW - 25 * 3600 - 1800)
    assert sum(row["type"] == "movie" for row in rows) == 25
    assert len(db.recently_watched(limit=5)) == 5


def test_the_command_line_words_the_days_and_the_plays():
    from resources.lib import cli_upcoming

    row = {"first_aired": "2026-12-07T01:30:00.000Z", "show_title": "Atlas", "season": 2,
           "number": 3, "title": "Signal", "type": "episode"}  # fmt: skip
    assert cli_upcoming.format_upcoming([row], NOW, tz=NEW_YORK_DECEMBER) == [
        "Upcoming (1):", "  Today", "    20:30  Atlas  S02E03  Signal"]  # fmt: skip
    assert cli_upcoming.format_upcoming([row], NOW, tz=UTC) == [
        "Upcoming (1):", "  Tomorrow", "    01:30  Atlas  S02E03  Signal"]  # fmt: skip
    assert cli_upcoming.format_upcoming([], NOW) == [
        "Nothing airing in the next 14 days from the shows you watch"
    ]
    movie = {"type": "movie", "title": "Orbit", "year": 2020,
             "last_watched_at": "2026-12-07T01:30:00.000Z"}  # fmt: skip
    untitled = dict(row, title=None, last_watched_at="2026-12-06T10:00:00.000Z")
    assert cli_upcoming.format_recent([movie, untitled], tz=NEW_YORK_DECEMBER) == [
        "Recently watched (2):",
        "  2026-12-06 20:30  Orbit (2020)",
        "  2026-12-06 05:00  Atlas  S02E03",  # as the CLI's In Progress names it
    ]
    assert cli_upcoming.format_recent([]) == ["Nothing watched yet"]
