"""Personal and liked lists: ``/users/{me|slug}/lists[/{id}/items[/remove]]``,
``/users/likes/lists``, and the ``list_*`` control mutations.

``/users/{id}/lists`` is not paginated (Trakt's contract); list items and likes are. Adding to a
full list of a free account answers 420 with ``X-Account-Limit`` (see ``userlists``).
"""

from __future__ import annotations

from typing import Any, Dict, List

from . import bodyitems, userlists
from .routes_lists import media_fields
from .state import kind_of
from .timeutil import iso
from .web import ApiError, Request, Response, json_response, paginate, routes

_LIST = r"/users/(?P<user>[^/]+)/lists/(?P<list>[^/]+)"
_TYPES = {
    kind + plural: kind for kind in ("movie", "show", "season", "episode") for plural in ("", "s")
}


def list_json(app: Any, found: userlists.TraktList) -> Dict[str, Any]:
    mine = found.owner is app.state.user
    return {
        "name": found.name,
        "description": None,
        "privacy": "private" if mine else "public",
        "share_link": "https://trakt.tv/lists/%d" % found.id,
        "type": "personal",
        "display_numbers": False,
        "allow_comments": True,
        "sort_by": "rank",
        "sort_how": "asc",
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
        "item_count": len(found.entries),
        "comment_count": 0,
        "likes": 1 if found.id in userlists.of(app.state).liked else 0,
        "ids": {"trakt": found.id, "slug": found.slug},
        "user": {
            "username": found.owner["username"],
            "private": False,
            "name": found.owner.get("name"),
            "vip": bool(found.owner.get("vip")),
            "ids": {"slug": found.owner["slug"]},
        },
    }


def _is_me(app: Any, user: str) -> bool:
    return user == "me" or user == app.state.user["slug"]


def _target(app: Any, request: Request, own: bool) -> userlists.TraktList:
    lists = userlists.of(app.state)
    user, ref = request.params["user"] or "", request.params["list"]
    found = lists.find(ref)
    if found is None or (_is_me(app, user) and found.id not in lists.own):
        raise ApiError(404, {"error": "list not found"})
    if not _is_me(app, user) and found.owner["slug"] != user:
        raise ApiError(404, {"error": "list not found"})
    if own and found.id not in lists.own:
        raise ApiError(401, {"error": "not your list"})
    return found


@routes.route("GET", r"/users/likes/lists", auth=True)
def liked_lists(request: Request, app: Any) -> Response:
    rows = userlists.of(app.state).liked_lists()

    def render(row: Any) -> Dict[str, Any]:
        return {"liked_at": iso(row[0]), "type": "list", "list": list_json(app, row[1])}

    return paginate(request, rows, render, max_limit=userlists.of(app.state).page_limit)


@routes.route("GET", r"/users/(?P<user>[^/]+)/lists", auth=True)
def personal_lists(request: Request, app: Any) -> Response:
    if not _is_me(app, request.params["user"] or ""):
        raise ApiError(404, {"error": "user not found"})
    lists = userlists.of(app.state)
    return json_response([list_json(app, found) for found in lists.own.values()])


@routes.route("GET", _LIST + r"/items(?:/(?P<type>[a-z,]+))?", auth=True)
def list_items(request: Request, app: Any) -> Response:
    found = _target(app, request, own=False)
    wanted = {_TYPES.get(t, t) for t in (request.params.get("type") or "").split(",") if t}
    entries = [e for e in found.entries if not wanted or kind_of(e.item) in wanted]
    ranks = {e.id: n for n, e in enumerate(found.entries, 1)}

    def render(entry: userlists.ListEntry) -> Dict[str, Any]:
        out = {"rank": ranks[entry.id], "id": entry.id, "listed_at": iso(entry.listed_at),
               "notes": None, "type": kind_of(entry.item)}  # fmt: skip
        out.update(media_fields(entry.item))
        return out

    return paginate(request, entries, render, max_limit=userlists.of(app.state).page_limit)


def _summary(found: userlists.TraktList) -> Dict[str, Any]:
    return {"updated_at": iso(found.updated_at), "item_count": len(found.entries)}


@routes.route("POST", _LIST + r"/items", auth=True)
def list_add(request: Request, app: Any) -> Response:
    found = _target(app, request, own=True)
    lists = userlists.of(app.state)
    resolved, not_found = bodyitems.resolve(app.state.catalog, request.json_object())
    items = [obj for _, obj, _ in resolved]
    new = [item for item in items if not found.has(item)]
    limit = lists.item_limit()
    if new and len(found.entries) + len(new) > limit:
        raise ApiError(
            420,
            {"error": "account limit exceeded"},
            headers={"X-Upgrade-URL": "https://trakt.tv/vip",
                     "X-VIP-User": "true" if app.state.user.get("vip") else "false",
                     "X-Account-Limit": str(limit)},
        )  # fmt: skip
    existing = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
    for item in items:
        if found.has(item):
            existing[kind_of(item) + "s"] += 1
    added = lists.add(found, items)
    body = {"added": added, "existing": existing, "not_found": not_found, "list": _summary(found)}
    return json_response(body, 201)


@routes.route("POST", _LIST + r"/items/remove", auth=True)
def list_remove(request: Request, app: Any) -> Response:
    found = _target(app, request, own=True)
    resolved, not_found = bodyitems.resolve(app.state.catalog, request.json_object())
    deleted = userlists.of(app.state).remove(found, [obj for _, obj, _ in resolved])
    return json_response({"deleted": deleted, "not_found": not_found, "list": _summary(found)})


# -- control mutations (``/_sandbox/mutate`` with op ``list_*``) ----------------------------------
def _items(app: Any, args: Dict[str, Any]) -> List[Any]:
    catalog = app.state.catalog
    found: List[Any] = []
    for movie in args.get("movies") or []:
        found.append(catalog.movies[int(movie)])
    for show in args.get("shows") or []:
        found.append(catalog.shows[int(show)])
    return found


def apply_list_mutation(app: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    """``list_create`` {name, movies, shows}, ``list_add`` / ``list_remove`` {list, movies,
    shows}, ``list_foreign`` {name, username, movies, shows} (another user's list),
    ``list_like`` / ``list_unlike`` {list}, ``list_vip`` {vip}, ``list_page_limit`` {limit},
    ``list_item_limit`` {items}."""
    lists = userlists.of(app.state)
    op = args.get("op")
    if op == "list_page_limit":  # the largest page the list routes answer (Trakt caps some)
        lists.page_limit = max(1, int(args.get("limit") or 250))
        return {"page_limit": lists.page_limit}
    if op == "list_item_limit":  # a free account's items per list (100 on Trakt)
        lists.free_item_limit = max(1, int(args.get("items") or 100))
        return {"free_item_limit": lists.free_item_limit}
    if op == "list_vip":
        app.state.user["vip"] = bool(args.get("vip"))
        return {"vip": app.state.user["vip"]}
    if op in ("list_create", "list_foreign"):
        name = str(args.get("name") or "Sandbox list")
        if op == "list_create":
            created = lists.create(name)
        else:
            created = lists.create_foreign(name, str(args.get("username") or "someone-else"))
        items = _items(app, args)
        if items:
            lists.add(created, items)
        return {"id": created.id, "slug": created.slug}
    found = lists.find(args.get("list"))
    if found is None:
        raise ApiError(404, {"error": "list not found"})
    if op == "list_add":
        return {"added": lists.add(found, _items(app, args))}
    if op == "list_remove":
        return {"deleted": lists.remove(found, _items(app, args))}
    if op == "list_like":
        return {"liked_at": iso(lists.like(found))}
    if op == "list_unlike":
        return {"unliked": lists.unlike(found)}
    raise ApiError(400, {"error": f"unknown op {op!r}"})
