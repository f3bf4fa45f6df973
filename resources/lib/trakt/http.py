"""Keep-alive HTTP(S) transport for the Trakt client (standard library only).

One ``http.client`` connection per (scheme, host, port), reused across requests and replaced
after any failure or when the peer has closed it while idle. TLS certificates are always
verified (``ssl.create_default_context()``); there is no switch to turn that off.
This layer sends exactly one request per call; retries and status handling live in the client.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import ssl
import threading
import time
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from . import ADDON_ID, ADDON_VERSION, errors

# A connection idle for longer than this is reopened instead of reused: servers and proxies
# close idle keep-alive connections, and a request on such a socket fails half-way.
MAX_IDLE_SECONDS = 30.0


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
    """Sends single HTTP requests over reused keep-alive connections."""

    def __init__(self, timeout: float = 30.0, monotonic: Any = time.monotonic) -> None:
        self.timeout = timeout
        self.requests_sent = 0
        self._monotonic = monotonic
        self._connections: Dict[Tuple[str, str, int], http.client.HTTPConnection] = {}
        self._last_used: Dict[Tuple[str, str, int], float] = {}
        self._ssl_context: Optional[ssl.SSLContext] = None
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            for conn in self._connections.values():
                conn.close()
            self._connections.clear()
            self._last_used.clear()

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        conn = self._connections.get(key)
        if conn is not None and not self._reusable(key, conn):
            conn.close()
            conn = None
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=self._context()
                )
            elif scheme == "http":
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            else:
                raise ValueError(f"unsupported URL scheme: {scheme}")
            self._connections[key] = conn
        return conn

    def _reusable(self, key: Tuple[str, str, int], conn: http.client.HTTPConnection) -> bool:
        sock = conn.sock
        if sock is None:
            return True  # never connected or closed cleanly: http.client reconnects
        if self._monotonic() - self._last_used.get(key, 0.0) > MAX_IDLE_SECONDS:
            return False
        try:
            # A readable idle socket means the server sent EOF (closed it) or garbage.
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def _drop(self, key: Tuple[str, str, int]) -> None:
        conn = self._connections.pop(key, None)
        if conn is not None:
            conn.close()

    def send(
        self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes] = None
    ) -> Response:
        """Send one request; raise :class:`TransportError` when no full response arrives."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        key = (scheme, host, port)
        with self._lock:
            conn = self._connection(scheme, host, port)
            if conn.sock is None:
                try:
                    conn.connect()
                except (socket.timeout, TimeoutError) as exc:
                    self._drop(key)
                    raise TransportError("connect", f"timeout: {exc}", sent=False) from None
                except (OSError, ssl.SSLError) as exc:
                    self._drop(key)
                    raise TransportError("connect", type(exc).__name__, sent=False) from None
            self.requests_sent += 1
            try:
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
            except (socket.timeout, TimeoutError):
                self._drop(key)
                raise TransportError("timeout", "no response in time", sent=True) from None
            except (http.client.HTTPException, OSError) as exc:
                self._drop(key)
                raise TransportError("dropped", type(exc).__name__, sent=True) from None
            try:
                payload = resp.read()
            except http.client.IncompleteRead as exc:
                self._drop(key)
                raise TransportError(
                    "truncated",
                    f"{len(exc.partial)} bytes before the connection closed",
                    sent=True,
                ) from None
            except (socket.timeout, TimeoutError):
                self._drop(key)
                raise TransportError("timeout", "body not received in time", sent=True) from None
            except (http.client.HTTPException, OSError) as exc:
                self._drop(key)
                raise TransportError("truncated", type(exc).__name__, sent=True) from None
            resp_headers = {name.lower(): value for name, value in resp.getheaders()}
            if resp.will_close:
                self._drop(key)
            else:
                self._last_used[key] = self._monotonic()
            return Response(resp.status, resp_headers, payload)
