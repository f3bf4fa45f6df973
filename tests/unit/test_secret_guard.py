"""The suite-wide secret guard must catch a leaked token and must not print it."""

from __future__ import annotations

import logging

from tests.conftest import _ISSUED, _RecordingHandler, find_leaks


def test_leaked_token_is_found_and_masked():
    token = "a" * 64
    leaks = find_leaks(["refreshing with " + token, "status 200"], {token})
    assert leaks == ["refreshing with <SECRET>"]


def test_clean_logs_have_no_leaks():
    assert find_leaks(["GET /sync/last_activities 200"], {"b" * 64}) == []


def test_sandbox_tokens_are_registered_for_the_guard():
    from sandbox.server import Sandbox

    with Sandbox(account="small") as sb:
        tokens = sb.issue_tokens()
    assert tokens["access_token"] in _ISSUED
    assert tokens["refresh_token"] in _ISSUED


def test_handler_records_formatted_messages():
    handler = _RecordingHandler()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("zzz",), None)
    handler.emit(record)
    assert handler.texts == ["token=zzz"]
