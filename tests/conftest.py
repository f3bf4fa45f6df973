"""Suite-wide guards.

Secrets never reach a log: every secret the Trakt sandbox hands out in this process (access and
refresh tokens, device codes), the sandbox client secret and the AIOStreams sandbox's sign-in
password are recorded, and any log record emitted during a test that contains one fails that
test.
"""

from __future__ import annotations

import base64
import logging
import os
import sys
import threading
from typing import List, Set

import pytest

# The strict xbmc doubles (tests/doubles) go on sys.path here, once, for every tier: a test module
# imports kodistate or xbmc* directly. Subprocesses do not inherit this (the core imports test
# starts a fresh interpreter that must not see them).
DOUBLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "doubles")
if DOUBLES not in sys.path:
    sys.path.insert(0, DOUBLES)

from tests.support.fixtures import clock, kodi, stub  # noqa: E402,F401 - the shared fixtures

_ISSUED: Set[str] = set()
_ISSUED_LOCK = threading.Lock()


def _remember(*values: str) -> None:
    with _ISSUED_LOCK:
        _ISSUED.update(v for v in values if isinstance(v, str) and len(v) >= 6)


def _install_sandbox_hooks() -> None:
    try:
        from sandbox import oauth
        from sandbox.server import CLIENT_SECRET
    except ImportError:  # the sandbox is a dev tool; nothing to watch without it
        return
    _remember(CLIENT_SECRET)
    token_init = oauth.TokenPair.__init__
    device_init = oauth.DeviceCode.__init__

    def token_pair_init(self, *args, **kwargs):
        token_init(self, *args, **kwargs)
        _remember(self.access_token, self.refresh_token)

    def device_code_init(self, device_code, user_code, *args, **kwargs):
        device_init(self, device_code, user_code, *args, **kwargs)
        _remember(device_code)

    oauth.TokenPair.__init__ = token_pair_init
    oauth.DeviceCode.__init__ = device_code_init


_install_sandbox_hooks()


def _install_aiostreams_secrets() -> None:
    """The AIOStreams sandbox's sign-in password (and the Basic header that carries it) are
    secrets too: like a token, never in a log."""
    try:
        from aiostreams_sandbox.server import DEFAULT_UUID
        from aiostreams_sandbox.userapi import PLAIN_PASSWORD
    except ImportError:
        return
    header = base64.b64encode(f"{DEFAULT_UUID}:{PLAIN_PASSWORD}".encode()).decode("ascii")
    _remember(PLAIN_PASSWORD, header)


_install_aiostreams_secrets()


class _RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is not this guard's business
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1])
        self.texts.append(text)


@pytest.fixture(autouse=True)
def no_secrets_in_logs():
    """Fails the test if any log record carries a token, refresh token, device code or secret."""
    root = logging.getLogger()
    handler = _RecordingHandler()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    with _ISSUED_LOCK:
        issued = set(_ISSUED)
    leaks = find_leaks(handler.texts, issued)
    if leaks:
        pytest.fail("a secret reached the log in %d record(s), e.g.: %s" % (len(leaks), leaks[0]))


def find_leaks(texts: List[str], issued: Set[str]) -> List[str]:
    """Return the log texts that contain a secret, with the secret itself masked."""
    leaks = []
    for text in texts:
        found = [secret for secret in issued if secret in text]
        for secret in found:
            text = text.replace(secret, "<SECRET>")
        if found:
            leaks.append(text[:200])
    return leaks
