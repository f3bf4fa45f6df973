"""The media catalogue (movies, shows, seasons, episodes), its id indexes and JSON renderers.

Objects use ``__slots__`` so that a ``large`` account (about 100,000 objects) stays small.
Trakt ids are unique across every kind, so one integer names one object.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Union

from .timeutil import iso


class Movie:
    __slots__ = ("trakt", "slug", "title", "year", "imdb", "tmdb", "runtime", "released")

    def __init__(self, trakt: int, title: str, year: Optional[int], slug: str, **ids: Any) -> None:
        self.trakt, self.title, self.year, self.slug = trakt, title, year, slug
        self.imdb = ids.get("imdb")
        self.tmdb = ids.get("tmdb")
        self.runtime = ids.get("runtime") or 110
        self.released = ids.get("released")  # epoch ms or None


class Show:
    __slots__ = (
        "trakt",
        "slug",
        "title",
        "year",
        "imdb",
        "tmdb",
        "tvdb",
        "status",
        "runtime",
        "seasons",
    )

    def __init__(self, trakt: int, title: str, year: Optional[int], slug: str, **ids: Any) -> None:
        self.trakt, self.title, self.year, self.slug = trakt, title, year, slug
        self.imdb = ids.get("imdb")
        self.tmdb = ids.get("tmdb")
        self.tvdb = ids.get("tvdb")
        self.status = ids.get("status") or "ended"
        self.runtime = ids.get("runtime") or 45
        self.seasons: Dict[int, Season] = {}

    def ordered_episodes(self, specials: bool = False) -> List[Episode]:
        """Episodes in (season, number) order; season 0 only when ``specials``."""
        out: List[Episode] = []
        for number in sorted(self.seasons):
            if number == 0 and not specials:
                continue
            season = self.seasons[number]
            out.extend(season.episodes[n] for n in sorted(season.episodes))
        return out

    def aired_episodes(self, now: int) -> List[Episode]:
        """Regular (non-special) episodes that have aired by ``now``."""
        return [e for e in self.ordered_episodes() if is_aired(e, now)]


class Season:
    __slots__ = ("trakt", "number", "tvdb", "tmdb", "show", "episodes")

    def __init__(self, trakt: int, number: int, show: Show, **ids: Any) -> None:
        self.trakt, self.number, self.show = trakt, number, show
        self.tvdb = ids.get("tvdb")
        self.tmdb = ids.get("tmdb")
        self.episodes: Dict[int, Episode] = {}


class Episode:
    __slots__ = (
        "trakt",
        "show",
        "season",
        "number",
        "title",
        "first_aired",
        "runtime",
        "imdb",
        "tmdb",
        "tvdb",
    )

    def __init__(self, trakt: int, show: Show, season: int, number: int, **ids: Any) -> None:
        self.trakt, self.show, self.season, self.number = trakt, show, season, number
        self.title = ids.get("title")
        self.first_aired = ids.get("first_aired")  # epoch ms or None (not announced)
        self.runtime = ids.get("runtime") or show.runtime
        self.imdb = ids.get("imdb")
        self.tmdb = ids.get("tmdb")
        self.tvdb = ids.get("tvdb")


Media = Union[Movie, Show, Season, Episode]


def is_aired(episode: Episode, now: int) -> bool:
    return episode.first_aired is not None and episode.first_aired <= now


class Catalog:
    """All media objects with lookups by trakt id, slug and external ids."""

    def __init__(self) -> None:
        self.movies: Dict[int, Movie] = {}
        self.shows: Dict[int, Show] = {}
        self.seasons: Dict[int, Season] = {}
        self.episodes: Dict[int, Episode] = {}
        self._slugs: Dict[str, Dict[str, Any]] = {"movie": {}, "show": {}}
        self._external: Dict[str, Dict[Any, Any]] = {}

    def _index(self, kind: str, obj: Any, names: tuple) -> None:
        for name in names:
            value = getattr(obj, name)
            if value is not None:
                self._external.setdefault(kind + ":" + name, {}).setdefault(value, obj)

    def add_movie(self, movie: Movie) -> Movie:
        self._check_new(movie.trakt)
        self.movies[movie.trakt] = movie
        self._slugs["movie"][movie.slug] = movie
        self._index("movie", movie, ("imdb", "tmdb"))
        return movie

    def add_show(self, show: Show) -> Show:
        self._check_new(show.trakt)
        self.shows[show.trakt] = show
        self._slugs["show"][show.slug] = show
        self._index("show", show, ("imdb", "tmdb", "tvdb"))
        return show

    def add_season(self, season: Season) -> Season:
        self._check_new(season.trakt)
        self.seasons[season.trakt] = season
        season.show.seasons[season.number] = season
        self._index("season", season, ("tvdb", "tmdb"))
        return season

    def add_episode(self, episode: Episode) -> Episode:
        self._check_new(episode.trakt)
        self.episodes[episode.trakt] = episode
        episode.show.seasons[episode.season].episodes[episode.number] = episode
        self._index("episode", episode, ("imdb", "tmdb", "tvdb"))
        return episode

    def _check_new(self, trakt: int) -> None:
        if (
            trakt in self.movies
            or trakt in self.shows
            or trakt in self.seasons
            or trakt in self.episodes
        ):
            raise ValueError(f"duplicate trakt id {trakt!r}")

    def max_id(self) -> int:
        return max(
            [0] + list(self.movies) + list(self.shows) + list(self.seasons) + list(self.episodes)
        )

    # -- lookups -------------------------------------------------------------------------------
    def find(self, kind: str, ref: Any) -> Optional[Any]:
        """Find a movie/show/season/episode by trakt id, slug or imdb id (path ``{id}``)."""
        table = {
            "movie": self.movies,
            "show": self.shows,
            "season": self.seasons,
            "episode": self.episodes,
        }[kind]
        text = str(ref).strip()
        if text.isdigit():
            return table.get(int(text))
        if text.startswith("tt"):
            return self._external.get(kind + ":imdb", {}).get(text)
        return self._slugs.get(kind, {}).get(text)

    def find_by_ids(self, kind: str, ids: Any) -> Optional[Any]:
        """Find an object from a request body ``ids`` dict (trakt, slug, imdb, tmdb, tvdb)."""
        if not isinstance(ids, dict):
            return None
        if ids.get("trakt") is not None:
            found = self.find(kind, ids["trakt"])
            if found is not None:
                return found
        if ids.get("slug") and kind in self._slugs:
            found = self._slugs[kind].get(str(ids["slug"]))
            if found is not None:
                return found
        for name in ("imdb", "tmdb", "tvdb"):
            value = ids.get(name)
            if value is None:
                continue
            if name != "imdb":
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    continue
            found = self._external.get(kind + ":" + name, {}).get(value)
            if found is not None:
                return found
        return None

    def episode_at(self, show: Show, season: int, number: int) -> Optional[Episode]:
        found = show.seasons.get(int(season))
        return found.episodes.get(int(number)) if found else None

    def iter_episodes(self) -> Iterator[Episode]:
        return iter(self.episodes.values())


# -- JSON renderers (Trakt media objects) ----------------------------------------------------
def movie_json(movie: Movie, full: bool = False) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "title": movie.title,
        "year": movie.year,
        "ids": {"trakt": movie.trakt, "slug": movie.slug, "imdb": movie.imdb, "tmdb": movie.tmdb},
    }
    if full:
        out.update(
            runtime=movie.runtime,
            released=(iso(movie.released) or "")[:10] or None,
            overview=f"Sandbox movie {movie.trakt}.",
            language="en",
        )
    return out


def show_json(show: Show, full: bool = False, aired: Optional[int] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "title": show.title,
        "year": show.year,
        "ids": {
            "trakt": show.trakt,
            "slug": show.slug,
            "tvdb": show.tvdb,
            "imdb": show.imdb,
            "tmdb": show.tmdb,
        },
    }
    if full:
        out.update(status=show.status, runtime=show.runtime, overview="Sandbox show.")
    if aired is not None:
        out["aired_episodes"] = aired
    return out


def season_json(season: Season) -> Dict[str, Any]:
    return {
        "number": season.number,
        "ids": {"trakt": season.trakt, "tvdb": season.tvdb, "tmdb": season.tmdb},
    }


def episode_json(episode: Episode, full: bool = False) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "season": episode.season,
        "number": episode.number,
        "title": episode.title,
        "ids": {
            "trakt": episode.trakt,
            "tvdb": episode.tvdb,
            "imdb": episode.imdb,
            "tmdb": episode.tmdb,
        },
    }
    if full:
        out.update(first_aired=iso(episode.first_aired), runtime=episode.runtime)
    return out
