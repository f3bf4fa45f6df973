"""Keep-alive HTTP(S) transport for the Trakt client (standard library only).

One ``http.client`` connection per (scheme, host, port), reused across requests and replaced
after any failure or when the peer has closed it while idle. TLS certificates are always
verified (``ssl.create_default_context()``); there is no switch to turn that off.
This layer sends exactly one request per call; retries and status handling live in the client.

Every blocking socket step (name lookup, TCP connect, TLS handshake, sending, waiting for and
reading the response) waits in slices of :data:`IO_SLICE` seconds and calls ``should_abort()``
between slices, so a request in flight ends with :class:`errors.Aborted` within a slice of Kodi's
abort instead of after the socket timeout; the half-used connection is closed, never reused.
``timeout`` keeps its meaning: the longest wait for any one step (e.g. silence between two reads).
"""

from __future__ import annotations

import errno
import functools
import http.client
import io
import json
import os
import select
import socket
import ssl
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, TypeVar
from urllib.parse import urlencode, urlsplit

from . import ADDON_ID, ADDON_VERSION, errors

# A connection idle for longer than this is reopened instead of reused: servers and proxies
# close idle keep-alive connections, and a request on such a socket fails half-way.
MAX_IDLE_SECONDS = 30.0
# Blocking socket waits are cut into slices this long when an abort check is given.
IO_SLICE = 0.25
# Idle extra connections kept per host for concurrent requests (the sync uses at most a few).
MAX_SPARES = 3

AbortCheck = Optional[Callable[[], bool]]
_T = TypeVar("_T")
# connect_ex() answers for "connection under way" on a non-blocking socket (POSIX, Windows).
_CONNECTING = {
    0,
    errno.EINPROGRESS,
    errno.EWOULDBLOCK,
    errno.EAGAIN,
    errno.EALREADY,
    getattr(errno, "WSAEWOULDBLOCK", 10035),
}


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


class _Waiter:
    """Runs blocking socket steps in slices, checking ``should_abort`` between slices.

    Deadlines use the real ``time.monotonic`` (never an injected test clock): they measure
    actual socket waits.
    """

    def __init__(self, should_abort: AbortCheck, timeout: float) -> None:
        self.should_abort = should_abort
        self.timeout = timeout

    def check(self) -> None:
        if self.should_abort is not None and self.should_abort():
            raise errors.Aborted()

    def _slice(self, remaining: float) -> float:
        return min(IO_SLICE, remaining) if self.should_abort is not None else remaining

    def run(self, sock: socket.socket, step: Callable[[], _T], what: str) -> _T:
        """``step()`` with the socket timeout set to a slice, retried after each slice that
        timed out, until it succeeds or ``timeout`` seconds pass (``socket.timeout``).

        Only for steps that are safe to repeat after a timeout: ``recv_into``, ``send`` and
        the TLS handshake (a timed-out step has transferred nothing / keeps its TLS state).
        """
        deadline = time.monotonic() + self.timeout
        while True:
            self.check()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout(f"{what} timed out")
            sock.settimeout(self._slice(remaining))
            try:
                return step()
            except socket.timeout:
                continue

    def resolve(self, host: str, port: int) -> List[Any]:
        """``getaddrinfo`` that can be abandoned: a stuck resolver must not delay an abort."""
        if self.should_abort is None:
            return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        outcome: Dict[str, Any] = {}
        done = threading.Event()

        def lookup() -> None:
            try:
                outcome["infos"] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=lookup, name="trakt-resolve", daemon=True).start()
        deadline = time.monotonic() + self.timeout
        while not done.wait(self._slice(max(0.0, deadline - time.monotonic()))):
            self.check()
            if time.monotonic() >= deadline:
                raise socket.timeout("name lookup timed out")
        self.check()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["infos"]

    def connect(self, host: str, port: int) -> socket.socket:
        """A connected TCP socket (each address tried in turn, ``timeout`` per address)."""
        last: Optional[OSError] = None
        for family, kind, proto, _, address in self.resolve(host, port):
            sock = socket.socket(family, kind, proto)
            try:
                self._connect_one(sock, address)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
            except BaseException:
                sock.close()
                raise
        raise last if last is not None else OSError("no address for " + host)

    def _connect_one(self, sock: socket.socket, address: Any) -> None:
        sock.setblocking(False)
        code = sock.connect_ex(address)
        if code not in _CONNECTING:
            raise OSError(code, os.strerror(code))
        deadline = time.monotonic() + self.timeout
        while code != 0:
            self.check()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("connect timed out")
            _, writable, failed = select.select([], [sock], [sock], self._slice(remaining))
            if writable or failed:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code != 0:
                    raise OSError(code, os.strerror(code))
                break
        self.check()


class _SocketReader(io.RawIOBase):
    """Raw reader of a response: every ``recv`` waits in abortable slices (see :class:`_Waiter`).

    It holds a ``makefile`` reference so the socket stays open while the response is read even
    after ``http.client`` closed the connection (``Connection: close``), like its own reader.
    """

    def __init__(self, sock: socket.socket, waiter: _Waiter) -> None:
        super().__init__()
        self._sock = sock
        self._waiter = waiter
        self._hold = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._waiter.run(self._sock, lambda: self._sock.recv_into(buffer), "read")

    def close(self) -> None:
        if not self.closed:
            self._hold.close()
        super().close()


class _ResponseSocket:
    """What ``http.client.HTTPResponse`` sees as its socket: only ``makefile`` is used."""

    def __init__(self, sock: socket.socket, waiter: _Waiter) -> None:
        self._sock = sock
        self._waiter = waiter

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_SocketReader(self._sock, self._waiter))


class _Connection(http.client.HTTPConnection):
    """``HTTPConnection`` (TLS when ``context`` is given) whose connect, send and receive are
    abortable: set :attr:`should_abort` before each request."""

    def __init__(
        self, host: str, port: int, timeout: float, context: Optional[ssl.SSLContext] = None
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.context = context
        self.should_abort: AbortCheck = None
        self.last_used = 0.0  # on the transport's clock; set when handed back for reuse

    def waiter(self) -> _Waiter:
        return _Waiter(self.should_abort, self.timeout)

    def connect(self) -> None:
        waiter = self.waiter()
        sock = waiter.connect(self.host, self.port)
        if self.context is not None:
            try:
                sock = self.context.wrap_socket(
                    sock, server_hostname=self.host, do_handshake_on_connect=False
                )
                waiter.run(sock, sock.do_handshake, "TLS handshake")
            except BaseException:
                sock.close()
                raise
        self.sock = sock

    def send(self, data: Any) -> None:
        if self.sock is None or not isinstance(data, (bytes, bytearray)):
            super().send(data)
            return
        sock, waiter = self.sock, self.waiter()
        view = memoryview(data)
        while view:
            view = view[waiter.run(sock, functools.partial(sock.send, view), "send") :]

    def response_class(self, sock: Any, *args: Any, **kwargs: Any) -> http.client.HTTPResponse:
        # http.client calls self.response_class(self.sock, ...): read through abortable waits.
        reader = _ResponseSocket(sock, self.waiter())
        return http.client.HTTPResponse(reader, *args, **kwargs)  # type: ignore[arg-type]


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
        self._connections: Dict[Tuple[str, str, int], _Connection] = {}
        self._spares: Dict[Tuple[str, str, int], List[_Connection]] = {}
        self._busy: Set[_Connection] = set()
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

    def _new(self, scheme: str, host: str, port: int) -> _Connection:
        if scheme == "https":
            return _Connection(host, port, self.timeout, self._context())
        if scheme == "http":
            return _Connection(host, port, self.timeout)
        raise ValueError(f"unsupported URL scheme: {scheme}")

    def _checkout(self, scheme: str, host: str, port: int) -> _Connection:
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

    def _checkin(self, key: Tuple[str, str, int], conn: _Connection, keep: bool) -> None:
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

    def _reusable(self, conn: _Connection) -> bool:
        sock = conn.sock
        if sock is None:
            return True  # never connected or closed cleanly: http.client reconnects
        if self._monotonic() - conn.last_used > MAX_IDLE_SECONDS:
            return False
        try:
            # A readable idle socket means the server sent EOF (closed it) or garbage.
            readable, _, _ = select.select([sock], [], [], 0)
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
        conn: _Connection,
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
