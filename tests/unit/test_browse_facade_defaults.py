"""The mirror's Upcoming / Recently Watched reads take their window and length from
``upcoming.UPCOMING_DAYS`` / ``RECENT_LIMIT``: the facade restates neither."""

from __future__ import annotations

import datetime

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase, upcoming
from resources.lib.database.trakt_sync.items import now_iso

NOW = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.timezone.utc).timestamp()
DAY = 86400.0


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    conn = database.connection
    conn.execute(
        "INSERT INTO shows (trakt_id, title, plays, last_watched_at, has_metadata) "
        "VALUES (1, 'Show', 2, ?, 1)",
        (now_iso(NOW - DAY),),
    )
    for number, aired, plays in (
        (1, NOW - 3 * DAY, 1),
        (2, NOW - 2 * DAY, 1),
        (3, NOW + 5 * DAY, 0),
    ):
        conn.execute(
            "INSERT INTO episodes (show_id, season, number, trakt_id, first_aired, has_metadata, "
            "plays, last_watched_at) VALUES (1, 1, ?, ?, ?, 1, ?, ?)",
            (number, 100 + number, now_iso(aired), plays, now_iso(aired) if plays else None),
        )
    yield database
    database.close()


def test_upcoming_window_is_the_modules_constant(db, monkeypatch):
    assert [row["number"] for row in db.upcoming(now=NOW)] == [3]  # 5 days out, within 14
    monkeypatch.setattr(upcoming, "UPCOMING_DAYS", 3)
    assert db.upcoming(now=NOW) == []
    assert [row["number"] for row in db.upcoming(now=NOW, days=6)] == [3]


def test_recently_watched_length_is_the_modules_constant(db, monkeypatch):
    assert len(db.recently_watched()) == 2
    monkeypatch.setattr(upcoming, "RECENT_LIMIT", 1)
    assert [row["trakt_id"] for row in db.recently_watched()] == [102]
    assert len(db.recently_watched(limit=5)) == 2
