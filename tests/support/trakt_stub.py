"""A scripted HTTP/1.1 server on 127.0.0.1 for the Trakt client's unit tests, and the client
wired to it with a :class:`~tests.support.clock.FakeClock`.

The stub is a real keep-alive server that replays scripted replies per ``METHOD /path``; a reply
can also drop the connection, truncate its body or answer slowly.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl, urlsplit

from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from tests.support.clock import FakeClock

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


def token_reply(suffix: str, clock: FakeClock, lifetime: int = 86400) -> Reply:
    return Reply(
        200,
        {
            "access_token": "access-" + suffix,
            "refresh_token": "refresh-" + suffix,
            "expires_in": lifetime,
            "created_at": int(clock.now()),
            "token_type": "bearer",
            "scope": "public",
        },
    )
