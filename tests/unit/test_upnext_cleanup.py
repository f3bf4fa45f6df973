"""What Up Next leaves behind: the prepared stream list (every stream URL of the next episode, in
the Home property ``aiostreams.upnext.prepared``) and ``aiostreams.upnext.active`` are cleared as
soon as the next episode will not be played by us; neither is touched while it is on its way.
"""

from __future__ import annotations

import kodistate
import pytest

from resources.lib.kodi import upnext_monitor
from resources.lib.kodi.upnext_monitor import ACTIVE_PROPERTY
from resources.lib.kodi.window import UPNEXT_PREPARED_PROPERTY as PREPARED
from tests.support.upnext_rig import Rig, home


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


def test_a_hand_off_not_played_within_the_grace_clears_active(kodi):
    use_service_upnext(kodi)
    rig = started()
    rig.play_to(85.0)
    rig.monitor.step()
    assert home(ACTIVE_PROPERTY) == "true" and home(PREPARED), "the grace counts from N's end"
    past_the_grace(rig)
    assert home(ACTIVE_PROPERTY) == ""
