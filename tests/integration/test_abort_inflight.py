"""Abort while a request is in flight (issue 4 "Shutdown"): the real client and sync engine
against the sandbox with a slow answer. The transport must notice ``should_abort`` while it
waits for the response, not only between requests, and leave the client usable afterwards.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional

import pytest

from resources.lib.trakt import errors
from tests.support.sync_rig import SyncRig, make_client

SLOW = 10.0  # the sandbox holds the answer this long
TIMEOUT = 30.0  # the production socket timeout: an abort must not wait for it


class AbortWhenRequested:
    """``should_abort`` that turns true ``lag`` seconds after the sandbox logged ``endpoint``,
    i.e. while that request is waiting for its answer. ``fired_at`` is when it turned true."""

    def __init__(self, sandbox: Any, endpoint: str, lag: float = 0.3) -> None:
        self.fired_at: Optional[float] = None
        self._flag = threading.Event()
        self._sandbox = sandbox
        self._endpoint = endpoint
        self._lag = lag
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._sandbox.requests()["by_endpoint"].get(self._endpoint, 0) >= 1:
                time.sleep(self._lag)
                self.fired_at = time.monotonic()
                self._flag.set()
                return
            time.sleep(0.02)

    def __call__(self) -> bool:
        return self._flag.is_set()

    def latency(self, returned_at: float) -> float:
        assert self.fired_at is not None, f"{self._endpoint} was never requested"
        return returned_at - self.fired_at


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path), "small")
    rig.client.close()
    rig.client = make_client(rig.sandbox, rig.store, timeout=TIMEOUT)
    yield rig
    rig.close()


def _activity_rows(rig: SyncRig) -> int:
    return rig.db.connection.execute("SELECT COUNT(*) FROM activities").fetchone()[0]


def test_get_blocked_on_a_slow_answer_aborts_within_a_second(rig):
    rig.sandbox.reset_requests()
    rig.sandbox.add_fault("slow", path="^/sync/last_activities$", delay=SLOW)
    abort = AbortWhenRequested(rig.sandbox, "GET /sync/last_activities")
    rig.client.should_abort = abort
    started = time.monotonic()
    with pytest.raises(errors.Aborted):
        rig.client.get("/sync/last_activities")
    returned = time.monotonic()
    assert abort.latency(returned) < 1.0
    assert returned - started < SLOW / 2
    # Never retried, and the half-used connection is not kept for reuse.
    assert rig.sandbox.requests()["by_endpoint"]["GET /sync/last_activities"] == 1
    assert rig.client._transport._connections == {}

    # (c) the same client works normally afterwards, on a fresh keep-alive connection.
    rig.client.should_abort = lambda: False
    assert isinstance(rig.client.get("/sync/last_activities"), dict)
    assert isinstance(rig.client.get("/users/settings"), dict)
    assert len(rig.client._transport._connections) == 1
    assert rig.sandbox.requests()["by_endpoint"]["GET /sync/last_activities"] == 2


def test_sync_aborts_within_1_5_s_while_the_first_request_is_in_flight(rig):
    rig.sandbox.reset_requests()
    rig.sandbox.add_fault("slow", path="^/sync/last_activities$", delay=SLOW)
    abort = AbortWhenRequested(rig.sandbox, "GET /sync/last_activities")
    result = rig.sync(should_abort=abort)
    returned = time.monotonic()
    assert result.status == "aborted", result
    assert abort.latency(returned) < 1.5
    assert _activity_rows(rig) == 0  # no category committed
    assert not any(rig.db.counts().values())
    assert rig.db.last_sync_at() is None
    assert rig.db.sync_history()[0]["status"] == "aborted"
    assert rig.client.should_abort is None  # the engine restored the client's own check

    assert rig.sync().status == "ok"
    assert rig.db.snapshot() == rig.truth()


def test_sync_aborts_within_1_5_s_mid_category_and_commits_nothing_of_it(rig):
    rig.sandbox.reset_requests()
    rig.sandbox.add_fault("slow", path="^/sync/watched/shows$", delay=SLOW)
    abort = AbortWhenRequested(rig.sandbox, "GET /sync/watched/shows")
    result = rig.sync(should_abort=abort)
    returned = time.monotonic()
    assert result.status == "aborted", result
    assert abort.latency(returned) < 1.5
    shows = rig.db.connection.execute(
        "SELECT COUNT(*) FROM activities WHERE category = 'watched_shows'"
    ).fetchone()[0]
    assert shows == 0
    assert rig.db.counts()["episodes"] == 0
    assert rig.db.last_sync_at() is None

    assert rig.sync().status == "ok"
    assert rig.db.snapshot() == rig.truth()
