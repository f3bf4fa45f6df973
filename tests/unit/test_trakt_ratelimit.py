"""RateLimiter pacing from Trakt's X-Ratelimit header: background vs interactive priority."""

from __future__ import annotations

import json
import threading
from email.utils import formatdate, parsedate_to_datetime

from resources.lib.trakt import ratelimit
from resources.lib.trakt.ratelimit import RateLimiter
from tests.support.clock import FakeClock

EPOCH = 1_790_000_000.0  # the server's time of the response (its Date header)


def headers(remaining: int, until_in: float, limit: int = 1000, name: str = "GET") -> dict:
    until = formatdate(EPOCH + until_in, usegmt=True)
    iso = parsedate_to_datetime(until).strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {
        "name": "AUTHED_API_%s_LIMIT" % name,
        "period": 300,
        "limit": limit,
        "remaining": remaining,
        "until": iso,
    }
    return {"x-ratelimit": json.dumps(info), "date": formatdate(EPOCH, usegmt=True)}


def limiter(clock: FakeClock, device_clock_off_by: float = 0.0) -> RateLimiter:
    return RateLimiter(
        clock.monotonic,
        clock.sleep,
        get_budget=10_000,
        now=lambda: EPOCH + device_clock_off_by,
    )


def test_background_gets_stop_at_the_reserve_and_wait_for_the_window_end() -> None:
    clock = FakeClock(100.0)
    lim = limiter(clock)
    lim.observe("GET", 200, headers(remaining=52, until_in=120, limit=1000))
    with ratelimit.background():
        lim.acquire("GET")  # 51 left
        lim.acquire("GET")  # 50 left = the reserve of a 1000 window
        assert clock.sleeps == []
        lim.acquire("GET")
    assert len(clock.sleeps) == 1
    assert 120 <= clock.sleeps[0] <= 120 + ratelimit.WINDOW_MARGIN
    assert lim.window_waits == 1


def test_interactive_gets_use_the_reserve_and_stop_only_when_nothing_is_left() -> None:
    clock = FakeClock(100.0)
    lim = limiter(clock)
    lim.observe("GET", 200, headers(remaining=3, until_in=60, limit=1000))
    for _ in range(3):
        lim.acquire("GET")
    assert clock.sleeps == []
    assert lim.window_remaining == 0
    lim.acquire("GET")
    assert len(clock.sleeps) == 1 and 60 <= clock.sleeps[0] <= 61


def test_a_500_window_keeps_25_for_the_user() -> None:
    assert ratelimit.reserve_for(500) == 25
    assert ratelimit.reserve_for(1000) == 50
    assert ratelimit.reserve_for(40) == 10
    clock = FakeClock(100.0)
    lim = limiter(clock)
    lim.observe("GET", 200, headers(remaining=26, until_in=200, limit=500))
    with ratelimit.background():
        lim.acquire("GET")
        assert clock.sleeps == []
        lim.acquire("GET")
    assert len(clock.sleeps) == 1


def test_window_end_is_measured_against_the_servers_date_not_the_device_clock() -> None:
    clock = FakeClock(100.0)
    lim = limiter(clock, device_clock_off_by=-3600.0)  # the box is an hour behind
    lim.observe("GET", 200, headers(remaining=0, until_in=30))
    lim.acquire("GET")
    assert len(clock.sleeps) == 1 and 30 <= clock.sleeps[0] <= 31


def test_the_count_follows_the_server_and_a_new_window_starts_fresh() -> None:
    clock = FakeClock(100.0)
    lim = limiter(clock)
    lim.observe("GET", 200, headers(remaining=900, until_in=100))
    lim.acquire("GET")
    assert lim.window_remaining == 899
    lim.observe("GET", 200, headers(remaining=700, until_in=100))  # another device used some
    assert lim.window_remaining == 700
    lim.observe("GET", 200, headers(remaining=800, until_in=100))  # stale answer: keep the lower
    assert lim.window_remaining == 700
    lim.observe("GET", 200, headers(remaining=999, until_in=400))  # the next window
    assert lim.window_remaining == 999
    clock.t += 1000  # past every window: unknown again, nothing waits
    assert lim.window_remaining is None
    lim.acquire("GET")
    assert clock.sleeps == []


def test_write_limit_headers_and_bad_headers_do_not_touch_the_get_window() -> None:
    clock = FakeClock(100.0)
    lim = limiter(clock)
    lim.observe("GET", 200, headers(remaining=0, until_in=100, name="POST"))
    lim.observe("POST", 200, headers(remaining=0, until_in=100))
    lim.observe("GET", 200, {"x-ratelimit": "{not json"})
    lim.observe("GET", 200, {"x-ratelimit": json.dumps({"remaining": 0})})
    assert lim.window_remaining is None
    lim.acquire("GET")
    assert clock.sleeps == []


def test_trakts_window_replaces_the_local_budget_once_known() -> None:
    clock = FakeClock(100.0)
    lim = RateLimiter(clock.monotonic, clock.sleep, get_budget=2, now=lambda: EPOCH)
    lim.acquire("GET")
    lim.acquire("GET")
    lim.observe("GET", 200, headers(remaining=500, until_in=300, limit=1000))
    for _ in range(5):
        lim.acquire("GET")  # the local budget of 2 would wait 300 s here
    assert clock.sleeps == []
    clock.t += 400  # the window ended and nothing reported a new one: local budget again
    lim.acquire("GET")
    lim.acquire("GET")
    assert clock.sleeps == []
    lim.acquire("GET")
    assert len(clock.sleeps) == 1


def test_a_429_is_left_to_the_clients_retry_after() -> None:
    clock = FakeClock(100.0)
    lim = limiter(clock)
    lim.observe("GET", 429, headers(remaining=0, until_in=100))
    assert lim.window_remaining is None
    lim.acquire("GET")
    assert clock.sleeps == []


def test_background_flag_is_per_thread() -> None:
    seen = {}

    def other() -> None:
        seen["other"] = ratelimit.is_background()

    with ratelimit.background():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        seen["self"] = ratelimit.is_background()
    assert seen == {"other": False, "self": True}
    assert not ratelimit.is_background()
