"""The scrobble state machine, driven by fake player events and a fake clock."""

from __future__ import annotations

import pytest

from resources.lib.scrobble.state import FAILED, PAUSE, START, STOP, Scrobbler

TOTAL = 6000.0  # a 100-minute feature: 60 s = 1 %


def play(scrobbler, clock, start_s, end_s, step=1.0):
    """Tick once a second from start_s to end_s (inclusive); collect the actions."""
    actions = []
    t = start_s
    while t <= end_s:
        actions += scrobbler.tick(t, TOTAL)
        clock.advance(step)
        t += step
    return actions


def kinds(actions):
    return [(a.kind, a.progress) for a in actions]


@pytest.fixture
def scrobbler(clock):
    return Scrobbler(expected_runtime_minutes=100, clock=clock)


def test_start_waits_for_one_percent_then_is_sent_once(scrobbler, clock):
    assert scrobbler.av_started(0.0) == []
    assert play(scrobbler, clock, 0, 59) == []
    actions = play(scrobbler, clock, 60, 300)
    assert kinds(actions) == [(START, 1.0)]


def test_watch_to_ninety_percent_then_stop_sends_start_and_one_stop(scrobbler, clock):
    scrobbler.av_started(0.0)
    actions = play(scrobbler, clock, 0, 5400, step=30)
    actions += scrobbler.stopped()
    assert [a.kind for a in actions] == [START, STOP]
    assert actions[-1].progress == pytest.approx(90.0)
    assert actions[-1].records_play


def test_stop_uses_the_last_progress_sampled_while_playing(scrobbler, clock):
    scrobbler.av_started(0.0)
    play(scrobbler, clock, 0, 1200, step=60)
    actions = scrobbler.stopped()
    assert kinds(actions) == [(STOP, 20.0)]
    assert actions[0].at == clock()
    assert scrobbler.tick(0, TOTAL) == []  # a late sample after stop changes nothing
    assert scrobbler.stopped() == []


def test_nothing_is_sent_below_one_percent(scrobbler, clock):
    scrobbler.av_started(0.0)
    actions = play(scrobbler, clock, 0, 30)
    actions += scrobbler.paused() + scrobbler.resumed() + scrobbler.stopped()
    assert actions == []


def test_resume_point_starts_at_once_with_its_progress(scrobbler):
    assert kinds(scrobbler.av_started(40.0, total_seconds=TOTAL)) == [(START, 40.0)]
    assert scrobbler.tick(2401, TOTAL) == []  # no duplicate start


def test_av_started_twice_never_sends_a_second_start(scrobbler, clock):
    scrobbler.av_started(10.0, TOTAL)
    assert scrobbler.av_started(10.0, TOTAL) == []
    assert play(scrobbler, clock, 600, 700) == []


def test_pause_then_resume_sends_pause_then_start_again(scrobbler, clock):
    scrobbler.av_started(0.0)
    play(scrobbler, clock, 0, 900, step=60)  # 15 %
    assert kinds(scrobbler.paused()) == [(PAUSE, 15.0)]
    assert scrobbler.paused() == []  # a repeated pause event is ignored
    assert kinds(scrobbler.resumed()) == [(START, 15.0)]
    assert scrobbler.resumed() == []


def test_pause_before_one_percent_sends_nothing_and_resume_starts_later(scrobbler, clock):
    scrobbler.av_started(0.0)
    play(scrobbler, clock, 0, 20)
    assert scrobbler.paused() == []
    assert scrobbler.resumed() == []
    assert kinds(play(scrobbler, clock, 60, 61)) == [(START, 1.0)]


def test_seek_updates_progress_and_starts_when_it_crosses_one_percent(scrobbler, clock):
    scrobbler.av_started(0.0)
    play(scrobbler, clock, 0, 10)
    assert kinds(scrobbler.seek(50.0)) == [(START, 50.0)]
    assert scrobbler.seek(75.0) == []  # already started: no duplicate
    assert kinds(scrobbler.stopped()) == [(STOP, 75.0)]


def test_seek_while_paused_is_used_by_the_stop(scrobbler, clock):
    scrobbler.av_started(0.0)
    play(scrobbler, clock, 0, 600, step=60)
    scrobbler.paused()
    assert scrobbler.seek(85.0) == []  # paused: no start
    assert kinds(scrobbler.stopped()) == [(STOP, 85.0)]


def test_end_of_file_sends_stop_with_the_last_sample(scrobbler, clock):
    scrobbler.av_started(0.0)
    play(scrobbler, clock, 0, 5990, step=10)
    actions = scrobbler.ended()
    assert [a.kind for a in actions] == [STOP]
    assert actions[0].progress == pytest.approx(99.83, abs=0.01)
    assert scrobbler.stopped() == []  # Kodi may also report a stop: ignored


def test_playback_error_saves_progress_with_a_pause_and_records_no_play(scrobbler, clock):
    scrobbler.av_started(0.0)
    play(scrobbler, clock, 0, 5400, step=60)
    assert kinds(scrobbler.error()) == [(PAUSE, 90.0)]
    assert scrobbler.stopped() == []


def test_error_after_a_pause_sends_nothing_more(scrobbler, clock):
    scrobbler.av_started(0.0)
    play(scrobbler, clock, 0, 600, step=60)
    scrobbler.paused()
    assert scrobbler.error() == []


def test_events_before_playback_started_are_ignored(scrobbler):
    assert scrobbler.tick(100, TOTAL) == []
    assert scrobbler.paused() == []
    assert scrobbler.resumed() == []
    assert scrobbler.seek(50) == []
    assert scrobbler.stopped() == []


def test_ticks_without_a_known_duration_are_ignored(scrobbler):
    scrobbler.av_started(0.0)
    assert scrobbler.tick(100, 0) == []
    assert scrobbler.progress == 0.0


def test_placeholder_clip_fails_once_and_never_scrobbles(clock):
    scrobbler = Scrobbler(expected_runtime_minutes=120, clock=clock)
    assert scrobbler.av_started(40.0) == []  # resume point: start waits for the duration check
    actions = scrobbler.tick(0.5, 3.0)
    assert [(a.kind, a.reason) for a in actions] == [(FAILED, "placeholder")]
    assert scrobbler.tick(2.9, 3.0) == []
    assert scrobbler.stopped() == []


def test_placeholder_threshold_is_configurable(clock):
    scrobbler = Scrobbler(placeholder_seconds=10, clock=clock)
    scrobbler.av_started(0.0)
    actions = scrobbler.tick(0.5, 20.0)  # a 20 s clip passes a 10 s threshold
    assert scrobbler.duration_ok
    assert kinds(actions) == [(START, 2.5)]


def test_actions_carry_the_clock_time_of_the_event(scrobbler, clock):
    scrobbler.av_started(50.0, TOTAL)
    clock.advance(3600)
    (stop,) = scrobbler.stopped()
    assert stop.at == clock()
    assert stop.path == "/scrobble/stop"
