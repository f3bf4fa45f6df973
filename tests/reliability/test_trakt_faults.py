"""Trakt faults through the sandbox's fault injection, into the real client and sync engine."""

from __future__ import annotations

import json
import os
import threading
import time

import kodistate
import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi import service as service_module
from resources.lib.kodi.log import setup_logging
from resources.lib.kodi.paths import get_paths
from resources.lib.trakt import errors
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests.reliability.conftest import authorise, core
from tests.support.kodi_doubles import point_at_sandbox
from tests.support.service_rig import NoPlayback

FAULT_LOG = {}


def _count(kind, n=1):
    FAULT_LOG[kind] = FAULT_LOG.get(kind, 0) + n


@pytest.fixture
def sb():
    with Sandbox(account="small", seed=31, port=0) as sandbox:
        yield sandbox


class Rig:
    def __init__(self, sb, data_dir, **client_options):
        self.sb = sb
        self.data_dir = str(data_dir)
        authorise(sb, self.data_dir)
        self.waits = []
        options = {"retry_base": 0.01, "timeout": 5.0}
        options.update(client_options)
        self.client = TraktClient(
            sb.client_id, sb.client_secret,
            token_store=TokenStore(os.path.join(self.data_dir, "trakt_tokens.json")),
            api_url=sb.url, oauth_url=sb.url, **options,
        )  # fmt: skip
        self.db = TraktSyncDatabase(os.path.join(self.data_dir, "trakt_sync.db"))

    def sync(self, **kwargs):
        kwargs.setdefault("force", True)
        return self.db.sync_activities(self.client, **kwargs)

    def cursors(self):
        rows = self.db.connection.execute("SELECT category, cursor FROM activities").fetchall()
        return {row[0]: row[1] for row in rows}

    def endpoint(self, key):
        return self.sb.requests()["by_endpoint"].get(key, 0)

    def close(self):
        self.db.close()
        self.client.close()


@pytest.fixture
def rig(sb, tmp_path):
    r = Rig(sb, tmp_path)
    yield r
    r.close()


def _recording_rig(sb, tmp_path, **options):
    """A rig whose client sleeps on a fake clock and records every wait."""
    waits = []
    now = [1000.0]

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    r = Rig(sb, tmp_path, sleep=sleep, monotonic=lambda: now[0], **options)
    return r, _Waits(waits)


class _Waits(list):
    """The wait slices grouped back into waits (the client sleeps in 0.25 s slices)."""

    def __init__(self, slices):
        super().__init__()
        self.slices = slices

    def total(self):
        return sum(self.slices)


# ---- 429 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["429", "429_bare"])
def test_429_retry_after_is_honoured_with_or_without_x_ratelimit(kind, sb, tmp_path):
    r, waits = _recording_rig(sb, tmp_path)
    try:
        sb.add_fault(kind, path="^/sync/last_activities$", count=2, retry_after=7)
        _count(kind, 2)
        result = r.sync()
        assert result.status == "ok", result
        assert waits.total() == pytest.approx(14.0, abs=0.6)  # the two Retry-After waits
        assert r.endpoint("GET /sync/last_activities") == 3
    finally:
        r.close()


def test_huge_retry_after_is_capped(sb, tmp_path):
    r, waits = _recording_rig(sb, tmp_path, retry_after_cap=60.0)
    try:
        sb.add_fault("429", path="^/sync/last_activities$", count=1, retry_after=10**9)
        _count("429")
        assert r.sync().status == "ok"
        assert 59.0 <= waits.total() <= 60.0 + 0.5
    finally:
        r.close()


def test_retry_after_wait_is_abortable(rig, sb):
    sb.add_fault("429", path="^/sync/last_activities$", count=1, retry_after=3600)
    _count("429")
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    result = rig.sync(should_abort=stop.is_set)
    assert result.status == "aborted", result
    assert time.monotonic() - started < 2.0


def test_429_storm_ends_in_a_clean_failure(rig, sb):
    rig.sync()
    sb.mutate("watchlist_add", type="movie", id=sorted(sb.state.catalog.movies)[-1])
    before = rig.cursors()
    sb.reset_requests()
    sb.add_fault("429", path="^/sync/watchlist", count=50, retry_after=0)
    _count("429", 4)
    result = rig.sync()
    # Issue 10: a 429 on one category is that category's failure ("partial", no service
    # backoff); only last_activities failing makes the whole run fail (was "error").
    assert result.status == "partial" and "watchlist" in result.error, result
    assert [(f["unit"], f["reason"]) for f in result.failures] == [("watchlist", "rate_limited")]
    assert rig.endpoint("GET /sync/watchlist") == 4  # 1 + max_rate_limit_retries
    assert rig.cursors()["watchlist"] == before["watchlist"]


# ---- 5xx -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "503", "520"])
def test_server_error_storm_is_bounded_and_keeps_the_cursor(kind, rig, sb):
    assert rig.sync().status == "ok"
    sb.mutate("watchlist_add", type="movie", id=sorted(sb.state.catalog.movies)[-1])
    sb.mutate("watch_movie", movie=sorted(sb.state.catalog.movies)[0])
    before = rig.cursors()
    sb.reset_requests()
    sb.add_fault(kind, path="^/sync/watchlist", count=100, retry_after=0)
    result = rig.sync()
    _count(kind, rig.endpoint("GET /sync/watchlist"))
    assert result.status == "partial", result  # watched movies still synced
    assert rig.endpoint("GET /sync/watchlist") == 1 + rig.client.max_retries
    assert rig.cursors()["watchlist"] == before["watchlist"]
    assert rig.cursors()["watched_movies"] != before["watched_movies"]
    assert core(rig.db.snapshot())["movies"] == sb.truth()["movies"]
    sb.clear_faults()
    assert rig.sync().status == "ok"
    assert rig.db.snapshot() == sb.truth()


# ---- bad transport ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop", "truncate", "badjson", "slow"])
def test_transient_transport_faults_are_retried(kind, sb, tmp_path):
    r = Rig(sb, tmp_path, timeout=0.5)
    try:
        options = {"delay": 2.0} if kind == "slow" else {}
        sb.add_fault(kind, path="^/sync/(watched|watchlist|playback)", count=2, **options)
        _count(kind, 2)
        result = r.sync()
        assert result.status == "ok", result
        assert r.db.snapshot() == sb.truth()
    finally:
        r.close()


@pytest.mark.parametrize("kind", ["drop", "truncate", "badjson", "slow"])
def test_persistent_transport_faults_fail_one_category_cleanly(kind, sb, tmp_path):
    r = Rig(sb, tmp_path, timeout=0.3)
    try:
        options = {"delay": 1.0} if kind == "slow" else {}
        sb.add_fault(kind, path="^/sync/playback", count=100, **options)
        result = r.sync()
        _count(kind, r.endpoint("GET /sync/playback"))
        assert result.status == "partial", result
        assert "playback" in result.error
        assert "playback" not in r.cursors()
        assert r.endpoint("GET /sync/playback") <= 1 + r.client.max_retries
        sb.clear_faults()
        assert r.sync().status == "ok"
        assert r.db.snapshot() == sb.truth()
    finally:
        r.close()


# ---- authorisation ---------------------------------------------------------------------------


def test_401_refreshes_once_and_retries(rig, sb):
    sb.add_fault("401", path="^/sync/last_activities$", count=1)
    _count("401")
    old = rig.client.token_store.load()
    result = rig.sync()
    assert result.status == "ok", result
    assert rig.endpoint("POST /oauth/token") == 1
    assert rig.endpoint("GET /sync/last_activities") == 2
    new = rig.client.token_store.load()
    assert new.access_token != old.access_token and new.refresh_token != old.refresh_token


def test_persistent_401_is_unauthorized_after_one_refresh(rig, sb):
    sb.add_fault("401", path="^/sync/last_activities$", count=10)
    result = rig.sync()
    _count("401", rig.endpoint("GET /sync/last_activities"))
    assert result.status == "unauthorized", result
    assert rig.endpoint("POST /oauth/token") == 1
    assert rig.endpoint("GET /sync/last_activities") == 2


@pytest.mark.parametrize(
    "kind, code, words",
    [("423", 423, "locked"), ("420", 420, "limit"), ("426", 426, "vip")],
)
def test_account_states_get_a_clear_user_message(kind, code, words, rig, sb):
    sb.add_fault(kind, path="^/sync/last_activities$", count=1)
    _count(kind)
    result = rig.sync()
    assert result.status == "error"
    text = result.error.lower()
    assert words in text and str(code) in text, result.error
    # the command line shows this text (English from strings.po); its start must say it
    assert words in text[:160]


# ---- through the service (xbmc doubles) ------------------------------------------------------


@pytest.fixture
def kodi(kodi, sb):
    return point_at_sandbox(kodi, sb)


def _service_ticks(n, clock):
    service = service_module.AIOStreamsService(
        clock=clock, playback_factory=lambda ctx: NoPlayback()
    )
    setup_logging(service=True)
    service._start()
    for _ in range(n):
        service.tick()
        clock.advance(4000)  # past any backoff
    service._shutdown()
    return service


def test_invalid_grant_deauthorises_notifies_once_and_stops_requesting(kodi, sb):
    paths = get_paths()
    expired = Tokens.from_response(sb.issue_tokens())
    dead = Tokens("dead-access-token", "dead-refresh-token", time.time() - 10, time.time() - 100)
    TokenStore(paths.token_path).save(dead)
    sb.reset_requests()
    clock = kodistate.FakeClock(time.time())
    kodi.clock = clock
    service = _service_ticks(6, clock)
    assert service.sync_count >= 1
    notes = [args[1] for args, _ in kodi.dialog_calls("notification")]
    assert len(notes) == 1 and "authoris" in notes[0].lower(), notes
    assert TokenStore(paths.token_path).needs_reauth()
    counts = sb.requests()["by_endpoint"]
    assert counts.get("POST /oauth/token") == 1, counts  # one refresh attempt, then silence
    assert sum(counts.values()) == 1, counts
    assert expired.access_token  # (issued only to prove the sandbox works)


def test_long_outage_is_logged_once(kodi, sb, monkeypatch):
    monkeypatch.setattr(TraktClient, "_backoff", lambda self, failures: 0.01)
    authorise(sb, get_paths().data_dir)
    sb.add_fault("503", path="^/sync/last_activities$", count=1000, retry_after=0)
    clock = kodistate.FakeClock(time.time())
    kodi.clock = clock
    service = _service_ticks(6, clock)
    assert service.sync_count >= 4
    failed = kodi.log_lines(level=2, contains="Sync failed")
    assert len(failed) == 1, [m for level, m in kodi.logs if level >= 1]
    assert not kodi.log_lines(level=3)
    sb.clear_faults()


def test_fault_totals_are_recorded():
    """Writes the counts of faults injected by this module (read by docs/RELIABILITY.md)."""
    out = os.environ.get("RELIABILITY_FAULTS_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(FAULT_LOG, handle, sort_keys=True)
    assert isinstance(FAULT_LOG, dict)
    assert errors.AccountLocked().user_message
