"""Keep-alive HTTP(S) transport for the Trakt client (standard library only).

One ``http.client`` connection per (scheme, host, port), reused across requests and replaced
after any failure or when the peer has closed it while idle. TLS certificates are always
verified (``ssl.create_default_context()``); there is no switch to turn that off.
This layer sends exactly one request per call; retries and status handling live in the client.

Every blocking socket step waits in abortable slices (:mod:`.sockets`): a request in flight
ends with :class:`errors.Aborted` within :data:`IO_SLICE` seconds of Kodi's abort; the half-used
connection is closed, never reused. Requests sent at the same time from several threads each get
their own connection (see :class:`HttpTransport`).
"""

from __future__ import annotations

import http.client
import json
import selectors
import socket
import ssl
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple
from urllib.parse import urlencode, urlsplit

from ..constants import ADDON_ID
from . import ADDON_VERSION, errors, sockets
from .sockets import IO_SLICE, AbortCheck, Connection

__all__ = ["IO_SLICE", "HttpTransport", "Response", "TransportError", "build_url", "user_agent"]

# A connection idle for longer than this is reopened instead of reused: servers and proxies
# close idle keep-alive connections, and a request on such a socket fails half-way.
MAX_IDLE_SECONDS = 30.0
# Idle extra connections kept per host for concurrent requests (the sync uses at most a few).
MAX_SPARES = 3


def user_agent(kodi_version: Optional[str] = None) -> str:
    """``plugin.video.aiostreams/<version>`` plus ``Kodi/<version>`` when known."""
    agent = f"{ADDON_ID}/{ADDON_VERSION}"
    if kodi_version:
        agent += f" Kodi/{kodi_version}"
    return agent


class TransportError(Exception):
    """One request failed below HTTP. ``kind``: connect, timeout, dropped or truncated.

    ``sent`` tells whether the request may have reached the server (matters for writes).
    """

    def __init__(self, kind: str, detail: str, sent: bool) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.sent = sent


class Response:
    """Status, lower-cased headers and the raw body of one HTTP response."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header_int(self, name: str) -> Optional[int]:
        value = self.headers.get(name.lower())
        try:
            return int(str(value).strip()) if value is not None else None
        except ValueError:
            return None

    def json(self) -> Any:
        """Decoded JSON body; None for an empty body. Raises :class:`errors.BadResponse`."""
        if not self.body.strip():
            return None
        content_type = self.headers.get("content-type", "")
        if "html" in content_type.lower():
            raise errors.BadResponse("HTML body where JSON was expected", status=self.status)
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise errors.BadResponse(
                f"invalid or truncated JSON ({len(self.body)} bytes)", status=self.status
            ) from None


def build_url(base: str, path: str, params: Optional[Dict[str, Any]] = None) -> str:
    """Join a base URL (which may carry a path prefix) with an API path and query."""
    url = base.rstrip("/") + "/" + path.lstrip("/")
    if params:
        query = urlencode([(k, _param(v)) for k, v in params.items() if v is not None], doseq=False)
        if query:
            url += ("&" if "?" in url else "?") + query
    return url


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


class HttpTransport:
    """Sends single HTTP requests over reused keep-alive connections.

    One connection per (scheme, host, port) serves requests one after another; a request sent
    while that one is busy (from another thread: a sync fetching several shows at once) uses a
    spare connection, and up to :data:`MAX_SPARES` spares are kept for reuse. ``observers`` are
    called with ``(method, status, headers)`` of every response (the rate limiter reads them).
    """

    def __init__(self, timeout: float = 30.0, monotonic: Any = time.monotonic) -> None:
        self.timeout = timeout
        self.requests_sent = 0
        self.observers: List[Callable[[str, int, Dict[str, str]], None]] = []
        self._monotonic = monotonic
        self._connections: Dict[Tuple[str, str, int], Connection] = {}
        self._spares: Dict[Tuple[str, str, int], List[Connection]] = {}
        self._busy: Set[Connection] = set()
        self._ssl_context: Optional[ssl.SSLContext] = None
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            for conn in list(self._connections.values()) + [
                spare for spares in self._spares.values() for spare in spares
            ]:
                conn.close()
            self._connections.clear()
            self._spares.clear()

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _new(self, scheme: str, host: str, port: int) -> Connection:
        if scheme == "https":
            return Connection(host, port, self.timeout, self._context())
        if scheme == "http":
            return Connection(host, port, self.timeout)
        raise ValueError(f"unsupported URL scheme: {scheme}")

    def _checkout(self, scheme: str, host: str, port: int) -> Connection:
        """An idle connection for this host (the main one when free), marked busy."""
        key = (scheme, host, port)
        with self._lock:
            conn = self._connections.get(key)
            if conn is None or conn not in self._busy:
                if conn is not None and not self._reusable(conn):
                    conn.close()
                    conn = None
                if conn is None:
                    conn = self._new(scheme, host, port)
                    self._connections[key] = conn
                self._busy.add(conn)
                return conn
            spares = self._spares.setdefault(key, [])
            while spares:
                spare = spares.pop()
                if self._reusable(spare):
                    self._busy.add(spare)
                    return spare
                spare.close()
            spare = self._new(scheme, host, port)
            self._busy.add(spare)
            return spare

    def _checkin(self, key: Tuple[str, str, int], conn: Connection, keep: bool) -> None:
        with self._lock:
            self._busy.discard(conn)
            if keep:
                conn.last_used = self._monotonic()
            if self._connections.get(key) is conn:
                if not keep:
                    conn.close()
                    del self._connections[key]
                return
            spares = self._spares.setdefault(key, [])
            if keep and len(spares) < MAX_SPARES:
                spares.append(conn)
            else:
                conn.close()

    def _reusable(self, conn: Connection) -> bool:
        sock = conn.sock
        if sock is None:
            return True  # never connected or closed cleanly: http.client reconnects
        if self._monotonic() - conn.last_used > MAX_IDLE_SECONDS:
            return False
        try:
            # A readable idle socket means the server sent EOF (closed it) or garbage.
            readable = sockets.ready(sock, selectors.EVENT_READ, 0)
        except (OSError, ValueError):
            return False
        return not readable

    def send(
        self,
        method: str,
        url: str,
        headers: Dict[str, str],
        body: Optional[bytes] = None,
        should_abort: AbortCheck = None,
    ) -> Response:
        """Send one request; raise :class:`TransportError` when no full response arrives.

        With ``should_abort``, raises :class:`errors.Aborted` within about :data:`IO_SLICE`
        seconds of it turning true, at any stage; the connection is then closed.
        Safe to call from several threads at once (each uses its own connection).
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        key = (scheme, host, port)
        conn = self._checkout(scheme, host, port)
        conn.should_abort = should_abort
        keep = False
        try:
            resp, keep = self._exchange(conn, method, target, headers, body)
        finally:
            # Aborted (or anything else) half-way: the connection's state is unknown.
            conn.should_abort = None
            self._checkin(key, conn, keep)
        for observer in list(self.observers):
            observer(method, resp.status, resp.headers)
        return resp

    def _exchange(
        self,
        conn: Connection,
        method: str,
        target: str,
        headers: Dict[str, str],
        body: Optional[bytes],
    ) -> Tuple[Response, bool]:
        """The response, and whether the connection may be reused."""
        if conn.sock is None:
            try:
                conn.connect()
            except (socket.timeout, TimeoutError) as exc:
                raise TransportError("connect", f"timeout: {exc}", sent=False) from None
            except (OSError, ssl.SSLError) as exc:
                raise TransportError("connect", type(exc).__name__, sent=False) from None
        with self._lock:
            self.requests_sent += 1
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
        except (socket.timeout, TimeoutError):
            raise TransportError("timeout", "no response in time", sent=True) from None
        except (http.client.HTTPException, OSError) as exc:
            raise TransportError("dropped", type(exc).__name__, sent=True) from None
        try:
            payload = resp.read()
        except http.client.IncompleteRead as exc:
            raise TransportError(
                "truncated",
                f"{len(exc.partial)} bytes before the connection closed",
                sent=True,
            ) from None
        except (socket.timeout, TimeoutError):
            raise TransportError("timeout", "body not received in time", sent=True) from None
        except (http.client.HTTPException, OSError) as exc:
            raise TransportError("truncated", type(exc).__name__, sent=True) from None
        resp_headers = {name.lower(): value for name, value in resp.getheaders()}
        return Response(resp.status, resp_headers, payload), not resp.will_close
