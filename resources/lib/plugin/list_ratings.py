"""The user's own Trakt ratings on the items of a list page (Next Up, In Progress, watchlists,
collection, Trakt lists): read from the mirror in ONE query per page (``db.ratings_for``) and put
on each item as ``user_rating`` (``kodi.directory`` shows it)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Sequence, Tuple

from resources.lib.database.trakt_sync.items import as_int
from resources.lib.kodi.directory import Item

log = logging.getLogger(__name__)

_KODI_TO_TRAKT = {"tvshow": "show", "movie": "movie", "episode": "episode", "season": "season"}


def rating_key(row: Dict[str, Any], item: Item) -> Tuple[Any, ...]:
    """(media_type, trakt_id, show_id, season, number) of a list row."""
    media_type = row.get("type") or _KODI_TO_TRAKT.get(item.mediatype, item.mediatype)
    if media_type == "episode":
        return (
            "episode",
            as_int(row.get("trakt_id")),
            as_int(row.get("show_trakt_id") or row.get("show_id")),
            as_int(row.get("season")),
            as_int(row.get("number")),
        )
    return (media_type, as_int(row.get("trakt_id")), None, None, None)


def with_ratings(db: Any, rows: Sequence[Dict[str, Any]], items: List[Item]) -> List[Item]:
    """``items`` (one per row) with the user's ratings; a failed read leaves them unrated."""
    if not rows:
        return items
    try:
        found = db.ratings_for([rating_key(row, item) for row, item in zip(rows, items)])
    except Exception:  # a rating is an extra: the list shows without it
        log.warning("Ratings could not be read; listing without them", exc_info=True)
        return items
    for item, rating in zip(items, found):
        if rating is not None:
            item.user_rating = int(rating)
    return items
