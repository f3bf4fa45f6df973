"""The service in a real Kodi: it starts at login, stops promptly at quit, and never crashes."""

from __future__ import annotations

import time

import pytest

from tests.kodi.harness import KodiInstance

pytestmark = pytest.mark.kodi

STARTED = r"\[AIOStreams Service\] Service started$"
STOPPED = r"\[AIOStreams Service\] Service stopped$"


def _entry(kodi: KodiInstance, pattern: str):
    import re

    matches = [e for e in kodi.addon_log_entries() if re.search(pattern, e.message)]
    assert matches, "no add-on log line matches {!r}; add-on lines:\n{}".format(
        pattern, "\n".join(kodi.addon_log_lines())
    )
    return matches[0]


def test_service_logs_its_start_line_at_info_level(kodi: KodiInstance) -> None:
    kodi.wait_for_log(STARTED, timeout=15)
    assert _entry(kodi, STARTED).level == "info"


def test_service_stops_within_five_seconds_of_application_quit(kodi: KodiInstance) -> None:
    kodi.wait_for_log(STARTED, timeout=15)
    quit_requested = time.time()
    exit_seconds = kodi.quit_and_wait(timeout=30)
    stopped = _entry(kodi, STOPPED)
    assert stopped.level == "info"
    assert stopped.timestamp - quit_requested < 5.0
    assert exit_seconds < 15.0


def test_kodi_log_has_no_python_traceback_from_the_addon(kodi: KodiInstance) -> None:
    kodi.wait_for_log(STARTED, timeout=15)
    kodi.quit_and_wait(timeout=30)
    assert kodi.python_tracebacks() == []
