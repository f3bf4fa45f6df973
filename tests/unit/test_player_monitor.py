"""The service's player monitor driven by fake player events: what reaches Trakt, when."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, List, Optional, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "doubles"))

import kodistate  # noqa: E402
import pytest  # noqa: E402

from resources.lib.kodi import player as player_module  # noqa: E402
from resources.lib.kodi.player import PlayerMonitor, ScrobbleWorker  # noqa: E402
from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, MediaRef, NowPlaying  # noqa: E402

PATH = "http://127.0.0.1:1/playback/x.mkv"


class FakePlayback:
    """Position, duration, properties and the calls the worker makes."""

    def __init__(self) -> None:
        self.time: Optional[float] = None
        self.total = 2700.0
        self.properties = {}
        self.stopped = 0
        self.played: List[str] = []
        self.notified: List[str] = []
        self.file = PATH + "|User-Agent=x"

    def sample(self) -> Optional[Tuple[float, float]]:
        return None if self.time is None else (self.time, self.total)

    def playing_file(self) -> str:
        return self.file

    def stop(self) -> None:
        self.stopped += 1
        self.time = None

    def get_property(self, name: str) -> str:
        return self.properties.get(name, "")

    def clear_property(self, name: str) -> None:
        self.properties.pop(name, None)

    def play_url(self, url: str) -> None:
        self.played.append(url)

    def notify(self, message: str) -> None:
        self.notified.append(message)


class Rig:
    def __init__(self) -> None:
        self.mono = 100.0
        self.playback = FakePlayback()
        self.sent: List[Tuple[str, float]] = []
        self.local: List[Tuple[str, float]] = []
        self.status = "sent"
        self.worker = ScrobbleWorker(
            send=self.send,
            record_local=lambda media, action: self.local.append((action.kind, action.progress)),
            flush=lambda: None,
            playback=self.playback,
            placeholder_seconds=lambda: 45.0,
            clock=lambda: 1_800_000_000.0,
            monotonic=lambda: self.mono,
            settle_seconds=1.5,
        )

    def send(self, media: Any, action: Any) -> str:
        self.sent.append((action.kind, action.progress))
        return self.status

    def hand_off(self, path: str = PATH, runtime: float = 45.0) -> NowPlaying:
        playing = NowPlaying(MediaRef.episode({"trakt": 9}, 1, 2), path=path,
                             runtime_minutes=runtime)  # fmt: skip
        self.playback.properties[NOW_PLAYING_PROPERTY] = playing.to_json()
        return playing

    def at(self, seconds: float) -> None:
        """One second later the player is at `seconds`: the worker samples it."""
        self.mono += 1.0
        self.playback.time = seconds
        self.worker.handle("sample")

    def start(self, resume_at: float = 0.0) -> None:
        self.hand_off()
        self.playback.time = resume_at
        self.worker.handle("av_started")
        self.at(resume_at + 1)
        self.at(resume_at + 2)


@pytest.fixture
def rig():
    kodistate.reset()
    yield Rig()
    kodistate.cleanup()


def kinds(rig: Rig) -> List[str]:
    return [kind for kind, _ in rig.sent]


def test_start_waits_for_the_resume_seek_and_uses_the_real_progress(rig):
    rig.hand_off()
    rig.playback.time = 0.0
    rig.worker.handle("av_started")
    assert rig.sent == []  # 0 % and not settled yet
    rig.at(1350.0)  # the resume seek lands at 50 %
    rig.at(1351.0)
    assert rig.sent == [("start", pytest.approx(50.04, abs=0.01))]
    for second in range(1352, 1360):
        rig.at(float(second))
    assert kinds(rig) == ["start"], "a duplicate start was sent"


def test_pause_resume_seek_and_stop_with_the_last_sampled_progress(rig):
    rig.start(resume_at=270.0)
    assert kinds(rig) == ["start"]
    rig.worker.handle("paused")
    rig.worker.handle("resumed")
    rig.at(300.0)
    assert kinds(rig) == ["start", "pause", "start"]
    rig.worker.handle("seek", 2430.0)  # 90 %
    assert rig.sent[-1] == ("start", pytest.approx(90.0))
    rig.at(2431.0)
    rig.at(2432.0)
    rig.playback.time = None  # getTime() raises once stopped: the sample is gone
    rig.worker.handle("stopped")
    assert rig.sent[-1] == ("stop", pytest.approx(100 * 2432 / 2700, abs=0.01))
    assert rig.local == [("pause", pytest.approx(100 * 270 / 2700 + 100 / 2700, abs=0.1)),
                         ("stop", pytest.approx(90.07, abs=0.01))]  # fmt: skip
    assert NOW_PLAYING_PROPERTY not in rig.playback.properties


def test_end_of_file_sends_one_stop_and_later_events_nothing(rig):
    rig.start(resume_at=2600.0)
    rig.at(2699.0)
    rig.worker.handle("ended")
    rig.worker.handle("stopped")
    rig.at(10.0)
    assert kinds(rig) == ["start", "stop"]


def test_below_one_percent_nothing_is_sent(rig):
    rig.hand_off()
    rig.playback.time = 0.0
    rig.worker.handle("av_started")
    rig.at(1.0)
    rig.at(2.0)
    rig.worker.handle("stopped")
    assert rig.sent == [] and rig.local == []


def test_error_keeps_progress_as_a_pause(rig):
    rig.start(resume_at=900.0)
    rig.worker.handle("error")
    assert kinds(rig) == ["start", "pause"]


def test_offline_stop_is_still_recorded_locally_but_a_rejected_one_is_not(rig):
    rig.status = "pending"
    rig.start(resume_at=2500.0)
    rig.worker.handle("stopped")
    assert rig.local[-1][0] == "stop"
    second = Rig()
    second.status = "dropped"
    second.start(resume_at=2500.0)
    second.worker.handle("stopped")
    assert second.local == []


def test_someone_elses_playback_is_not_scrobbled(rig):
    rig.hand_off(path="http://elsewhere/a.mkv")
    rig.playback.time = 500.0
    rig.worker.handle("av_started")
    rig.at(501.0)
    rig.at(502.0)
    rig.worker.handle("stopped")
    assert rig.sent == [] and rig.worker.session is None


def test_placeholder_clip_is_stopped_told_and_retried_once(rig):
    playing = rig.hand_off()
    rig.playback.properties[player_module.RETRY_PROPERTY] = json.dumps(
        {"url": "plugin://plugin.video.aiostreams/play?attempt=2", "path": playing.path}
    )
    rig.playback.total = 3.0
    rig.playback.time = 0.0
    rig.worker.handle("av_started")
    assert rig.playback.stopped == 1 and rig.sent == []
    assert rig.playback.played == ["plugin://plugin.video.aiostreams/play?attempt=2"]
    assert rig.playback.notified == ["placeholder_retry"]
    assert player_module.RETRY_PROPERTY not in rig.playback.properties
    rig.worker.handle("stopped")  # Kodi reports the stop we caused: nothing more
    rig.hand_off()  # the retry's own hand-off, again a placeholder: no second retry
    rig.playback.time = 0.0
    rig.worker.handle("av_started")
    assert rig.playback.stopped == 2 and len(rig.playback.played) == 1
    assert rig.playback.notified[-1] == "placeholder" and rig.sent == []


def test_monitor_callbacks_only_queue_events():
    events = []
    monitor = PlayerMonitor(lambda kind, value=None: events.append((kind, value)))
    monitor.onAVStarted()
    monitor.onPlayBackPaused()
    monitor.onPlayBackResumed()
    monitor.onPlayBackSeek(61000, 1000)
    monitor.onPlayBackStopped()
    monitor.onPlayBackEnded()
    monitor.onPlayBackError()
    assert [kind for kind, _ in events] == [
        "av_started", "paused", "resumed", "seek", "stopped", "ended", "error"
    ]  # fmt: skip
    assert events[3] == ("seek", 61.0)


def test_worker_thread_processes_events_off_the_callers_thread(rig):
    import threading

    seen = []
    rig.worker._flush = lambda: seen.append(threading.current_thread().name)
    rig.worker.start()
    try:
        rig.worker.post("flush")
        assert kodistate.STATE.wait_for(lambda: seen, timeout=5)
    finally:
        rig.worker.stop()
    assert seen == ["aiostreams-scrobble"]
