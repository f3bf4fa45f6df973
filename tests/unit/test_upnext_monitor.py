"""Up Next's service glue over the strict xbmc doubles: when it offers, what each choice does.

The monitor gets a fake player (position and length), a context whose mirror answers
``next_episode_after``, and an AIOStreams client that counts its requests; the dialog is the real
:class:`~resources.lib.kodi.upnext_dialog.UpNextDialog` over the doubles' WindowXMLDialog (which
insists on the real skin XML). ``step()`` is one quarter-second tick of the monitor's thread.
"""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace
from typing import Any, List

import kodistate
import pytest

from resources.lib.kodi import upnext_dialog
from resources.lib.kodi.upnext_kodi import KodiUpNext
from resources.lib.kodi.upnext_monitor import ACTIVE_PROPERTY, UpNextMonitor
from resources.lib.kodi.window import UPNEXT_PREPARED_PROPERTY
from tests.support.upnext_rig import NEXT, FakePlayer, Rig, home, play_media


@pytest.fixture(autouse=True)
def kodi():
    kodistate.reset()
    for key, value in {"aiostreams_manifest_url": "https://aio.example/c/manifest.json",
                       "upnext_seconds": 20, "playback_autoplay": True}.items():  # fmt: skip
        kodistate.STATE.set_setting(key, value)
    yield kodistate.STATE
    kodistate.cleanup()


def test_countdown_end_in_mode_auto_plays_the_next_episode_with_one_stream_request(kodi):
    rig = Rig()
    rig.start()
    assert rig.lookups == [(81189, 1, 1)]
    assert rig.client.calls == [("series", "tt0903747:1:2")], "prepared at the start, once"
    prepared = json.loads(home(UPNEXT_PREPARED_PROPERTY))
    assert prepared["stremio_id"] == "tt0903747:1:2" and prepared["preferred_key"]
    rig.play_to(79.0)
    assert kodi.windows == [] and home(ACTIVE_PROPERTY) == ""
    seen: List[str] = []
    rig.ticker.hook = lambda: seen.append(home(ACTIVE_PROPERTY))
    rig.play_to(80.0)  # due: 20 s before the end; the dialog runs until the countdown ends

    dialog = kodi.windows[0]
    assert dialog.xml_path.endswith("1080i/script-aiostreams-upnext.xml") and dialog.closed
    assert dialog.getProperty("upnext.show") == "Breaking Bad"
    assert dialog.getProperty("upnext.episode") == "S01E02: Cat's in the Bag"
    assert dialog.getProperty("upnext.countdown") == "Starts in 1 s"
    assert set(seen) == {"true"}, "active while the dialog is open"
    assert rig.monitor.last_choice == upnext_dialog.TIMEOUT_PLAY
    assert len(play_media()) == 1 and "season=1" in play_media()[0]
    assert "episode=2" in play_media()[0] and "show_imdb=tt0903747" in play_media()[0]
    assert 98.9 <= rig.player.time < 100.0, "the countdown ends a second before the end"
    assert home(ACTIVE_PROPERTY) == "true", "active until the next episode plays"
    assert rig.client.calls == [("series", "tt0903747:1:2")]

    rig.player.time = 0.0
    rig.start()  # the next episode's AV start (its own hand-off)
    assert home(ACTIVE_PROPERTY) == ""


def test_stop_in_the_dialog_stops_playback_and_nothing_more_plays(kodi):
    rig = Rig()
    rig.start()
    rig.ticker.hook = lambda: kodi.windows and kodi.windows[0].onClick(upnext_dialog.STOP_BUTTON)
    rig.play_to(81.0)
    assert rig.monitor.last_choice == upnext_dialog.STOP
    assert rig.player.stops == 1 and play_media() == []
    assert home(ACTIVE_PROPERTY) == "" and kodi.windows[0].closed
    for _ in range(20):
        rig.monitor.step()
    assert play_media() == [] and len(kodi.windows) == 1


def test_mode_ask_closes_at_the_countdown_end_and_plays_nothing(kodi):
    kodi.set_setting("upnext_mode", "ask")
    rig = Rig()
    rig.start()
    rig.play_to(80.0)
    assert kodi.windows[0].getProperty("upnext.countdown") == "Closes in 1 s"
    assert rig.monitor.last_choice == upnext_dialog.TIMEOUT_CLOSE
    assert play_media() == [] and rig.player.stops == 0 and home(ACTIVE_PROPERTY) == ""


def test_back_dismisses_the_dialog_and_the_episode_plays_on(kodi):
    rig = Rig()
    rig.start()
    back = SimpleNamespace(getId=lambda: 92)
    rig.ticker.hook = lambda: kodi.windows and kodi.windows[0].onAction(back)
    rig.play_to(82.0)
    assert rig.monitor.last_choice == upnext_dialog.DISMISSED
    assert play_media() == [] and rig.player.stops == 0 and home(ACTIVE_PROPERTY) == ""


def test_nothing_playable_says_so_offers_the_source_select_and_does_not_autoplay(kodi):
    rig = Rig(streams=[])
    rig.start()
    rig.play_to(80.0)
    dialog = kodi.windows[0]
    assert dialog.getProperty("upnext.nothing_playable") == "true"
    assert rig.monitor.last_choice == upnext_dialog.TIMEOUT_CLOSE and play_media() == []

    rig2 = Rig(streams=[])
    rig2.player.time = 0.0
    rig2.start()
    rig2.ticker.hook = lambda: kodi.windows[-1].onClick(upnext_dialog.SELECT_BUTTON)
    rig2.play_to(80.0)
    assert rig2.monitor.last_choice == upnext_dialog.SELECT
    assert len(play_media()) == 1 and "select=1" in play_media()[0]


@pytest.mark.parametrize("case", ["movie", "no next", "mode off", "other add-on"])
def test_no_offer(kodi, case):
    rig = Rig(next_episode=None if case == "no next" else NEXT)
    if case == "mode off":
        kodi.set_setting("upnext_mode", "off")
    if case == "other add-on":
        rig.player.file = "https://elsewhere.example/e1.mkv"
    rig.start("movie" if case == "movie" else "episode")
    rig.play_to(100.0)
    assert kodi.windows == [] and play_media() == [] and home(ACTIVE_PROPERTY) == ""
    assert rig.monitor.session is None
    assert rig.client.calls == [], "no stream request without an offer"
    assert rig.lookups == ([(81189, 1, 1)] if case == "no next" else [])


def test_a_seek_into_the_last_seconds_cancels_the_offer(kodi):
    rig = Rig()
    rig.start()
    rig.play_to(50.0)
    rig.player.time = 95.0
    rig.monitor.post("seek", 95.0)
    rig.play_to(100.0)
    assert kodi.windows == [] and play_media() == []


def test_a_seek_before_the_due_point_still_offers(kodi):
    rig = Rig()
    rig.start()
    rig.player.time = 60.0
    rig.monitor.post("seek", 60.0)
    rig.play_to(80.0)
    assert len(kodi.windows) == 1


def test_hand_off_to_service_upnext_when_installed_and_chosen(kodi):
    kodi.set_setting("upnext_use_service_upnext", True)
    kodi.conditions["System.HasAddon(service.upnext)"] = True
    rig = Rig()
    rig.start()
    rig.play_to(85.0)
    assert kodi.windows == [], "service.upnext shows its own dialog"
    assert len(kodi.jsonrpc) == 1
    request = json.loads(kodi.jsonrpc[0])
    assert request["method"] == "JSONRPC.NotifyAll"
    params = request["params"]
    assert params["sender"] == "plugin.video.aiostreams.SIGNAL"
    assert params["message"] == "upnext_data"
    data = json.loads(base64.b64decode(params["data"][0]))
    assert data["play_url"].startswith("plugin://plugin.video.aiostreams/play?")
    assert "season=1" in data["play_url"] and "episode=2" in data["play_url"]
    assert (data["current_episode"]["season"], data["current_episode"]["episode"]) == (1, 1)
    assert (data["next_episode"]["season"], data["next_episode"]["episode"]) == (1, 2)
    assert data["next_episode"]["showtitle"] == "Breaking Bad"
    assert data["notification_time"] == 20, "the popup shows now: 20 s before the end"
    assert rig.client.calls == [("series", "tt0903747:1:2")], "prepared for its play URL too"


def test_without_service_upnext_installed_our_dialog_shows(kodi):
    kodi.set_setting("upnext_use_service_upnext", True)
    rig = Rig()
    rig.start()
    rig.play_to(80.0)
    assert len(kodi.windows) == 1 and kodi.jsonrpc == []


def test_playback_stopped_while_the_dialog_is_open_plays_nothing(kodi):
    rig = Rig()
    rig.start()

    def user_stops() -> None:
        rig.player.time = None
        rig.monitor.post("stopped")

    rig.ticker.hook = user_stops
    rig.play_to(81.0)
    assert rig.monitor.last_choice == upnext_dialog.DISMISSED and play_media() == []


def test_the_dialog_shows_the_next_episodes_thumb_from_the_meta_cache(kodi):
    import os

    from resources.lib.database.meta_cache import FILE_NAME, MetaCache

    meta = {"id": "tt0903747", "type": "series", "name": "Breaking Bad",
            "background": "https://img.example/bb-fanart.jpg",
            "videos": [{"id": "tt0903747:1:2", "season": 1, "episode": 2,
                        "thumbnail": "https://img.example/bb-1-2.jpg"}]}  # fmt: skip
    with MetaCache(os.path.join(kodi.profile_dir, FILE_NAME)) as cache:
        cache.put("meta", "series:tt0903747", meta, ttl=3600)
    rig = Rig()
    rig.start()
    rig.play_to(80.0)
    dialog = kodi.windows[0]
    assert dialog.getProperty("upnext.thumb") == "https://img.example/bb-1-2.jpg"
    assert dialog.getProperty("upnext.fallback").endswith(os.path.join("media", "fanart.jpg"))
    assert os.path.isfile(dialog.getProperty("upnext.fallback"))


def test_without_cached_art_the_dialog_still_shows_with_the_addons_fanart(kodi):
    rig = Rig()
    rig.start()
    rig.play_to(80.0)
    dialog = kodi.windows[0]
    assert dialog.getProperty("upnext.thumb") == ""
    assert dialog.getProperty("upnext.fallback").endswith("fanart.jpg")


def test_the_thread_polls_without_moving_kodis_clock_and_stops_at_once(kodi):
    """Idle, the thread must not wait in waitForAbort: the doubles' fake clock (and the service
    loop's timing in Kodi) belongs to the service's own loop."""
    from tests.support.clock import FakeClock

    kodi.clock = FakeClock(1000.0)
    monitor = UpNextMonitor(lambda: None, kodi=KodiUpNext(FakePlayer()))
    monitor.start()
    monitor.post("stopped")
    time.sleep(0.6)
    monitor.stop(timeout=1.0)
    assert kodi.clock.time() == 1000.0
    assert monitor._thread is None


def test_one_player_monitor_posts_to_the_scrobbling_and_to_up_next(kodi):
    from resources.lib.kodi.scrobble_worker import PlayerMonitor

    scrobbling: List[Any] = []
    up_next: List[Any] = []

    def failing(*event: Any) -> None:
        scrobbling.append(event)
        raise RuntimeError("a receiver failed")

    player = PlayerMonitor(failing)
    player.add_listener(lambda *event: up_next.append(event))
    player.onAVStarted()
    player.onPlayBackSeek(95000, 1000)
    player.onPlayBackEnded()
    assert scrobbling == up_next == [("av_started",), ("seek", 95.0), ("ended",)]


def test_the_service_starts_up_next_next_to_the_scrobbling_and_stops_it(kodi):
    from tests.support.service_rig import make_service, started

    service, _, _, _ = make_service(kodi)
    started(service)
    try:
        upnext = service.upnext
        assert upnext is not None and upnext._thread is not None and upnext._thread.is_alive()
        assert upnext.post in service.playback.monitor._listeners
    finally:
        service._shutdown()
    assert service.upnext is None and upnext._thread is None


def test_the_service_stopping_closes_an_open_dialog_and_plays_nothing(kodi):
    rig = Rig()
    rig.start()
    rig.ticker.hook = rig.monitor._stopping.set
    rig.play_to(81.0)
    assert rig.monitor.last_choice == upnext_dialog.DISMISSED and kodi.windows[0].closed
    assert play_media() == [] and home(ACTIVE_PROPERTY) == ""
