"""What to play: the play route's query, read into a :class:`PlayRequest` (untrusted text).

The ids become the Stremio id AIOStreams is asked for and the Trakt item the player monitor
scrobbles; :meth:`PlayRequest.retry_url` builds the one-time "try the next stream" URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from resources.lib.aiostreams.streams import Stream, stream_key
from resources.lib.database.trakt_sync.items import as_int
from resources.lib.plugin.urls import play_url
from resources.lib.scrobble.media import MediaRef

_KINDS = ("movie", "episode")
_YES = ("1", "true")  # the only values of a switch in the query; anything else is off
# The request's fields a retry URL carries over unchanged, in the order the URL lists them.
_RETRY_FIELDS = tuple(
    "trakt imdb tmdb show show_imdb show_tmdb season episode title show_title runtime".split()
)


def _float(value: Any) -> Optional[float]:
    try:
        number = float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and number == number and number > 0 else None


@dataclass
class PlayRequest:
    """What to play, read from the query (all values are untrusted text)."""

    kind: str
    trakt: Optional[int] = None
    imdb: str = ""
    tmdb: Optional[int] = None
    show: Optional[int] = None
    show_imdb: str = ""
    show_tmdb: Optional[int] = None
    season: Optional[int] = None
    episode: Optional[int] = None
    title: str = ""
    show_title: str = ""
    runtime: Optional[float] = None
    attempt: int = 1
    exclude: str = ""
    select: bool = False  # ``select=1``: always the source select, never autoplay
    extra: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: Dict[str, str]) -> Optional[PlayRequest]:
        kind = params.get("type", "")
        if kind not in _KINDS:
            return None
        request = cls(
            kind=kind,
            trakt=as_int(params.get("trakt")),
            imdb=_imdb(params.get("imdb")),
            tmdb=as_int(params.get("tmdb")),
            show=as_int(params.get("show")),
            show_imdb=_imdb(params.get("show_imdb")),
            show_tmdb=as_int(params.get("show_tmdb")),
            season=as_int(params.get("season")),
            episode=as_int(params.get("episode")),
            title=params.get("title", "")[:200],
            show_title=params.get("show_title", "")[:200],
            runtime=_float(params.get("runtime")),
            attempt=max(1, as_int(params.get("attempt")) or 1),
            exclude=params.get("exclude", "")[:40],
            select=params.get("select") in _YES,
        )
        return request if request.stremio_id() else None

    def stremio_id(self) -> str:
        """``tt…`` / ``tt…:S:E`` (or the ``tmdb:`` forms AIOStreams also accepts)."""
        if self.kind == "movie":
            if self.imdb:
                return self.imdb
            return f"tmdb:{self.tmdb}" if self.tmdb else ""
        if self.season is None or self.episode is None:
            return ""
        if self.show_imdb:
            return f"{self.show_imdb}:{self.season}:{self.episode}"
        return f"tmdb:{self.show_tmdb}:{self.season}:{self.episode}" if self.show_tmdb else ""

    @property
    def stremio_type(self) -> str:
        return "movie" if self.kind == "movie" else "series"

    def media(self) -> Optional[MediaRef]:
        """The scrobble target, None when Trakt could not identify it."""
        try:
            if self.kind == "movie":
                return MediaRef.movie({"trakt": self.trakt, "imdb": self.imdb, "tmdb": self.tmdb})
            return MediaRef.episode(
                {"trakt": self.show, "imdb": self.show_imdb, "tmdb": self.show_tmdb},
                self.season,
                self.episode,
                ids={"trakt": self.trakt, "imdb": self.imdb, "tmdb": self.tmdb},
            )
        except ValueError:
            return None

    def unique_ids(self) -> Dict[str, str]:
        ids = {"trakt": self.trakt, "imdb": self.imdb, "tmdb": self.tmdb}
        return {k: str(v) for k, v in ids.items() if v}

    def retry_url(self, failed: Stream) -> str:
        """The same request, one attempt further, leaving out the stream that failed."""
        params: Dict[str, Any] = {"type": self.kind}
        params.update((name, getattr(self, name)) for name in _RETRY_FIELDS)
        params.update(attempt=self.attempt + 1, exclude=stream_key(failed))
        return play_url(**params)


def _imdb(value: Optional[str]) -> str:
    text = (value or "").strip()
    return text if text.startswith("tt") and text[2:].isdigit() else ""


__all__ = ["PlayRequest", "stream_key"]
