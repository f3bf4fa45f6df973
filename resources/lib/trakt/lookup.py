"""Trakt ids of an item known only by its IMDb id: ``GET /search/imdb/{id}?type=movie|show``.

Catalog and search items the mirror does not know have no Trakt id, and every outbox write
needs one. Trakt's ID lookup answers a list of ``{type, score, movie|show: {title, year, ids}}``
(empty when Trakt does not know the id). One request, no retry loop beyond the client's own:
this runs while the user waits for a context-menu action. The outcome is a code; the front end
turns it into words.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Optional

from resources.lib.trakt import errors

log = logging.getLogger(__name__)

FOUND = "found"
NOT_FOUND = "not_found"  # Trakt answered and does not know the id
UNREACHABLE = "unreachable"  # network down, timeout, Trakt down or rate limited
FAILED = "failed"  # anything else (bad answer, refused request)

IMDB_ID = re.compile(r"^tt[0-9]{1,10}$")
TYPES = ("movie", "show")


@dataclass(frozen=True)
class Lookup:
    """The outcome of one lookup; ``trakt_id``/``title``/``year`` are set when ``FOUND``."""

    status: str
    trakt_id: Optional[int] = None
    title: Optional[str] = None
    year: Optional[int] = None


def is_imdb_id(text: Any) -> bool:
    return isinstance(text, str) and bool(IMDB_ID.match(text))


def trakt_ids(client: Any, imdb_id: str, media_type: str) -> Lookup:
    """Resolve ``imdb_id`` (a movie or show) to its Trakt id with ONE request.

    ValueError for an id or type that is not ours to send (the caller validated them)."""
    if not is_imdb_id(imdb_id):
        raise ValueError("not an IMDb id")
    if media_type not in TYPES:
        raise ValueError("lookup is for movies and shows")
    try:
        found = client.get("/search/imdb/%s" % imdb_id, params={"type": media_type})
    except (errors.NetworkError, errors.ServerError, errors.RateLimited) as exc:
        log.warning("Trakt lookup of %s: Trakt unreachable (%s)", imdb_id, type(exc).__name__)
        return Lookup(UNREACHABLE)
    except errors.NotFound:
        return Lookup(NOT_FOUND)
    except errors.TraktError as exc:
        log.warning("Trakt lookup of %s failed: %s", imdb_id, type(exc).__name__)
        return Lookup(FAILED)
    return _pick(found, imdb_id, media_type)


def _pick(found: Any, imdb_id: str, media_type: str) -> Lookup:
    """The result of ``media_type`` whose IMDb id is the one asked for (Trakt may answer more)."""
    if not isinstance(found, list):
        log.warning("Trakt lookup of %s: the answer is not a list", imdb_id)
        return Lookup(FAILED)
    for result in found:
        if not isinstance(result, dict) or result.get("type") != media_type:
            continue
        media = result.get(media_type)
        ids = media.get("ids") if isinstance(media, dict) else None
        trakt = ids.get("trakt") if isinstance(ids, dict) else None
        if isinstance(trakt, bool) or not isinstance(trakt, int) or trakt <= 0:
            continue
        if ids.get("imdb") not in (None, imdb_id):
            continue
        title = media.get("title")
        year = media.get("year")
        return Lookup(
            FOUND,
            trakt_id=trakt,
            title=title if isinstance(title, str) and title else None,
            year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        )
    return Lookup(NOT_FOUND)


__all__ = ["FAILED", "FOUND", "NOT_FOUND", "UNREACHABLE", "Lookup", "is_imdb_id", "trakt_ids"]
