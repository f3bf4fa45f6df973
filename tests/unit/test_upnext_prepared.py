"""The next episode's streams prepared once: the JSON hand-off to the play route survives a round
trip, refuses anything malformed or hostile without raising, and costs exactly one request."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

from resources.lib.aiostreams import errors
from resources.lib.aiostreams.ranking import StreamPreferences
from resources.lib.aiostreams.streams import StreamList, parse_streams, stream_key
from resources.lib.upnext.prepared import (
    MAX_AGE_SECONDS,
    MAX_JSON_CHARS,
    MAX_STREAMS,
    PreparedStreams,
    preferred_choice,
    prepare,
)
from resources.lib.upnext.streams import StreamTraits

NOW = 1_800_000_000.0
SERIES_ID = "tt0903747:1:2"


def raw_stream(
    path: str,
    resolution: str,
    group: str,
    cached: Optional[bool] = True,
    binge: Optional[str] = None,
) -> Dict[str, Any]:
    """A stream object as AIOStreams sends it (with ``streamData``)."""
    hints: Dict[str, Any] = {"filename": f"Show.S01E02.{resolution}-{group}.mkv"}
    hints["bingeGroup"] = binge if binge is not None else f"aio|{resolution}|{group}"
    return {
        "name": f"AIOStreams {resolution}",
        "description": f"{resolution} {group}",
        "url": f"http://127.0.0.1:1/playback/{path}",
        "behaviorHints": hints,
        "streamData": {
            "type": "debrid",
            "service": {"id": "realdebrid", "cached": cached},
            "parsedFile": {"resolution": resolution, "releaseGroup": group},
        },
    }


ANSWER = {
    "streams": [
        raw_stream("a-2160.mkv", "2160p", "FLUX"),
        raw_stream("b-1080.mkv", "1080p", "NTb"),
        raw_stream("c-720.mkv", "720p", "CTU", cached=False),
        raw_stream("d-720.mkv", "720p", "GalaxyTV"),
        {"name": "torrent", "infoHash": "89abcdef0123456789abcdef0123456789abcdef"},
    ]
}


class CountingClient:
    """The client's ``streams`` call, counted, answering from a fixed payload (or raising)."""

    def __init__(self, payload: Any = None, error: Optional[Exception] = None) -> None:
        self.payload = ANSWER if payload is None else payload
        self.error = error
        self.calls: List[tuple] = []

    def streams(self, media_type: str, stremio_id: str) -> StreamList:
        self.calls.append((media_type, stremio_id))
        if self.error is not None:
            raise self.error
        return parse_streams(self.payload)


def prepared_with(traits: StreamTraits, prefs: StreamPreferences) -> tuple:
    client = CountingClient()
    prepared = prepare(client, "series", SERIES_ID, traits, prefs, clock=lambda: NOW)
    return client, prepared


def key_of(path: str) -> str:
    (stream,) = [s for s in parse_streams(ANSWER).streams if s.url and s.url.endswith(path)]
    return stream_key(stream)


AUTOPLAY = StreamPreferences(autoplay=True)
ASK = StreamPreferences(autoplay=False)


# -- prepare: one request, the stream to prefer ---------------------------------------------


def test_prepare_asks_once_and_prefers_the_same_binge_group():
    client, prepared = prepared_with(StreamTraits(binge_group="aio|720p|GalaxyTV"), AUTOPLAY)
    assert client.calls == [("series", SERIES_ID)]
    assert prepared.preferred_key == key_of("d-720.mkv")
    assert (prepared.stremio_type, prepared.stremio_id, prepared.created_at) == (
        "series",
        SERIES_ID,
        NOW,
    )
    assert len(prepared.streams_raw) == 5  # every stream as sent, the torrent included


def test_prepare_without_a_same_release_stream_takes_autoplays_choice():
    client, prepared = prepared_with(StreamTraits(binge_group="aio|480p|Nobody"), AUTOPLAY)
    assert len(client.calls) == 1
    assert prepared.preferred_key == key_of("a-2160.mkv")  # the first cached one


def test_prepare_respects_the_resolution_limit_and_never_autoplays_an_uncached_stream():
    prefs = StreamPreferences(autoplay=True, max_resolution=1080)
    _, same_but_uncached = prepared_with(StreamTraits(binge_group="aio|720p|CTU"), prefs)
    assert same_but_uncached.preferred_key == key_of("b-1080.mkv")  # not c-720 (a download)
    _, same_but_too_big = prepared_with(StreamTraits(binge_group="aio|2160p|FLUX"), prefs)
    assert same_but_too_big.preferred_key == key_of("b-1080.mkv")


def test_prepare_without_autoplay_prefers_the_same_release_even_uncached():
    _, prepared = prepared_with(StreamTraits(binge_group="aio|720p|CTU"), ASK)
    assert prepared.preferred_key == key_of("c-720.mkv")  # listed first, the user decides
    _, nothing_alike = prepared_with(StreamTraits(binge_group="aio|480p|Nobody"), ASK)
    assert nothing_alike.preferred_key == ""


def test_prepare_with_nothing_playable_prefers_nothing_and_still_asks_once():
    client = CountingClient({"streams": [ANSWER["streams"][-1]]})
    prepared = prepare(client, "series", SERIES_ID, StreamTraits(), AUTOPLAY, clock=lambda: NOW)
    assert len(client.calls) == 1 and prepared.preferred_key == ""


def test_prepare_raises_the_clients_error_after_its_one_request():
    client = CountingClient(error=errors.InstanceError("No streams found"))
    with pytest.raises(errors.InstanceError):
        prepare(client, "series", SERIES_ID, StreamTraits(), AUTOPLAY)
    assert len(client.calls) == 1


def test_preferred_choice_with_no_offer_is_none():
    assert preferred_choice([], StreamTraits(binge_group="x"), AUTOPLAY) is None
    assert preferred_choice([], StreamTraits(binge_group="x"), ASK) is None


# -- the JSON hand-off --------------------------------------------------------------------


def test_round_trip_rebuilds_the_same_streams_with_the_parser():
    _, prepared = prepared_with(StreamTraits(binge_group="aio|1080p|NTb"), AUTOPLAY)
    back = PreparedStreams.from_json(prepared.to_json())
    assert back == prepared
    rebuilt = back.stream_list()
    fresh = parse_streams(ANSWER)
    assert [(s.kind, s.url, s.resolution, s.release_group, s.binge_group, s.cached)
            for s in rebuilt.streams] == [
        (s.kind, s.url, s.resolution, s.release_group, s.binge_group, s.cached)
        for s in fresh.streams
    ]  # fmt: skip
    preferred = back.preferred(rebuilt.playable)
    assert preferred is not None and preferred.url.endswith("b-1080.mkv")


def test_is_for_the_same_item_within_six_hours_only():
    prepared = PreparedStreams("series", SERIES_ID, [], "", NOW)
    assert prepared.is_for("series", SERIES_ID, NOW + 10)
    assert prepared.is_for("series", SERIES_ID, NOW + MAX_AGE_SECONDS)
    assert not prepared.is_for("series", SERIES_ID, NOW + MAX_AGE_SECONDS + 1)
    assert not prepared.is_for("series", "tt0903747:1:3", NOW)
    assert not prepared.is_for("movie", SERIES_ID, NOW)
    assert not prepared.is_for("series", SERIES_ID, NOW - 3600)  # "from the future"


def valid() -> Dict[str, Any]:
    return {
        "stremio_type": "series",
        "stremio_id": SERIES_ID,
        "streams_raw": [raw_stream("b-1080.mkv", "1080p", "NTb")],
        "preferred_key": "0123456789ab",
        "created_at": NOW,
    }


def with_(**changes: Any) -> str:
    data = valid()
    data.update(changes)
    return json.dumps(data)


def without(name: str) -> str:
    data = valid()
    del data[name]
    return json.dumps(data)


MALFORMED = [
    None,
    "",
    5,
    b"{}",
    "not json",
    "{",
    "[]",
    "{}",
    '"text"',
    "null",
    "[" * 100_000 + "]" * 100_000,  # nested too deep for the parser
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    "1" * 5000,  # an integer too long to read
    without("stremio_type"),
    without("stremio_id"),
    without("streams_raw"),
    without("created_at"),
    with_(stremio_type="tv"),
    with_(stremio_type=["series"]),
    with_(stremio_id=""),
    with_(stremio_id=7),
    with_(stremio_id="t" * 101),
    with_(streams_raw={"0": {}}),
    with_(streams_raw="[]"),
    with_(streams_raw=[{}, "a stream"]),
    with_(streams_raw=[None]),
    with_(streams_raw=[{}] * (MAX_STREAMS + 1)),
    with_(preferred_key=5),
    with_(preferred_key=None),
    with_(preferred_key="k" * 65),
    with_(created_at="now"),
    with_(created_at=True),
    with_(created_at=None),
    with_(created_at=[NOW]),
    json.dumps(valid()).replace(str(NOW), "NaN"),
    json.dumps(valid()).replace(str(NOW), "Infinity"),
    json.dumps(valid()).replace(str(NOW), "1e999"),
    "{" + " " * MAX_JSON_CHARS + "}",
]


@pytest.mark.parametrize("text", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_or_hostile_json_gives_none_and_never_raises(text):
    assert PreparedStreams.from_json(text) is None


def test_the_valid_base_of_the_malformed_cases_is_accepted():
    # The cases above fail for the one change each makes, not because the base is wrong.
    prepared = PreparedStreams.from_json(json.dumps(valid()))
    assert prepared is not None and prepared.preferred_key == "0123456789ab"
    assert PreparedStreams.from_json(without("preferred_key")).preferred_key == ""
    assert str(NOW) in json.dumps(valid())  # the NaN / Infinity cases do replace the time


HOSTILE_STREAMS = [
    {"url": 5, "name": ["x"], "description": {"a": 1}},
    {"url": "http://127.0.0.1:1/x.mkv", "subtitles": 5, "fileIdx": 1e999},
    {"url": "http://127.0.0.1:1/y.mkv", "subtitles": "abc", "streamData": ["not", "a", "dict"]},
    {"url": "http://127.0.0.1:1/z.mkv", "streamData": {"size": 1e999, "duration": "NaN",
     "service": {"cached": "yes"}, "parsedFile": {"languages": 5, "resolution": ["2160p"]}}},
    {"behaviorHints": {"proxyHeaders": {"request": ["x"]}, "bingeGroup": {"a": 1}}},
    {"streamData": {"type": "error", "error": "boom"}},
    {"url": "javascript:alert(1)"},
]  # fmt: skip


def test_hostile_stream_objects_parse_without_raising_and_only_urls_are_playable():
    prepared = PreparedStreams.from_json(with_(streams_raw=HOSTILE_STREAMS))
    assert prepared is not None
    rebuilt = prepared.stream_list()
    assert [s.url for s in rebuilt.playable] == [
        "http://127.0.0.1:1/x.mkv",
        "http://127.0.0.1:1/y.mkv",
        "http://127.0.0.1:1/z.mkv",
    ]
    x, _, z = rebuilt.playable
    assert x.subtitles == [] and x.file_idx is None
    assert z.size is None and z.cached is None
    assert len(rebuilt.errors) == 1
    assert prepared.preferred(rebuilt.playable) is None  # its key names none of them
