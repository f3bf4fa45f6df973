"""The mirror's local update after a stop (local_changes), checked against the Trakt sandbox:
Next Up moves at once, and the next sync agrees without a wasted delta fetch."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from resources.lib.database.trakt_sync import local_changes
from resources.lib.database.trakt_sync.local_changes import PlayedItem, record_stop
from tests.support.sync_rig import SyncRig, first_show_with


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path), account="medium", seed=5)
    yield rig
    rig.close()


def _endpoints(log: Dict[str, Any]) -> Dict[str, int]:
    return log["by_endpoint"]


def test_watched_stop_advances_next_up_and_the_next_sync_agrees_without_a_delta(rig):
    assert rig.sync().status == "ok"
    truth = rig.truth()
    show_id = first_show_with(truth)
    step = truth["next_up"][str(show_id)]
    item = PlayedItem("episode", show_id=show_id, season=step["season"], number=step["number"])

    change = record_stop(rig.db.connection, item, 92.5)

    assert change.action == "watched"
    local = rig.db.snapshot()["next_up"].get(str(show_id))
    assert local != step, "Next Up did not move on locally"
    # Trakt gets the same play (the scrobble), then the next sync must agree with the mirror.
    rig.sandbox.mutate("watch_episode", show=show_id, season=step["season"],
                       number=step["number"])  # fmt: skip
    assert rig.truth()["next_up"].get(str(show_id)) == local
    log = rig.requests_during()
    assert log["result"].status == "ok"
    assert rig.db.snapshot() == rig.truth()
    # No history+stats delta that could only fail: straight to the full fetch, once.
    assert "GET /sync/history/episodes" not in _endpoints(log)
    assert _endpoints(log).get("GET /sync/watched/shows", 0) >= 1


def test_watched_movie_removes_its_bookmark(rig):
    rig.sync()
    truth = rig.truth()
    movie = next(p for p in truth["playback"].values() if p["type"] == "movie")
    item = PlayedItem("movie", trakt_id=movie["trakt_id"])
    assert local_changes.bookmark_progress(rig.db.connection, item) == pytest.approx(
        movie["progress"]
    )
    change = record_stop(rig.db.connection, item, 85.0)
    assert change.action == "watched" and change.bookmarks_removed == 1
    assert local_changes.bookmark_progress(rig.db.connection, item) is None
    assert rig.db.is_movie_watched(movie["trakt_id"])


def test_partial_stop_updates_or_creates_a_bookmark_and_never_marks_watched(rig):
    rig.sync()
    truth = rig.truth()
    movie = next(p for p in truth["playback"].values() if p["type"] == "movie")
    item = PlayedItem("movie", trakt_id=movie["trakt_id"])
    record_stop(rig.db.connection, item, 42.0)
    assert local_changes.bookmark_progress(rig.db.connection, item) == 42.0
    assert not rig.db.is_movie_watched(movie["trakt_id"]) or movie["trakt_id"] in [
        int(k) for k in truth["movies"]
    ]
    show_id = first_show_with(truth)
    step = truth["next_up"][str(show_id)]
    episode = PlayedItem("episode", show_id=show_id, season=step["season"], number=step["number"])
    before = rig.db.snapshot()["next_up"][str(show_id)]
    change = record_stop(rig.db.connection, episode, 30.0)
    assert change.action == "bookmark" and change.playback_id is not None
    assert local_changes.bookmark_progress(rig.db.connection, episode) == 30.0
    assert rig.db.snapshot()["next_up"][str(show_id)] == before
    in_progress = [r for r in rig.db.in_progress() if r["show_trakt_id"] == show_id]
    assert in_progress and in_progress[0]["progress"] == 30.0


def test_below_one_percent_and_unknown_items_change_nothing(rig):
    rig.sync()
    before = rig.db.snapshot()
    assert record_stop(rig.db.connection, PlayedItem("movie", trakt_id=1), 0.5).action == "none"
    assert record_stop(rig.db.connection, PlayedItem("episode", show_id=1), 90).action == "none"
    assert rig.db.snapshot() == before


def test_first_partial_stop_of_a_movie_gets_a_labelled_bookmark(rig):
    """Issue 10: a movie the mirror has never seen showed in In Progress with an empty label."""
    from resources.lib.scrobble.media import MediaRef
    from resources.lib.scrobble.playback import played_item

    rig.sync()
    item = played_item(MediaRef.movie({"trakt": 987654, "imdb": "tt7654321"}), "Heat")
    change = record_stop(rig.db.connection, item, 42.0)
    assert change.action == "bookmark"
    row = rig.db.connection.execute(
        "SELECT title, imdb_id, progress FROM bookmarks WHERE playback_id = ?",
        (change.playback_id,),
    ).fetchone()
    assert tuple(row) == ("Heat", "tt7654321", 42.0)


def test_first_partial_stop_of_a_listed_movie_takes_the_mirrors_title_and_year(rig):
    rig.sync()
    listed = rig.db.connection.execute(
        "SELECT trakt_id, title, year FROM watchlist WHERE media_type = 'movie' AND trakt_id "
        "NOT IN (SELECT trakt_id FROM bookmarks WHERE media_type = 'movie') LIMIT 1"
    ).fetchone()
    assert listed is not None, "the medium account has no listed movie without a bookmark"
    change = record_stop(rig.db.connection, PlayedItem("movie", trakt_id=listed[0]), 30.0)
    row = rig.db.connection.execute(
        "SELECT title, year FROM bookmarks WHERE playback_id = ?", (change.playback_id,)
    ).fetchone()
    assert tuple(row) == (listed[1], listed[2]) and row[0]
