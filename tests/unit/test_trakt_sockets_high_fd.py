"""The Trakt transport works with socket descriptors numbered 1024 and above.

Kodi runs every add-on, the skin and its databases in one process, so a socket's descriptor
number can pass 1024; ``select.select`` refuses those ("filedescriptor out of range"), which made
every sync fail once a long test run (or a busy Kodi) had that many files open.
"""

from __future__ import annotations

import os
import selectors
import socket

from resources.lib.trakt import sockets

HIGH_FD = 1500


def _high_numbered_pair():
    left, right = socket.socketpair()
    high = os.dup2(left.fileno(), HIGH_FD)
    left.close()
    return socket.socket(fileno=high), right


def test_a_socket_numbered_above_1024_can_be_waited_on():
    high, peer = _high_numbered_pair()
    try:
        assert high.fileno() >= 1024
        assert sockets.ready(high, selectors.EVENT_WRITE, 0.5)
        assert not sockets.ready(high, selectors.EVENT_READ, 0)
        peer.sendall(b"x")
        assert sockets.ready(high, selectors.EVENT_READ, 0.5)
    finally:
        high.close()
        peer.close()


def test_an_idle_keep_alive_connection_numbered_above_1024_is_reused():
    from resources.lib.trakt import http

    high, peer = _high_numbered_pair()
    transport = http.HttpTransport()
    conn = transport._new("http", "127.0.0.1", 9)
    try:
        conn.sock = high
        conn.last_used = transport._monotonic()
        assert transport._reusable(conn)  # select() raised "filedescriptor out of range" here
        peer.close()  # the server closed the idle connection: readable EOF
        assert not transport._reusable(conn)
    finally:
        high.close()
