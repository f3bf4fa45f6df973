"""Request spacing and rate-limit header parsing, with a fake clock."""

from __future__ import annotations

import email.utils
import time

import pytest

from resources.lib.aiostreams import errors
from resources.lib.aiostreams.http import (
    RequestSpacer,
    parse_retry_after,
    rate_limit_wait,
    sleep_abortable,
)
from tests.support.clock import FakeClock


def test_spacer_never_lets_two_requests_leave_closer_than_the_interval():
    clock = FakeClock(1000.0)
    spacer = RequestSpacer(1.5, clock=clock, sleep=clock.sleep)
    departures = []
    for _ in range(4):
        spacer.acquire()
        departures.append(clock())
    gaps = [b - a for a, b in zip(departures, departures[1:])]
    assert all(gap >= 1.5 - 1e-9 for gap in gaps)
    assert departures[0] == 1000.0  # the first one leaves at once


def test_spacer_defer_pushes_the_next_slot_but_never_earlier():
    clock = FakeClock(1000.0)
    spacer = RequestSpacer(1.0, clock=clock, sleep=clock.sleep)
    spacer.acquire()
    spacer.defer(10)
    spacer.defer(2)  # does not shorten the wait
    assert spacer.delay() == pytest.approx(10)
    spacer.acquire()
    assert clock() == pytest.approx(1010)


def test_spacer_wait_is_abortable():
    clock = FakeClock(1000.0)
    spacer = RequestSpacer(1.0, clock=clock, sleep=clock.sleep)
    spacer.defer(60)
    with pytest.raises(errors.Aborted):
        spacer.acquire(should_abort=lambda: clock() > 1001)
    assert clock() < 1002


def test_sleep_abortable_checks_abort_before_sleeping():
    with pytest.raises(errors.Aborted):
        sleep_abortable(5, should_abort=lambda: True, sleep=lambda s: None)


@pytest.mark.parametrize(
    "headers, wait",
    [
        ({"retry-after": "7"}, 7.0),
        ({"ratelimit-remaining": "0", "ratelimit-reset": "12"}, 12.0),
        ({"ratelimit-remaining": "3", "ratelimit-reset": "12"}, None),
        ({"ratelimit": "limit=10, remaining=0, reset=9"}, 9.0),
        ({"ratelimit": "limit=10, remaining=4, reset=9"}, None),
        ({}, None),
        ({"ratelimit-remaining": "x", "ratelimit-reset": "1"}, None),
    ],
)
def test_rate_limit_wait_reads_retry_after_and_ratelimit_headers(headers, wait):
    assert rate_limit_wait(headers) == wait


def test_retry_after_accepts_an_http_date():
    now = time.time()
    value = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(value, now=now) == pytest.approx(30, abs=1.5)
    assert parse_retry_after("soon") is None
