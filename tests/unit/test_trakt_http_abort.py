"""The Trakt transport honours ``should_abort`` at every blocking socket step (issue 4
"Shutdown"): name lookup, TCP connect, sending, waiting for the status line and headers, and
reading the body. Raw loopback servers make each step stall on purpose."""

from __future__ import annotations

import socket
import sys
import threading
import time
from typing import Callable, List, Optional

import pytest

from resources.lib.trakt import errors
from resources.lib.trakt.http import IO_SLICE, HttpTransport, TransportError

LATE = IO_SLICE + 0.35  # allowed abort latency: one slice plus scheduling slack


class RawServer:
    """One-connection-at-a-time loopback server; ``handler(conn)`` scripts the bytes."""

    def __init__(self, handler: Callable[[socket.socket, RawServer], None]) -> None:
        self.release = threading.Event()  # ends stalls at teardown
        self.ready = threading.Event()  # the handler reached its stall
        self.connections: List[socket.socket] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.url = "http://127.0.0.1:%d" % self._sock.getsockname()[1]
        self._handler = handler
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.release.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            try:
                self._handler(conn, self)
            except OSError:
                pass

    def stall(self) -> None:
        self.ready.set()
        self.release.wait(15)

    def close(self) -> None:
        self.release.set()
        self._sock.close()
        for conn in self.connections:
            conn.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class AbortLater:
    """``should_abort`` that turns true ``lag`` seconds after ``event`` is set."""

    def __init__(self, event: threading.Event, lag: float = 0.3) -> None:
        self.fired_at: Optional[float] = None
        self._flag = threading.Event()

        def fire() -> None:
            if event.wait(10):
                time.sleep(lag)
                self.fired_at = time.monotonic()
                self._flag.set()

        threading.Thread(target=fire, daemon=True).start()

    def __call__(self) -> bool:
        return self._flag.is_set()

    def assert_prompt(self) -> None:
        assert self.fired_at is not None
        assert time.monotonic() - self.fired_at < LATE


def _expect_abort(transport: HttpTransport, url: str, abort: AbortLater, body=None) -> None:
    with pytest.raises(errors.Aborted):
        transport.send("POST" if body else "GET", url, {}, body, should_abort=abort)
    abort.assert_prompt()
    assert transport._connections == {}  # never reused half-read


@pytest.fixture
def servers():
    made: List[RawServer] = []
    yield lambda handler: made.append(RawServer(handler)) or made[-1]
    for server in made:
        server.close()


def test_abort_during_a_slow_body_read(servers):
    def handler(conn, server):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[1, 2,")
        server.stall()

    server = servers(handler)
    _expect_abort(HttpTransport(timeout=30.0), server.url + "/x", AbortLater(server.ready))


def test_abort_while_waiting_for_the_headers(servers):
    def handler(conn, server):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Le")
        server.stall()

    server = servers(handler)
    _expect_abort(HttpTransport(timeout=30.0), server.url + "/x", AbortLater(server.ready))


def test_abort_while_the_request_body_cannot_be_sent(servers):
    def handler(conn, server):
        server.stall()  # never reads: the client's send buffer fills up

    server = servers(handler)
    body = b"x" * (64 * 1024 * 1024)
    abort = AbortLater(server.ready)
    _expect_abort(HttpTransport(timeout=30.0), server.url + "/x", abort, body=body)


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs on a full queue")
def test_abort_during_a_tcp_connect_that_hangs():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=2)  # fills the queue
    started = threading.Event()
    started.set()
    abort = AbortLater(started)
    try:
        transport = HttpTransport(timeout=30.0)
        url = "http://127.0.0.1:%d/x" % listener.getsockname()[1]
        with pytest.raises(errors.Aborted):
            transport.send("GET", url, {}, should_abort=abort)
        abort.assert_prompt()
        assert transport.requests_sent == 0
    finally:
        filler.close()
        listener.close()


def test_abort_during_a_name_lookup_that_hangs(monkeypatch):
    release = threading.Event()
    real = socket.getaddrinfo

    def stuck(*args, **kwargs):
        release.wait(15)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    started = threading.Event()
    started.set()
    abort = AbortLater(started)
    try:
        transport = HttpTransport(timeout=30.0)
        with pytest.raises(errors.Aborted):
            transport.send("GET", "http://trakt.invalid/x", {}, should_abort=abort)
        abort.assert_prompt()
    finally:
        release.set()


def test_slow_but_steady_answer_is_read_in_full_and_the_connection_kept(servers):
    pieces = [b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 7\r\n\r\n[1,", b"2,", b"3]"]

    def handler(conn, server):
        while read_request(conn):
            for piece in pieces:
                conn.sendall(piece)
                time.sleep(IO_SLICE * 1.6)  # each gap spans several slices

    server = servers(handler)
    transport = HttpTransport(timeout=2.0)
    for _ in range(2):
        resp = transport.send("GET", server.url + "/x", {}, should_abort=lambda: False)
        assert resp.status == 200 and resp.body == b"[1,2,3]"
    assert len(server.connections) == 1  # keep-alive still works


def test_silence_longer_than_the_timeout_is_still_a_timeout(servers):
    def handler(conn, server):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[1")
        server.stall()

    server = servers(handler)
    transport = HttpTransport(timeout=0.6)
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        transport.send("GET", server.url + "/x", {}, should_abort=lambda: False)
    assert info.value.kind == "timeout" and info.value.sent is True
    assert 0.5 < time.monotonic() - started < 2.0
    assert transport._connections == {}
