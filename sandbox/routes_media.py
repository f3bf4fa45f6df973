"""Show/movie metadata, show progress, user settings and stats."""

from __future__ import annotations

from typing import Any, Dict

from .catalog import Show, episode_json, is_aired, movie_json, season_json, show_json
from .progress import show_progress
from .timeutil import iso
from .web import ApiError, Request, Response, json_response, routes

_ID = r"(?P<id>[^/]+)"


def _show(request: Request, app: Any) -> Show:
    show = app.state.catalog.find("show", request.params["id"])
    if show is None:
        raise ApiError(404, {"error": "show not found"})
    return show


@routes.route("GET", "/shows/" + _ID)
def show_summary(request: Request, app: Any) -> Response:
    show = _show(request, app)
    return json_response(
        show_json(show, "full" in request.extended(), aired=len(show.aired_episodes(app.now())))
    )


@routes.route("GET", "/movies/" + _ID)
def movie_summary(request: Request, app: Any) -> Response:
    movie = app.state.catalog.find("movie", request.params["id"])
    if movie is None:
        raise ApiError(404, {"error": "movie not found"})
    return json_response(movie_json(movie, "full" in request.extended()))


@routes.route("GET", "/shows/" + _ID + "/seasons")
def seasons(request: Request, app: Any) -> Response:
    show = _show(request, app)
    extended = request.extended()
    now = app.now()
    out = []
    for number in sorted(show.seasons):
        season = show.seasons[number]
        row: Dict[str, Any] = season_json(season)
        episodes = [season.episodes[n] for n in sorted(season.episodes)]
        if "full" in extended:
            row.update(
                title="Specials" if number == 0 else f"Season {number}",
                episode_count=len(episodes),
                aired_episodes=sum(1 for e in episodes if is_aired(e, now)),
                first_aired=iso(episodes[0].first_aired) if episodes else None,
            )
        if "episodes" in extended:
            row["episodes"] = [episode_json(e, full=True) for e in episodes]
        out.append(row)
    return json_response(out)


@routes.route("GET", "/shows/" + _ID + r"/seasons/(?P<season>\d+)")
def season_episodes(request: Request, app: Any) -> Response:
    season = _show(request, app).seasons.get(int(request.params["season"]))
    if season is None:
        raise ApiError(404, {"error": "season not found"})
    return json_response(
        [episode_json(season.episodes[n], full=True) for n in sorted(season.episodes)]
    )


@routes.route("GET", "/shows/" + _ID + "/progress/watched", auth=True)
def progress_watched(request: Request, app: Any) -> Response:
    show = _show(request, app)
    result = show_progress(app.state, show, app.now())
    return json_response(
        {
            "aired": result.aired,
            "completed": result.completed,
            "last_watched_at": iso(result.last_at),
            "reset_at": iso(app.state.reset_at.get(show.trakt)),
            "seasons": result.seasons,
            "hidden_seasons": [],
            "next_episode": episode_json(result.next_episode) if result.next_episode else None,
            "last_episode": episode_json(result.last_episode) if result.last_episode else None,
        }
    )


@routes.route("GET", "/users/settings", auth=True)
def settings(request: Request, app: Any) -> Response:
    user = app.state.user
    vip = bool(user.get("vip"))
    return json_response(
        {
            "user": {
                "username": user["username"],
                "private": False,
                "name": user["name"],
                "vip": vip,
                "vip_ep": False,
                "ids": {"slug": user["slug"], "uuid": "sandbox-" + user["slug"]},
                "joined_at": "2015-01-01T00:00:00.000Z",
                "location": "",
                "about": "",
                "gender": None,
                "age": None,
                "images": {"avatar": {"full": ""}},
            },
            "account": {
                "timezone": "UTC",
                "date_format": "dd/mm/yy",
                "time_24hr": True,
                "cover_image": None,
            },
            "connections": {},
            "sharing_text": {"watching": "", "watched": "", "rated": ""},
            "limits": {
                "list": {"count": 100 if vip else 2, "item_count": 5000 if vip else 100},
                "watchlist": {"item_count": 5000 if vip else 250},
                "favorites": {"item_count": 100 if vip else 50},
                "collection": {"item_count": 100000 if vip else 1000},
                "notes": {"item_count": 100 if vip else 20},
            },
        }
    )


@routes.route("GET", "/users/" + _ID + "/stats", auth=True)
def stats(request: Request, app: Any) -> Response:
    state = app.state
    ref = request.params["id"]
    if ref not in ("me", state.user["slug"]):
        raise ApiError(404, {"error": "user not found"})
    catalog = state.catalog
    movie_plays = episode_plays = movie_minutes = episode_minutes = 0
    movies_watched = episodes_watched = 0
    shows = set()
    for trakt, plays in state.plays.items():
        movie = catalog.movies.get(trakt)
        if movie is not None:
            movies_watched += 1
            movie_plays += len(plays)
            movie_minutes += len(plays) * movie.runtime
        else:
            episode = catalog.episodes[trakt]
            episodes_watched += 1
            episode_plays += len(plays)
            episode_minutes += len(plays) * episode.runtime
            shows.add(episode.show.trakt)
    collected = sum(1 for t in state.collection if t in catalog.movies)
    by_kind = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
    distribution = {str(n): 0 for n in range(1, 11)}
    for trakt, (rating, _) in state.ratings.items():
        distribution[str(rating)] += 1
        if trakt in catalog.movies:
            by_kind["movies"] += 1
        elif trakt in catalog.shows:
            by_kind["shows"] += 1
        elif trakt in catalog.seasons:
            by_kind["seasons"] += 1
        else:
            by_kind["episodes"] += 1
    return json_response(
        {
            "movies": {
                "plays": movie_plays,
                "watched": movies_watched,
                "minutes": movie_minutes,
                "collected": collected,
                "ratings": by_kind["movies"],
                "comments": 0,
            },
            "shows": {
                "watched": len(shows),
                "collected": 0,
                "ratings": by_kind["shows"],
                "comments": 0,
            },
            "seasons": {"ratings": by_kind["seasons"], "comments": 0},
            "episodes": {
                "plays": episode_plays,
                "watched": episodes_watched,
                "minutes": episode_minutes,
                "collected": len(state.collection) - collected,
                "ratings": by_kind["episodes"],
                "comments": 0,
            },
            "network": {"friends": 0, "followers": 0, "following": 0},
            "ratings": {"total": len(state.ratings), "distribution": distribution},
        }
    )


@routes.route("GET", "/search/imdb/" + _ID)
def search_by_imdb(request: Request, app: Any) -> Response:
    """ID lookup: a list of ``{type, score, movie|show}``; empty when the id is unknown."""
    wanted = [t for t in request.query.get("type", "movie,show").split(",") if t]
    out = []
    for kind in ("movie", "show"):
        imdb = request.params["id"]
        found = (
            app.state.catalog.find(kind, imdb) if imdb.startswith("tt") and kind in wanted else None
        )
        if found is not None:
            body = movie_json(found) if kind == "movie" else show_json(found)
            out.append({"type": kind, "score": 1000, kind: body})
    return json_response(out)
