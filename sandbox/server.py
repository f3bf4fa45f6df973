"""The sandbox HTTP server: a ThreadingHTTPServer on 127.0.0.1 (HTTP/1.1 keep-alive) that routes
requests, applies faults and the global slow-down, checks headers and tokens, and serialises all
state access behind one lock.

    from sandbox.server import Sandbox
    with Sandbox(account="small", seed=1) as sb:
        tokens = sb.issue_tokens()
        ...  # talk to sb.url
"""

from __future__ import annotations

import logging
import math
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Set

from . import (  # noqa: F401  (route modules register themselves on import)
    accounts,
    routes_control,
    routes_lists,
    routes_media,
    routes_oauth,
    routes_scrobble,
    routes_sync,
    routes_userlists,
)
from .faults import ERROR_KINDS, Faults, error_response, fake_totals
from .oauth import OAuth
from .ratelimits import RateLimits
from .requestlog import RequestLog
from .state import ACTIVITY_KEYS, State
from .timeutil import now_ms
from .web import ApiError, Request, Response, json_response, routes

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
HOST = "127.0.0.1"
_REASONS = {
    418: "I'm a teapot",
    420: "Account Limit Exceeded",
    422: "Unprocessable Entity",
    423: "Locked User Account",
    426: "VIP Only",
    429: "Rate Limit Exceeded",
    520: "Unknown Error",
}
log = logging.getLogger(__name__)


class App:
    """Everything a request handler needs: state, OAuth, faults, the request log, one lock."""

    def __init__(
        self,
        account: str,
        seed: int,
        token_lifetime: float,
        auto_approve: bool,
        device_interval: float,
        latency_ms: float = 0.0,
        limits: Optional[RateLimits] = None,
    ) -> None:
        self.lock = threading.RLock()
        # Network round trip added to every API/OAuth response (slept before the answer is sent,
        # outside the state lock, so concurrent requests overlap like on a real network).
        self.latency = max(0.0, float(latency_ms)) / 1000.0
        self.limits = limits or RateLimits()
        self.account, self.seed = account, seed
        self.state: State = accounts.build(account, seed)
        self.oauth = OAuth(token_lifetime, auto_approve, device_interval)
        self.faults = Faults()
        self.log = RequestLog()
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        self.scrobble_window = 600.0  # seconds during which a repeated stop >= 80% gets 409

    @staticmethod
    def now() -> int:
        return now_ms()

    def switch_user(self, username: str, account: Optional[str], seed: Optional[int]) -> None:
        """Replace the whole account (another person signed in); every activity moves."""
        old = self.state
        self.account = account or self.account
        self.seed = self.seed + 1 if seed is None else int(seed)
        new = accounts.build(self.account, self.seed)
        new.set_username(username)
        new.clock.observe(old.clock.tick())
        new.touch(*(f"{g}.{k}" for g, keys in ACTIVITY_KEYS.items() for k in keys))
        self.state = new

    def dispatch(self, request: Request, control: bool) -> Response:
        try:
            route, params = routes.match(request.method, request.path)
            if (route.kind == "control") != control:
                raise ApiError(404, {"error": "not found"})
            request.params = params
            if route.kind == "api":
                if request.headers.get("trakt-api-key") != self.client_id:
                    raise ApiError(403, {"error": "invalid or missing trakt-api-key"})
                if request.headers.get("trakt-api-version") != "2":
                    raise ApiError(403, {"error": "trakt-api-version must be 2"})
            if route.auth:
                header = request.headers.get("Authorization") or ""
                token = header[7:].strip() if header.lower().startswith("bearer ") else None
                with self.lock:
                    valid = self.oauth.check_access(token)
                if not valid:
                    raise ApiError(
                        401,
                        {"error": "invalid_token", "error_description": "token missing/expired"},
                        {"WWW-Authenticate": 'Bearer realm="trakt", error="invalid_token"'},
                    )
            with self.lock:
                return route.handler(request, self)
        except ApiError as exc:
            return json_response(exc.body, exc.status, exc.headers)
        except Exception:  # a sandbox bug: answer 500 and keep serving
            log.exception("sandbox handler failed")
            return json_response({"error": "sandbox bug", "trace": traceback.format_exc()}, 500)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: App, port: int, verbose: bool) -> None:
        self.app, self.verbose = app, verbose
        self.connections: Set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__((HOST, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TraktSandbox/1.0"
    timeout = 300  # idle keep-alive connections are closed after this
    # Headers and body leave in one send (see _send): no Nagle workaround needed, so the
    # benchmarks measure the default socket path a real client meets.
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        if self.server.verbose:
            sys.stderr.write("sandbox: %s\n" % (format % args))

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _handle(self) -> None:
        app = self.server.app
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        request = Request(self.command, split.path, query, self.headers, body)
        if split.path.startswith("/_sandbox/"):
            self._send(app.dispatch(request, control=True))
            return
        entry = app.log.record(self.command, split.path, split.query)
        if app.latency > 0:
            time.sleep(app.latency)
        if app.faults.global_delay > 0:
            time.sleep(app.faults.global_delay)
        allowed, ratelimit, wait = app.limits.check(self.command)
        if not allowed:
            entry["status"] = 429
            body = {"error": "rate limit exceeded"}
            headers = {"Retry-After": str(max(1, int(math.ceil(wait)))), "X-Ratelimit": ratelimit}
            self._send(json_response(body, 429, headers))
            return
        fault = app.faults.take(self.command, split.path)
        kind = fault.kind if fault else None
        entry["fault"] = kind
        if kind == "slow":
            time.sleep(fault.delay)
        if kind == "drop" and not fault.after:
            entry["status"] = "dropped"
            self.close_connection = True
            return
        response = error_response(fault) if kind in ERROR_KINDS else None
        if response is None:
            response = app.dispatch(request, control=False)
        # Every answer carries the window, except Trakt's abuse-protection 429 (it has none).
        if kind != "429_bare" and not any(n.lower() == "x-ratelimit" for n, _ in response.headers):
            response.headers.append(("X-Ratelimit", ratelimit))
        entry["status"] = response.status
        if kind == "drop":
            entry["status"] = "dropped"
            self.close_connection = True
            return
        if kind == "fake_totals":
            fake_totals(response)
        if kind == "badjson":
            # Same length as the real answer, but cut inside a string: never valid JSON.
            response.body = b'{"error": "unterminated' + b" " * max(0, len(response.body) - 23)
        self._send(response, truncate=kind == "truncate")

    def _send(self, response: Response, truncate: bool = False) -> None:
        """Status line, headers and body in ONE write (a real server's single segment)."""
        self.log_request(response.status)
        reason = _REASONS.get(response.status)
        if reason is None:
            reason = self.responses.get(response.status, ("",))[0]
        lines = [
            "%s %d %s" % (self.protocol_version, response.status, reason),
            "Server: " + self.version_string(),
            "Date: " + self.date_time_string(),
        ]
        lines.extend("%s: %s" % (name, value) for name, value in response.headers)
        if response.status != 204:
            lines.append("Content-Length: %d" % len(response.body))
        if truncate or self.close_connection:
            self.close_connection = True
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        body = b""
        if self.command != "HEAD" and response.status != 204:
            body = response.body[: len(response.body) // 2] if truncate else response.body
        self.wfile.write(head + body)
        self.wfile.flush()


class Sandbox:
    """A running local Trakt; see the module docstring and sandbox/README.md."""

    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET

    def __init__(
        self,
        account: str = "small",
        seed: int = 1,
        port: int = 0,
        token_lifetime: float = 86400,
        auto_approve: bool = False,
        device_interval: float = 5,
        verbose: bool = False,
        latency_ms: float = 0.0,
        get_limit: Optional[int] = None,
        get_period: float = 300.0,
        write_limit: Optional[int] = None,
    ) -> None:
        """``latency_ms``: added before every API/OAuth response. ``get_limit`` GETs per
        ``get_period`` seconds and ``write_limit`` writes per second (None = unlimited; Trakt:
        1000 or 500 per 300 s, and 1 write per second)."""
        limits = RateLimits(get_limit, get_period, write_limit, 1.0)
        self.app = App(
            account, seed, token_lifetime, auto_approve, device_interval, latency_ms, limits
        )
        self._port, self._verbose = port, verbose
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Bind 127.0.0.1 and serve in a background thread; returns once listening."""
        if self._server is not None:
            return self
        self._server = _Server(self.app, self._port, self._verbose)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name="trakt-sandbox",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and the listening socket."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with server.connections_lock:
            open_connections = list(server.connections)
        for conn in open_connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def address(self) -> tuple:
        if self._server is None:
            raise RuntimeError("sandbox not started")
        return self._server.server_address[:2]

    @property
    def port(self) -> int:
        return int(self.address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- in-process conveniences (the same operations as the control API) ----------------------
    @property
    def state(self) -> State:
        return self.app.state

    @property
    def lock(self) -> threading.RLock:
        return self.app.lock

    def issue_tokens(self) -> Dict[str, Any]:
        """A fresh token response, skipping the device flow."""
        with self.app.lock:
            return self.app.oauth.issue()

    def mutate(self, op: str, **args: Any) -> Dict[str, Any]:
        """Apply a control-API mutation, e.g. ``mutate("watch_movie", movie=123)``."""
        args["op"] = op
        with self.app.lock:
            return routes_control.apply_mutation(self.app, args)

    def truth(self, extra: bool = False) -> Dict[str, Any]:
        from .progress import truth

        with self.app.lock:
            return truth(self.app.state, now_ms(), extra=extra)

    def add_fault(self, kind: str, path: str = ".*", count: int = 1, **options: Any) -> None:
        """Inject a fault (same fields as ``POST /_sandbox/faults``)."""
        self.app.faults.add(dict(options, kind=kind, path=path, count=count))

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def set_slow(self, delay: float) -> None:
        self.app.faults.global_delay = max(0.0, float(delay))

    def set_latency(self, latency_ms: float) -> None:
        self.app.latency = max(0.0, float(latency_ms)) / 1000.0

    def set_rate_limits(
        self,
        get_limit: Optional[int] = None,
        get_period: float = 300.0,
        write_limit: Optional[int] = None,
        write_period: float = 1.0,
    ) -> None:
        """New limits (None = unlimited) with fresh windows."""
        self.app.limits.configure(get_limit, get_period, write_limit, write_period)

    @property
    def rate_limited(self) -> int:
        """How many requests the rate limits refused with a 429 (faults not counted)."""
        return self.app.limits.rejected

    def requests(self) -> Dict[str, Any]:
        return self.app.log.snapshot()

    def reset_requests(self) -> None:
        self.app.log.reset()
