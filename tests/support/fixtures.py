"""The suite's shared fixtures, defined once: ``kodi``, ``clock`` and ``stub``.

tests/conftest.py imports them, so every tier sees them; a module that needs more (settings
pointed at a sandbox, a token file) overrides ``kodi`` with a fixture that takes this one.
The real-Kodi tier (tests/kodi) has its own ``kodi``: a running Kodi, not the doubles' state.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.clock import FakeClock
from tests.support.trakt_stub import StubServer


@pytest.fixture
def kodi() -> Iterator[object]:
    """A fresh state of the xbmc doubles (own profile folder); afterwards the abort flag is set
    (a service thread still running sees it and ends) and the profile is removed."""
    import kodistate

    state = kodistate.reset()
    yield state
    state.abort.set()
    kodistate.cleanup()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    yield server
    server.close()
