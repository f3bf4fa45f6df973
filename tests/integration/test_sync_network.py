"""The first sync on a network with Trakt's rate limit: paced from X-Ratelimit (no 429),
interactive requests never wait behind the sync, metadata in order of last watched."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Dict, List, Tuple

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase, metadata
from resources.lib.trakt import ratelimit
from resources.lib.trakt.http import HttpTransport
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests.support.sync_rig import SyncRig, comparable_truth, make_client


def _rig(tmp_path: Any, sandbox: Sandbox) -> Dict[str, Any]:
    store = TokenStore(os.path.join(str(tmp_path), "tokens.json"))
    store.save(Tokens.from_response(sandbox.issue_tokens()))
    # Default 429 handling and pacing, as the add-on runs (only the retry delays are short).
    client = make_client(sandbox, store)
    db = TraktSyncDatabase(os.path.join(str(tmp_path), "trakt_sync.db"))
    return {"client": client, "db": db}


def test_first_sync_inside_a_small_window_receives_no_429(tmp_path: Any) -> None:
    # 30 requests against 30 GETs per 2 s, 10 of them kept for the user: the sync must wait for
    # the next window at least once instead of running into 429s.
    with Sandbox(account="small", get_limit=30, get_period=2) as sb:
        rig = _rig(tmp_path, sb)
        try:
            result = rig["db"].sync_activities(rig["client"], force=True)
            assert result.status == "ok", result
            assert sb.rate_limited == 0
            assert rig["client"].limiter.window_waits >= 1
            assert sb.requests()["total"] == result.requests > 30 - ratelimit.reserve_for(30)
            assert rig["db"].snapshot() == comparable_truth(sb.truth())
        finally:
            rig["db"].close()
            rig["client"].close()


def test_an_interactive_request_goes_while_the_sync_waits_for_the_window(tmp_path: Any) -> None:
    with Sandbox(account="small", get_limit=20, get_period=5) as sb:
        rig = _rig(tmp_path, sb)
        client = rig["client"]
        outcome: Dict[str, Any] = {}
        sync = threading.Thread(
            target=lambda: outcome.update(result=rig["db"].sync_activities(client, force=True))
        )
        try:
            sync.start()
            deadline = time.monotonic() + 30
            while client.limiter.window_waits == 0 and sync.is_alive():
                assert time.monotonic() < deadline
                time.sleep(0.01)
            assert sync.is_alive()  # the sync is waiting for the window
            time.sleep(0.3)  # requests already in flight (loopback: milliseconds) are answered
            before = sb.requests()["total"]
            settings = client.get("/users/settings")  # the user opens something meanwhile
            after = sb.requests()
            assert settings["user"]["username"]
            # Exactly our request was answered while the background sync kept waiting.
            assert after["total"] == before + 1
            assert after["log"][-1]["path"].startswith("/users/settings")
            sync.join(60)
            assert outcome["result"].status == "ok", outcome
            assert sb.rate_limited == 0
        finally:
            sync.join(60)
            rig["db"].close()
            client.close()


def _last_watched_and_left_out(sb: Sandbox) -> Tuple[Dict[int, int], set]:
    """Last play per show, and the shows hidden from progress or dropped."""
    state = sb.state
    catalog = state.catalog
    last: Dict[int, int] = {}
    for trakt, plays in state.plays.items():
        episode = catalog.episodes.get(trakt)
        if episode is not None and plays:
            show = episode.show.trakt
            last[show] = max(last.get(show, 0), max(plays.values()))
    left_out = {
        item for section, kind, item in state.hidden
        if kind == "show" and section in ("progress_watched", "dropped")
    }  # fmt: skip
    return last, left_out


def test_metadata_is_fetched_most_recently_watched_first_hidden_last(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One fetch at a time, so the arrival order at the sandbox is the order the sync chose (with
    # several connections, threads may arrive in any order within the ones in flight).
    monkeypatch.setattr(metadata, "PARALLEL_FETCHES", 1)
    rig = SyncRig(str(tmp_path), account="medium")
    try:
        last, left_out = _last_watched_and_left_out(rig.sandbox)
        log = rig.requests_during()
        assert log["result"].status == "ok"
        requested = [
            int(entry["path"].split("/")[2])
            for entry in log["log"]
            if entry["endpoint"] == "GET /shows/{id}/seasons"
        ]
        assert len(requested) > 100
        visible = [show for show in requested if show not in left_out]
        hidden = [show for show in requested if show in left_out]
        assert hidden, "the account should have hidden or dropped shows that need metadata"
        assert requested == visible + hidden  # hidden and dropped shows last
        assert visible == sorted(visible, key=lambda show: (-last[show], show))
        assert hidden == sorted(hidden, key=lambda show: (-last[show], show))
        assert rig.db.snapshot() == comparable_truth(rig.truth())
    finally:
        rig.close()


def test_concurrent_requests_use_separate_connections_and_keep_one_spare() -> None:
    with Sandbox(account="small", latency_ms=300) as sb:
        transport = HttpTransport(timeout=10)
        headers = {"trakt-api-key": sb.client_id, "trakt-api-version": "2"}
        statuses: List[int] = []
        seen: List[str] = []
        transport.observers.append(lambda method, status, h: seen.append(h.get("x-ratelimit", "")))
        threads = [
            threading.Thread(
                target=lambda: statuses.append(
                    transport.send("GET", sb.url + "/movies/1", headers).status
                )
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert sorted(statuses) in ([200, 200], [404, 404])
        assert len(transport._connections) == 1
        assert sum(len(spares) for spares in transport._spares.values()) == 1
        assert len(seen) == 2 and all('"remaining"' in value for value in seen)
        transport.close()
