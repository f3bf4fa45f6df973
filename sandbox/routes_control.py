"""The control API under ``/_sandbox/``: drive the device flow and tokens, mutate the account
as if the user used trakt.tv, inject faults, read the request log and the truth.

Control requests need no auth, never match faults and are not logged.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict

from .catalog import Show
from .progress import truth
from .state import HIDDEN_SECTIONS, State
from .timeutil import parse_time
from .web import ApiError, Request, Response, json_response, routes

C = "/_sandbox/"


def _control(method: str, name: str) -> Callable:
    return routes.route(method, C + name, kind="control")


# -- device flow and tokens --------------------------------------------------------------------
def _device(app: Any, request: Request) -> Any:
    body = request.json_object()
    code = app.oauth.find_device(str(body.get("user_code") or body.get("device_code") or ""))
    if code is None:
        raise ApiError(404, {"error": "unknown user_code"})
    return code


@_control("POST", "approve")
def approve(request: Request, app: Any) -> Response:
    _device(app, request).status = "approved"
    return json_response({"ok": True})


@_control("POST", "deny")
def deny(request: Request, app: Any) -> Response:
    _device(app, request).status = "denied"
    return json_response({"ok": True})


@_control("POST", "expire")
def expire(request: Request, app: Any) -> Response:
    _device(app, request).expires_at = time.time() - 1
    return json_response({"ok": True})


@_control("GET", "device")
def devices(request: Request, app: Any) -> Response:
    return json_response(app.oauth.device_list())


@_control("POST", "tokens")
def tokens(request: Request, app: Any) -> Response:
    body = request.json_object()
    if "lifetime" in body:
        app.oauth.token_lifetime = float(body["lifetime"])
    expired = app.oauth.expire_all() if body.get("expire_all") else 0
    return json_response({"lifetime": app.oauth.token_lifetime, "expired": expired})


@_control("POST", "issue_token")
def issue_token(request: Request, app: Any) -> Response:
    return json_response(app.oauth.issue())


@_control("POST", "config")
def config(request: Request, app: Any) -> Response:
    body = request.json_object()
    oauth = app.oauth
    if "device_interval" in body:
        oauth.device_interval = float(body["device_interval"])
    if "device_expires_in" in body:
        oauth.device_expires_in = float(body["device_expires_in"])
    if "auto_approve" in body:
        oauth.auto_approve = bool(body["auto_approve"])
    if "scrobble_window" in body:
        app.scrobble_window = float(body["scrobble_window"])
    return json_response(
        {
            "device_interval": oauth.device_interval,
            "device_expires_in": oauth.device_expires_in,
            "auto_approve": oauth.auto_approve,
            "scrobble_window": app.scrobble_window,
            "token_lifetime": oauth.token_lifetime,
        }
    )


# -- mutations ---------------------------------------------------------------------------------
def _find(state: State, kind: str, ref: Any) -> Any:
    if kind not in ("movie", "show", "season", "episode"):
        raise ApiError(400, {"error": f"bad type {kind!r}"})
    found = state.catalog.find(kind, ref) if ref is not None else None
    if found is None:
        raise ApiError(404, {"error": f"{kind} {ref!r} not found"})
    return found


def _episode(state: State, args: Dict[str, Any]) -> Any:
    show = _find(state, "show", args.get("show"))
    found = state.catalog.episode_at(show, args.get("season", -1), args.get("number", -1))
    if found is None:
        raise ApiError(404, {"error": f"episode not found: {args!r}"})
    return found


def _when(args: Dict[str, Any]) -> Any:
    value = args.get("watched_at")
    try:
        return None if value is None else parse_time(value)
    except ValueError as exc:
        raise ApiError(400, {"error": str(exc)}) from exc


def _target(state: State, args: Dict[str, Any]) -> Any:
    """``{type, id}`` or, for episodes, ``{type: episode, show, season, number}``."""
    if args.get("type") == "episode" and "id" not in args:
        return _episode(state, args)
    return _find(state, str(args.get("type")), args.get("id"))


def _section(args: Dict[str, Any]) -> str:
    if args.get("type") not in ("movie", "show", "season"):
        raise ApiError(400, {"error": "hidden items are movies, shows or seasons"})
    section = args.get("section")
    if section not in HIDDEN_SECTIONS:
        raise ApiError(
            400, {"error": "section must be one of {}".format(", ".join(HIDDEN_SECTIONS))}
        )
    return section


def apply_mutation(app: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    """Run one ``{"op": ...}`` mutation (caller holds the lock)."""
    state: State = app.state
    op = args.get("op")
    if op == "watch_episode":
        added = state.watch([(_episode(state, args), _when(args))])
        return {"added": added, "history_id": state.last_history_ids[0]}
    if op == "unwatch_episode":
        return {"deleted": state.unwatch(state.history_ids_for(_episode(state, args)))}
    if op == "watch_movie":
        added = state.watch([(_find(state, "movie", args.get("movie")), _when(args))])
        return {"added": added, "history_id": state.last_history_ids[0]}
    if op == "unwatch_movie":
        movie = _find(state, "movie", args.get("movie"))
        return {"deleted": state.unwatch(state.history_ids_for(movie))}
    if op == "watchlist_add":
        return {"added": state.watchlist_add([_target(state, args)], notes=args.get("notes"))}
    if op == "watchlist_remove":
        return {"deleted": state.watchlist_remove([_target(state, args)])}
    if op == "playback_set":
        if args.get("type") == "movie":
            item = _find(state, "movie", args.get("movie", args.get("id")))
        else:
            item = _episode(state, args)
        return {"id": state.set_playback(item, float(args.get("progress", 50))).id}
    if op == "playback_remove":
        if not state.remove_playback(int(args.get("id", -1))):
            raise ApiError(404, {"error": "playback not found"})
        return {}
    if op == "hide":
        return {"added": state.hide(_section(args), [_target(state, args)])}
    if op == "unhide":
        return {"deleted": state.unhide(_section(args), [_target(state, args)])}
    if op == "reset_show":
        show: Show = _find(state, "show", args.get("show"))
        return {"reset_at": state.reset_show(show)}
    if op == "rename_user":
        state.rename_user(str(args.get("username") or "renamed-user"))
        return {"user": state.user}
    if op == "switch_user":
        app.switch_user(
            str(args.get("username") or "other-user"), args.get("account"), args.get("seed")
        )
        return {"user": app.state.user}
    if op == "collect":
        return {"added": state.collect([_target(state, args)], add=True)}
    if op == "uncollect":
        return {"deleted": state.collect([_target(state, args)], add=False)}
    if op == "rate":
        rating = args.get("rating")
        if rating is not None and not (isinstance(rating, int) and 1 <= rating <= 10):
            raise ApiError(400, {"error": "rating must be 1-10 or null"})
        return {"rated": state.rate([(_target(state, args), rating)])}
    if op == "ratings_limit":  # a free account's ratings (10,000 on Trakt), lowered for tests
        state.free_ratings_limit = max(1, int(args.get("items") or 10000))
        return {"free_ratings_limit": state.free_ratings_limit}
    if isinstance(op, str) and op.startswith("list_"):
        from .routes_userlists import apply_list_mutation  # lists live in their own modules

        return apply_list_mutation(app, args)
    raise ApiError(400, {"error": f"unknown op {op!r}"})


@_control("POST", "mutate")
def mutate(request: Request, app: Any) -> Response:
    result = apply_mutation(app, request.json_object())
    result["ok"] = True
    return json_response(result)


# -- faults, slowness, request log, truth ------------------------------------------------------
@_control("POST", "faults")
def faults_add(request: Request, app: Any) -> Response:
    return json_response({"ok": True, "fault": app.faults.add(request.json_object()).describe()})


@_control("DELETE", "faults")
def faults_clear(request: Request, app: Any) -> Response:
    app.faults.clear()
    return json_response({"ok": True})


@_control("GET", "faults")
def faults_list(request: Request, app: Any) -> Response:
    return json_response(app.faults.pending())


@_control("POST", "slow")
def slow(request: Request, app: Any) -> Response:
    app.faults.global_delay = max(0.0, float(request.json_object().get("delay", 0)))
    return json_response({"delay": app.faults.global_delay})


@_control("GET", "requests")
def requests_log(request: Request, app: Any) -> Response:
    return json_response(app.log.snapshot())


@_control("POST", "requests/reset")
def requests_reset(request: Request, app: Any) -> Response:
    app.log.reset()
    return json_response({"ok": True})


@_control("GET", "truth")
def truth_view(request: Request, app: Any) -> Response:
    extra = request.query.get("extra") in ("1", "true")
    return json_response(truth(app.state, app.now(), extra=extra))


@_control("GET", "info")
def info(request: Request, app: Any) -> Response:
    state = app.state
    return json_response(
        {
            "account": app.account,
            "seed": app.seed,
            "user": state.user,
            "client_id": app.client_id,
            "counts": {
                "movies": len(state.catalog.movies),
                "shows": len(state.catalog.shows),
                "episodes": len(state.catalog.episodes),
                "history": len(state.history),
                "watchlist": len(state.watchlist),
                "playback": len(state.playback),
                "hidden": len(state.hidden),
                "collection": len(state.collection),
                "ratings": len(state.ratings),
            },
        }
    )
