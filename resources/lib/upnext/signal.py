"""The hand-off to ``service.upnext``: the payload it reads, and the JSON-RPC call that sends it.

Verified against service.upnext's own source, im85288/service.upnext at commit 6055716 (master,
2024-08-10; addon.xml version 1.1.9): ``resources/lib/monitor.py`` ``onNotification`` accepts
any sender whose method ends in ``upnext_data`` (Kodi turns ``JSONRPC.NotifyAll`` with message
``upnext_data`` into ``Other.upnext_data``), reads ``data`` as a JSON list and decodes its first
item (``utils.decode_data``: hex first, then base64; base64 of a JSON object starts ``eyJ``,
never valid hex, so it falls through to base64). ``utils.event`` sends the same shape from its
side: ``{"sender": "<addon id>.SIGNAL", "message": ..., "data": [<base64 JSON>]}``.
What it reads from the payload (``api.py``, ``playitem.py``, ``playbackmanager.py``,
``upnext.py``):

- ``current_episode`` / ``next_episode``: ``episodeid`` (the popup is skipped when both are the
  same), ``tvshowid`` (counts episodes played in a row), ``title``, ``showtitle``, ``season``,
  ``episode``, ``plot``, ``playcount`` (a next episode with plays is skipped unless the user's
  "include watched" is on), ``rating`` (optional), ``firstaired`` (its first three numbers make
  the date), ``runtime`` (seconds: the end time shown), ``art`` (``thumb``, ``tvshow.fanart``,
  ``tvshow.poster``, ``tvshow.landscape``, ``tvshow.clearart``, ``tvshow.clearlogo``);
- ``play_url``: opened with ``Player.Open`` when the user (or the countdown) plays next;
- ``notification_time``: seconds before the end at which the popup shows (else its setting).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any, Dict, Mapping, Optional, Union

from ..constants import ADDON_ID
from .choose import NextEpisode

SENDER = ADDON_ID + ".SIGNAL"
MESSAGE = "upnext_data"
METHOD = "JSONRPC.NotifyAll"

# Kodi's ListItem art names -> service.upnext's names (the show's art is "tvshow." + name).
_ART_NAMES = {
    "thumb": "thumb",
    "fanart": "tvshow.fanart",
    "poster": "tvshow.poster",
    "landscape": "tvshow.landscape",
    "clearart": "tvshow.clearart",
    "clearlogo": "tvshow.clearlogo",
}

EpisodeInfo = Union[NextEpisode, Mapping[str, Any]]


def _as_mapping(info: EpisodeInfo) -> Mapping[str, Any]:
    if isinstance(info, NextEpisode):
        return dataclasses.asdict(info)
    return info


def _art(art: Any) -> Dict[str, str]:
    if not isinstance(art, Mapping):
        return {}
    result = {}
    for name, value in art.items():
        target = _ART_NAMES.get(name, name if str(name).startswith("tvshow.") else None)
        if target and isinstance(value, str) and value:
            result[target] = value
    return result


def episode_entry(info: EpisodeInfo) -> Dict[str, Any]:
    """One episode in service.upnext's form, from a ``NextEpisode`` or a mapping with the same
    field names plus the optional ``plot``, ``rating``, ``playcount`` and ``art`` (Kodi art
    names: thumb, poster, fanart, landscape, clearart, clearlogo)."""
    info = _as_mapping(info)
    season, number = int(info["season"]), int(info["number"])
    ids = info.get("ids") or {}
    # service.upnext only compares ids (current against next): without a Trakt id the position
    # in the show still tells the two apart.
    episode_id = ids.get("trakt") or season * 100000 + number
    entry: Dict[str, Any] = {
        "episodeid": episode_id,
        "tvshowid": info.get("show_id") or 0,
        "title": info.get("title") or "",
        "season": season,
        "episode": number,
        "showtitle": info.get("show_title") or "",
        "plot": info.get("plot") or "",
        # 0 by default: our rule offers the episode after this one even when it was watched,
        # and service.upnext would skip a next episode with plays.
        "playcount": int(info.get("playcount") or 0),
        "firstaired": (info.get("first_aired") or "")[:10],
        "art": _art(info.get("art")),
    }
    if info.get("rating") is not None:
        entry["rating"] = float(info["rating"])
    if info.get("runtime"):
        entry["runtime"] = int(info["runtime"]) * 60  # the mirror holds minutes
    return entry


def upnext_data(
    current: EpisodeInfo,
    next: EpisodeInfo,  # service.upnext's own name (it shadows the builtin here only)
    play_url: str,
    notification_time: Optional[float] = None,
) -> Dict[str, Any]:
    """The payload service.upnext reads: both episodes, the URL that plays the next one, and
    (when given) the seconds before the end at which it shows its popup."""
    data: Dict[str, Any] = {
        "current_episode": episode_entry(current),
        "next_episode": episode_entry(next),
        "play_url": play_url,
    }
    # service.upnext treats 0 as "not given": a lead under a second is sent as 1.
    if notification_time is not None:
        data["notification_time"] = max(1, int(round(notification_time)))
    return data


def notify_all_params(data: Mapping[str, Any]) -> Dict[str, Any]:
    """The ``JSONRPC.NotifyAll`` params that carry ``data`` to service.upnext."""
    encoded = base64.b64encode(json.dumps(data).encode("utf-8")).decode("ascii")
    return {"sender": SENDER, "message": MESSAGE, "data": [encoded]}


def jsonrpc_request(data: Mapping[str, Any]) -> str:
    """The full request text for ``xbmc.executeJSONRPC``."""
    return json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": METHOD, "params": notify_all_params(data)}
    )
