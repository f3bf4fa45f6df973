"""Transport tests for the Trakt client, plus the loopback stub server the other unit tests use.

The stub is a real HTTP/1.1 keep-alive server on 127.0.0.1 that replays scripted replies per
``METHOD /path``; it can also drop the connection, truncate a body or answer slowly.
"""

from __future__ import annotations

import http.server
import json
import re
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl, urlsplit

import pytest

from resources.lib.trakt import ADDON_VERSION, errors
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.http import HttpTransport, TransportError, build_url, user_agent
from resources.lib.trakt.tokens import Tokens, TokenStore

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "unit-client-id"
CLIENT_SECRET = "unit-client-secret-XYZ"


class Reply:
    """A scripted answer. ``action``: None, "drop", "truncate" or "sleep" (``delay`` seconds)."""

    def __init__(
        self,
        status: int = 200,
        json_body: Any = None,
        headers: Optional[Dict[str, str]] = None,
        body: Optional[bytes] = None,
        action: Optional[str] = None,
        delay: float = 0.0,
    ) -> None:
        self.status = status
        self.headers = dict(headers or {})
        if body is None:
            body = b"" if json_body is None else json.dumps(json_body).encode()
            self.headers.setdefault("Content-Type", "application/json")
        self.body = body
        self.action = action
        self.delay = delay


class Seen:
    """One request the stub received."""

    def __init__(self, method: str, target: str, headers: Dict[str, str], body: bytes, peer: Any):
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query))
        self.headers = headers
        self.body = body
        self.peer = peer
        self.at = time.monotonic()

    def json(self) -> Any:
        return json.loads(self.body.decode()) if self.body else None


class StubServer:
    """Scripted HTTP/1.1 server on 127.0.0.1; ``script(method, path, *replies)``."""

    def __init__(self) -> None:
        self.requests: List[Seen] = []
        self._scripts: Dict[str, List[Any]] = {}
        self._lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    self.client_address,
                )
                reply = stub._next(seen)
                if reply.action == "drop":
                    self.close_connection = True
                    return
                if reply.action == "sleep":
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.action == "truncate":
                    self.send_header("Content-Length", str(len(reply.body) + 100))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # the client hung up on purpose (timeouts): not a test failure

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def script(self, method: str, path: str, *replies: Any) -> None:
        """Replies for ``METHOD path`` (path may be a regex); the last one repeats."""
        with self._lock:
            self._scripts[method + " " + path] = list(replies)

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            for key, replies in self._scripts.items():
                method, pattern = key.split(" ", 1)
                if method == seen.method and re.fullmatch(pattern, seen.path):
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                    return reply(seen) if callable(reply) else reply
        return Reply(404, {"error": "not scripted"})

    def paths(self) -> List[str]:
        return [r.method + " " + r.path for r in self.requests]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeClock:
    """Monotonic + wall clock whose ``sleep`` only advances time (records every slice)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.t = start
        self.sleeps: List[float] = []
        self.wall_offset = 1_700_000_000.0 - start

    def monotonic(self) -> float:
        return self.t

    def now(self) -> float:
        return self.t + self.wall_offset

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.t += seconds

    @property
    def slept(self) -> float:
        return round(sum(self.sleeps), 6)


def valid_tokens(now: float, lifetime: float = 86400.0, suffix: str = "1") -> Tokens:
    return Tokens("access-" + suffix, "refresh-" + suffix, now + lifetime, now, "public")


def make_client(
    stub: StubServer, tmp_path: Path, clock: FakeClock, tokens: Any = "valid", **kwargs: Any
) -> TraktClient:
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    if tokens == "valid":
        store.save(valid_tokens(clock.now()))
    elif tokens is not None:
        store.save(tokens)
    kwargs.setdefault("timeout", 5.0)
    return TraktClient(
        CLIENT_ID,
        CLIENT_SECRET,
        token_store=store,
        api_url=stub.url,
        oauth_url=stub.url + "/auth",
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        now=clock.now,
        **kwargs,
    )


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


@pytest.fixture
def clock():
    return FakeClock()


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
