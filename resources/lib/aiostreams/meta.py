"""Stremio meta objects as plain records: catalog previews, full metas and their videos.

AIOStreams passes through whatever its upstream add-ons send, so every field is optional and
may carry the wrong type; parsing never raises for a malformed field, it leaves it empty. A meta
preview or meta whose id starts with ``aiostreamserror.`` is not content: it is how AIOStreams
reports an error inside an HTTP 200 (``StremioTransformer.createErrorMeta``: ``name`` is the
title, ``description`` the message), and :func:`error_text` gives its text.

Records convert to and from compact JSON-able dicts (:meth:`Meta.to_dict`, :func:`meta_from_dict`)
so the meta cache stores only what the add-on shows, not the upstream add-on's extras.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

ERROR_ID_PREFIX = "aiostreamserror."
_IMDB = re.compile(r"^tt\d+$")
_YEAR = re.compile(r"(\d{4})")
_MINUTES = re.compile(r"(?:(\d+)\s*h)?\s*(\d+)?\s*(?:m|mins?|minutes?)?", re.IGNORECASE)


def _text(value: Any) -> Optional[str]:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _rating(value: Any) -> Optional[float]:
    try:
        rating = float(value)
    except (TypeError, ValueError):
        return None
    return rating if 0.0 < rating <= 10.0 else None


def _runtime_minutes(value: Any) -> Optional[int]:
    """``"142 min"``, ``"2h 22min"``, ``"45"`` or 45 -> minutes; None when unknown."""
    number = _int(value)
    if number is not None:
        return number if number > 0 else None
    text = _text(value)
    if not text:
        return None
    match = _MINUTES.fullmatch(text.strip())
    if not match or not any(match.groups()):
        return None
    hours, minutes = (int(part) if part else 0 for part in match.groups())
    total = hours * 60 + minutes
    return total or None


def _year(release_info: Optional[str], fallback: Any) -> Optional[int]:
    year = _int(fallback)
    if year and 1800 < year < 3000:
        return year
    match = _YEAR.search(release_info or "")
    return int(match.group(1)) if match else None


def _genres(value: Any) -> Tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(text for text in (_text(v) for v in value) if text))


def imdb_id_of(payload: Dict[str, Any]) -> Optional[str]:
    """The IMDb id of a meta: its ``imdb_id`` field, else its id when that is ``tt…``."""
    for candidate in (payload.get("imdb_id"), payload.get("imdbId"), payload.get("id")):
        text = _text(candidate)
        if text and _IMDB.match(text):
            return text
    return None


def is_error_meta(payload: Any) -> bool:
    """True for AIOStreams' error meta (an error reported inside an HTTP 200)."""
    return isinstance(payload, dict) and str(payload.get("id", "")).startswith(ERROR_ID_PREFIX)


def error_text(payload: Dict[str, Any]) -> str:
    """The user-facing text of an error meta: its description, else its title."""
    return _text(payload.get("description")) or _text(payload.get("name")) or "Unknown error"


@dataclass(frozen=True)
class MetaPreview:
    """One item of a catalog: what a list shows."""

    id: str
    type: str
    name: str
    imdb_id: Optional[str] = None
    poster: Optional[str] = None
    background: Optional[str] = None
    logo: Optional[str] = None
    description: Optional[str] = None
    release_info: Optional[str] = None
    year: Optional[int] = None
    imdb_rating: Optional[float] = None
    genres: Tuple[str, ...] = ()
    runtime: Optional[int] = None  # minutes

    def to_dict(self) -> Dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if v not in (None, ())}
        if self.genres:
            data["genres"] = list(self.genres)
        return data


@dataclass(frozen=True)
class Video:
    """One video of a series meta (an episode). ``released`` is an ISO time or None."""

    id: str
    season: Optional[int]
    episode: Optional[int]
    title: Optional[str] = None
    released: Optional[str] = None
    overview: Optional[str] = None
    thumbnail: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Meta(MetaPreview):
    """A full meta: the preview fields plus ``videos`` (episodes) for a series."""

    status: Optional[str] = None
    videos: Tuple[Video, ...] = field(default_factory=tuple)

    def to_dict(self) -> Dict[str, Any]:
        data = MetaPreview.to_dict(self)
        data.pop("videos", None)
        if self.videos:
            data["videos"] = [video.to_dict() for video in self.videos]
        return data


def _preview_fields(payload: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    stremio_id = _text(payload.get("id"))
    media_type = _text(payload.get("type"))
    if not stremio_id or not media_type:
        return None
    release_info = _text(payload.get("releaseInfo")) or _text(payload.get("release_info"))
    return {
        "id": stremio_id,
        "type": media_type,
        "name": _text(payload.get("name")) or _text(payload.get("title")) or stremio_id,
        "imdb_id": imdb_id_of(payload),
        "poster": _text(payload.get("poster")),
        "background": _text(payload.get("background")),
        "logo": _text(payload.get("logo")),
        "description": _text(payload.get("description")),
        "release_info": release_info,
        "year": _year(release_info, payload.get("year")),
        "imdb_rating": _rating(payload.get("imdbRating", payload.get("imdb_rating"))),
        "genres": _genres(payload.get("genres") or payload.get("genre")),
        "runtime": _runtime_minutes(payload.get("runtime")),
    }


def parse_preview(payload: Any) -> Optional[MetaPreview]:
    """A catalog item, or None when it has no id or type (or is an error meta)."""
    if not isinstance(payload, dict) or is_error_meta(payload):
        return None
    fields = _preview_fields(payload)
    return MetaPreview(**fields) if fields else None


def parse_video(payload: Any) -> Optional[Video]:
    if not isinstance(payload, dict):
        return None
    video_id = _text(payload.get("id"))
    if not video_id:
        return None
    episode = _int(payload.get("episode"))
    if episode is None:
        episode = _int(payload.get("number"))
    return Video(
        id=video_id,
        season=_int(payload.get("season")),
        episode=episode,
        title=_text(payload.get("title")) or _text(payload.get("name")),
        released=_text(payload.get("released")) or _text(payload.get("firstAired")),
        overview=_text(payload.get("overview")) or _text(payload.get("description")),
        thumbnail=_text(payload.get("thumbnail")),
    )


def parse_meta(payload: Any) -> Optional[Meta]:
    """A full meta (``{"meta": {...}}`` or the inner object); None when unusable."""
    if isinstance(payload, dict) and isinstance(payload.get("meta"), dict):
        payload = payload["meta"]
    if not isinstance(payload, dict) or is_error_meta(payload):
        return None
    fields = _preview_fields(payload)
    if fields is None:
        return None
    raw_videos = payload.get("videos")
    videos: List[Video] = []
    if isinstance(raw_videos, list):
        videos = [video for video in (parse_video(v) for v in raw_videos) if video]
    return Meta(status=_text(payload.get("status")), videos=tuple(videos), **fields)


def meta_from_dict(data: Dict[str, Any]) -> Optional[Meta]:
    """Rebuild a :class:`Meta` from :meth:`Meta.to_dict` output (the cache's stored form)."""
    if not isinstance(data, dict):
        return None
    try:
        videos = tuple(Video(**video) for video in data.get("videos") or ())
        fields = {k: v for k, v in data.items() if k != "videos"}
        fields["genres"] = tuple(fields.get("genres") or ())
        return Meta(videos=videos, **fields)
    except TypeError:
        return None  # written by another version of this module: refetch


def preview_from_dict(data: Dict[str, Any]) -> Optional[MetaPreview]:
    if not isinstance(data, dict):
        return None
    try:
        fields = dict(data)
        fields["genres"] = tuple(fields.get("genres") or ())
        return MetaPreview(**fields)
    except TypeError:
        return None


__all__ = [
    "ERROR_ID_PREFIX",
    "Meta",
    "MetaPreview",
    "Video",
    "error_text",
    "imdb_id_of",
    "is_error_meta",
    "meta_from_dict",
    "parse_meta",
    "parse_preview",
    "parse_video",
    "preview_from_dict",
]
