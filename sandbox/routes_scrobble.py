"""``POST /scrobble/{start|pause|stop}``: playback progress and plays recorded by the player."""

from __future__ import annotations

import itertools
from typing import Any, Dict

from .catalog import Movie
from .routes_sync import item_json
from .timeutil import iso
from .web import ApiError, Request, Response, json_response, routes

WATCHED_PERCENT = 80.0
_scrobble_ids = itertools.count(9_000_000_000)


def _item(app: Any, body: Dict[str, Any]) -> Any:
    catalog = app.state.catalog
    if isinstance(body.get("movie"), dict):
        found = catalog.find_by_ids("movie", body["movie"].get("ids"))
    elif isinstance(body.get("episode"), dict):
        episode = body["episode"]
        found = catalog.find_by_ids("episode", episode.get("ids"))
        if found is None and isinstance(body.get("show"), dict):
            show = catalog.find_by_ids("show", body["show"].get("ids"))
            if show is not None and "season" in episode and "number" in episode:
                found = catalog.episode_at(show, episode["season"], episode["number"])
    else:
        raise ApiError(400, {"error": "movie or episode required"})
    if found is None:
        raise ApiError(404, {"error": "item not found"})
    return found


@routes.route("POST", "/scrobble/(?P<action>start|pause|stop)", auth=True)
def scrobble(request: Request, app: Any) -> Response:
    state = app.state
    body = request.json_object()
    item = _item(app, body)
    try:
        progress = float(body.get("progress"))
    except (TypeError, ValueError) as exc:
        raise ApiError(400, {"error": "progress must be a number"}) from exc
    if progress < 1:
        raise ApiError(422, {"error": "progress must be at least 1%"})
    progress = min(progress, 100.0)
    action = request.params["action"]
    result = action
    if action == "stop" and progress >= WATCHED_PERCENT:
        now = app.now()
        previous = state.scrobbled.get(item.trakt)
        if previous is not None and now < previous[1]:
            return json_response(
                {"watched_at": iso(previous[0]), "expires_at": iso(previous[1])}, 409
            )
        state.watch([(item, None)], action="scrobble")
        watched_at = max(state.plays[item.trakt].values())
        state.scrobbled[item.trakt] = (watched_at, watched_at + int(app.scrobble_window * 1000))
        if any(e.item is item for e in state.playback.values()):
            state.touch("movies.paused_at" if isinstance(item, Movie) else "episodes.paused_at")
            state.clear_playback_for(item)
        result = "scrobble"
    elif action in ("pause", "stop"):
        state.set_playback(item, round(progress, 2))
        result = "pause"
    out: Dict[str, Any] = {
        "id": next(_scrobble_ids),
        "action": result,
        "progress": progress,
        "sharing": {"twitter": False, "mastodon": False, "tumblr": False},
    }
    out.update({k: v for k, v in item_json(item).items() if k != "type"})
    return json_response(out, 201)
