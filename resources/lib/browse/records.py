"""The browse pages as plain records: what a Kodi folder or a CLI listing shows.

Every page carries a :class:`Status`; the front end turns a status other than ``OK`` into one
clear item or dialog (strings.po), never an empty folder. ``message`` is the instance's own
text when AIOStreams reported an error (shown as is), else empty.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional, Tuple

from ..aiostreams.catalog import CatalogDef


class Status(str, enum.Enum):
    """Outcome of building a page; the front end maps each to a strings.po id."""

    OK = "ok"
    EMPTY = "empty"  # the catalog or search has nothing (first page)
    END = "end"  # a "Next page" found nothing more
    NO_RESULTS = "no_results"  # a search found nothing
    NO_MANIFEST = "no_manifest"  # no AIOStreams manifest URL configured
    NO_SEARCH_CATALOGS = "no_search_catalogs"  # the manifest has no catalog taking "search"
    UNKNOWN_CATALOG = "unknown_catalog"  # not (or no longer) in the manifest
    NOT_FOUND = "not_found"  # no meta for this id
    UNREACHABLE = "unreachable"  # network error or timeout
    RATE_LIMITED = "rate_limited"
    INSTANCE_ERROR = "instance_error"  # AIOStreams' own error text in ``message``
    BAD_RESPONSE = "bad_response"
    ABORTED = "aborted"


@dataclass(frozen=True)
class Art:
    """Artwork URLs; any may be missing (then the front end shows text only)."""

    poster: Optional[str] = None
    fanart: Optional[str] = None
    logo: Optional[str] = None
    thumb: Optional[str] = None

    @property
    def empty(self) -> bool:
        return not (self.poster or self.fanart or self.logo or self.thumb)


@dataclass(frozen=True)
class Mark:
    """The Trakt mirror's state of one movie, show or episode.

    ``playcount``: plays in Trakt's history; ``watched``: counts as watched (for an episode,
    watched since the show's reset; for a show, every aired episode watched);
    ``resume_percent``: Trakt's saved progress (0 = none); ``next_up``: the episode Next Up
    would play; ``completed``/``aired``: a show's progress; ``rating``: the user's own rating
    (1-10, None: not rated).
    """

    playcount: int = 0
    watched: bool = False
    resume_percent: float = 0.0
    next_up: bool = False
    in_watchlist: bool = False
    completed: int = 0
    aired: Optional[int] = None
    trakt_id: Optional[int] = None
    rating: Optional[int] = None

    def resume_seconds(self, runtime_minutes: Optional[int]) -> Optional[int]:
        """The resume point in seconds when the runtime is known (Trakt stores a percent)."""
        if not self.resume_percent or not runtime_minutes:
            return None
        return int(runtime_minutes * 60 * self.resume_percent / 100.0)


NO_MARK = Mark()


@dataclass(frozen=True)
class Item:
    """One movie or show in a catalog page, search result or list."""

    media_type: str  # the catalog's type: movie, series, anime, ...
    stremio_id: str
    imdb_id: Optional[str]
    title: str
    year: Optional[int] = None
    plot: Optional[str] = None
    rating: Optional[float] = None
    genres: Tuple[str, ...] = ()
    runtime: Optional[int] = None  # minutes
    art: Art = Art()
    mark: Mark = NO_MARK

    @property
    def is_movie(self) -> bool:
        return self.media_type == "movie"


@dataclass(frozen=True)
class CatalogPage:
    """One page of a catalog. ``next_skip`` is the ``skip`` of the next page, None at the end."""

    status: Status
    catalog: Optional[CatalogDef]
    items: Tuple[Item, ...] = ()
    genre: Optional[str] = None
    skip: int = 0
    next_skip: Optional[int] = None
    page_size: int = 0
    message: str = ""
    errors: Tuple[str, ...] = ()  # item-level errors AIOStreams appended (an add-on failed)
    from_cache: bool = False


@dataclass(frozen=True)
class SearchResults:
    """A search merged over several catalogs, duplicates (same IMDb id) removed."""

    status: Status
    query: str
    media_type: str  # movie | series | all
    items: Tuple[Item, ...] = ()
    message: str = ""
    failed: Tuple[str, ...] = ()  # names of the catalogs that failed (others answered)
    requests: int = 0


@dataclass(frozen=True)
class Episode:
    """One episode of a season page. ``aired`` False: dimmed, not playable."""

    stremio_id: str
    season: int
    number: int
    title: Optional[str]
    plot: Optional[str]
    released: Optional[str]
    aired: bool
    art: Art = Art()
    mark: Mark = NO_MARK

    @property
    def playable(self) -> bool:
        return self.aired


@dataclass(frozen=True)
class Season:
    """One season of a show page (season 0 is the specials, listed last)."""

    number: int
    episode_count: int
    aired_count: int
    watched_count: int
    art: Art = Art()
    rating: Optional[int] = None  # the user's own rating of the season

    @property
    def is_specials(self) -> bool:
        return self.number == 0


@dataclass(frozen=True)
class ShowPage:
    status: Status
    show: Optional[Item] = None
    seasons: Tuple[Season, ...] = ()
    next_up: Optional[Tuple[int, int]] = None  # (season, number) Next Up would play
    message: str = ""
    from_cache: bool = False


@dataclass(frozen=True)
class SeasonPage:
    status: Status
    show: Optional[Item] = None
    season: int = 0
    episodes: Tuple[Episode, ...] = ()
    message: str = ""
    from_cache: bool = False


@dataclass(frozen=True)
class MoviePage:
    status: Status
    movie: Optional[Item] = None
    message: str = ""
    from_cache: bool = False
