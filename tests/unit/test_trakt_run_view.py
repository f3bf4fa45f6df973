"""A run's view of the Trakt client (``client.for_run``): its own abort check and connect
policy, the transport shared, and the caller's client never changed by a sync."""

from __future__ import annotations

import socket
import time

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt import errors
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _client(url: str, **kwargs) -> TraktClient:
    return TraktClient("id", "secret", api_url=url, oauth_url=url, retry_base=0.01, **kwargs)


def test_a_run_view_aborts_alone_and_shares_the_transport():
    client = _client("http://127.0.0.1:%d" % _closed_port())
    view = client.for_run(should_abort=lambda: True, fail_fast_connect=True)
    with pytest.raises(errors.Aborted):
        view.get("/sync/last_activities", auth=False)
    assert client.should_abort is None and client.fail_fast_connect is False
    with pytest.raises(errors.NetworkError) as caught:
        client.get("/sync/last_activities", auth=False)  # the client itself still retries
    assert "after 4 attempts" in str(caught.value)
    assert view.limiter is client.limiter and view.request_count == client.request_count


def test_a_run_view_fails_fast_on_a_refused_connection():
    client = _client("http://127.0.0.1:%d" % _closed_port())
    with pytest.raises(errors.NetworkError) as caught:
        client.for_run(fail_fast_connect=True).get("/sync/last_activities", auth=False)
    assert "after 1 attempts" in str(caught.value)


def test_during_a_sync_the_callers_client_keeps_its_own_abort_and_connect_policy(tmp_path):
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    store.save(Tokens("access", "refresh", time.time() + 90 * 86400, time.time(), "public"))
    client = _client("http://127.0.0.1:%d" % _closed_port(), token_store=store)
    seen = []

    def should_abort() -> bool:  # called by the run while it is under way
        seen.append((client.should_abort, client.fail_fast_connect))
        return False

    db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    try:
        result = db.sync_activities(client, should_abort=should_abort, force=True)
    finally:
        db.close()
    assert result.status == "error"
    assert seen, "the run never asked whether to abort"
    assert set(seen) == {(None, False)}


def test_a_scrobble_send_uses_its_own_view_and_leaves_the_shared_client_alone(tmp_path):
    from types import SimpleNamespace

    from resources.lib.scrobble.media import MediaRef
    from resources.lib.scrobble.playback import PlaybackScrobbling
    from resources.lib.scrobble.state import STOP, Action

    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    store.save(Tokens("access", "refresh", time.time() + 90 * 86400, time.time(), "public"))
    client = _client("http://127.0.0.1:%d" % _closed_port(), token_store=store)
    client.max_retries, client.max_rate_limit_retries = 5, 7
    seen = []

    def outer_abort() -> bool:  # the shared client's own check, asked by the send's view
        seen.append((client.should_abort, client.max_retries, client.max_rate_limit_retries))
        return False

    client.should_abort = outer_abort
    db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    ctx = SimpleNamespace(client=client, db=db, is_authorised=lambda: True, close=lambda: None)
    scrobbling = PlaybackScrobbling(str(tmp_path), lambda: ctx, playback=SimpleNamespace())
    try:
        stop = Action(STOP, 92.0, time.time())
        sent = [scrobbling._send(MediaRef.movie({"trakt": 1}), stop)]
        scrobbling.begin_quit(seconds=5.0)  # the send's view now gives up at once
        sent.append(scrobbling._send(MediaRef.movie({"trakt": 2}), stop))
    finally:
        db.close()
    assert sent == ["pending", "pending"]
    assert seen and set(seen) == {(outer_abort, 5, 7)}
    assert (client.should_abort, client.max_retries, client.max_rate_limit_retries) == (
        outer_abort,
        5,
        7,
    )
    view = scrobbling._client
    assert view is not client and (view.max_retries, view.max_rate_limit_retries) == (0, 0)
