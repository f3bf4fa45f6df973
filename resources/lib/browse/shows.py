"""Items, seasons and episodes built from Stremio metas (pure functions, no I/O).

Seasons come from the meta's ``videos``: regular seasons in order, season 0 (specials) last.
An episode whose ``released`` time is in the future has not aired: it is listed (dimmed by the
front end) but not playable. An episode without a date has not aired when an episode before it
has not (a "TBA" episode at the end of a running season); otherwise it counts as aired, because
many add-ons leave the date out of every episode and refusing to play all of them would be worse.
Videos without a season number are listed with the specials.
"""

from __future__ import annotations

import datetime
from typing import Dict, List, Optional, Sequence, Tuple

from ..aiostreams.meta import Meta, MetaPreview, Video
from .mirror import ShowMarks
from .records import NO_MARK, Art, Episode, Item, Mark, Season


def item_from_meta(meta: MetaPreview, mark: Mark = NO_MARK) -> Item:
    """What a list shows of a catalog item or meta."""
    return Item(
        media_type=meta.type,
        stremio_id=meta.id,
        imdb_id=meta.imdb_id,
        title=meta.name,
        year=meta.year,
        plot=meta.description,
        rating=meta.imdb_rating,
        genres=meta.genres,
        runtime=meta.runtime,
        art=Art(poster=meta.poster, fanart=meta.background, logo=meta.logo),
        mark=mark,
    )


def parse_time(text: Optional[str]) -> Optional[float]:
    """Unix time of an ISO 8601 string (``2024-01-02T03:04:05.000Z`` or a bare date)."""
    if not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.datetime.fromisoformat(value[:19])
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def is_aired(released: Optional[str], now: float) -> bool:
    when = parse_time(released)
    return when is None or when <= now


def _season_key(number: int) -> Tuple[int, int]:
    return (1, 0) if number == 0 else (0, number)  # specials last


def episodes_by_season(meta: Meta) -> Dict[int, List[Tuple[int, Video]]]:
    """``{season: [(number, video), ...]}``, numbers sorted, duplicates (same S/E) dropped."""
    seasons: Dict[int, Dict[int, Video]] = {}
    unnumbered: List[Video] = []
    for video in meta.videos:
        if video.season is None or video.episode is None:
            unnumbered.append(video)
            continue
        seasons.setdefault(video.season, {}).setdefault(video.episode, video)
    if unnumbered:
        specials = seasons.setdefault(0, {})
        start = max(specials, default=0)
        for offset, video in enumerate(unnumbered, 1):
            specials[start + offset] = video
    return {
        season: sorted(videos.items())
        for season, videos in sorted(seasons.items(), key=lambda kv: _season_key(kv[0]))
    }


def aired_flags(meta: Meta, now: float) -> Dict[Tuple[int, int], bool]:
    """``{(season, number): aired}`` with the rule above (specials are their own sequence)."""
    flags: Dict[Tuple[int, int], bool] = {}
    pending = {False: False, True: False}  # per sequence (specials?): an earlier one not aired
    for season, videos in episodes_by_season(meta).items():
        specials = season == 0
        for number, video in videos:
            when = parse_time(video.released)
            aired = when <= now if when is not None else not pending[specials]
            pending[specials] = pending[specials] or not aired
            flags[(season, number)] = aired
    return flags


def build_episodes(meta: Meta, season: int, marks: ShowMarks, now: float) -> Tuple[Episode, ...]:
    """The episodes of one season with the mirror's marks."""
    episodes = []
    aired = aired_flags(meta, now)
    for number, video in episodes_by_season(meta).get(season, ()):
        episodes.append(
            Episode(
                stremio_id=video.id,
                season=season,
                number=number,
                title=video.title,
                plot=video.overview,
                released=video.released,
                aired=aired[(season, number)],
                art=Art(
                    poster=meta.poster,
                    fanart=meta.background,
                    logo=meta.logo,
                    thumb=video.thumbnail,
                ),
                mark=marks.mark(season, number),
            )
        )
    return tuple(episodes)


def build_seasons(meta: Meta, marks: ShowMarks, now: float) -> Tuple[Season, ...]:
    """The seasons of a show, specials last, with aired and watched counts."""
    seasons = []
    flags = aired_flags(meta, now)
    for number, videos in episodes_by_season(meta).items():
        aired = sum(1 for episode, _ in videos if flags[(number, episode)])
        watched = sum(1 for episode, _ in videos if marks.mark(number, episode).watched)
        seasons.append(
            Season(
                number=number,
                episode_count=len(videos),
                aired_count=aired,
                watched_count=watched,
                art=Art(poster=meta.poster, fanart=meta.background, logo=meta.logo),
                rating=marks.season_ratings.get(number),
            )
        )
    return tuple(seasons)


def show_mark(meta: Meta, marks: ShowMarks, now: float, base: Mark = NO_MARK) -> Mark:
    """A show's own mark: watched when every aired regular episode is watched."""
    regular = [key for key, aired in aired_flags(meta, now).items() if key[0] > 0 and aired]
    completed = sum(1 for key in regular if marks.mark(*key).watched)
    plays = sum(mark.playcount for mark in marks.episodes.values())
    return Mark(
        playcount=plays or base.playcount,
        watched=bool(regular) and completed == len(regular),
        in_watchlist=base.in_watchlist,
        completed=completed,
        aired=len(regular),
        trakt_id=marks.show_id or base.trakt_id,
        rating=base.rating,
    )


def dedupe_key(meta: MetaPreview) -> str:
    """Same IMDb id = same title, whatever id the catalog used (``tt…``, ``tmdb:…``)."""
    return meta.imdb_id or f"{meta.type}:{meta.id}"


def merge_in_order(pages: Sequence[Sequence[MetaPreview]]) -> List[MetaPreview]:
    """Concatenate catalog answers in manifest order, keeping each title's first occurrence."""
    seen = set()
    merged = []
    for page in pages:
        for meta in page:
            key = dedupe_key(meta)
            if key not in seen:
                seen.add(key)
                merged.append(meta)
    return merged
