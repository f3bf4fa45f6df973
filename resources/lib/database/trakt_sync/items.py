"""Lenient parsing of Trakt items into plain column values.

Trakt responses grow new keys and sometimes carry nulls or wrong types; a malformed item is
skipped with a log line (``MalformedItem``) and the rest of the category still syncs.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any, Dict, Optional

log = logging.getLogger(__name__)


class MalformedItem(ValueError):
    """One item of a Trakt response cannot be used."""


# SQLite stores signed 64-bit integers; a larger value would fail the whole unit's transaction
# (OverflowError) instead of skipping the one malformed item.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def as_int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        result = value
    elif isinstance(value, float) and value.is_integer():
        result = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        result = int(value.strip())
    else:
        return None
    return result if _INT_MIN <= result <= _INT_MAX else None


# An episode without its own Trakt id is keyed by its numbers, packed into bit fields so no two
# episodes share a key (show*100000 + season*1000 + number did: a daily show's season is a year).
_SHOW_LIMIT, _NUMBER_LIMIT = 2**31, 2**16


def episode_key(show_id: Any, season: Any, number: Any) -> Optional[int]:
    """The negative key of an episode the mirror does not know by its own Trakt id (a queued
    rating, a collected episode Trakt lists by number only); None when a part is missing or out
    of range (show 1 to 2**31 - 1, season and number 0 to 65535)."""
    show, season_number, episode = as_int(show_id), as_int(season), as_int(number)
    if show is None or season_number is None or episode is None:
        return None
    if not (0 < show < _SHOW_LIMIT and 0 <= season_number < _NUMBER_LIMIT):
        return None
    if not 0 <= episode < _NUMBER_LIMIT:
        return None
    return -((show << 32) | (season_number << 16) | episode)


def as_float(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_str(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def as_dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def trakt_id(obj: Any, what: str = "item") -> int:
    """The Trakt id of a media object, or MalformedItem."""
    ids = as_dict(as_dict(obj).get("ids"))
    value = as_int(ids.get("trakt"))
    if value is None or value <= 0:
        raise MalformedItem("%s without a Trakt id" % what)
    return value


def media_columns(obj: Any) -> Dict[str, Any]:
    """Common columns of a movie/show/episode object (ids, title, year)."""
    obj = as_dict(obj)
    ids = as_dict(obj.get("ids"))
    return {
        "slug": as_str(ids.get("slug")),
        "imdb_id": as_str(ids.get("imdb")),
        "tmdb_id": as_int(ids.get("tmdb")),
        "tvdb_id": as_int(ids.get("tvdb")),
        "title": as_str(obj.get("title")),
        "year": as_int(obj.get("year")),
    }


LISTED_TYPES = ("movie", "show", "season", "episode")


def listed_entry(item: Any, where: str) -> Dict[str, Any]:
    """The columns of one entry of the watchlist or of a list (the two share Trakt's shape).

    ``entry_id`` is the entry's own id; ``show_id``, ``show_title``, ``season`` and ``number``
    are set for a season (its number in ``season``) or an episode, else None.
    """
    item = as_dict(item)
    media_type = item.get("type")
    if media_type not in LISTED_TYPES:
        raise MalformedItem("%s entry of type %r is not kept" % (where, media_type))
    media = as_dict(item.get(media_type))
    row = media_columns(media)
    row.update(
        media_type=media_type,
        trakt_id=trakt_id(media, media_type),
        entry_id=as_int(item.get("id")),
        rank=as_int(item.get("rank")),
        listed_at=iso_time(item.get("listed_at")),
        notes=as_str(item.get("notes")),
        show_id=None,
        show_title=None,
        season=None,
        number=None,
    )
    if media_type in ("season", "episode"):
        show = as_dict(item.get("show"))
        row["show_id"] = as_int(as_dict(show.get("ids")).get("trakt"))
        row["show_title"] = as_str(show.get("title"))
        row["season"] = as_int(media.get("season" if media_type == "episode" else "number"))
        row["number"] = as_int(media.get("number")) if media_type == "episode" else None
    return row


def parse_time(value: Any) -> Optional[datetime.datetime]:
    """Parse Trakt's ISO 8601 UTC times (with or without fraction/zone, or a plain date)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def iso_time(value: Any) -> Optional[str]:
    """Canonical form ``YYYY-MM-DDTHH:MM:SS.mmmZ`` so stored times compare as strings."""
    parsed = parse_time(value)
    if parsed is None:
        return None
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (parsed.microsecond // 1000)


def now_iso(now: Optional[float] = None) -> str:
    now = time.time() if now is None else now
    stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (stamp.microsecond // 1000)


def skip(category: str, item: Any, reason: Exception) -> None:
    log.warning("%s: skipped a malformed item (%s): %.200r", category, reason, item)
