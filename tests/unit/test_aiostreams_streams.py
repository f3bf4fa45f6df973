"""Stream classification, streamData parsing, Kodi URL syntax and subtitles."""

from __future__ import annotations

import pytest

from resources.lib.aiostreams.streams import (
    kodi_url,
    mime_type,
    parse_stream,
    parse_streams,
    playback_url,
    resolution_height,
    subtitle_urls,
)

GB = 1024**3


def debrid(url="https://h/playback/1", **parsed):
    return {
        "name": "[RD⚡] AIOStreams",
        "description": "BluRay\nfile.mkv",
        "url": url,
        "behaviorHints": {"filename": "hint.mkv", "videoSize": 5},
        "streamData": {
            "type": "debrid",
            "size": 4 * GB,
            "duration": 7_200_000,
            "filename": "Movie.2020.1080p.BluRay.x264-GRP.mkv",
            "indexer": "Torrentio",
            "service": {"id": "realdebrid", "cached": True},
            "parsedFile": dict(
                {
                    "resolution": "1080p",
                    "quality": "BluRay",
                    "encode": "AVC",
                    "releaseGroup": "GRP",
                    "languages": ["English", "Français"],
                    "audioTags": ["DTS"],
                    "visualTags": ["HDR"],
                },
                **parsed,
            ),
        },
    }


def test_debrid_stream_fields_come_from_stream_data():
    s = parse_stream(debrid())
    assert s.kind == "url" and s.playable and s.instant
    assert (s.resolution, s.quality, s.encode, s.release_group) == ("1080p", "BluRay", "AVC", "GRP")
    assert s.languages == ["English", "Français"]
    assert s.size == 4 * GB and s.duration_ms == 7_200_000
    assert (s.service_id, s.cached) == ("realdebrid", True)
    assert s.filename == "Movie.2020.1080p.BluRay.x264-GRP.mkv"
    assert s.audio_tags == ["DTS"] and s.visual_tags == ["HDR"]
    assert s.indexer == "Torrentio"


def test_uncached_debrid_stream_is_playable_but_not_instant():
    raw = debrid()
    raw["streamData"]["service"]["cached"] = False
    s = parse_stream(raw)
    assert s.playable and not s.instant and s.cached is False


@pytest.mark.parametrize(
    "raw, kind",
    [
        ({"infoHash": "abc", "fileIdx": 2}, "torrent"),
        ({"externalUrl": "https://example.com"}, "external"),
        ({"nzbUrl": "https://h/x.nzb"}, "usenet"),
        ({"ytId": "dQw4w9WgXcQ"}, "youtube"),
        ({"url": "magnet:?xt=urn:btih:abc"}, "unknown"),
        ({"name": "nothing"}, "unknown"),
        ({"url": "https://h/x", "streamData": {"type": "usenet"}}, "url"),
        (
            {"externalUrl": "https://github.com", "streamData": {"type": "error"}},
            "error",
        ),
        ({"externalUrl": "https://x", "streamData": {"type": "statistic"}}, "statistic"),
    ],
)
def test_streams_are_classified_by_what_kodi_can_do_with_them(raw, kind):
    s = parse_stream(raw)
    assert s.kind == kind
    assert s.playable == (kind == "url")


def test_torrent_only_stream_keeps_hash_and_file_index():
    s = parse_stream({"infoHash": "ABC123", "fileIdx": "3"})
    assert (s.info_hash, s.file_idx) == ("ABC123", 3)


def test_response_is_split_into_streams_errors_and_statistics():
    payload = {
        "streams": [
            debrid(),
            {"infoHash": "abc"},
            {
                "name": "[❌] AIOStreams",
                "externalUrl": "https://github.com/Viren070/AIOStreams",
                "streamData": {
                    "type": "error",
                    "error": {"title": "Torrentio", "description": "timed out"},
                },
            },
            {"name": "[📊] Statistics", "streamData": {"type": "statistic"}},
            "garbage",
        ]
    }
    result = parse_streams(payload)
    assert [s.kind for s in result.streams] == ["url", "torrent"]
    assert len(result.playable) == 1
    assert result.error_messages == ["Torrentio: timed out"]
    assert len(result.statistics) == 1


def test_error_text_falls_back_to_the_description():
    result = parse_streams(
        {"streams": [{"description": "Invalid password", "streamData": {"type": "error"}}]}
    )
    assert result.error_messages == ["Invalid password"]


def test_error_text_does_not_repeat_a_title_the_description_starts_with():
    raw = {"streamData": {"type": "error", "error": {"title": "Oops", "description": "Oops!"}}}
    assert parse_streams({"streams": [raw]}).error_messages == ["Oops!"]


@pytest.mark.parametrize("payload", [None, [], {"streams": None}, {"streams": "x"}, {}])
def test_malformed_responses_give_an_empty_list(payload):
    result = parse_streams(payload)
    assert result.streams == [] and result.errors == []


def test_odd_stream_data_values_do_not_raise():
    s = parse_stream(
        {
            "url": "https://h/x",
            "streamData": {"size": "big", "service": "rd", "parsedFile": {"languages": "English"}},
            "behaviorHints": None,
        }
    )
    assert s.size is None and s.service_id == "" and s.languages == ["English"]


def test_kodi_url_quotes_header_names_and_values():
    url = kodi_url(
        "https://h/v.mkv", {"User-Agent": "Kodi Player/1.0", "Referer": "https://r/ü?a=1&b=2"}
    )
    assert url == (
        "https://h/v.mkv|User-Agent=Kodi%20Player%2F1.0&Referer=https%3A%2F%2Fr%2F%C3%BC%3Fa%3D1%26b%3D2"
    )


def test_kodi_url_without_headers_is_the_plain_url():
    assert kodi_url("https://h/v.mkv", {}) == "https://h/v.mkv"


def test_playback_url_uses_proxy_request_headers():
    raw = debrid()
    raw["behaviorHints"]["proxyHeaders"] = {"request": {"Cookie": "a=b; c=d"}, "response": {}}
    assert playback_url(parse_stream(raw)) == "https://h/playback/1|Cookie=a%3Db%3B%20c%3Dd"


def test_playback_url_refuses_a_stream_kodi_cannot_play():
    with pytest.raises(ValueError):
        playback_url(parse_stream({"infoHash": "abc"}))


def test_subtitles_are_listed_in_order():
    raw = debrid()
    raw["subtitles"] = [
        {"id": "1", "url": "https://h/en.srt", "lang": "eng"},
        {"lang": "no url"},
        {"id": "2", "url": "https://h/it.srt", "lang": "ita"},
    ]
    s = parse_stream(raw)
    assert subtitle_urls(s) == ["https://h/en.srt", "https://h/it.srt"]
    assert s.subtitles[1].lang == "ita"


@pytest.mark.parametrize(
    "text, height",
    [("2160p", 2160), ("4K", 2160), ("1080p", 1080), ("720P", 720), ("576p", 576), ("", 0),
     ("Unknown", 0), ("1080i", 1080)],
)  # fmt: skip
def test_resolution_height(text, height):
    assert resolution_height(text) == height


def test_mime_type_follows_the_file_name_then_the_url():
    assert mime_type(parse_stream(debrid())) == "video/x-matroska"
    assert mime_type(parse_stream({"url": "https://h/a/b.mp4"})) == "video/mp4"
    assert mime_type(parse_stream({"url": "https://h/play?id=1"})) == "video/mp4"


def test_error_stream_text_loses_glyphs_kodis_font_cannot_draw():
    """Issue 10: ``[❌] Torrentio: …`` showed boxes in Kodi's dialog."""
    result = parse_streams({"streams": [{
        "name": "[❌] AIOStreams",
        "description": "[❌] Torrentio: ⚡ Invalid   key",
        "streamData": {"type": "error", "error": {"title": "[❌] Torrentio ✅",
                                                  "description": "Timed out 🔥 after 5 s"}},
    }]})  # fmt: skip
    assert result.error_messages == ["Torrentio: Timed out after 5 s"]


def test_display_text_keeps_every_script_and_drops_emoji():
    from resources.lib.aiostreams.text import display_line, display_text

    assert display_text("Человек-паук 蜘蛛侠 Amélie Größe ± 4.5") == (
        "Человек-паук 蜘蛛侠 Amélie Größe ± 4.5"
    )
    assert display_text("👨\u200d👩\u200d👧 family ❤\ufe0f x 1\ufe0f\u20e3 a → b 🇬🇧") == (
        "family x 1 a b"
    )
    assert display_text("\u2139\ufe0f [📊] Statistics\n\tline") == "Statistics line"
    assert display_line("🎬 a\n\n💾 b ") == "a\nb"
    assert display_text("") == ""


def test_nothing_playable_left_gives_the_error_streams_own_text():
    error = {
        "name": "[❌] AIOStreams",
        "description": "Torrentio: timed out",
        "streamData": {
            "type": "error",
            "error": {"title": "Torrentio", "description": "timed out"},
        },
    }
    statistic = {"name": "stats", "streamData": {"type": "statistic"}}
    torrent = {"name": "T", "infoHash": "ab" * 20, "streamData": {"type": "p2p"}}
    only_torrent = parse_streams({"streams": [statistic, torrent, error]})
    assert only_torrent.playable == []
    assert only_torrent.unplayable_message == "Torrentio: timed out"
    direct = {"name": "D", "url": "https://h/v.mkv", "streamData": {"type": "debrid"}}
    with_direct = parse_streams({"streams": [error, direct, statistic]})
    assert with_direct.unplayable_message is None
    assert [s.kind for s in with_direct.streams] == ["url"]
    assert parse_streams({"streams": [torrent]}).unplayable_message is None
