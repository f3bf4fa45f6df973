"""The payload handed to service.upnext, decoded the way service.upnext decodes it."""

from __future__ import annotations

import base64
import binascii
import json

import pytest

from resources.lib.database.trakt_sync.next_episode_rule import NextEpisode
from resources.lib.kodi.upnext_episode import next_play_url
from resources.lib.plugin.play_request import PlayRequest
from resources.lib.plugin.router import parse_query, path_action
from resources.lib.upnext.signal import (
    episode_entry,
    jsonrpc_request,
    notify_all_params,
    upnext_data,
)

CURRENT = {
    "show_id": 1390,
    "show_title": "Game of Thrones",
    "season": 1,
    "number": 1,
    "title": "Winter Is Coming",
    "ids": {"trakt": 73640, "tvdb": 3254641},
    "first_aired": "2011-04-18T01:00:00.000Z",
    "runtime": 62,
    "plot": "A plot",
    "rating": 8,
    "playcount": 1,
    "art": {"thumb": "https://img/1x1.jpg", "fanart": "https://img/fanart.jpg"},
}
NEXT = NextEpisode(
    show_id=1390,
    show_ids={"trakt": 1390, "imdb": "tt0944947"},
    show_title="Game of Thrones",
    season=1,
    number=2,
    title="The Kingsroad",
    ids={"trakt": 73641},
    first_aired="2011-04-25T01:00:00.000Z",
    runtime=56,
)
# The URL service.upnext will open: built the way the service builds it (the play route's own
# ``plugin.urls.play_url``, through ``kodi.upnext_episode.next_play_url``).
PLAY_URL = next_play_url(NEXT)


def decoded(params):
    """What service.upnext's monitor sees: Kodi hands it ``data`` as JSON text of the list;
    it tries hex first, which must fail, then base64."""
    encoded = json.loads(json.dumps(params["data"]))[0]
    with pytest.raises((binascii.Error, ValueError)):
        binascii.unhexlify(encoded)
    return json.loads(base64.b64decode(encoded).decode("utf-8"))


def test_notify_all_params_sender_message_and_base64_payload():
    data = upnext_data(CURRENT, NEXT, PLAY_URL, notification_time=30)
    params = notify_all_params(data)
    assert params["sender"] == "plugin.video.aiostreams.SIGNAL"
    assert params["message"] == "upnext_data"
    assert len(params["data"]) == 1
    assert decoded(params) == data


def test_payload_fields_as_service_upnext_reads_them():
    payload = decoded(notify_all_params(upnext_data(CURRENT, NEXT, PLAY_URL, 30.4)))
    assert payload["play_url"] == PLAY_URL
    # Opened by service.upnext, that URL reaches our play route and asks for the next episode.
    url = payload["play_url"]
    assert path_action(url) == "play"
    request = PlayRequest.from_params(parse_query(url.split("?", 1)[1]))
    assert request is not None and request.kind == "episode"
    assert (request.stremio_type, request.stremio_id()) == ("series", "tt0944947:1:2")
    assert payload["notification_time"] == 30
    assert payload["current_episode"] == {
        "episodeid": 73640,
        "tvshowid": 1390,
        "title": "Winter Is Coming",
        "season": 1,
        "episode": 1,
        "showtitle": "Game of Thrones",
        "plot": "A plot",
        "playcount": 1,
        "rating": 8.0,
        "firstaired": "2011-04-18",
        "runtime": 3720,
        "art": {"thumb": "https://img/1x1.jpg", "tvshow.fanart": "https://img/fanart.jpg"},
    }
    assert payload["next_episode"] == {
        "episodeid": 73641,
        "tvshowid": 1390,
        "title": "The Kingsroad",
        "season": 1,
        "episode": 2,
        "showtitle": "Game of Thrones",
        "plot": "",
        "playcount": 0,
        "firstaired": "2011-04-25",
        "runtime": 3360,
        "art": {},
    }


def test_jsonrpc_request_is_a_notify_all_call():
    data = upnext_data(CURRENT, NEXT, PLAY_URL)
    request = json.loads(jsonrpc_request(data))
    assert request["jsonrpc"] == "2.0"
    assert request["method"] == "JSONRPC.NotifyAll"
    assert request["params"] == notify_all_params(data)
    assert decoded(request["params"]) == data


def test_no_notification_time_leaves_service_upnexts_own_setting():
    assert "notification_time" not in upnext_data(CURRENT, NEXT, PLAY_URL)
    # service.upnext reads 0 as "not given"
    assert upnext_data(CURRENT, NEXT, PLAY_URL, 0.2)["notification_time"] == 1


def test_art_names_mapped_and_empty_or_unknown_left_out():
    entry = episode_entry(
        dict(
            CURRENT,
            art={
                "poster": "p",
                "landscape": "l",
                "clearlogo": "c",
                "clearart": "a",
                "tvshow.banner": "b",
                "banner": "ignored",
                "fanart": "",
                "thumb": None,
            },
        )
    )
    assert entry["art"] == {
        "tvshow.poster": "p",
        "tvshow.landscape": "l",
        "tvshow.clearlogo": "c",
        "tvshow.clearart": "a",
        "tvshow.banner": "b",
    }


def test_unknown_fields_left_out_and_ids_still_differ():
    bare = {"show_id": 7, "season": 2, "number": 3}
    entry = episode_entry(bare)
    assert "runtime" not in entry and "rating" not in entry
    assert entry["title"] == "" and entry["firstaired"] == "" and entry["playcount"] == 0
    assert entry["episodeid"] != episode_entry(dict(bare, number=4))["episodeid"]


def test_non_ascii_titles_survive_the_round_trip():
    data = upnext_data(dict(CURRENT, title="Épisode 1 – Ünïcode"), NEXT, PLAY_URL)
    assert decoded(notify_all_params(data))["current_episode"]["title"] == "Épisode 1 – Ünïcode"
