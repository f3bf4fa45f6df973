"""What is being scrobbled, and the hand-off from the plugin (which starts playback) to the
service (whose player monitor scrobbles).

Trakt accepts ``{movie: {ids}}``, ``{episode: {ids}}`` or ``{show: {ids}, episode: {season,
number}}``. The show + numbers form is preferred when the show ids are known: it resolves even
when the mirror has no episode ids.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional, Tuple

from ..constants import NOW_PLAYING_PROPERTY

ID_KEYS = ("trakt", "imdb", "tmdb", "tvdb", "slug")


def clean_ids(ids: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Only the id kinds Trakt knows, without empty values."""
    return {k: ids[k] for k in ID_KEYS if ids and ids.get(k) not in (None, "", 0)}


def iso_utc(epoch_seconds: float) -> str:
    """``2014-09-01T09:10:11.000Z`` for a POSIX timestamp."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class MediaRef:
    """A movie or an episode, by Trakt ids. Build with :meth:`movie` or :meth:`episode`."""

    kind: str
    ids: Dict[str, Any] = field(default_factory=dict)
    show_ids: Dict[str, Any] = field(default_factory=dict)
    season: Optional[int] = None
    number: Optional[int] = None

    def __post_init__(self) -> None:
        if self.kind == "movie":
            if not self.ids:
                raise ValueError("a movie needs ids")
        elif self.kind == "episode":
            by_numbers = self.show_ids and self.season is not None and self.number is not None
            if not by_numbers and not self.ids:
                raise ValueError("an episode needs show ids + season + number, or episode ids")
        else:
            raise ValueError("kind must be 'movie' or 'episode'")

    @classmethod
    def movie(cls, ids: Mapping[str, Any]) -> MediaRef:
        return cls("movie", clean_ids(ids))

    @classmethod
    def episode(
        cls,
        show_ids: Optional[Mapping[str, Any]] = None,
        season: Optional[int] = None,
        number: Optional[int] = None,
        ids: Optional[Mapping[str, Any]] = None,
    ) -> MediaRef:
        return cls(
            "episode",
            clean_ids(ids),
            clean_ids(show_ids),
            None if season is None else int(season),
            None if number is None else int(number),
        )

    @property
    def by_show(self) -> bool:
        return self.kind == "episode" and bool(self.show_ids) and self.season is not None

    @property
    def key(self) -> str:
        """A stable text key, e.g. ``movie:trakt=1`` or ``episode:show:trakt=9:1x2``."""

        def first(ids: Mapping[str, Any]) -> str:
            name = next(k for k in ID_KEYS if k in ids)
            return f"{name}={ids[name]}"

        if self.kind == "movie":
            return "movie:" + first(self.ids)
        if self.by_show:
            return f"episode:show:{first(self.show_ids)}:{self.season}x{self.number}"
        return "episode:" + first(self.ids)

    def scrobble_body(self, progress: float) -> Dict[str, Any]:
        """The JSON body of ``POST /scrobble/{start|pause|stop}``."""
        if self.kind == "movie":
            body: Dict[str, Any] = {"movie": {"ids": dict(self.ids)}}
        elif self.by_show:
            body = {
                "show": {"ids": dict(self.show_ids)},
                "episode": {"season": self.season, "number": self.number},
            }
        else:
            body = {"episode": {"ids": dict(self.ids)}}
        body["progress"] = round(float(progress), 2)
        return body

    def history_body(self, watched_at: str) -> Dict[str, Any]:
        """The JSON body of ``POST /sync/history`` for one play at ``watched_at`` (ISO UTC)."""
        if self.kind == "movie":
            return {"movies": [{"ids": dict(self.ids), "watched_at": watched_at}]}
        if self.by_show:
            episode = {"number": self.number, "watched_at": watched_at}
            season = {"number": self.season, "episodes": [episode]}
            return {"shows": [{"ids": dict(self.show_ids), "seasons": [season]}]}
        return {"episodes": [{"ids": dict(self.ids), "watched_at": watched_at}]}

    def history_lookup(self) -> Optional[Tuple[str, str]]:
        """``(type, trakt id)`` for ``GET /sync/history/{type}/{id}``, when a Trakt id is known."""
        if self.kind == "movie" and "trakt" in self.ids:
            return "movies", str(self.ids["trakt"])
        if self.kind == "episode" and "trakt" in self.ids:
            return "episodes", str(self.ids["trakt"])
        if self.by_show and "trakt" in self.show_ids:
            return "shows", str(self.show_ids["trakt"])
        return None

    def same_item(self, entry: Mapping[str, Any]) -> bool:
        """Is a ``/sync/history`` entry about this movie or episode?"""
        if self.kind == "movie":
            ids = (entry.get("movie") or {}).get("ids") or {}
            return any(ids.get(k) == v for k, v in self.ids.items())
        episode = entry.get("episode") or {}
        if self.by_show:
            return episode.get("season") == self.season and episode.get("number") == self.number
        ids = episode.get("ids") or {}
        return any(ids.get(k) == v for k, v in self.ids.items())

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"kind": self.kind, "ids": dict(self.ids)}
        if self.kind == "episode":
            data.update(show_ids=dict(self.show_ids), season=self.season, number=self.number)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MediaRef:
        if data.get("kind") == "movie":
            return cls.movie(data.get("ids") or {})
        return cls.episode(
            data.get("show_ids"), data.get("season"), data.get("number"), data.get("ids")
        )


@dataclass
class NowPlaying:
    """What the plugin just started, handed to the service through a ``Window(10000)`` property.

    The plugin writes ``to_json()`` into :data:`NOW_PLAYING_PROPERTY` before resolving the
    URL; the player monitor reads it in ``onAVStarted`` and checks :meth:`matches` against
    ``Player.getPlayingFile()``. ``path`` is the URL given to Kodi (it may hold a debrid
    token: keep it out of logs). ``seek_percent``: the item has saved progress but no known
    runtime, so Kodi starts at 0 and the player monitor seeks there once it knows the length.
    ``traits``: the chosen stream's ``upnext.streams.StreamTraits.to_dict()`` (Up Next prefers
    the same release for the next episode); empty when unknown (older JSON has none).
    """

    media: MediaRef
    path: str = ""
    runtime_minutes: Optional[float] = None
    resume_percent: float = 0.0
    title: str = ""
    created_at: float = field(default_factory=time.time)
    seek_percent: float = 0.0
    traits: Dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "media": self.media.to_dict(),
                "path": self.path,
                "runtime_minutes": self.runtime_minutes,
                "resume_percent": self.resume_percent,
                "title": self.title,
                "created_at": self.created_at,
                "seek_percent": self.seek_percent,
                "traits": self.traits,
            }
        )

    @classmethod
    def from_json(cls, text: Optional[str]) -> Optional[NowPlaying]:
        """Parse the property; None when it is empty or not ours."""
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(
                media=MediaRef.from_dict(data["media"]),
                path=str(data.get("path") or ""),
                runtime_minutes=data.get("runtime_minutes"),
                resume_percent=float(data.get("resume_percent") or 0.0),
                title=str(data.get("title") or ""),
                created_at=float(data.get("created_at") or 0.0),
                seek_percent=float(data.get("seek_percent") or 0.0),
                traits=_text_map(data.get("traits")),
            )
        except (ValueError, KeyError, TypeError, StopIteration):
            return None

    def matches(self, playing_file: str) -> bool:
        """True when Kodi plays the URL we resolved (headers after ``|`` ignored)."""
        if not self.path:
            return True
        return playing_file.split("|", 1)[0] == self.path.split("|", 1)[0]


def _text_map(value: Any) -> Dict[str, str]:
    """A JSON object of texts (the ``traits``); anything else, or a non-text value, is left out."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


__all__ = ["ID_KEYS", "NOW_PLAYING_PROPERTY", "MediaRef", "NowPlaying", "clean_ids", "iso_utc"]
