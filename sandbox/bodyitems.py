"""Reading Trakt request bodies ``{movies, shows, seasons, episodes}`` into catalogue objects."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from .catalog import Catalog, Episode, Movie, Season, Show, is_aired
from .timeutil import parse_time
from .web import ApiError

SECTIONS = (("movies", "movie"), ("shows", "show"), ("seasons", "season"), ("episodes", "episode"))

Found = List[Tuple[str, Any, Dict[str, Any]]]


def resolve(catalog: Catalog, body: Dict[str, Any]) -> Tuple[Found, Dict[str, List[Any]]]:
    """[(kind, object, entry)] for every entry found, and Trakt's ``not_found`` document."""
    found: Found = []
    not_found: Dict[str, List[Any]] = {key: [] for key, _ in SECTIONS}
    for key, kind in SECTIONS:
        entries = body.get(key) or []
        if not isinstance(entries, list):
            raise ApiError(400, {"error": f"{key} must be a list"})
        for entry in entries:
            ids = entry.get("ids") if isinstance(entry, dict) else None
            obj = catalog.find_by_ids(kind, ids)
            if obj is None:
                not_found[key].append(entry)
            else:
                found.append((kind, obj, entry))
    return found, not_found


def parse_watched_at(value: Any, item: Any, now: int) -> Optional[int]:
    """None (meaning now), ``"released"`` (the air/release date) or an ISO date."""
    if value is None:
        return None
    if value == "released":
        stamp = item.first_aired if isinstance(item, Episode) else item.released
        return stamp if stamp is not None else None
    try:
        return parse_time(value, now)
    except ValueError as exc:
        raise ApiError(400, {"error": str(exc)}) from exc


def expand(
    catalog: Catalog, kind: str, obj: Any, entry: Dict[str, Any], now: int, aired_only: bool
) -> List[Tuple[Any, Any]]:
    """[(movie|episode, raw watched_at)] that an entry stands for (shows and seasons expand)."""
    stamp = entry.get("watched_at")
    if isinstance(obj, (Movie, Episode)):
        return [(obj, stamp)]

    def episodes_of(season: Season, default: Any) -> List[Tuple[Any, Any]]:
        return [
            (e, default)
            for _, e in sorted(season.episodes.items())
            if not aired_only or is_aired(e, now)
        ]

    if isinstance(obj, Season):
        return episodes_of(obj, stamp)
    assert isinstance(obj, Show)
    wanted = entry.get("seasons")
    out: List[Tuple[Any, Any]] = []
    if not wanted:
        for number in sorted(obj.seasons):
            if number > 0 or not aired_only:
                out.extend(episodes_of(obj.seasons[number], stamp))
        return out
    for season_entry in wanted:
        season = obj.seasons.get(int(season_entry.get("number", -1)))
        if season is None:
            continue
        season_stamp = season_entry.get("watched_at", stamp)
        if not season_entry.get("episodes"):
            out.extend(episodes_of(season, season_stamp))
            continue
        for episode_entry in season_entry["episodes"]:
            episode = season.episodes.get(int(episode_entry.get("number", -1)))
            if episode is not None:
                out.append((episode, episode_entry.get("watched_at", season_stamp)))
    return out
