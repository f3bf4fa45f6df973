"""Which streams are offered, in which order, which one autoplays, and their labels."""

from __future__ import annotations

from resources.lib.aiostreams.ranking import (
    StreamPreferences,
    autoplay_choice,
    format_size,
    offered_streams,
    service_label,
    stream_label,
    stream_label2,
)
from resources.lib.aiostreams.streams import Stream, parse_streams


def url_stream(name, resolution="1080p", service="realdebrid", cached=True, **extra):
    return Stream(
        kind="url", name=name, url="https://h/" + name, resolution=resolution,
        service_id=service, cached=cached, **extra,
    )  # fmt: skip


def names(streams):
    return [s.name for s in streams]


def test_errors_statistics_and_unplayable_streams_are_never_offered():
    result = parse_streams(
        {
            "streams": [
                {"url": "https://h/a", "name": "a"},
                {"infoHash": "abc", "name": "torrent"},
                {"externalUrl": "https://x", "name": "web"},
                {"name": "err", "streamData": {"type": "error"}},
                {"name": "stat", "url": "https://h/s", "streamData": {"type": "statistic"}},
            ]
        }
    )
    all_parsed = result.streams + result.errors + result.statistics
    assert names(offered_streams(all_parsed, StreamPreferences())) == ["a"]


def test_instance_order_is_kept_without_preferences():
    streams = [url_stream("a", "720p"), url_stream("b", "2160p"), url_stream("c", "1080p")]
    assert names(offered_streams(streams, StreamPreferences())) == ["a", "b", "c"]


def test_hide_uncached_drops_uncached_but_keeps_unknown():
    streams = [
        url_stream("uncached", cached=False),
        url_stream("cached"),
        url_stream("http", service="", cached=None),
    ]
    prefs = StreamPreferences(hide_uncached=True)
    assert names(offered_streams(streams, prefs)) == ["cached", "http"]


def test_streams_above_max_resolution_go_last_in_their_original_order():
    streams = [
        url_stream("4k-a", "2160p"),
        url_stream("1080", "1080p"),
        url_stream("4k-b", "2160p"),
        url_stream("unknown", ""),
        url_stream("720", "720p"),
    ]
    prefs = StreamPreferences(max_resolution=1080)
    assert names(offered_streams(streams, prefs)) == ["1080", "unknown", "720", "4k-a", "4k-b"]


def test_autoplay_picks_the_first_cached_stream_within_the_preferred_resolution():
    streams = [
        url_stream("uncached", cached=False),
        url_stream("4k", "2160p"),
        url_stream("first-cached-1080"),
        url_stream("second-cached-1080"),
    ]
    prefs = StreamPreferences(autoplay=True, max_resolution=1080)
    ranked = offered_streams(streams, prefs)
    assert autoplay_choice(ranked, prefs).name == "first-cached-1080"


def test_autoplay_accepts_a_direct_http_stream_without_a_service():
    streams = [url_stream("uncached", cached=False), url_stream("http", service="", cached=None)]
    prefs = StreamPreferences(autoplay=True)
    assert autoplay_choice(offered_streams(streams, prefs), prefs).name == "http"


def test_no_autoplay_when_disabled_or_nothing_is_cached():
    streams = [url_stream("cached"), url_stream("uncached", cached=False)]
    assert autoplay_choice(streams, StreamPreferences(autoplay=False)) is None
    only_uncached = [url_stream("uncached", cached=False)]
    assert autoplay_choice(only_uncached, StreamPreferences(autoplay=True)) is None


def test_label_shows_resolution_service_quality_size_languages_group():
    s = url_stream(
        "x", "1080p", quality="BluRay", encode="HEVC", size=int(4.37 * 1024**3),
        languages=["English", "Italiano"], release_group="FLUX", visual_tags=["HDR"],
        audio_tags=["Atmos"], filename="Movie.mkv",
    )  # fmt: skip
    assert (
        stream_label(s, ("Cached", "Not cached"))
        == "1080p | RD | Cached | BluRay HEVC | HDR Atmos | 4.37 GB | English, Italiano | FLUX"
    )
    assert stream_label2(s) == "Movie.mkv"


def test_label_marks_uncached_and_falls_back_to_the_stream_name():
    assert service_label(url_stream("x", cached=False)) == "RD"
    bare = Stream(kind="url", name="[HTTP] Some add-on\n720p", url="https://h/x")
    assert stream_label(bare) == "[HTTP] Some add-on 720p"


def test_label_many_languages_are_shortened():
    s = url_stream("x", languages=["English", "French", "German", "Spanish"])
    assert "English, French, German..." in stream_label(s)


def test_format_size_units():
    assert format_size(None) == ""
    assert format_size(512) == "512 B"
    assert format_size(700 * 1024**2) == "700 MB"
    assert format_size(58 * 1024**3) == "58.00 GB"
    assert format_size(2 * 1024**4) == "2.00 TB"


def test_cached_is_a_word_not_a_plus():
    """Issue 10: ``RD+`` was easy to miss; the select says Cached / Not cached."""
    marks = ("Cached", "Not cached")
    cached = url_stream("x", "1080p", cached=True)
    uncached = url_stream("y", "1080p", cached=False)
    assert "RD+" not in stream_label(cached, marks)
    assert stream_label(cached, marks).startswith("1080p | RD | Cached")
    assert stream_label(uncached, marks).startswith("1080p | RD | Not cached")
    bare = Stream(kind="url", name="Some add-on", url="https://h/x", service_id="realdebrid",
                  cached=True)  # fmt: skip
    assert stream_label(bare, marks) == "Some add-on | Cached"
    p2p = Stream(kind="p2p", name="P2P", info_hash="a" * 40, source_type="p2p")
    assert "ached" not in stream_label(p2p, marks)


def test_labels_drop_glyphs_kodis_font_cannot_draw():
    s = Stream(kind="url", name="⚡ [RD+] Torrentio 🔥\n4K", url="https://h/x",
               description="🎬 Movie.2024.2160p ✅\n💾 58 GB")  # fmt: skip
    assert stream_label(s) == "[RD+] Torrentio 4K"
    assert stream_label2(s) == "Movie.2024.2160p"
