"""Trakt's 2026 rules against the sandbox: dropped shows, account limits (420), token refusals,
paging on made-up totals. Real client, real SQLite, the sandbox as Trakt."""

from __future__ import annotations

import pytest

from tests.support.sync_rig import SyncRig


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path))
    yield rig
    rig.close()


def _shown(rig):
    return {row["show_trakt_id"] for row in rig.db.next_up()}


def test_a_show_dropped_on_trakt_leaves_next_up(rig):
    assert rig.sync().status == "ok"
    truth = rig.truth()
    show = next(
        int(s)
        for s in sorted(truth["next_up"], key=int)
        if ["dropped", "show", int(s)] not in truth["hidden"]
        and ["progress_watched", "show", int(s)] not in truth["hidden"]
    )
    assert show in _shown(rig)
    rig.sandbox.mutate("hide", section="dropped", type="show", id=show)
    assert rig.sync().status == "ok"
    assert ["dropped", "show", show] in rig.db.snapshot()["hidden"]
    assert show not in _shown(rig)
    # Trakt's truth still has its next episode: only the view leaves it out, like progress_watched.
    assert str(show) in rig.db.snapshot()["next_up"]
    rig.sandbox.mutate("unhide", section="dropped", type="show", id=show)
    assert rig.sync().status == "ok"
    assert show in _shown(rig)


# -- /oauth/token refusals ---------------------------------------------------------------------


def _counts(rig):
    return rig.sandbox.requests()["by_endpoint"]


def test_a_burst_of_401s_does_not_wipe_a_valid_login(rig):
    before = rig.store.load()
    rig.sandbox.reset_requests()
    rig.sandbox.add_fault("401", path=".*", count=5)  # every request, the refresh included
    result = rig.sync()
    counts = _counts(rig)
    print("burst of 401s -> status %s, requests %s" % (result.status, counts))
    assert result.status == "unauthorized", result
    assert counts.get("POST /oauth/token") == 1 and sum(counts.values()) == 2, counts
    assert rig.store.load() == before and not rig.store.needs_reauth()
    rig.sandbox.clear_faults()
    assert rig.sync().status == "ok"  # the same login, no new authorisation
    assert rig.store.load() == before


def test_invalid_grant_on_refresh_means_authorise_again(rig):
    rig.sandbox.add_fault("401", path="^/sync/last_activities$", count=1)
    rig.sandbox.add_fault("invalid_grant", path="^/oauth/token$", count=1)
    result = rig.sync()
    assert result.status == "unauthorized", result
    assert rig.store.needs_reauth() and rig.store.load() is None
    rig.sandbox.reset_requests()
    assert rig.sync().status == "unauthorized"
    assert sum(_counts(rig).values()) == 0  # fails fast: no request until authorised again


def test_invalid_client_on_refresh_names_the_app_and_keeps_the_tokens(rig):
    before = rig.store.load()
    rig.sandbox.add_fault("401", path="^/sync/last_activities$", count=1)
    rig.sandbox.add_fault("invalid_client", path="^/oauth/token$", count=1)
    result = rig.sync()
    assert result.status == "error", result
    assert "client id and secret" in result.error, result.error
    assert rig.store.load() == before and not rig.store.needs_reauth()
    assert rig.sync().status == "ok"


@pytest.mark.parametrize("kind", ["520", "502", "badjson", "truncate"])
def test_an_unreadable_refresh_answer_is_transient(rig, kind):
    before = rig.store.load()
    rig.sandbox.add_fault("401", path="^/sync/last_activities$", count=1)
    rig.sandbox.add_fault(kind, path="^/oauth/token$", count=1)
    result = rig.sync()
    assert result.status == "error", result
    assert "authoris" not in result.error.lower(), result.error
    if kind in ("520", "502"):
        assert rig.store.load() == before and not rig.store.needs_reauth()
    else:
        # Trakt issued a new pair whose answer was lost: the old refresh token is spent, and
        # the client did not resend it (which would have earned an invalid_grant).
        assert not rig.store.needs_reauth()
    assert _counts(rig).get("POST /oauth/token") == 1


# -- paging on made-up totals ------------------------------------------------------------------


def test_made_up_totals_do_not_make_the_sync_page_on(rig):
    rig.sandbox.reset_requests()
    rig.sandbox.add_fault("fake_totals", path="^/sync/watched/movies$", count=1000)
    result = rig.sync()
    counts = _counts(rig)
    print("fake totals -> status %s, GET /sync/watched/movies x%d"
          % (result.status, counts.get("GET /sync/watched/movies", 0)))  # fmt: skip
    assert result.status == "ok", result
    assert counts.get("GET /sync/watched/movies") == 1, counts
    assert rig.db.snapshot()["movies"] == rig.truth()["movies"]


# -- 420: a free account's limits --------------------------------------------------------------


def _unlisted_movie(rig):
    truth = rig.truth()
    listed = {i for kind, i in truth["watchlist"] if kind == "movie"}
    return next(m for m in sorted(rig.sandbox.state.catalog.movies) if m not in listed)


WATCHLIST_LIMIT = {"code": "account_limit", "limit": "watchlist", "count": 250, "vip": False}


@pytest.mark.parametrize("pull_fails", [False, True], ids=["pull-ok", "pull-fails"])
def test_a_watchlist_add_over_the_limit_is_dropped_undone_and_told_once(rig, pull_fails):
    from resources.lib.database.trakt_sync.outbox import LocalAction

    assert rig.sync().status == "ok"
    movie = _unlisted_movie(rig)
    rig.db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=movie))
    assert ["movie", movie] in rig.db.snapshot()["watchlist"]
    rig.sandbox.add_fault("420", path="^/sync/watchlist$", method="POST", count=100)
    if pull_fails:  # the undo must not depend on the pull
        rig.sandbox.add_fault("500", path="^/sync/watchlist$", method="GET", count=100)
    rig.sandbox.reset_requests()
    result = rig.sync()
    counts = _counts(rig)
    print("420 on a watchlist add -> %s, %s" % (result.status, counts))
    assert result.status == "ok" or (pull_fails and "watchlist" in result.error), result
    assert counts.get("POST /sync/watchlist") == 1, counts
    assert rig.db.outbox_rows() == []
    assert ["movie", movie] not in rig.db.snapshot()["watchlist"]
    assert ["movie", movie] not in rig.truth()["watchlist"]
    assert rig.db.take_notices() == [WATCHLIST_LIMIT]
    assert rig.db.take_notices() == []  # shown once
    rig.sandbox.clear_faults()
    rig.sandbox.reset_requests()
    assert rig.sync().status == "ok"
    assert _counts(rig).get("POST /sync/watchlist", 0) == 0  # never retried
    assert rig.db.snapshot()["watchlist"] == rig.truth()["watchlist"]
