"""Watchlist, hidden items, collection and ratings endpoints."""

from __future__ import annotations

from typing import Any, Dict, List

from . import bodyitems
from .catalog import Episode, Movie, Season, Show, episode_json, movie_json, season_json, show_json
from .state import HIDDEN_SECTIONS, WatchlistEntry, kind_of
from .timeutil import iso, parse_time
from .web import ApiError, Request, Response, json_response, paginate, routes

_SECTION_RE = "(?P<section>{})".format("|".join(HIDDEN_SECTIONS))


def media_fields(item: Any, full: bool = False) -> Dict[str, Any]:
    """``{"movie": ...}``, ``{"show": ...}``, ``{"season": ..., "show": ...}`` or episode+show."""
    if isinstance(item, Movie):
        return {"movie": movie_json(item, full)}
    if isinstance(item, Show):
        return {"show": show_json(item, full)}
    if isinstance(item, Season):
        return {"season": season_json(item), "show": show_json(item.show)}
    return {"episode": episode_json(item, full), "show": show_json(item.show)}


# -- watchlist -------------------------------------------------------------------------------
@routes.route(
    "GET",
    r"/sync/watchlist(?:/(?P<type>all|movies|shows|seasons|episodes)"
    r"(?:/(?P<sort>rank|added|released|title)(?:/(?P<order>asc|desc))?)?)?",
    auth=True,
)
def watchlist(request: Request, app: Any) -> Response:
    entries = sorted(app.state.watchlist.values(), key=lambda e: (e.listed_at, e.id))
    ranks = {e.id: n for n, e in enumerate(entries, 1)}
    kind = request.params.get("type") or "all"
    sort = request.params.get("sort") or "rank"
    order = request.params.get("order") or "asc"
    if kind != "all":
        entries = [e for e in entries if kind_of(e.item) + "s" == kind]
    keys = {
        "rank": lambda e: ranks[e.id],
        "added": lambda e: (e.listed_at, e.id),
        "released": lambda e: (e.item.year or 0, e.id),
        "title": lambda e: (e.item.title.lower(), e.id),
    }
    entries.sort(key=keys[sort], reverse=order == "desc")
    full = "full" in request.extended()

    def render(entry: WatchlistEntry) -> Dict[str, Any]:
        out = {
            "rank": ranks[entry.id],
            "id": entry.id,
            "listed_at": iso(entry.listed_at),
            "notes": entry.notes,
            "type": kind_of(entry.item),
        }
        out.update(media_fields(entry.item, full))
        return out

    return paginate(request, entries, render, headers={"X-Sort-By": sort, "X-Sort-How": order})


def _list_summary(app: Any) -> Dict[str, Any]:
    return {
        "updated_at": iso(app.state.activities["watchlist"]["updated_at"]),
        "item_count": len(app.state.watchlist),
    }


def _movies_and_shows(found: list, not_found: Dict[str, List[Any]]) -> List[Any]:
    items = []
    for kind, obj, entry in found:
        if kind in ("movie", "show"):
            items.append(obj)
        else:
            not_found[kind + "s"].append(entry)
    return items


@routes.route("POST", "/sync/watchlist", auth=True)
def watchlist_add(request: Request, app: Any) -> Response:
    state = app.state
    body = request.json_object()
    found, not_found = bodyitems.resolve(state.catalog, body)
    items = _movies_and_shows(found, not_found)
    existing = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
    for item in items:
        if item.trakt in state.watchlist:
            existing[kind_of(item) + "s"] += 1
    added = state.watchlist_add(items, notes=None)
    return json_response(
        {
            "added": added,
            "existing": existing,
            "not_found": not_found,
            "list": _list_summary(app),
        },
        201,
    )


@routes.route("POST", "/sync/watchlist/remove", auth=True)
def watchlist_remove(request: Request, app: Any) -> Response:
    state = app.state
    found, not_found = bodyitems.resolve(state.catalog, request.json_object())
    deleted = state.watchlist_remove(_movies_and_shows(found, not_found))
    return json_response({"deleted": deleted, "not_found": not_found, "list": _list_summary(app)})


# -- hidden ----------------------------------------------------------------------------------
@routes.route("GET", "/users/hidden/" + _SECTION_RE, auth=True)
def hidden(request: Request, app: Any) -> Response:
    state = app.state
    section = request.params["section"]
    wanted = request.query.get("type")
    rows = sorted(
        (
            (stamp, kind, trakt)
            for (sec, kind, trakt), stamp in state.hidden.items()
            if sec == section and (not wanted or wanted == kind)
        ),
        reverse=True,
    )
    tables = {"movie": state.catalog.movies, "show": state.catalog.shows}

    def render(row: Any) -> Dict[str, Any]:
        stamp, kind, trakt = row
        item = tables.get(kind, state.catalog.seasons).get(trakt)
        out: Dict[str, Any] = {"hidden_at": iso(stamp), "type": kind}
        out.update(media_fields(item))
        return out

    return paginate(request, rows, render)


def _hidden_items(app: Any, request: Request) -> Any:
    found, not_found = bodyitems.resolve(app.state.catalog, request.json_object())
    items = []
    for kind, obj, entry in found:
        if kind == "episode":
            not_found["episodes"].append(entry)
        else:
            items.append(obj)
    not_found.setdefault("users", [])
    return items, not_found


@routes.route("POST", "/users/hidden/" + _SECTION_RE, auth=True)
def hidden_add(request: Request, app: Any) -> Response:
    items, not_found = _hidden_items(app, request)
    added = app.state.hide(request.params["section"], items)
    return json_response({"added": added, "not_found": not_found}, 201)


@routes.route("POST", "/users/hidden/" + _SECTION_RE + "/remove", auth=True)
def hidden_remove(request: Request, app: Any) -> Response:
    items, not_found = _hidden_items(app, request)
    deleted = app.state.unhide(request.params["section"], items)
    return json_response({"deleted": deleted, "not_found": not_found})


# -- collection ------------------------------------------------------------------------------
@routes.route("GET", r"/sync/collection/(?P<type>movies|shows)", auth=True)
def collection(request: Request, app: Any) -> Response:
    state = app.state
    full = "full" in request.extended()
    if request.params["type"] == "movies":
        rows = sorted(
            (
                (stamp, trakt)
                for trakt, stamp in state.collection.items()
                if trakt in state.catalog.movies
            ),
            reverse=True,
        )

        def render_movie(row: Any) -> Dict[str, Any]:
            stamp, trakt = row
            return {
                "collected_at": iso(stamp),
                "updated_at": iso(stamp),
                "movie": movie_json(state.catalog.movies[trakt], full),
            }

        return paginate(request, rows, render_movie)
    per_show: Dict[int, Dict[Episode, int]] = {}
    for trakt, stamp in state.collection.items():
        episode = state.catalog.episodes.get(trakt)
        if episode is not None:
            per_show.setdefault(episode.show.trakt, {})[episode] = stamp
    shows = sorted(per_show.items(), key=lambda kv: (max(kv[1].values()), kv[0]), reverse=True)

    def render_show(row: Any) -> Dict[str, Any]:
        show_id, episodes = row
        seasons: Dict[int, List[Dict[str, Any]]] = {}
        for episode, stamp in sorted(episodes.items(), key=lambda kv: kv[0].number):
            seasons.setdefault(episode.season, []).append(
                {"number": episode.number, "collected_at": iso(stamp)}
            )
        last = iso(max(episodes.values()))
        return {
            "last_collected_at": last,
            "last_updated_at": last,
            "show": show_json(state.catalog.shows[show_id], full),
            "seasons": [{"number": n, "episodes": seasons[n]} for n in sorted(seasons)],
        }

    return paginate(request, shows, render_show)


def _collection_change(request: Request, app: Any, add: bool) -> Response:
    state, now = app.state, app.now()
    found, not_found = bodyitems.resolve(state.catalog, request.json_object())
    items = []
    for kind, obj, entry in found:
        items.extend(i for i, _ in bodyitems.expand(state.catalog, kind, obj, entry, now, add))
    counts = state.collect(items, add=add)
    if add:
        return json_response(
            {"added": counts, "updated": {}, "existing": {}, "not_found": not_found}, 201
        )
    return json_response({"deleted": counts, "not_found": not_found})


@routes.route("POST", "/sync/collection", auth=True)
def collection_add(request: Request, app: Any) -> Response:
    return _collection_change(request, app, add=True)


@routes.route("POST", "/sync/collection/remove", auth=True)
def collection_remove(request: Request, app: Any) -> Response:
    return _collection_change(request, app, add=False)


# -- ratings ---------------------------------------------------------------------------------
@routes.route(
    "GET",
    r"/sync/ratings(?:/(?P<type>movies|shows|seasons|episodes|all)(?:/(?P<rating>[0-9,]+))?)?",
    auth=True,
)
def ratings(request: Request, app: Any) -> Response:
    state = app.state
    kind = request.params.get("type") or "all"
    wanted = request.params.get("rating")
    allowed = {int(r) for r in wanted.split(",") if r} if wanted else None
    catalog = state.catalog
    rows = []
    for trakt, (rating, stamp) in state.ratings.items():
        item = (
            catalog.movies.get(trakt)
            or catalog.shows.get(trakt)
            or catalog.seasons.get(trakt)
            or catalog.episodes.get(trakt)
        )
        if kind != "all" and kind_of(item) + "s" != kind:
            continue
        if allowed is not None and rating not in allowed:
            continue
        rows.append((stamp, trakt, rating, item))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)

    def render(row: Any) -> Dict[str, Any]:
        stamp, _, rating, item = row
        out = {"rated_at": iso(stamp), "rating": rating, "type": kind_of(item)}
        out.update(media_fields(item))
        return out

    return paginate(request, rows, render)


FREE_RATINGS = 10000  # Trakt's free-account ratings (2026); ``ratings_limit`` lowers it
VIP_RATINGS = 20000


def _rating_targets(app: Any, body: Dict[str, Any], add: bool) -> Any:
    """[(item, rating, entry)] a ratings body names, with Trakt's nesting: a show entry with
    ``seasons`` names those seasons (a season with ``episodes``: those episodes), each with its
    own ``rating``; a show with a ``rating`` of its own is rated too. And ``not_found``."""
    found, not_found = bodyitems.resolve(app.state.catalog, body)
    targets = []
    for kind, obj, entry in found:
        wanted = entry.get("seasons") if kind == "show" else None
        if not wanted or entry.get("rating") is not None:
            targets.append((obj, entry.get("rating"), entry))
        for season_entry in wanted or []:
            season = obj.seasons.get(int(season_entry.get("number", -1)))
            if season is None:
                not_found["seasons"].append(season_entry)
                continue
            episodes = season_entry.get("episodes")
            if not episodes or season_entry.get("rating") is not None:
                targets.append((season, season_entry.get("rating"), season_entry))
            for episode_entry in episodes or []:
                episode = season.episodes.get(int(episode_entry.get("number", -1)))
                if episode is None:
                    not_found["episodes"].append(episode_entry)
                else:
                    targets.append((episode, episode_entry.get("rating"), episode_entry))
    if add:
        for _, rating, _ in targets:
            if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 10:
                raise ApiError(400, {"error": "rating must be an integer 1-10"})
    return targets, not_found


def ratings_limit(app: Any) -> int:
    if app.state.user.get("vip"):
        return VIP_RATINGS
    return int(getattr(app.state, "free_ratings_limit", FREE_RATINGS))


@routes.route("POST", "/sync/ratings", auth=True)
def ratings_add(request: Request, app: Any) -> Response:
    state = app.state
    targets, not_found = _rating_targets(app, request.json_object(), add=True)
    new = {obj.trakt for obj, _, _ in targets if obj.trakt not in state.ratings}
    limit = ratings_limit(app)
    if new and len(state.ratings) + len(new) > limit:
        raise ApiError(
            420,
            {"error": "account limit exceeded"},
            headers={"X-Upgrade-URL": "https://trakt.tv/vip",
                     "X-VIP-User": "true" if state.user.get("vip") else "false",
                     "X-Account-Limit": str(limit)},
        )  # fmt: skip
    added = state.rate([(obj, rating) for obj, rating, _ in targets])
    for obj, rating, entry in targets:  # Trakt keeps the rated_at it is sent
        if entry.get("rated_at"):
            try:
                stamp = parse_time(entry["rated_at"])
            except ValueError as exc:
                raise ApiError(400, {"error": str(exc)}) from exc
            state.ratings[obj.trakt] = (int(rating), stamp)
    return json_response({"added": added, "not_found": not_found}, 201)


@routes.route("POST", "/sync/ratings/remove", auth=True)
def ratings_remove(request: Request, app: Any) -> Response:
    targets, not_found = _rating_targets(app, request.json_object(), add=False)
    deleted = app.state.rate([(obj, None) for obj, _, _ in targets])
    return json_response({"deleted": deleted, "not_found": not_found})
