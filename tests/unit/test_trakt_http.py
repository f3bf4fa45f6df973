"""Transport tests for the Trakt client against the loopback stub (tests/support/trakt_stub.py)."""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from resources.lib.trakt import ADDON_VERSION, errors
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.http import HttpTransport, TransportError, build_url, user_agent
from tests.support.trakt_stub import (
    CLIENT_ID,
    Reply,
    make_client,
)

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------- tests


def test_addon_version_matches_addon_xml():
    text = (ROOT / "addon.xml").read_text(encoding="utf-8")
    match = re.search(r'<addon id="plugin.video.aiostreams"[^>]*\sversion="([^"]+)"', text)
    assert match and match.group(1) == ADDON_VERSION


def test_user_agent_names_the_addon_and_kodi():
    assert user_agent() == "plugin.video.aiostreams/" + ADDON_VERSION
    assert user_agent("20.1") == f"plugin.video.aiostreams/{ADDON_VERSION} Kodi/20.1"


def test_build_url_keeps_prefix_and_encodes_params():
    url = build_url("http://h:1/base/", "/sync/history", {"page": 2, "x": None, "q": "a b"})
    assert url == "http://h:1/base/sync/history?page=2&q=a+b"


def test_tls_context_verifies_certificates():
    context = HttpTransport()._context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_required_headers_on_user_and_public_requests(stub, tmp_path, clock):
    stub.script("GET", "/users/settings", Reply(200, {"user": {"username": "u"}}))
    stub.script("GET", "/movies/trending", Reply(200, []))
    client = make_client(stub, tmp_path, clock, kodi_version="20.1")
    assert client.get("/users/settings") == {"user": {"username": "u"}}
    assert client.get("/movies/trending", auth=False) == []
    authed, public = stub.requests
    for seen in (authed, public):
        assert seen.headers["content-type"] == "application/json"
        assert seen.headers["trakt-api-key"] == CLIENT_ID
        assert seen.headers["trakt-api-version"] == "2"
        assert seen.headers["user-agent"] == f"plugin.video.aiostreams/{ADDON_VERSION} Kodi/20.1"
    assert authed.headers["authorization"] == "Bearer access-1"
    assert "authorization" not in public.headers


def test_keep_alive_connection_is_reused(stub, tmp_path, clock):
    stub.script("GET", "/sync/last_activities", Reply(200, {"all": "x"}))
    client = make_client(stub, tmp_path, clock)
    for _ in range(4):
        client.get("/sync/last_activities")
    assert len({seen.peer for seen in stub.requests}) == 1
    assert client.request_count == 4


def test_reconnects_after_the_server_closed_the_connection(stub, tmp_path, clock):
    stub.script(
        "GET",
        "/a",
        Reply(200, [1], headers={"Connection": "close"}),
        Reply(200, [2]),
    )
    client = make_client(stub, tmp_path, clock)
    assert client.get("/a") == [1]
    assert client.get("/a") == [2]
    assert len({seen.peer for seen in stub.requests}) == 2
    assert clock.sleeps == []  # no retry was needed


def test_idle_connection_closed_by_peer_is_replaced_before_sending():
    transport = HttpTransport(timeout=2.0)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(2)
    port = server.getsockname()[1]
    served = []

    def serve():
        for _ in range(2):
            conn, _ = server.accept()
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")
            served.append(1)
            time.sleep(0.05)
            conn.close()  # closes the keep-alive connection while the client is idle

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/x"
    assert transport.send("GET", url, {}).body == b"[]"
    time.sleep(0.2)
    assert transport.send("GET", url, {}).body == b"[]"
    assert transport.requests_sent == 2
    thread.join(2)
    server.close()


def test_refused_connection_is_not_counted_as_sent():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    transport = HttpTransport(timeout=1.0)
    with pytest.raises(TransportError) as info:
        transport.send("GET", f"http://127.0.0.1:{port}/x", {})
    assert info.value.kind == "connect" and info.value.sent is False
    assert transport.requests_sent == 0


def test_truncated_body_is_a_transport_error(stub):
    stub.script("GET", "/t", Reply(200, {"a": 1}, action="truncate"))
    transport = HttpTransport(timeout=2.0)
    with pytest.raises(TransportError) as info:
        transport.send("GET", stub.url + "/t", {})
    assert info.value.kind == "truncated"


def test_read_timeout_is_a_transport_error(stub):
    stub.script("GET", "/slow", Reply(200, [], action="sleep", delay=1.0))
    transport = HttpTransport(timeout=0.2)
    with pytest.raises(TransportError) as info:
        transport.send("GET", stub.url + "/slow", {})
    assert info.value.kind == "timeout" and info.value.sent is True


def test_unsupported_scheme_is_rejected():
    with pytest.raises(ValueError):
        TraktClient("id", "secret", api_url="ftp://example.org")


def test_public_client_without_store_fails_fast_on_user_data(stub):
    client = TraktClient("id", "secret", api_url=stub.url)
    with pytest.raises(errors.ReauthorizationRequired):
        client.get("/users/settings")
    assert client.request_count == 0
