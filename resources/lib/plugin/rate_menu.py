"""*Rate...* in the context menu of every movie, show and episode the mirror knows by Trakt id.

The entry runs ``RunPlugin(...?action=context&op=rate&type=<movie|show|episode>&trakt=...)``
(an episode: ``show``, ``season``, ``number`` and its own ``trakt`` when known). The context route
(``context_menu.run``) calls :func:`choose`: the ids are checked like every context call's, the
select offers 10 down to 1 (the current rating marked) and *Remove rating*, and the answer
becomes an outbox ``rate`` / ``unrate`` (``kodi.rating_prompt.action_for``); the route then queues
it, which changes the mirror's rating at once.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from resources.lib.database.trakt_sync.items import as_int
from resources.lib.kodi import strings
from resources.lib.plugin.urls import number_param, url_for

OP = "rate"
MEDIA_TYPES = ("movie", "show", "episode")
Entry = Tuple[int, str]


def entry(media_type: str, **ids: Any) -> List[Entry]:
    """The *Rate...* entry (none without the Trakt ids the outbox needs). An id below 1 is none
    (a collected episode's own key is negative); a season may be 0 (specials)."""
    ids = {
        k: v for k, v in ids.items() if isinstance(v, int) and (v > 0 or (k == "season" and v == 0))
    }
    if media_type == "episode":
        if not ids.get("show") or ids.get("season") is None or not ids.get("number"):
            return []
    elif media_type not in MEDIA_TYPES or not ids.get("trakt"):
        return []
    return [(strings.RATE, "RunPlugin(%s)" % url_for("context", op=OP, type=media_type, **ids))]


def row_entries(row: Dict[str, Any], view: str) -> List[Entry]:
    """*Rate...* for a Trakt list row (Next Up, In Progress, watchlists, collection, lists)."""
    kind = row.get("type") or ("episode" if view == "next_up" else "movie")
    if kind == "episode":
        return entry(
            "episode",
            show=as_int(row.get("show_trakt_id")),
            season=as_int(row.get("season")),
            number=as_int(row.get("number")),
            trakt=as_int(row.get("trakt_id")),
        )
    return entry(kind, trakt=as_int(row.get("trakt_id")))


def item_entries(item: Any) -> List[Entry]:
    """*Rate...* for a catalog item or search result the mirror knows (``browse.records.Item``)."""
    media_type = {"movie": "movie", "series": "show"}.get(item.media_type)
    if media_type is None:
        return []
    return entry(media_type, trakt=as_int(item.mark.trakt_id))


def episode_entries(show: Any, episode: Any) -> List[Entry]:
    """*Rate...* for an aired episode of a season page whose show the mirror knows."""
    if not episode.aired:
        return []
    show_id = as_int(show.mark.trakt_id)
    return entry("episode", show=show_id, season=episode.season, number=episode.number)


def parse_ids(params: Dict[str, str]) -> Tuple[str, Dict[str, Any]]:
    """(media_type, LocalAction ids) of a rate call; ValueError when anything is off."""
    from resources.lib.database.trakt_sync import outbox

    media_type = params.get("type", "")
    if media_type not in MEDIA_TYPES:
        raise ValueError("rate does not apply to a %s" % media_type)
    ids = {
        "trakt_id": number_param(params, "trakt"),
        "show_id": number_param(params, "show"),
        "season": number_param(params, "season"),
        "number": number_param(params, "number"),
    }
    outbox.LocalAction(outbox.UNRATE, media_type, **ids).validate()  # the ids' own checks
    return media_type, ids


def choose(params: Dict[str, str], labels: Optional[Dict[str, Any]] = None) -> Any:
    """The rate / unrate action the user picks (None: cancelled). ValueError for a bad call."""
    from resources.lib.kodi.context import build_context
    from resources.lib.kodi.rating_prompt import action_for, ask_rating

    media_type, ids = parse_ids(params)
    key = (media_type, ids["trakt_id"], ids["show_id"], ids["season"], ids["number"])
    ctx = build_context()
    try:
        current = ctx.db.ratings_for([key])[0]
    finally:
        ctx.close()
    return action_for(media_type, ask_rating(current), **ids)


__all__ = ["OP", "choose", "entry", "episode_entries", "item_entries", "parse_ids", "row_entries"]
