"""``/sync`` endpoints: last_activities, watched, history and playback."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from . import bodyitems
from .catalog import Movie, episode_json, movie_json, show_json
from .state import HistoryEntry, PlaybackEntry
from .timeutil import iso, parse_time
from .web import ApiError, Request, Response, json_response, paginate, routes

DAY_MS = 86_400_000


@routes.route("GET", "/sync/last_activities", auth=True)
def last_activities(request: Request, app: Any) -> Response:
    state = app.state
    out: Dict[str, Any] = {"all": iso(state.activities_all)}
    for group, keys in state.activities.items():
        out[group] = {key: iso(stamp) for key, stamp in keys.items()}
    return json_response(out)


@routes.route("GET", "/sync/watched/movies", auth=True)
def watched_movies(request: Request, app: Any) -> Response:
    state = app.state
    full = "full" in request.extended()

    def render(row: Tuple[Movie, int, int]) -> Dict[str, Any]:
        movie, plays, last = row
        return {
            "plays": plays,
            "last_watched_at": iso(last),
            "last_updated_at": iso(state.updated.get(movie.trakt, last)),
            "movie": movie_json(movie, full),
        }

    return paginate(request, state.watched_movies(), render)


@routes.route("GET", "/sync/watched/shows", auth=True)
def watched_shows(request: Request, app: Any) -> Response:
    state, now = app.state, app.now()
    extended = request.extended()
    progress, full = "progress" in extended, "full" in extended

    def render(row: Any) -> Dict[str, Any]:
        show, plays, last, episodes = row
        out: Dict[str, Any] = {
            "plays": plays,
            "last_watched_at": iso(last),
            "last_updated_at": iso(state.updated.get(show.trakt, last)),
            "reset_at": iso(state.reset_at.get(show.trakt)),
            "show": show_json(show, full, aired=len(show.aired_episodes(now))),
        }
        if progress:
            seasons: Dict[int, List[Dict[str, Any]]] = {}
            for episode, (count, seen) in episodes.items():
                seasons.setdefault(episode.season, []).append(
                    {"number": episode.number, "plays": count, "last_watched_at": iso(seen)}
                )
            out["seasons"] = [
                {"number": n, "episodes": sorted(seasons[n], key=lambda e: e["number"])}
                for n in sorted(seasons)
            ]
        return out

    return paginate(request, state.watched_shows(), render, max_limit=100 if progress else 250)


def time_window(request: Request, app: Any) -> Tuple[Optional[int], Optional[int]]:
    """``start_at``/``end_at`` as ms; a date-only ``end_at`` includes that whole day."""
    bounds: List[Optional[int]] = []
    for name in ("start_at", "end_at"):
        text = request.query.get(name)
        if not text:
            bounds.append(None)
            continue
        try:
            stamp = parse_time(text, app.now())
        except ValueError as exc:
            raise ApiError(400, {"error": f"{name}: {exc}"}) from exc
        if name == "end_at" and len(text.strip()) == 10:
            stamp += DAY_MS - 1
        bounds.append(stamp)
    return bounds[0], bounds[1]


def item_json(item: Any, full: bool = False) -> Dict[str, Any]:
    """``{type: movie, movie}`` or ``{type: episode, episode, show}``."""
    if isinstance(item, Movie):
        return {"type": "movie", "movie": movie_json(item, full)}
    return {"type": "episode", "episode": episode_json(item, full), "show": show_json(item.show)}


@routes.route(
    "GET",
    r"/sync/history(?:/(?P<type>movies|shows|seasons|episodes)(?:/(?P<id>[^/]+))?)?",
    auth=True,
)
def history(request: Request, app: Any) -> Response:
    state = app.state
    kind, ref = request.params.get("type"), request.params.get("id")
    start, end = time_window(request, app)
    full = "full" in request.extended()
    target = None
    if ref is not None:
        target = state.catalog.find(kind[:-1], ref)
        if target is None:
            raise ApiError(404, {"error": "not found"})

    def keep(entry: HistoryEntry) -> bool:
        item = entry.item
        if start is not None and entry.watched_at < start:
            return False
        if end is not None and entry.watched_at > end:
            return False
        if kind is None:
            return True
        if kind == "movies":
            return isinstance(item, Movie) and (target is None or item is target)
        if isinstance(item, Movie):
            return False
        if target is None:
            return True
        if kind == "shows":
            return item.show is target
        if kind == "seasons":
            return item.show is target.show and item.season == target.number
        return item is target

    rows = state.history_sorted()
    if kind is not None or start is not None or end is not None:
        rows = [e for e in rows if keep(e)]

    def render(entry: HistoryEntry) -> Dict[str, Any]:
        out = {"id": entry.id, "watched_at": iso(entry.watched_at), "action": entry.action}
        out.update(item_json(entry.item, full))
        return out

    return paginate(request, rows, render)


@routes.route("POST", "/sync/history", auth=True)
def history_add(request: Request, app: Any) -> Response:
    state, now = app.state, app.now()
    found, not_found = bodyitems.resolve(state.catalog, request.json_object())
    plays = []
    for kind, obj, entry in found:
        for item, raw in bodyitems.expand(state.catalog, kind, obj, entry, now, aired_only=True):
            plays.append((item, bodyitems.parse_watched_at(raw, item, now)))
    added = state.watch(plays, action="watch")
    return json_response({"added": added, "not_found": not_found}, 201)


@routes.route("POST", "/sync/history/remove", auth=True)
def history_remove(request: Request, app: Any) -> Response:
    state, now = app.state, app.now()
    body = request.json_object()
    found, not_found = bodyitems.resolve(state.catalog, body)
    ids: List[int] = []
    for kind, obj, entry in found:
        for item, _ in bodyitems.expand(state.catalog, kind, obj, entry, now, aired_only=False):
            ids.extend(state.history_ids_for(item))
    missing = []
    for raw in body.get("ids") or []:
        try:
            hid = int(raw)
        except (TypeError, ValueError):
            hid = -1
        if hid in state.history:
            ids.append(hid)
        else:
            missing.append(raw)
    not_found["ids"] = missing
    deleted = state.unwatch(sorted(set(ids)))
    return json_response({"deleted": deleted, "not_found": not_found})


@routes.route("GET", r"/sync/playback(?:/(?P<type>movies|episodes))?", auth=True)
def playback(request: Request, app: Any) -> Response:
    state = app.state
    kind = request.params.get("type")
    start, end = time_window(request, app)
    rows = [
        e
        for e in state.playback.values()
        if (kind is None or (kind == "movies") == isinstance(e.item, Movie))
        and (start is None or e.paused_at >= start)
        and (end is None or e.paused_at <= end)
    ]
    rows.sort(key=lambda e: (e.paused_at, e.id), reverse=True)

    def render(entry: PlaybackEntry) -> Dict[str, Any]:
        out = {"progress": entry.progress, "paused_at": iso(entry.paused_at), "id": entry.id}
        out.update(item_json(entry.item))
        return out

    return paginate(request, rows, render)


@routes.route("DELETE", r"/sync/playback/(?P<id>\d+)", auth=True)
def playback_delete(request: Request, app: Any) -> Response:
    if not app.state.remove_playback(int(request.params["id"])):
        raise ApiError(404, {"error": "playback not found"})
    return Response(204)
