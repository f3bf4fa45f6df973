"""Up Next timing: the due position per trigger, and the once-per-playback clock."""

from __future__ import annotations

import pytest

from resources.lib.upnext.timing import (
    ASK,
    AUTO,
    LAST_SECONDS,
    OFF,
    UpNextClock,
    UpNextTiming,
    due_position,
    mode_or_default,
)

SECONDS_30 = UpNextTiming()
PERCENT_92 = UpNextTiming(trigger="percent", percent=92)


@pytest.mark.parametrize(
    "total, timing, due",
    [
        (1500, SECONDS_30, 1470.0),  # a 25-minute episode: 30 s before the end
        (1500.5, UpNextTiming(seconds_before_end=45), 1455.5),
        (1500, PERCENT_92, 1380.0),  # 92 % of 25 minutes
        (3000, UpNextTiming(trigger="percent", percent=50), 1500.0),
        (40, SECONDS_30, 10.0),  # a short clip: due 10 s in
        (31, SECONDS_30, 1.0),
        (30, SECONDS_30, None),  # total equal to the lead time: would be due at the start
        (20, SECONDS_30, None),  # total shorter than the lead time
        (None, SECONDS_30, None),  # unknown total
        (0, SECONDS_30, None),  # Kodi's "not known yet"
        (-5, PERCENT_92, None),
        (float("nan"), SECONDS_30, None),
        (float("inf"), PERCENT_92, None),
        ("garbage", SECONDS_30, None),
        (100, UpNextTiming(trigger="percent", percent=100), 99.0),  # clamped to 99 %
        (100, UpNextTiming(trigger="percent", percent=0), 1.0),  # clamped to 1 %
        (100, UpNextTiming(seconds_before_end=0), 99.0),  # a lead of at least 1 s
    ],
)
def test_due_position(total, timing, due):
    assert due_position(total, timing) == due


def test_modes_and_default():
    assert (OFF, ASK, AUTO) == ("off", "ask", "auto")
    assert UpNextTiming() == UpNextTiming(trigger="seconds", seconds_before_end=30, percent=92)
    assert mode_or_default("ask") == ASK
    assert mode_or_default("off") == OFF
    assert mode_or_default("bogus") == AUTO
    assert mode_or_default(None) == AUTO


# Each case: a playback of ``total`` seconds, the events in order ("play", position) or
# ("seek", position), and the positions at which observe() returned True.
CLOCK_CASES = [
    (
        "plays through: fires once at the due point",
        100,
        [("play", p) for p in (0, 50, 69.9, 70, 70.25, 80, 99)],
        [70],
    ),
    (
        "polled late: fires on the first position past due",
        100,
        [("play", 60), ("play", 75), ("play", 76)],
        [75],
    ),
    (
        "seek into the last 10 s cancels",
        100,
        [("play", 60), ("seek", 95), ("play", 95), ("play", 99)],
        [],
    ),
    (
        "seek to exactly total - LAST_SECONDS cancels",
        100,
        [("seek", 100 - LAST_SECONDS), ("play", 91)],
        [],
    ),
    (
        "seek back before due, then playing on still fires",
        100,
        [("play", 20), ("seek", 5), ("play", 6), ("play", 70)],
        [70],
    ),
    (
        "seek forward past due but before the last 10 s fires at once",
        100,
        [("play", 20), ("seek", 85), ("play", 85), ("play", 86)],
        [85],
    ),
    (
        "seek into the last 10 s after firing: no second offer",
        100,
        [("play", 70), ("seek", 95), ("seek", 10), ("play", 70)],
        [70],
    ),
    (
        "seek back after firing: no second offer",
        100,
        [("play", 71), ("seek", 0), ("play", 71)],
        [71],
    ),
    ("unknown total never fires", None, [("play", p) for p in (0, 1000, 10**6)], []),
    ("total shorter than the lead time never fires", 20, [("play", p) for p in (0, 10, 19)], []),
]


@pytest.mark.parametrize(
    "total, events, fired_at", [c[1:] for c in CLOCK_CASES], ids=[c[0] for c in CLOCK_CASES]
)
def test_clock(total, events, fired_at):
    clock = UpNextClock(total, SECONDS_30)
    fired = []
    for kind, position in events:
        if kind == "seek":
            clock.seeked(position)
        elif clock.observe(position):
            fired.append(position)
    assert fired == fired_at


def test_clock_cancelled_flag_after_late_seek():
    clock = UpNextClock(100, SECONDS_30)
    assert clock.observe(70) is True
    clock.seeked(92)
    assert clock.cancelled is True
    assert clock.observe(93) is False


def test_clock_percent_mode():
    clock = UpNextClock(1000, PERCENT_92)
    assert clock.due == 920.0
    assert [clock.observe(p) for p in (919.9, 920, 921)] == [False, True, False]


@pytest.mark.parametrize(
    "total, position, seconds",
    [
        (100, 70, 30),
        (100, 70.2, 30),  # 29.8 s left shows as 30
        (100, 70.9, 30),
        (100, 71, 29),
        (100, 99.5, 1),
        (100, 100, 1),  # never 0: the countdown ends by itself
        (100, 130, 1),  # a position past the total (a stream longer than reported)
        (None, 10, 1),
    ],
)
def test_countdown_seconds(total, position, seconds):
    assert UpNextClock(total, SECONDS_30).countdown_seconds(position) == seconds
