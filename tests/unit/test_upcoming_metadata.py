"""Season metadata for Upcoming: a show the user is caught up on, watched lately, gets its
episode list (with the episodes not aired yet) although it has no Next Up; a recently watched
show's list is fetched again weekly so a newly announced season shows up before it airs."""

from __future__ import annotations

import time

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase, metadata
from resources.lib.database.trakt_sync.context import SyncContext
from resources.lib.database.trakt_sync.items import now_iso

NOW = 1_800_000_000.0
DAY = 86400.0


@pytest.fixture
def conn(tmp_path):
    db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    yield db.connection
    db.close()


def _show(conn, show_id, watched_days_ago, has_metadata=0, checked_days_ago=None, aired=10):
    checked = None if checked_days_ago is None else NOW - checked_days_ago * DAY
    conn.execute(
        "INSERT INTO shows (trakt_id, title, aired_episodes, completed_episodes, plays, "
        "last_watched_at, has_metadata, metadata_checked_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (show_id, "show %d" % show_id, aired, aired, aired,
         now_iso(NOW - watched_days_ago * DAY), has_metadata, checked),
    )  # fmt: skip


def _needed(conn):
    ctx = SyncContext(client=None, should_abort=None, now=NOW)
    ctx.aired_counts = {9: 1}  # the watched shows were fetched in this run
    return metadata.shows_needing_metadata(conn, ctx)


def test_a_caught_up_show_watched_lately_gets_its_episode_list(conn):
    _show(conn, 1, watched_days_ago=5)
    _show(conn, 2, watched_days_ago=metadata.FOLLOWING_DAYS + 30)  # an old, finished show
    assert _needed(conn) == [1]


def test_hidden_or_dropped_caught_up_shows_are_not_fetched(conn):
    _show(conn, 1, watched_days_ago=5)
    _show(conn, 2, watched_days_ago=5)
    _show(conn, 3, watched_days_ago=5)
    conn.execute("INSERT INTO hidden (section, media_type, trakt_id) VALUES "
                 "('progress_watched', 'show', 2), ('dropped', 'show', 3)")  # fmt: skip
    assert _needed(conn) == [1]


def _listed(conn, show_id, *aired_days_ago):
    """Metadata episodes of ``show_id`` (None: no air date yet), all watched but the unaired."""
    for number, days in enumerate(aired_days_ago, start=1):
        aired = None if days is None else now_iso(NOW - days * DAY)
        plays = 1 if days is not None and days > 0 else 0
        conn.execute(
            "INSERT INTO episodes (show_id, season, number, first_aired, has_metadata, plays) "
            "VALUES (?, 1, ?, ?, 1, ?)",
            (show_id, number, aired, plays),
        )


def test_an_airing_followed_show_is_fetched_again_after_a_week_and_not_before(conn):
    _show(conn, 1, watched_days_ago=20, has_metadata=1, checked_days_ago=14)
    _listed(conn, 1, 30, 23, -5)  # one more episode next week
    _show(conn, 2, watched_days_ago=20, has_metadata=1, checked_days_ago=2)
    _listed(conn, 2, 30, 23, -5)
    _show(conn, 3, watched_days_ago=metadata.FOLLOWING_DAYS + 1, has_metadata=1,
          checked_days_ago=30)  # fmt: skip
    _listed(conn, 3, 100, 93, -5)
    _show(conn, 4, watched_days_ago=20, has_metadata=1, checked_days_ago=14)
    _listed(conn, 4, 60, 50, None)  # the season's last episode has no date yet
    assert _needed(conn) == [1, 4]


def test_the_weekly_refreshes_are_spread_over_a_week_by_show(conn):
    for show_id in (7, 8, 13):  # due after 7, 8 and 13 days
        _show(conn, show_id, watched_days_ago=20, has_metadata=1, checked_days_ago=7.5)
        _listed(conn, show_id, 30, -5)
    assert _needed(conn) == [7]
    assert [metadata.refresh_interval(show) / DAY for show in (7, 8, 13)] == [7.0, 8.0, 13.0]


def test_an_old_show_binged_lately_is_not_fetched_again(conn):
    _show(conn, 1, watched_days_ago=3, has_metadata=1, checked_days_ago=30, aired=3)
    _listed(conn, 1, 4000, 3993, 3986)  # ended ten years ago
    assert _needed(conn) == []


def test_episodes_not_aired_yet_are_kept_with_their_air_date(conn):
    _show(conn, 1, watched_days_ago=5)
    future = now_iso(time.time() + 3 * DAY)
    episodes = [
        dict(season=1, number=n, trakt_id=100 + n, imdb_id=None, tmdb_id=None, tvdb_id=None,
             title="E%d" % n, first_aired=aired, runtime=30)
        for n, aired in ((1, now_iso(NOW - 9 * DAY)), (2, future), (3, None))
    ]  # fmt: skip
    metadata.apply_show_seasons(conn, 1, episodes, NOW)
    rows = conn.execute(
        "SELECT number, first_aired FROM episodes WHERE show_id = 1 ORDER BY number"
    ).fetchall()
    assert [tuple(row) for row in rows] == [(1, now_iso(NOW - 9 * DAY)), (2, future), (3, None)]


def test_shows_fetched_for_upcoming_alone_are_capped_per_run_most_recent_first(conn):
    count = metadata.FOLLOWING_PER_RUN + 5
    for show_id in range(1, count + 1):
        _show(conn, show_id, watched_days_ago=show_id / 10.0)  # show 1 watched most recently
    _show(conn, 500, watched_days_ago=50, aired=10)
    conn.execute("UPDATE shows SET completed_episodes = 4 WHERE trakt_id = 500")  # has Next Up
    needed = _needed(conn)
    assert 500 in needed  # Next Up's own need is never capped
    assert sorted(s for s in needed if s != 500) == list(range(1, metadata.FOLLOWING_PER_RUN + 1))
