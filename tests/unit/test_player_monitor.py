"""The service's player monitor driven by fake player events: what reaches Trakt, when."""

from __future__ import annotations

import json
import os
from typing import List

import kodistate
import pytest

from resources.lib.kodi.player import PlayerMonitor
from resources.lib.scrobble import worker as worker_module
from resources.lib.scrobble.inflight import InflightJournal
from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, MediaRef, NowPlaying
from resources.lib.scrobble.worker import ScrobbleWorker
from tests.support.scrobble_rig import PATH, FakePlayback, Rig


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
    rig.playback.properties[worker_module.RETRY_PROPERTY] = json.dumps(
        {"url": "plugin://plugin.video.aiostreams/play?attempt=2", "path": playing.path}
    )
    rig.playback.total = 3.0
    rig.playback.time = 0.0
    rig.worker.handle("av_started")
    assert rig.playback.stopped == 1 and rig.sent == []
    assert rig.playback.played == ["plugin://plugin.video.aiostreams/play?attempt=2"]
    assert rig.playback.notified == ["placeholder_retry"]
    assert worker_module.RETRY_PROPERTY not in rig.playback.properties
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


# -- issue 10: quit, crash, end of file, resume without a runtime ------------------------------


def test_quit_while_playing_sends_a_pause_with_the_last_sampled_progress(rig, caplog):
    rig.start(resume_at=900.0)
    rig.at(1080.0)  # 40 %
    assert kinds(rig) == ["start"]
    caplog.set_level("INFO")
    assert rig.worker.quit() is True
    assert rig.sent[-1] == ("pause", pytest.approx(40.0))
    assert rig.local[-1] == ("pause", pytest.approx(40.0))
    assert rig.worker.session is None
    assert "quit during playback: pause 40.00% sent in" in caplog.text


def test_quit_handles_a_stop_kodi_queued_first_and_adds_nothing(rig):
    rig.start(resume_at=900.0)
    rig.at(1080.0)
    rig.playback.time = None
    rig.worker.post("stopped")  # Kodi closed the player as it quit
    assert rig.worker.quit() is True
    assert kinds(rig) == ["start", "stop"]


def test_quit_while_paused_or_idle_sends_nothing(rig):
    assert rig.worker.quit() is True and rig.sent == []
    second = Rig()
    second.start(resume_at=900.0)
    second.worker.handle("paused")
    assert second.worker.quit() is True
    assert kinds(second) == ["start", "pause"]


def test_end_of_file_sends_stop_with_the_real_progress(rig):
    rig.start(resume_at=2600.0)
    rig.at(2690.0)
    rig.playback.time = None
    rig.worker.handle("ended")
    assert rig.sent[-1] == ("stop", pytest.approx(100 * 2690 / 2700, abs=0.01))
    assert rig.local[-1][0] == "stop"


def test_a_crash_mid_playback_leaves_the_progress_for_the_next_start(tmp_path):
    from resources.lib.database.trakt_sync import TraktSyncDatabase
    from resources.lib.scrobble.queue import ScrobbleQueue

    journal_path = str(tmp_path / "scrobble_inflight.json")
    kodistate.reset()
    try:
        rig = Rig(journal_path)
        rig.start(resume_at=900.0)  # the start clears Trakt's saved progress: journaled
        assert json.loads(open(journal_path).read())["progress"] == pytest.approx(33.37, abs=0.05)
        for second in range(1000, 1100, 5):
            rig.mono += 4.0
            rig.at(float(second))
        saved = json.loads(open(journal_path).read())["progress"]
        assert saved == pytest.approx(100 * 1095 / 2700, abs=1.0)
        # ... and the process dies here: no pause, no stop. The next service start:
        with TraktSyncDatabase(str(tmp_path / "trakt_sync.db")) as db:
            outbox = ScrobbleQueue(db)
            pending = InflightJournal(journal_path).recover(outbox)
            assert pending is not None and pending.path == "/scrobble/pause"
            assert pending.body["progress"] == pytest.approx(saved)
            assert [p.key for p in outbox.pending()] == [pending.key]
            (row,) = db.outbox_rows()  # in the sync database's outbox, with its expiry
            assert row.kind == "scrobble_progress"
            assert row.payload["expires_ts"] == pytest.approx(pending.created_at + 6 * 3600)
        assert not os.path.exists(journal_path)
    finally:
        kodistate.cleanup()


def test_a_saved_pause_or_stop_clears_the_journal(tmp_path):
    journal_path = str(tmp_path / "scrobble_inflight.json")
    kodistate.reset()
    try:
        rig = Rig(journal_path)
        rig.start(resume_at=900.0)
        assert os.path.exists(journal_path)
        rig.worker.handle("paused")
        assert not os.path.exists(journal_path)
        rig.worker.handle("resumed")
        rig.at(950.0)
        assert os.path.exists(journal_path)
        rig.worker.handle("stopped")
        assert not os.path.exists(journal_path)
    finally:
        kodistate.cleanup()


def test_resume_without_a_runtime_seeks_once_the_length_is_known(rig):
    rig.hand_off(runtime=None, seek_percent=50.0)
    rig.playback.time = 0.0  # the list item had no runtime: Kodi starts at 0
    rig.worker.handle("av_started")
    assert rig.playback.seeks == [1350.0]
    assert rig.sent == []  # no start before the seek has settled
    rig.at(1351.0)
    rig.at(1352.0)
    assert rig.sent == [("start", pytest.approx(50.07, abs=0.01))]
    rig.at(1353.0)
    assert rig.playback.seeks == [1350.0]


def test_resume_seek_waits_for_the_length(rig):
    rig.hand_off(runtime=None, seek_percent=25.0)
    rig.playback.time = None  # nothing to sample yet
    rig.worker.handle("av_started")
    assert rig.playback.seeks == []
    rig.at(0.5)
    assert rig.playback.seeks == [675.0]


def test_the_title_handed_over_reaches_the_mirror_update():
    kodistate.reset()
    try:
        titles = []
        worker = ScrobbleWorker(send=lambda media, action: "sent",
                                record_local=lambda m, a, title="": titles.append(title),
                                flush=lambda: None, playback=FakePlayback(),
                                placeholder_seconds=lambda: 45.0, settle_seconds=0.0)  # fmt: skip
        playing = NowPlaying(MediaRef.movie({"trakt": 5}), path=PATH, title="Heat")
        worker.playback.properties[NOW_PLAYING_PROPERTY] = playing.to_json()
        worker.playback.time = 600.0
        worker.handle("av_started")
        worker.handle("sample")
        worker.handle("stopped")
        assert titles == ["Heat"]
    finally:
        kodistate.cleanup()
