"""Ratings against the Trakt sandbox: *Rate...* (the context route, Kodi doubles for the select)
queues through the outbox and the next sync sends it (``POST /sync/ratings`` with the rating's
``rated_at``, ``/sync/ratings/remove``); a free account over its ratings limit gets 420 once: the
rating is dropped, the mirror goes back to Trakt's, and the user reads issue 8's message once."""

from __future__ import annotations

import os

import pytest

from resources.lib.database.trakt_sync.items import parse_time
from resources.lib.kodi import notices
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import router
from tests.support.sync_rig import SyncRig

URL = "plugin://plugin.video.aiostreams/"
ADD, REMOVE = "POST /sync/ratings", "POST /sync/ratings/remove"


@pytest.fixture
def rig(kodi):
    """The sandbox's account mirrored into the add-on's own data folder (the context route
    opens the same database)."""
    folder = get_paths().data_dir
    os.makedirs(folder, exist_ok=True)
    kodi.set_setting("trakt_client_id", "sandbox-client-id")
    kodi.set_setting("trakt_client_secret", "sandbox-client-secret")
    rig = SyncRig(folder)
    assert rig.db_path == get_paths().db_path
    assert rig.sync().status == "ok"
    yield rig
    rig.close()


def _unrated_movie(rig):
    state = rig.sandbox.state
    return next(m for m in sorted(state.catalog.movies) if m not in state.ratings)


def _watched_episode(rig):
    """(show, season, number, episode trakt id) of a watched episode nobody rated."""
    state = rig.sandbox.state
    show = next(s for s in sorted(state.catalog.shows) if rig.db.show_progress(s))
    season = state.catalog.shows[show].seasons[1]
    number, episode = sorted(season.episodes.items())[0]
    assert episode.trakt not in state.ratings
    return show, 1, number, episode.trakt


def _rate(kodi, answer, query):
    kodi.script("select", answer)
    router.run([URL, "-1", "?action=context&op=rate&" + query])


def test_rate_reaches_trakt_with_its_time_and_remove_follows(rig, kodi):
    movie = _unrated_movie(rig)
    show, season, number, episode_id = _watched_episode(rig)
    _rate(kodi, 1, "type=movie&trakt=%d" % movie)  # 9
    _rate(kodi, 3, "type=episode&show=%d&season=%d&number=%d" % (show, season, number))  # 7
    rows = {row.item_key: row for row in rig.db.outbox_rows()}
    assert len(rows) == 2
    assert rig.db.ratings_for([("movie", movie, None, None, None)]) == [9]  # at once
    log = rig.requests_during()
    assert log["result"].status == "ok", log["result"].error
    assert log["by_endpoint"].get(ADD) == 2
    ratings = rig.sandbox.state.ratings
    assert ratings[movie][0] == 9 and ratings[episode_id][0] == 7
    queued_at = parse_time(rows["rating:movie:%d" % movie].created_at)
    assert abs(ratings[movie][1] / 1000.0 - queued_at.timestamp()) < 1.0  # Trakt keeps rated_at
    assert rig.db.outbox_rows() == []
    # The pull brought Trakt's rows back: the episode now under its own Trakt id.
    assert rig.db.ratings_for([("episode", episode_id, None, None, None)]) == [7]
    _rate(kodi, 10, "type=movie&trakt=%d" % movie)  # "Remove rating"
    log = rig.requests_during()
    assert log["by_endpoint"].get(REMOVE) == 1 and movie not in rig.sandbox.state.ratings
    assert rig.db.ratings_for([("movie", movie, None, None, None)]) == [None]


def test_a_free_accounts_ratings_limit_is_told_once_and_undone(rig, kodi):
    state = rig.sandbox.state
    rated = sorted(state.ratings)
    limit = len(rated)
    rig.sandbox.mutate("ratings_limit", items=limit)
    movie = _unrated_movie(rig)
    _rate(kodi, 0, "type=movie&trakt=%d" % movie)  # 10: a new rating, one over the limit
    assert rig.db.ratings_for([("movie", movie, None, None, None)]) == [10]
    log = rig.requests_during()
    assert log["result"].status == "ok", log["result"].error
    statuses = [e["status"] for e in log["log"] if e["endpoint"] == ADD]
    assert statuses == [420]  # dropped at once: never retried
    assert rig.db.outbox_rows() == [] and movie not in state.ratings
    assert rig.db.ratings_for([("movie", movie, None, None, None)]) == [None]  # undone
    shown = notices.show_pending(rig.db)
    expected = (
        "Trakt refused: your free account's ratings limit (%s ratings) is reached. "
        "Trakt VIP raises it." % format(limit, ",")
    )
    assert shown == [expected]
    assert [args[1] for args, _ in kodi.dialog_calls("notification")][-1] == expected
    assert notices.show_pending(rig.db) == []  # once
    assert rig.sync().status == "ok" and rig.db.outbox_rows() == []
    # Changing a rating Trakt already holds is no new rating: the limit lets it through.
    trakt_id = next(t for t in rated if t in state.catalog.movies)
    _rate(kodi, 9, "type=movie&trakt=%d" % trakt_id)  # 1
    log = rig.requests_during()
    assert [e["status"] for e in log["log"] if e["endpoint"] == ADD] == [201]
    assert state.ratings[trakt_id][0] == 1
