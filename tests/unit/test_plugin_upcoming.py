"""Trakt -> Upcoming and Recently Watched in the plugin (strict xbmc doubles, real SQLite):
the menu entries, day headings, unaired episodes dimmed and inert, widgets without headings or
dialogs, art from the meta cache, and an empty list that says why."""

from __future__ import annotations

import datetime
import time

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.database.trakt_sync.items import now_iso
from resources.lib.kodi.paths import get_paths
from tests.support.browse_mirror import SHOW_ID
from tests.unit.test_plugin_trakt_art import (
    URL,
    aio,  # noqa: F401 - the fixture
    browse,
    fill_cache,
)
from tests.unit.test_plugin_trakt_art import kodi as art_kodi  # noqa: F401 - the fixture

DAY = 86400.0
DIM = "[COLOR FF808080]"


@pytest.fixture
def kodi(art_kodi):  # noqa: F811 - the browse fixture: authorised, mirror seeded
    return art_kodi


def _air_season_three(offsets_days):
    """Season 3 of the seeded show airs ``offsets_days`` from now; returns the air times."""
    now = time.time()
    stamps = [now + offset * DAY for offset in offsets_days]
    with TraktSyncDatabase(get_paths().db_path) as db, write_transaction(db.connection):
        for number, stamp in enumerate(stamps, start=1):
            db.connection.execute(
                "INSERT INTO episodes (show_id, season, number, trakt_id, title, first_aired, "
                "has_metadata) VALUES (?, 3, ?, ?, ?, ?, 1)",
                (SHOW_ID, number, 70300 + number, "New %d" % number, now_iso(stamp)),
            )
    return stamps


def _labels(entries):
    return [item.getLabel() for _, item, _ in entries]


def _local_date(stamp):
    return datetime.datetime.fromtimestamp(stamp).date()


def _heading(stamp):
    """The day heading a user in this machine's zone expects for ``stamp``."""
    date = _local_date(stamp)
    offset = (date - _local_date(time.time())).days
    if offset in (0, 1):
        return ("Today", "Tomorrow")[offset]
    return "%s %d" % (date.strftime("%A"), date.day)  # the C locale's English names


def _clock(stamp):
    """``stamp``'s local time as Kodi's default region (USA 12h, "%I:%M:%S %p") shows it,
    without the seconds and with the hour unpadded as Kodi's own "h" is: ``8:05 PM``."""
    local = datetime.datetime.fromtimestamp(stamp)
    return "%d:%02d %s" % (local.hour % 12 or 12, local.minute, "PM" if local.hour >= 12 else "AM")


def test_the_trakt_menu_offers_both_after_in_progress(kodi):
    entries = browse(kodi, "?action=trakt")
    urls = [url for url, _, _ in entries]
    start = urls.index(URL + "?action=in_progress")
    assert urls[start + 1 : start + 3] == [
        URL + "?action=upcoming",
        URL + "?action=recently_watched",
    ]
    assert _labels(entries)[start + 1 : start + 3] == ["Upcoming", "Recently Watched"]


def test_upcoming_has_a_heading_per_day_and_unaired_episodes_do_not_play(kodi):
    stamps = _air_season_three([1.25, 8, 20])  # the third is beyond the 14 days
    entries = browse(kodi, "?action=upcoming")
    labels = _labels(entries)
    assert len(entries) == 4, labels  # two days, one episode each
    heading, first, heading2, second = entries
    assert labels[0] == "[B]%s[/B]" % _heading(stamps[0])
    assert labels[2] == "[B]%s[/B]" % _heading(stamps[1])  # "Monday 14"
    for url, item, folder in (heading, heading2):
        assert url.startswith(URL + "?action=noop") and not folder
        assert item.getProperty("IsPlayable") != "true"
    clock = _clock(stamps[0])  # the time as the user's region setting writes it
    assert labels[1] == "%s%s  Breaking Bad 3x01. New 1[/COLOR]" % (DIM, clock)
    assert labels[3].startswith(DIM) and "Breaking Bad 3x02. New 2" in labels[3]
    for url, item, folder in (first, second):
        assert url == URL + "?action=noop&reason=not_aired" and not folder
        assert item.getProperty("IsPlayable") != "true"
        assert "Show page" in dict(item.context_menu)
        assert "Mark as watched" not in dict(item.context_menu)
    assert kodi.dialogs == []


def test_upcoming_as_a_widget_puts_the_day_in_each_label(kodi):
    stamps = _air_season_three([1.25, 8])
    entries = browse(kodi, "?action=upcoming&widget=1")
    labels = _labels(entries)
    assert len(entries) == 2 and all(label.startswith(DIM) for label in labels)
    clock = _clock(stamps[1])
    assert labels[1] == "%s%s, %s  Breaking Bad 3x02. New 2[/COLOR]" % (
        DIM, _heading(stamps[1]), clock)  # fmt: skip
    assert kodi.dialogs == []


def test_times_follow_the_region_setting_in_twenty_four_hours(kodi):
    """A region with a 24-hour clock ("UK (24h)": getRegion answers "%H:%M:%S")."""
    kodi.region.update(time="%H:%M:%S", meridiem="/")
    stamps = _air_season_three([1.25])
    entries = browse(kodi, "?action=upcoming")
    clock = datetime.datetime.fromtimestamp(stamps[0]).strftime("%H:%M")
    assert _labels(entries)[1] == "%s%s  Breaking Bad 3x01. New 1[/COLOR]" % (DIM, clock)
    recent = browse(kodi, "?action=recently_watched")
    watched = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    assert recent[1][1].label2 == datetime.datetime.fromtimestamp(watched).strftime(
        "%Y-%m-%d %H:%M")  # fmt: skip


def test_recently_watched_lists_the_last_plays_newest_first_and_they_play(kodi):
    entries = browse(kodi, "?action=recently_watched")
    assert _labels(entries) == [
        "Breaking Bad 1x02. E2",  # as Next Up and In Progress label an episode
        "Breaking Bad 1x01. E1",
        "The Shawshank Redemption",
    ]
    for url, item, folder in entries:
        assert url.startswith("plugin://plugin.video.aiostreams/play?") and not folder
        assert item.getProperty("IsPlayable") == "true"
    assert "season=1" in entries[0][0] and "episode=2" in entries[0][0]
    watched = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc).timestamp()  # S1E1
    local = datetime.datetime.fromtimestamp(watched).strftime("%Y-%m-%d ") + _clock(watched)
    assert entries[1][1].label2 == local  # the play's time in this machine's zone
    assert browse(kodi, "?action=recently_watched&widget=1") and kodi.dialogs == []


def test_both_lists_get_art_from_the_meta_cache(kodi, aio):  # noqa: F811
    _air_season_three([2])
    fill_cache(aio)
    before = len(aio.requests())
    upcoming = [item for url, item, _ in browse(kodi, "?action=upcoming") if "not_aired" in url]
    recent = [item for _, item, _ in browse(kodi, "?action=recently_watched")]
    assert len(upcoming) == 1 and len(recent) == 3  # the loop below checks something
    for item in upcoming + recent[:2]:
        assert {"poster", "fanart"} <= set(item.art)
    assert len(aio.requests()) == before  # the lists read the cache only


def test_both_lists_show_the_users_ratings_read_once_per_list(kodi, monkeypatch):
    """The issue: "The ratings the mirror holds show in every list"."""
    _air_season_three([2])  # 3x01, Trakt id 70301
    with TraktSyncDatabase(get_paths().db_path) as db, write_transaction(db.connection):
        db.connection.executemany(
            "INSERT INTO ratings (media_type, trakt_id, rating, show_id, season, number) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [("episode", 70102, 8, SHOW_ID, 1, 2), ("movie", 1, 9, None, None, None),
             ("episode", 70301, 7, SHOW_ID, 3, 1)],
        )  # fmt: skip
    calls = []
    real = TraktSyncDatabase.ratings_for

    def counted(self, keys):
        calls.append(list(keys))
        return real(self, keys)

    monkeypatch.setattr(TraktSyncDatabase, "ratings_for", counted)
    recent = {item.getLabel(): item.getVideoInfoTag().data for _, item, _ in
              browse(kodi, "?action=recently_watched")}  # fmt: skip
    assert recent["Breaking Bad 1x02. E2"]["userRating"] == 8
    assert recent["The Shawshank Redemption"]["userRating"] == 9
    assert recent["Breaking Bad 1x02. E2"]["plot"].startswith("Your rating: 8")
    assert "userRating" not in recent["Breaking Bad 1x01. E1"]  # not rated
    upcoming = [item for url, item, _ in browse(kodi, "?action=upcoming") if "not_aired" in url]
    assert len(upcoming) == 1 and upcoming[0].getVideoInfoTag().data["userRating"] == 7
    assert [len(keys) for keys in calls] == [3, 1]  # one read per list, headings not asked


@pytest.mark.parametrize(
    "query, label",
    [("?action=upcoming", "Nothing airing in the next 14 days from the shows you watch"),
     ("?action=recently_watched", "Nothing watched yet")],
)  # fmt: skip
def test_an_empty_list_says_why(kodi, query, label):
    with TraktSyncDatabase(get_paths().db_path) as db, write_transaction(db.connection):
        db.connection.execute("DELETE FROM shows")
        db.connection.execute("DELETE FROM movies")
        db.connection.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_sync_at', ?)", (now_iso(),)
        )
    for widget in ("", "&widget=1"):
        entries = browse(kodi, query + widget)
        assert _labels(entries) == [label]
        assert entries[0][1].getProperty("IsPlayable") != "true"
    assert kodi.dialogs == []
