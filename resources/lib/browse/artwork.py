"""Art and details for Trakt lists from the meta cache, and the background prefetch that fills it.

A list never waits on the network: :func:`cached_details` reads only the cache (stale entries
included) and an item without a cached meta is shown as text. The service calls
:func:`prefetch` after a sync: one meta request per item not cached or expired, most recently
watched first, none for an item fresh in the cache or remembered as "no meta"; it stops at the
first rate limit, network error or abort and carries on next time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ..aiostreams.meta import Meta, Video, meta_from_dict, preview_from_dict
from ..database.meta_cache import MetaCache, meta_key
from .browser import Browser
from .mirror import MirrorReads
from .records import Art, Item, Status
from .shows import item_from_meta

log = logging.getLogger(__name__)

Key = Tuple[str, str]  # (Stremio type "movie" | "series", IMDb id)


def stremio_type(trakt_type: str) -> str:
    """Trakt's ``movie`` / ``show`` / ``season`` / ``episode`` -> Stremio's meta type."""
    return "movie" if trakt_type == "movie" else "series"


def list_key(row: Dict) -> Optional[Key]:
    """The meta a mirror row needs: the movie's, or the show's for shows and episodes."""
    kind = row.get("type") or "movie"
    imdb = row.get("imdb_id") if kind in ("movie", "show") else row.get("show_imdb_id")
    return (stremio_type(kind), imdb) if imdb else None


def cached_metas(cache: MetaCache, keys: Iterable[Key]) -> Dict[Key, Meta]:
    """The cached metas among ``keys`` (fresh or stale), one query; never the network."""
    wanted = {meta_key(kind, imdb): (kind, imdb) for kind, imdb in keys if imdb}
    found: Dict[Key, Meta] = {}
    for key, entry in cache.get_many("meta", wanted).items():
        meta = None if entry.missing else meta_from_dict(entry.payload)
        if meta is not None:
            found[wanted[key]] = meta
    return found


def cached_details(cache: MetaCache, keys: Iterable[Key]) -> Dict[Key, Item]:
    """Title, plot, poster, fanart, logo ... per key, for the items whose meta is cached.
    (Episodes are not rebuilt: a list of 1,000 shows would spend most of its time on them.)"""
    wanted = {meta_key(kind, imdb): (kind, imdb) for kind, imdb in keys if imdb}
    found: Dict[Key, Item] = {}
    for key, entry in cache.get_many("meta", wanted).items():
        if entry.missing or not isinstance(entry.payload, dict):
            continue
        fields = {k: v for k, v in entry.payload.items() if k not in ("videos", "status")}
        preview = preview_from_dict(fields)
        if preview is not None:
            found[wanted[key]] = item_from_meta(preview)
    return found


@dataclass(frozen=True)
class RowArt:
    """What a Trakt list row gets from the cache: the movie's or show's art and details, and
    for an episode its own thumb, title and plot from the show's ``videos``."""

    item: Item
    episode_title: Optional[str] = None
    episode_plot: Optional[str] = None

    @property
    def art(self) -> Art:
        return self.item.art


def art_for_rows(cache: MetaCache, rows: Sequence[Dict]) -> List[Optional[RowArt]]:
    """One entry per mirror row (``next_up()``, ``in_progress()``, ``watchlist()`` dicts), None
    where nothing is cached. One cache read for the whole list; never the network."""
    keys = [list_key(row) for row in rows]
    wanted = {meta_key(*key): key for key in keys if key}
    entries = cache.get_many("meta", wanted)
    result: List[Optional[RowArt]] = []
    for row, key in zip(rows, keys):
        entry = entries.get(meta_key(*key)) if key else None
        if entry is None or entry.missing or not isinstance(entry.payload, dict):
            result.append(None)
            continue
        if row.get("type") == "episode" and row.get("season") is not None:
            meta = meta_from_dict(entry.payload)
            if meta is None:
                result.append(None)
                continue
            video = _video(meta, int(row["season"]), int(row.get("number") or 0))
            art = Art(meta.poster, meta.background, meta.logo, video.thumbnail if video else None)
            result.append(
                RowArt(
                    replace(item_from_meta(meta), art=art),
                    video.title if video else None,
                    video.overview if video else None,
                )
            )
            continue
        fields = {k: v for k, v in entry.payload.items() if k not in ("videos", "status")}
        preview = preview_from_dict(fields)
        result.append(RowArt(item_from_meta(preview)) if preview else None)
    return result


def _video(meta: Meta, season: int, number: int) -> Optional[Video]:
    for video in meta.videos:
        if video.season == season and video.episode == number:
            return video
    return None


def episode_thumb(meta: Meta, season: int, number: int) -> Optional[str]:
    video = _video(meta, season, number)
    return video.thumbnail if video else None


def wanted_from_mirror(mirror: MirrorReads) -> List[Key]:
    """Metas the Trakt lists show, most recently watched first: in progress, Next Up, then the
    watchlists (each key once)."""
    rows: List[Dict] = []
    rows.extend(mirror.in_progress())  # type: ignore[attr-defined]
    rows.extend(mirror.next_up())  # type: ignore[attr-defined]
    rows.extend(mirror.watchlist("movie"))  # type: ignore[attr-defined]
    rows.extend(mirror.watchlist("show"))  # type: ignore[attr-defined]
    keys = (list_key(row) for row in rows)
    return list(dict.fromkeys(key for key in keys if key))


@dataclass(frozen=True)
class PrefetchReport:
    wanted: int
    fresh: int  # already cached and fresh (or "no meta" remembered): no request
    fetched: int
    missing: int  # answered "no meta" (remembered)
    requests: int
    status: Status  # OK, or why it stopped early (RATE_LIMITED, UNREACHABLE, ABORTED ...)


def prefetch(
    browser: Browser,
    wanted: Sequence[Key],
    should_abort: Optional[Callable[[], bool]] = None,
    max_requests: Optional[int] = None,
) -> PrefetchReport:
    """Fetch the metas of ``wanted`` that are not fresh in the cache, in order."""
    keys = [key for key in dict.fromkeys(wanted) if key[1]]
    entries = browser.cache.get_many("meta", (meta_key(kind, imdb) for kind, imdb in keys))
    todo = [
        key for key in keys if not (entries.get(meta_key(*key)) and entries[meta_key(*key)].fresh)
    ]
    fresh = len(keys) - len(todo)
    if browser.resources is None:
        return PrefetchReport(len(keys), fresh, 0, 0, 0, Status.NO_MANIFEST)
    before = browser.resources.request_count
    fetched = missing = 0
    status = Status.OK
    for kind, imdb in todo:
        if should_abort is not None and should_abort():
            status = Status.ABORTED
            break
        if max_requests is not None and browser.resources.request_count - before >= max_requests:
            break
        result, meta, _, _ = browser.meta(kind, imdb)
        if result is Status.OK and meta is not None:
            fetched += 1
        elif result is Status.NOT_FOUND:
            missing += 1
        else:
            status = result
            break
    requests = browser.resources.request_count - before
    log.info(
        "meta prefetch: %d wanted, %d fresh, %d fetched, %d without meta, %d requests (%s)",
        len(keys),
        fresh,
        fetched,
        missing,
        requests,
        status.value,
    )
    return PrefetchReport(len(keys), fresh, fetched, missing, requests, status)
