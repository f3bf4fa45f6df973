"""The play route with a list Up Next prepared (the Home property ``aiostreams.upnext.prepared``):
no AIOStreams request, the preferred stream, the property used once; a list for another item or a
stale one is ignored; ``select=1`` always shows the source select. The xbmc doubles and the
AIOStreams sandbox, as in test_play_route.py; requests are counted on the sandbox's own log."""

from __future__ import annotations

import time

import pytest
import xbmcgui

from aiostreams_sandbox.server import AIOStreamsSandbox
from resources.lib.aiostreams.client import AIOStreamsClient
from resources.lib.aiostreams.http import RequestSpacer
from resources.lib.aiostreams.ranking import StreamPreferences
from resources.lib.kodi.window import UPNEXT_PREPARED_PROPERTY
from resources.lib.plugin import play as play_module
from resources.lib.plugin.play_request import PlayRequest
from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, NowPlaying
from resources.lib.upnext.prepared import MAX_AGE_SECONDS, PreparedStreams, prepare
from resources.lib.upnext.streams import StreamTraits
from tests.support.play_rig import EPISODE, PlayableListItem

EPISODE_ID = "tt0903747:1:1"
# The sandbox episode offers rd-bb-1080 (cached), tb-bb-720 (not cached) and a plain 480p HTTP
# stream, in that order: autoplay alone picks the 1080p one; the same release as a 480p SAiNTS
# stream playing now is the last one.
SAME_RELEASE = StreamTraits(binge_group="aiostreams|480p|SAiNTS")
AUTOPLAY = StreamPreferences(autoplay=True)


@pytest.fixture(scope="module")
def aio():
    with AIOStreamsSandbox(port=0) as sb:
        yield sb


@pytest.fixture
def kodi(kodi, monkeypatch, aio):
    monkeypatch.setattr(xbmcgui, "ListItem", PlayableListItem)
    kodi.set_setting("aiostreams_manifest_url", aio.manifest_url)
    return kodi


def fast_client(url, **kwargs):
    return AIOStreamsClient(url, spacer=RequestSpacer(0.0), **kwargs)


def stream_requests(aio) -> int:
    return sum(1 for entry in aio.requests() if "/stream/" in entry["path"])


def prepared_by_the_service(aio, traits=SAME_RELEASE, prefs=AUTOPLAY) -> PreparedStreams:
    """What Up Next does while episode N plays: one request for N+1 (here: the sandbox's
    episode), through the real client."""
    before = stream_requests(aio)
    prepared = prepare(fast_client(aio.manifest_url), "series", EPISODE_ID, traits, prefs)
    assert stream_requests(aio) == before + 1
    return prepared


def publish(kodi, prepared: PreparedStreams) -> None:
    xbmcgui.Window(10000).setProperty(UPNEXT_PREPARED_PROPERTY, prepared.to_json())


def run(params):
    return play_module.play(5, dict(params), client_factory=fast_client, resume_lookup=lambda r: 0)


def resolved_path(kodi) -> str:
    assert len(kodi.resolved) == 1, kodi.resolved
    _, ok, item = kodi.resolved[0]
    assert ok is True
    return item.path.split("|", 1)[0]


def test_a_matching_prepared_list_plays_the_preferred_stream_without_a_request(kodi, aio):
    kodi.set_setting("playback_autoplay", True)
    publish(kodi, prepared_by_the_service(aio))
    before = stream_requests(aio)
    assert run(EPISODE) == "resolved"
    assert stream_requests(aio) == before  # ZERO AIOStreams requests
    assert resolved_path(kodi).endswith("/media/clip.mp4")  # the 480p SAiNTS stream
    assert kodi.dialog_calls("progress.create") == []  # nothing to wait for
    assert kodi.dialog_calls("select") == []
    assert kodi.home_property(UPNEXT_PREPARED_PROPERTY) == ""  # used once
    playing = NowPlaying.from_json(kodi.home_property(NOW_PLAYING_PROPERTY))
    traits = StreamTraits.from_dict(playing.traits)  # for the episode after this one
    assert traits == StreamTraits("aiostreams|480p|SAiNTS", "480p", "SAiNTS")


def test_the_same_play_a_second_time_fetches_again(kodi, aio):
    kodi.set_setting("playback_autoplay", True)
    publish(kodi, prepared_by_the_service(aio))
    run(EPISODE)
    kodi.resolved.clear()
    before = stream_requests(aio)
    assert run(EPISODE) == "resolved"
    assert stream_requests(aio) == before + 1
    assert resolved_path(kodi).endswith("/playback/rd-bb-1080.mkv")  # autoplay's own choice


def test_without_autoplay_the_source_select_lists_the_preferred_stream_first(kodi, aio):
    publish(kodi, prepared_by_the_service(aio))
    kodi.script("select", 0)
    before = stream_requests(aio)
    assert run(EPISODE) == "resolved"
    assert stream_requests(aio) == before
    rows = kodi.dialog_calls("select")[0][0][1]
    assert len(rows) == 3 and rows[0].startswith("480p")
    assert resolved_path(kodi).endswith("/media/clip.mp4")


def test_a_prepared_list_for_another_episode_is_ignored_and_kept(kodi, aio):
    kodi.set_setting("playback_autoplay", True)
    prepared = prepared_by_the_service(aio)
    other = PreparedStreams(
        "series", "tt0903747:1:2", prepared.streams_raw, prepared.preferred_key, time.time()
    )
    publish(kodi, other)
    before = stream_requests(aio)
    assert run(EPISODE) == "resolved"
    assert stream_requests(aio) == before + 1  # fetched as usual
    assert resolved_path(kodi).endswith("/playback/rd-bb-1080.mkv")  # no preference applied
    assert PreparedStreams.from_json(kodi.home_property(UPNEXT_PREPARED_PROPERTY)) == other


def test_a_stale_prepared_list_is_fetched_anew_and_dropped(kodi, aio):
    kodi.set_setting("playback_autoplay", True)
    prepared = prepared_by_the_service(aio)
    stale = PreparedStreams(
        "series",
        EPISODE_ID,
        prepared.streams_raw,
        prepared.preferred_key,
        time.time() - MAX_AGE_SECONDS - 60,
    )
    publish(kodi, stale)
    before = stream_requests(aio)
    assert run(EPISODE) == "resolved"
    assert stream_requests(aio) == before + 1
    assert resolved_path(kodi).endswith("/playback/rd-bb-1080.mkv")
    assert kodi.home_property(UPNEXT_PREPARED_PROPERTY) == ""


@pytest.mark.parametrize("junk", ["{", "[]", '{"stremio_type": "series"}', "x" * 10_000])
def test_a_junk_property_is_ignored(kodi, aio, junk):
    kodi.set_setting("playback_autoplay", True)
    xbmcgui.Window(10000).setProperty(UPNEXT_PREPARED_PROPERTY, junk)
    before = stream_requests(aio)
    assert run(EPISODE) == "resolved"
    assert stream_requests(aio) == before + 1
    assert resolved_path(kodi).endswith("/playback/rd-bb-1080.mkv")


def test_select_1_shows_the_source_select_even_with_autoplay(kodi, aio):
    kodi.set_setting("playback_autoplay", True)
    kodi.script("select", 1)
    assert run(dict(EPISODE, select="1")) == "resolved"
    rows = kodi.dialog_calls("select")[0][0][1]
    assert len(rows) == 3
    assert resolved_path(kodi).endswith("/playback/tb-bb-720.mp4")


def test_select_1_with_a_prepared_list_shows_it_preferred_first_without_a_request(kodi, aio):
    kodi.set_setting("playback_autoplay", True)
    publish(kodi, prepared_by_the_service(aio))
    kodi.script("select", -1)
    before = stream_requests(aio)
    assert run(dict(EPISODE, select="1")) == "cancelled"
    assert stream_requests(aio) == before
    assert kodi.dialog_calls("select")[0][0][1][0].startswith("480p")
    assert kodi.resolved[0][1] is False


@pytest.mark.parametrize("value", ["0", "", "yes", "2", "1 ", "true1", "%31"])
def test_other_select_values_are_ignored(value):
    request = PlayRequest.from_params(dict(EPISODE, select=value))
    assert request is not None and request.select is False
    assert PlayRequest.from_params(dict(EPISODE, select="1")).select is True
    assert PlayRequest.from_params(dict(EPISODE)).select is False


def test_now_playing_json_without_traits_still_parses_and_odd_traits_are_dropped():
    playing = NowPlaying.from_json(
        '{"media": {"kind": "movie", "ids": {"trakt": 5}}, "path": "http://x/a.mkv"}'
    )
    assert playing is not None and playing.traits == {}
    playing.traits = {"binge_group": "g", "resolution": "720p", "release_group": "CTU"}
    assert NowPlaying.from_json(playing.to_json()).traits == playing.traits
    for odd in ('"text"', "[1]", "5", '{"binge_group": 5, "resolution": "720p"}'):
        text = playing.to_json().replace(
            '{"binge_group": "g", "resolution": "720p", "release_group": "CTU"}', odd
        )
        assert odd in text
        back = NowPlaying.from_json(text)
        assert back is not None and back.traits in ({}, {"resolution": "720p"}), odd
