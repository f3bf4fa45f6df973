"""Abortable sockets for the Trakt transport (standard library only).

Every blocking socket step (name lookup, TCP connect, TLS handshake, sending, waiting for and
reading the response) waits in slices of :data:`IO_SLICE` seconds and calls ``should_abort()``
between slices, so a request in flight ends with :class:`errors.Aborted` within a slice of Kodi's
abort instead of after the socket timeout. ``timeout`` keeps its meaning: the longest wait for any
one step (e.g. silence between two reads). Used by :mod:`.http`.
"""

from __future__ import annotations

import errno
import functools
import http.client
import io
import os
import selectors
import socket
import ssl
import threading
import time
from typing import Any, Callable, Dict, List, Optional, TypeVar

from . import errors

# Blocking socket waits are cut into slices this long when an abort check is given.
IO_SLICE = 0.25

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


class Waiter:
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
            if ready(sock, selectors.EVENT_WRITE, self._slice(remaining)):
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code != 0:
                    raise OSError(code, os.strerror(code))
                break
        self.check()


def ready(sock: socket.socket, events: int, timeout: float) -> bool:
    """Whether ``sock`` is ready for ``events`` within ``timeout`` seconds.

    Through ``selectors`` (epoll or poll), never ``select.select``: that refuses descriptors
    numbered 1024 and above, which a long-running Kodi process (one process for every add-on,
    the skin's textures, the databases) reaches.
    """
    with selectors.DefaultSelector() as selector:
        selector.register(sock, events)
        return bool(selector.select(timeout))


class _SocketReader(io.RawIOBase):
    """Raw reader of a response: every ``recv`` waits in abortable slices (see :class:`Waiter`).

    It holds a ``makefile`` reference so the socket stays open while the response is read even
    after ``http.client`` closed the connection (``Connection: close``), like its own reader.
    """

    def __init__(self, sock: socket.socket, waiter: Waiter) -> None:
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

    def __init__(self, sock: socket.socket, waiter: Waiter) -> None:
        self._sock = sock
        self._waiter = waiter

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_SocketReader(self._sock, self._waiter))


class Connection(http.client.HTTPConnection):
    """``HTTPConnection`` (TLS when ``context`` is given) whose connect, send and receive are
    abortable: set :attr:`should_abort` before each request."""

    def __init__(
        self, host: str, port: int, timeout: float, context: Optional[ssl.SSLContext] = None
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.context = context
        self.should_abort: AbortCheck = None
        self.last_used = 0.0  # on the transport's clock; set when handed back for reuse

    def waiter(self) -> Waiter:
        return Waiter(self.should_abort, self.timeout)

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
