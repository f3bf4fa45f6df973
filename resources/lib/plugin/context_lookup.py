"""Context actions on items the Trakt mirror does not know: resolve the Trakt id first.

A catalog or search item that is not in the mirror carries only its IMDb id (``imdb=tt...``)
in its context entries. When the user picks one, :func:`resolve` asks Trakt once
(``trakt.lookup``) under a short busy dialog, and the action goes on with the Trakt id and the
title/year Trakt gave (the label of the new watchlist row). Trakt unreachable, an id Trakt does
not know, or no Trakt sign-in: one notification and nothing is queued.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Optional

from resources.lib.trakt import lookup

log = logging.getLogger(__name__)

# h23-unknown-items (strings.po 31530-31549)
LOOKUP_UNREACHABLE = 31530
LOOKUP_NOT_FOUND = 31531
LOOKUP_FAILED = 31532
LOOKUP_NOT_SIGNED_IN = 31533

_MESSAGES = {
    lookup.UNREACHABLE: LOOKUP_UNREACHABLE,
    lookup.NOT_FOUND: LOOKUP_NOT_FOUND,
    lookup.FAILED: LOOKUP_FAILED,
}
# the ops an unknown item can offer (nothing to remove or hide for an item not in the mirror)
UNKNOWN_OPS = {
    "movie": ("mark_watched", "watchlist_add", "list_add"),
    "show": ("watchlist_add", "list_add"),
    "episode": ("mark_watched",),  # ``imdb``: the show's; the lookup gives the show's id
}


def needs_lookup(params: Dict[str, str]) -> bool:
    """A call that names an item by IMDb id only."""
    return "imdb" in params and not params.get("trakt") and not params.get("show")


def check(params: Dict[str, str]) -> None:
    """ValueError unless the op, type and IMDb id are ones an unknown item can use."""
    if not lookup.is_imdb_id(params.get("imdb")):
        raise ValueError("imdb is not an IMDb id")
    if params.get("op") not in UNKNOWN_OPS.get(params.get("type", ""), ()):
        raise ValueError("op does not apply to an item known by IMDb id")
    if params["type"] == "episode":
        for name in ("season", "number"):
            if not params.get(name, "").isdigit() or len(params[name]) > 10:
                raise ValueError("%s is not a number" % name)


def resolve(
    params: Dict[str, str],
    client: Any,
    notify: Callable[[str], None],
    busy: Callable[[bool], None],
) -> Optional[Dict[str, str]]:
    """``params`` with ``trakt`` (and ``title``/``year``) from ONE Trakt lookup, or None after
    one notification (``notify`` gets the localized words). ``client``: None when Trakt is not
    signed in. ValueError for a call an unknown item cannot make."""
    from resources.lib.kodi.localize import localize

    check(params)
    imdb = params["imdb"]
    if client is None:
        notify(localize(LOOKUP_NOT_SIGNED_IN))
        return None
    busy(True)
    try:
        kind = "show" if params["type"] == "episode" else params["type"]
        found = lookup.trakt_ids(client, imdb, kind)
    finally:
        busy(False)
    if found.status != lookup.FOUND:
        log.info("Trakt lookup of %s: %s", imdb, found.status)
        notify(localize(_MESSAGES.get(found.status, LOOKUP_FAILED), imdb=imdb))
        return None
    if params["type"] == "episode":  # an episode is named by its show, season and number
        return dict(params, show=str(found.trakt_id))
    resolved = dict(params, trakt=str(found.trakt_id))
    if found.title:
        resolved["title"] = found.title
    if found.year:
        resolved["year"] = str(found.year)
    return resolved


def labels(params: Dict[str, str]) -> Dict[str, Any]:
    """The label fields of a resolved call for ``LocalAction`` (title, year, imdb_id); none
    for an episode (its IMDb id is the show's)."""
    if params.get("type") == "episode":
        return {}
    year = params.get("year", "")
    return {
        "title": params.get("title") or None,
        "year": int(year) if year.isdigit() and int(year) > 0 else None,
        "imdb_id": params.get("imdb") if lookup.is_imdb_id(params.get("imdb")) else None,
    }


__all__ = ["UNKNOWN_OPS", "check", "labels", "needs_lookup", "resolve"]
