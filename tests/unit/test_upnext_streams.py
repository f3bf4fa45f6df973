"""Up Next's stream preference: the same bingeGroup, else the same resolution and release group."""

from __future__ import annotations

import pytest

from resources.lib.aiostreams.streams import parse_stream
from resources.lib.upnext.streams import StreamTraits, preferred_stream


def stream(name, binge="", resolution="1080p", group="GRP", url=True):
    """A stream as AIOStreams sends it, through the real parser."""
    raw = {
        "name": name,
        "description": name,
        "behaviorHints": {"bingeGroup": binge} if binge else {},
        "streamData": {
            "type": "debrid",
            "service": {"id": "realdebrid", "cached": True},
            "parsedFile": {"resolution": resolution, "releaseGroup": group},
        },
    }
    if url:
        raw["url"] = "https://h/playback/%s" % name
    else:
        raw["infoHash"] = "a" * 40
        raw["streamData"]["type"] = "p2p"
    return parse_stream(raw)


PLAYING = StreamTraits(binge_group="aio|rd|1080p|GRP", resolution="1080p", release_group="GRP")


def names(chosen):
    return None if chosen is None else chosen.name


@pytest.mark.parametrize(
    "offered, traits, chosen",
    [
        pytest.param(
            [stream("first", "other|group"), stream("same", "aio|rd|1080p|GRP")],
            PLAYING, "same", id="the same bingeGroup wins over an earlier stream",
        ),
        pytest.param(
            [stream("grp-720", resolution="720p"), stream("grp-1080"),
             stream("x", "aio|rd|1080p|GRP")],
            PLAYING, "x", id="bingeGroup before resolution and release group",
        ),
        pytest.param(
            [stream("other", "b|2", group="OTHER"), stream("grp-720", "b|3", resolution="720p"),
             stream("grp-1080", "b|4"), stream("grp-1080-later", "b|5")],
            PLAYING, "grp-1080", id="no bingeGroup match: same resolution and release group",
        ),
        pytest.param(
            [stream("lower-case", resolution="1080P", group="grp")],
            PLAYING, "lower-case", id="resolution and release group ignore case",
        ),
        pytest.param(
            [stream("grp-720", resolution="720p"), stream("other", group="OTHER")],
            PLAYING, None, id="release group alone is not enough",
        ),
        pytest.param(
            [stream("no-group", group="")], StreamTraits(resolution="1080p"), None,
            id="an empty release group never matches",
        ),
        pytest.param(
            [stream("no-binge"), stream("binge", "aio|rd|1080p|GRP")], StreamTraits(), None,
            id="empty current traits: no preference",
        ),
        pytest.param(
            [stream("torrent", "aio|rd|1080p|GRP", url=False), stream("url", "aio|rd|1080p|GRP")],
            PLAYING, "url", id="an unplayable stream with the same bingeGroup is skipped",
        ),
        pytest.param(
            [stream("torrent", url=False)], PLAYING, None,
            id="an unplayable stream with the same release group is skipped",
        ),
        pytest.param([], PLAYING, None, id="nothing offered"),
    ],
)  # fmt: skip
def test_preferred_stream(offered, traits, chosen):
    assert names(preferred_stream(offered, traits)) == chosen


def test_traits_of_a_stream_and_back():
    traits = StreamTraits.of(stream("s", "aio|rd|2160p|FLUX", resolution="2160p", group="FLUX"))
    assert traits == StreamTraits("aio|rd|2160p|FLUX", "2160p", "FLUX")
    assert traits.to_dict() == {
        "binge_group": "aio|rd|2160p|FLUX",
        "resolution": "2160p",
        "release_group": "FLUX",
    }
    assert StreamTraits.from_dict(traits.to_dict()) == traits
    assert not traits.empty
    assert StreamTraits().empty


@pytest.mark.parametrize(
    "value, traits",
    [
        (None, StreamTraits()),
        ("binge", StreamTraits()),
        ([1, 2], StreamTraits()),
        ({}, StreamTraits()),
        ({"binge_group": 5, "resolution": None, "release_group": "GRP"},
         StreamTraits(release_group="GRP")),
        ({"binge_group": "b", "extra": "kept out"}, StreamTraits(binge_group="b")),
    ],
)  # fmt: skip
def test_traits_from_anything_else(value, traits):
    assert StreamTraits.from_dict(value) == traits
