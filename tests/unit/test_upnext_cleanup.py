"""What Up Next leaves behind: the prepared stream list (every stream URL of the next episode, in
the Home property ``aiostreams.upnext.prepared``) and ``aiostreams.upnext.active`` are cleared as
soon as the next episode will not be played by us; neither is touched while it is on its way.
"""

from __future__ import annotations

import kodistate
import pytest

from resources.lib.kodi import upnext_dialog, upnext_monitor
from resources.lib.kodi.upnext_monitor import ACTIVE_PROPERTY
from resources.lib.kodi.window import UPNEXT_PREPARED_PROPERTY as PREPARED
from tests.support.upnext_rig import Rig, home, play_media


@pytest.fixture(autouse=True)
def kodi():
    kodistate.reset()
    for key, value in {"aiostreams_manifest_url": "https://aio.example/c/manifest.json",
                       "upnext_seconds": 20, "playback_autoplay": True}.items():  # fmt: skip
        kodistate.STATE.set_setting(key, value)
    yield kodistate.STATE
    kodistate.cleanup()


def started() -> Rig:
    rig = Rig()
    rig.start()
    assert home(PREPARED), "the next episode's streams are prepared at the start"
    return rig


def user_stops(rig: Rig) -> None:
    rig.player.time = None
    rig.monitor.post("stopped")


def use_service_upnext(kodi) -> None:
    kodi.set_setting("upnext_use_service_upnext", True)
    kodi.conditions["System.HasAddon(service.upnext)"] = True


def past_the_grace(rig: Rig) -> None:
    """As if the next episode's start had been awaited longer than the grace period."""
    rig.monitor.awaiting_next -= upnext_monitor.NEXT_START_GRACE + 100.0
    rig.monitor.step()


def test_stop_in_the_dialog_clears_the_prepared_list(kodi):
    rig = started()
    rig.ticker.hook = lambda: kodi.windows and kodi.windows[0].onClick(upnext_dialog.STOP_BUTTON)
    rig.play_to(81.0)
    assert rig.monitor.last_choice == upnext_dialog.STOP
    assert home(PREPARED) == "" and home(ACTIVE_PROPERTY) == ""


def test_stopping_the_episode_before_the_end_clears_the_prepared_list(kodi):
    rig = started()
    rig.play_to(30.0)
    user_stops(rig)
    rig.monitor.step()
    assert home(PREPARED) == "" and play_media() == []


def test_mode_ask_clears_the_prepared_list_when_the_countdown_ends(kodi):
    kodi.set_setting("upnext_mode", "ask")
    rig = started()
    rig.play_to(80.0)
    assert rig.monitor.last_choice == upnext_dialog.TIMEOUT_CLOSE
    assert home(PREPARED) == ""


def test_the_service_stopping_clears_the_prepared_list(kodi):
    rig = started()
    rig.play_to(30.0)
    rig.monitor.stop()
    assert home(PREPARED) == ""


def test_the_prepared_list_stays_while_the_next_episode_is_on_its_way(kodi):
    """Mode auto: the countdown plays N+1, then N's stop comes before N+1's start: the play
    route of N+1 still needs the list."""
    rig = started()
    rig.play_to(80.0)
    assert rig.monitor.last_choice == upnext_dialog.TIMEOUT_PLAY
    user_stops(rig)
    rig.monitor.step()
    assert home(PREPARED) and home(ACTIVE_PROPERTY) == "true"


def test_a_prepare_answer_after_the_episode_stopped_is_not_kept(kodi):
    rig = Rig()
    answer = rig.client.streams

    def slow_streams(stremio_type, stremio_id):
        rig.monitor.handle("stopped")  # the user stopped N while the request was under way
        return answer(stremio_type, stremio_id)

    rig.client.streams = slow_streams
    rig.start()
    assert rig.client.calls and home(PREPARED) == ""


def test_the_hand_off_to_service_upnext_sets_active_until_the_next_episode_starts(kodi):
    use_service_upnext(kodi)
    rig = started()
    rig.play_to(85.0)
    assert len(kodi.jsonrpc) == 1 and kodi.windows == []
    assert home(ACTIVE_PROPERTY) == "true", "the rating prompt stays away from the hand-off"
    rig.play_to(100.0)
    rig.player.time = None
    rig.monitor.post("ended")  # service.upnext starts N+1 after N's end
    rig.monitor.step()
    assert home(ACTIVE_PROPERTY) == "true" and home(PREPARED), "N+1's play route needs the list"
    rig.player.time = 0.0
    rig.start()  # N+1's AV start
    assert home(ACTIVE_PROPERTY) == ""


def test_a_hand_off_not_played_within_the_grace_clears_active_and_the_prepared_list(kodi):
    use_service_upnext(kodi)
    rig = started()
    rig.play_to(85.0)
    rig.monitor.step()
    assert home(ACTIVE_PROPERTY) == "true" and home(PREPARED), "the grace counts from N's end"
    past_the_grace(rig)
    assert home(ACTIVE_PROPERTY) == "" and home(PREPARED) == ""


def test_our_play_not_started_within_the_grace_clears_the_prepared_list(kodi):
    rig = started()
    rig.play_to(80.0)
    assert rig.monitor.last_choice == upnext_dialog.TIMEOUT_PLAY
    past_the_grace(rig)
    assert home(ACTIVE_PROPERTY) == "" and home(PREPARED) == ""


@pytest.mark.parametrize("late", ["stopped", "ended"])
def test_the_old_episodes_end_reported_after_the_next_ones_start_changes_nothing(kodi, late):
    """Kodi may report N's end after N+1's AV start: N+1 keeps its offer of N+2 and N+2's
    prepared list; N+1's own stop later still clears it."""
    rig = started()
    rig.play_to(80.0)
    rig.player.time = 0.0
    rig.start()  # N+1's AV start: N+2 looked up and prepared
    assert len(rig.client.calls) == 2 and home(PREPARED)
    rig.monitor.post(late)  # N's report, late: Kodi plays N+1
    rig.monitor.step()
    assert rig.monitor.session is not None and home(PREPARED)
    user_stops(rig)
    rig.monitor.step()
    assert rig.monitor.session is None and home(PREPARED) == ""
