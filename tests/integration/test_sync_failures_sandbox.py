"""Issue 10 against the real sandbox over loopback: a hidden section answering 404, and Trakt
unreachable (a closed port) with the client's real retry timings."""

from __future__ import annotations

import os
import socket
import time

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt import errors
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from tests.support.sync_rig import SyncRig, first_show_with, make_client, section_not_hiding


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path), "small")
    yield rig
    rig.close()


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_hidden_404_keeps_the_sections_that_answered_and_costs_one_request_after(rig):
    show_id = first_show_with(rig.truth())
    rig.sandbox.mutate("hide", section="progress_watched", type="show", id=show_id)
    rig.sandbox.add_fault("404", path="^/users/hidden/dropped", count=1000)
    log = rig.requests_during()
    result = log["result"]
    assert result.status == "ok", result
    assert [(f["unit"], f["part"], f["reason"]) for f in result.failures] == [
        ("hidden", "dropped", "not_offered")
    ]
    assert ["progress_watched", "show", show_id] in rig.db.snapshot()["hidden"]
    assert show_id not in {item["show_trakt_id"] for item in rig.db.next_up()}
    for _ in range(2):
        log = rig.requests_during()
        assert log["result"].status == "ok"
        assert log["total"] == 1, log["by_endpoint"]
    section = section_not_hiding(rig.truth(), show_id)
    rig.sandbox.mutate("hide", section=section, type="show", id=show_id)
    log = rig.requests_during()  # hidden moved: the sections are asked again, not dropped
    assert log["result"].status == "ok"
    assert "GET /users/hidden/" + section in log["by_endpoint"]
    assert "GET /users/hidden/dropped" not in log["by_endpoint"]


def test_network_down_sync_ends_at_the_first_connection_failure(tmp_path):
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    store.save(Tokens("access", "refresh", time.time() + 90 * 86400, time.time(), "public"))
    url = "http://127.0.0.1:%d" % _closed_port()
    # The client's real retry timings (1, 2, 4 s between attempts): the sync must not use them.
    client = TraktClient("id", "secret", token_store=store, api_url=url, oauth_url=url)
    db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    try:
        started = time.monotonic()
        result = db.sync_activities(client, force=True)
        seconds = time.monotonic() - started
    finally:
        db.close()
    assert result.status == "error"
    assert result.failures == [{"unit": None, "part": None, "reason": "network", "retry_at": None}]
    assert seconds < 2.0, seconds  # was 7 s of retries here (44 s in Kodi with DNS down)
    assert client.fail_fast_connect is False  # the client's own setting is restored


def test_outside_a_sync_the_client_still_retries_a_failed_connection(tmp_path):
    url = "http://127.0.0.1:%d" % _closed_port()
    client = TraktClient("id", "secret", api_url=url, oauth_url=url, retry_base=0.01)
    with pytest.raises(errors.NetworkError) as caught:
        client.get("/sync/last_activities", auth=False)
    assert "after 4 attempts" in str(caught.value)
    assert caught.value.transport == "connect"
    client.fail_fast_connect = True
    with pytest.raises(errors.NetworkError) as caught:
        client.get("/sync/last_activities", auth=False)
    assert "after 1 attempts" in str(caught.value)


def test_a_sandbox_404_fault_answers_404(rig):
    rig.sandbox.add_fault("404", path="^/sync/ratings", count=1)
    client = make_client(rig.sandbox, rig.store)
    with pytest.raises(errors.NotFound):
        client.get("/sync/ratings")
    assert isinstance(client.get("/sync/ratings"), list)
    assert os.path.exists(rig.db_path)
