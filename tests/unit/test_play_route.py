"""The play route with the xbmc doubles and the AIOStreams sandbox: one setResolvedUrl per
handle, False on cancel / no streams / errors, header syntax, mime type, resume, hand-off."""

from __future__ import annotations

import urllib.parse

import pytest
import xbmcgui

from aiostreams_sandbox.server import AIOStreamsSandbox
from resources.lib.aiostreams.client import AIOStreamsClient
from resources.lib.aiostreams.http import RequestSpacer
from resources.lib.kodi import player as player_module
from resources.lib.plugin import play as play_module
from resources.lib.plugin import router
from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, NowPlaying
from tests.support.play_rig import EPISODE, PlayableListItem

MOVIE = {"type": "movie", "trakt": "7", "imdb": "tt0111161", "title": "The Shawshank Redemption",
         "runtime": "142"}  # fmt: skip


@pytest.fixture(scope="module")
def aio():
    with AIOStreamsSandbox(port=0) as sb:
        yield sb


@pytest.fixture
def kodi(kodi, monkeypatch, aio):
    state = kodi
    monkeypatch.setattr(xbmcgui, "ListItem", PlayableListItem)
    state.set_setting("aiostreams_manifest_url", aio.manifest_url)
    return state


def fast_client(url, **kwargs):
    """The real client, without the rate-limit spacing between this file's many requests."""
    return AIOStreamsClient(url, spacer=RequestSpacer(0.0), **kwargs)


def run(params, resume=None, **kwargs):
    kwargs.setdefault("client_factory", fast_client)
    return play_module.play(5, dict(params), resume_lookup=lambda request: resume, **kwargs)


def resolved_once(kodi):
    assert len(kodi.resolved) == 1, kodi.resolved
    return kodi.resolved[0]


def test_autoplay_resolves_once_with_headers_mime_subtitles_resume_and_metadata(kodi):
    kodi.set_setting("playback_autoplay", True)
    kodi.set_setting("playback_max_resolution", 1080)
    assert run(MOVIE, resume=25.0) == "resolved"
    handle, ok, item = resolved_once(kodi)
    assert handle == 5 and ok is True
    url, _, headers = item.path.partition("|")
    assert url.endswith("/media/clip.mp4")
    assert urllib.parse.parse_qs(headers) == {
        "User-Agent": ["Sandbox Player/1.0 (Kodi)"],
        "Referer": ["http://127.0.0.1/ü?a=1&b=2"],
    }
    assert "%20" in headers and "%26" in headers  # values URL-quoted, not raw
    assert item.mime == "video/x-matroska" and item.content_lookup is False
    assert len(item.subtitles) == 2
    assert item.getProperty("script.trakt.exclude") == "true"
    tag = item.tag
    assert tag["resumePoint"] == (pytest.approx(142 * 60 * 0.25), pytest.approx(142 * 60))
    assert tag["mediaType"] == "movie" and tag["title"] == "The Shawshank Redemption"
    assert tag["uniqueIDs"][0] == {"trakt": "7", "imdb": "tt0111161"}
    playing = NowPlaying.from_json(kodi.home_property(NOW_PLAYING_PROPERTY))
    assert playing.path == item.path and playing.media.ids == {"trakt": 7, "imdb": "tt0111161"}
    assert playing.runtime_minutes == 142 and playing.resume_percent == 25.0
    assert kodi.dialog_calls("select") == []
    assert kodi.dialog_calls("progress.create") and kodi.dialog_calls("progress.close")


def test_source_select_lists_rich_labels_and_not_playable_entries(kodi):
    kodi.script("select", 1)
    assert run(EPISODE) == "resolved"
    (heading, rows), _ = kodi.dialog_calls("select")[0]
    assert heading == "Choose a stream"
    assert len(rows) == 3  # the episode has three playable streams
    _, ok, item = resolved_once(kodi)
    assert ok and item.path.endswith("/playback/tb-bb-720.mp4")
    tag = item.tag
    assert (tag["season"], tag["episode"], tag["tvShowTitle"]) == (1, 1, "Breaking Bad")
    assert "resumePoint" not in tag
    playing = NowPlaying.from_json(kodi.home_property(NOW_PLAYING_PROPERTY))
    assert playing.media.show_ids == {"trakt": 9, "imdb": "tt0903747"}
    assert (playing.media.season, playing.media.number) == (1, 1)
    # autoplay off: no one-time retry is offered
    assert kodi.home_property(player_module.RETRY_PROPERTY) == ""


def test_unplayable_entries_are_listed_then_refused_or_hidden(kodi):
    kodi.script("select", 4, -1)  # the torrent entry, then cancel
    assert run(MOVIE) == "cancelled"
    rows = kodi.dialog_calls("select")[0][0][1]
    assert len(rows) == 6 and rows[4].startswith("[not playable here]")
    assert rows[0].startswith(
        "2160p | RD | [COLOR FF2FB344]Cached[/COLOR] | BluRay REMUX HEVC | DV HDR10 Atmos TrueHD"
    )
    assert "cannot be played in Kodi" in kodi.dialog_calls("notification")[0][0][1]
    assert resolved_once(kodi)[1] is False
    kodi.resolved.clear()
    kodi.set_setting("playback_hide_unplayable", True)
    kodi.script("select", -1)
    run(MOVIE)
    assert len(kodi.dialog_calls("select")[-1][0][1]) == 4


def test_cancelled_select_resolves_false_once(kodi):
    kodi.script("select", -1)
    assert run(MOVIE) == "cancelled"
    assert resolved_once(kodi)[1] is False
    assert kodi.home_property(NOW_PLAYING_PROPERTY) == ""


def test_error_only_answer_shows_its_message_and_resolves_false(kodi):
    assert run(dict(MOVIE, imdb="tt0000001")) == "instance_error"
    assert resolved_once(kodi)[1] is False
    (heading, message), _ = kodi.dialog_calls("ok")[0]
    assert "No streams found for movie tt0000001" in message


def test_no_playable_stream_resolves_false(kodi):
    kodi.set_setting("playback_autoplay", True)
    assert run(dict(MOVIE, imdb="tt0068646")) == "no_streams"  # torrent-only
    assert resolved_once(kodi)[1] is False


def test_hide_uncached_and_exclude_skip_streams(kodi):
    kodi.set_setting("playback_hide_uncached", True)
    kodi.script("select", -1)
    run(EPISODE)
    assert len(kodi.dialog_calls("select")[0][0][1]) == 2


def test_cancel_while_fetching_resolves_false(kodi, aio):
    aio.set_slow(3.0, count=1)
    kodi.progress_cancel_after = 2
    assert run(MOVIE) == "cancelled"
    assert resolved_once(kodi)[1] is False


def test_not_configured_bad_ids_and_crashes_all_resolve_false_once(kodi):
    kodi.set_setting("aiostreams_manifest_url", "")
    assert run(MOVIE) == "not_configured"
    assert resolved_once(kodi)[1] is False
    kodi.resolved.clear()
    assert run({"type": "movie", "trakt": "7"}) == "invalid"
    assert resolved_once(kodi)[1] is False
    kodi.resolved.clear()

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    kodi.set_setting("aiostreams_manifest_url", "http://127.0.0.1:9/stremio/a/b/manifest.json")
    assert run(MOVIE, client_factory=broken) == "error"
    assert resolved_once(kodi)[1] is False


def test_unreachable_instance_resolves_false(kodi):
    kodi.set_setting("aiostreams_manifest_url", "http://127.0.0.1:9/stremio/a/b/manifest.json")
    assert run(MOVIE) == "error"
    assert resolved_once(kodi)[1] is False
    assert kodi.dialog_calls("notification")


def test_autoplay_offers_one_retry_that_skips_the_failed_stream(kodi):
    kodi.set_setting("playback_autoplay", True)
    run(EPISODE)
    _, ok, first = resolved_once(kodi)
    retry = kodi.home_property(player_module.RETRY_PROPERTY)
    assert retry and first.path in retry
    url = __import__("json").loads(retry)["url"]
    assert url.startswith("plugin://plugin.video.aiostreams/play?")
    params = dict(urllib.parse.parse_qsl(url.split("?", 1)[1]))
    assert params["attempt"] == "2"
    kodi.resolved.clear()
    run(params)
    _, ok, second = resolved_once(kodi)
    assert ok and second.path != first.path
    assert kodi.home_property(player_module.RETRY_PROPERTY) == ""  # only once


def test_kodi19_falls_back_to_setinfo_and_resume_properties(kodi):
    kodi.kodi_version = 19
    kodi.set_setting("playback_autoplay", True)
    run(EPISODE, resume=50.0)
    _, ok, item = resolved_once(kodi)
    assert ok and item.info["mediatype"] == "episode" and item.info["season"] == 1
    assert float(item.getProperty("ResumeTime")) == pytest.approx(58 * 60 / 2)
    assert item.unique_ids == {"trakt": "70"}


def test_router_reaches_the_route_by_path_and_resolves_once(kodi):
    kodi.script("select", -1)
    query = "?" + urllib.parse.urlencode(MOVIE)
    router.run(["plugin://plugin.video.aiostreams/play", "8", query])
    assert len(kodi.resolved) == 1 and kodi.resolved[0][:2] == (8, False)


def test_resolver_never_answers_twice(kodi):
    resolver = player_module.Resolver(3)
    resolver.fail()
    resolver.succeed(xbmcgui.ListItem())
    assert len(kodi.resolved) == 1
    assert kodi.log_lines(contains="already called")


def test_resume_computation_from_percent_and_runtime(kodi):
    kodi.set_setting("playback_autoplay", True)
    run(dict(MOVIE, runtime="100"), resume=0.5)  # under 1 %: nothing to resume
    assert "resumePoint" not in resolved_once(kodi)[2].tag
    kodi.resolved.clear()
    run(dict(MOVIE, runtime="100"), resume=37.5)
    assert resolved_once(kodi)[2].tag["resumePoint"][0] == 2250.0


# -- issue 10 ----------------------------------------------------------------------------------


class GlyphErrorClient:
    """An instance whose only answer is an upstream add-on's error stream, as AIOStreams words
    it (emoji included)."""

    def __init__(self, url, **kwargs):
        pass

    def streams(self, media_type, stremio_id):
        from resources.lib.aiostreams import errors

        raise errors.InstanceError("[❌] Torrentio: ⚡ Invalid  RealDebrid key 🔥")


def test_error_dialog_opens_after_the_progress_and_busy_dialogs_closed_and_without_glyphs(kodi):
    assert run(MOVIE, client_factory=GlyphErrorClient) == "instance_error"
    names = [name for name, _, _ in kodi.dialogs]
    assert "ok" in names and "progress.close" in names
    assert names.index("progress.close") < names.index("ok"), names
    assert "Dialog.Close(busydialog,true)" in kodi.builtins
    assert "Dialog.Close(busydialognocancel,true)" in kodi.builtins
    message = kodi.dialog_calls("ok")[0][0][1]
    assert "Torrentio: Invalid RealDebrid key" in message
    assert not any(c in message for c in "❌⚡🔥")
    assert resolved_once(kodi)[1] is False


def test_no_runtime_hands_the_saved_percentage_to_the_player_monitor(kodi):
    kodi.set_setting("playback_autoplay", True)
    params = dict(MOVIE)
    del params["runtime"]
    assert run(params, resume=40.0) == "resolved"
    _, ok, item = resolved_once(kodi)
    assert ok and "resumePoint" not in item.tag  # no length known: Kodi starts at 0 ...
    playing = NowPlaying.from_json(kodi.home_property(NOW_PLAYING_PROPERTY))
    assert playing.seek_percent == 40.0  # ... and the player monitor seeks once it knows it
    kodi.resolved.clear()
    assert run(MOVIE, resume=40.0) == "resolved"  # with a runtime Kodi resumes by itself
    assert "resumePoint" in resolved_once(kodi)[2].tag
    assert NowPlaying.from_json(kodi.home_property(NOW_PLAYING_PROPERTY)).seek_percent == 0.0
