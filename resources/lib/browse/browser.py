"""The browse facade: pages from AIOStreams' catalogs and metas, cached, with the mirror's marks.

``Browser(cache, resources, mirror)`` or ``open_browser(data_dir, manifest_url, mirror)``;
``resources`` is a :class:`aiostreams.catalog_client.StremioResources`, or made on first need from
``manifest_url`` (so a page built from the cache never loads the HTTP stack: the budget is 150 ms
of CPU for a whole plugin call). Without a usable manifest URL every page says ``NO_MANIFEST``.
``mirror`` is anything with the :class:`mirror.MirrorReads` methods (a ``TraktSyncDatabase``;
None when Trakt is not set up: pages carry no marks).

Cost rules (issue 11's budgets): a page found fresh in the cache sends no request; a catalog,
show, season or movie page that is not cached sends exactly one (the catalog page never fetches
the manifest: it uses the cached one, or goes without it). A search sends one request per search
catalog not cached. Expired entries are fallbacks: when AIOStreams cannot be reached the stale
page is shown (``from_cache``) instead of an error.
"""

from __future__ import annotations

import logging
import os
import time
import zlib
from typing import TYPE_CHECKING, Callable, Optional, Tuple

from ..aiostreams import errors
from ..aiostreams.catalog import (
    CatalogAnswer,
    CatalogDef,
    MetaNotFound,
    catalog_path,
    catalogs_from_manifest,
)
from ..aiostreams.meta import Meta, meta_from_dict
from ..database.meta_cache import DEFAULT_MAX_BYTES, FILE_NAME, MetaCache, meta_key
from .mirror import MirrorReads, item_marks, show_marks
from .policy import (
    MIN_FULL_PAGE,
    CacheTimes,
    CatalogMenu,
    answer_from_cache,
    meta_ttl,
    next_skip,
    status_of,
)
from .records import (
    NO_MARK,
    CatalogPage,
    MoviePage,
    SearchResults,
    SeasonPage,
    ShowPage,
    Status,
)
from .shows import (
    build_episodes,
    build_seasons,
    item_from_meta,
    merge_in_order,
    show_mark,
)

if TYPE_CHECKING:  # the HTTP stack is imported only when a request goes out
    from ..aiostreams.catalog_client import StremioResources

log = logging.getLogger(__name__)


class Browser:
    """Builds pages; never raises for AIOStreams or network errors (see ``Status``)."""

    def __init__(
        self,
        cache: MetaCache,
        resources: Optional[StremioResources] = None,
        mirror: Optional[MirrorReads] = None,
        times: CacheTimes = CacheTimes(),
        clock: Callable[[], float] = time.time,
        manifest_url: Optional[str] = None,
        should_abort: Optional[Callable[[], bool]] = None,
    ) -> None:
        self.cache = cache
        self._resources = resources
        self._manifest_url = (manifest_url or "").strip() if resources is None else ""
        self._should_abort = should_abort
        self.mirror = mirror
        self.times = times
        self.clock = clock
        base = (manifest_url or "").strip()
        if not base and resources is not None:
            base = resources.manifest_url.manifest_url
        # Catalog answers depend on the user's configuration: keyed per manifest URL as
        # configured (pass it along with ``resources`` to share pages with ``open_browser``), by
        # a checksum (the file never holds the uuid or password; hashlib costs 8 ms to import).
        self._scope = "%08x" % zlib.crc32(base.encode("utf-8"))

    @property
    def configured(self) -> bool:
        """A manifest URL is set (whether it parses is found out on the first request)."""
        return self._resources is not None or bool(self._manifest_url)

    @property
    def resources(self) -> Optional[StremioResources]:
        """The AIOStreams client, made on first use; None without a usable manifest URL."""
        if self._resources is None and self._manifest_url:
            from ..aiostreams.catalog_client import StremioResources

            try:
                self._resources = StremioResources(
                    self._manifest_url, should_abort=self._should_abort
                )
            except errors.InvalidManifestUrl:
                log.warning("browse: the AIOStreams manifest URL is not usable")
                self._manifest_url = ""
        return self._resources

    def _request_count(self) -> int:
        return self._resources.request_count if self._resources is not None else 0

    # -- catalogs -------------------------------------------------------------------------------
    def catalogs(self, refresh: bool = False) -> CatalogMenu:
        """The manifest's catalogs (cached; one manifest request when not)."""
        if not self.configured:
            return CatalogMenu(Status.NO_MANIFEST)
        entry = self.cache.get("manifest", self._scope)
        if entry is not None and entry.fresh and not refresh:
            return CatalogMenu(Status.OK, tuple(catalogs_from_manifest(entry.payload)), "", True)
        if self.resources is None:
            return CatalogMenu(Status.NO_MANIFEST)
        try:
            manifest = self.resources.manifest()
        except errors.AIOStreamsError as exc:
            if entry is not None and not isinstance(exc, errors.Aborted):
                return CatalogMenu(
                    Status.OK, tuple(catalogs_from_manifest(entry.payload)), "", True
                )
            return CatalogMenu(*status_of(exc))
        kept = {"catalogs": manifest.get("catalogs") or []}
        self.cache.put("manifest", self._scope, kept, self.times.manifest)
        return CatalogMenu(Status.OK, tuple(catalogs_from_manifest(kept)))

    def _cached_catalog_def(
        self, media_type: str, catalog_id: str
    ) -> Tuple[Optional[CatalogDef], bool]:
        """``(definition, known)`` from the cached manifest, without a request. ``known`` is
        False only when a fresh manifest does not declare the catalog (removed since)."""
        entry = self.cache.get("manifest", self._scope)
        if entry is None:
            return None, True
        for catalog in catalogs_from_manifest(entry.payload):
            if (catalog.type, catalog.id) == (media_type, catalog_id):
                return catalog, True
        return None, not entry.fresh

    def _catalog_answer(
        self, media_type: str, catalog_id: str, extras: dict, ttl: float
    ) -> Tuple[Optional[CatalogAnswer], bool, Optional[BaseException]]:
        """(answer, from_cache, error): the cached answer when fresh, else one request."""
        key = f"{self._scope}|{catalog_path(media_type, catalog_id, extras)}"
        entry = self.cache.get("catalog", key)
        if entry is not None and entry.fresh:
            return answer_from_cache(entry.payload), True, None
        if self.resources is None:
            return None, False, errors.InvalidManifestUrl("No usable manifest URL.")
        try:
            answer = self.resources.catalog(media_type, catalog_id, extras)
        except errors.AIOStreamsError as exc:
            stale = entry is not None and isinstance(exc, (errors.Unreachable, errors.HttpError))
            return (answer_from_cache(entry.payload) if stale else None), stale, exc
        if answer.metas or not answer.errors:  # a failure is not worth remembering
            payload = {"metas": [m.to_dict() for m in answer.metas], "errors": list(answer.errors)}
            self.cache.put("catalog", key, payload, ttl)
        return answer, False, None

    def catalog_page(
        self,
        media_type: str,
        catalog_id: str,
        genre: Optional[str] = None,
        skip: int = 0,
        page_size: int = 0,
    ) -> CatalogPage:
        """One page of a catalog. ``skip`` and ``page_size`` come from the previous page's
        ``next_skip`` and ``page_size`` (the first page's length: a shorter page is the last)."""
        if not self.configured:
            return CatalogPage(Status.NO_MANIFEST, None)
        catalog, known = self._cached_catalog_def(media_type, catalog_id)
        if not known:
            return CatalogPage(Status.UNKNOWN_CATALOG, None, genre=genre, skip=skip)
        if genre is None and catalog is not None:
            genre = catalog.default_genre
        extras = {"genre": genre, "skip": max(0, int(skip))}
        answer, from_cache, error = self._catalog_answer(
            media_type, catalog_id, extras, self.times.catalog
        )
        if answer is None:
            status, message = status_of(error) if error else (Status.BAD_RESPONSE, "")
            return CatalogPage(status, catalog, genre=genre, skip=skip, message=message)
        count = len(answer.metas)
        if count == 0:
            if answer.errors:
                return CatalogPage(
                    Status.INSTANCE_ERROR,
                    catalog,
                    genre=genre,
                    skip=skip,
                    message=answer.errors[0],
                    errors=answer.errors,
                )
            return CatalogPage(
                Status.END if skip else Status.EMPTY, catalog, genre=genre, skip=skip
            )
        size = page_size or count
        marks = item_marks(self.mirror, (m.imdb_id for m in answer.metas))
        items = tuple(item_from_meta(m, marks.get(m.imdb_id or "", NO_MARK)) for m in answer.metas)
        return CatalogPage(
            Status.OK,
            catalog,
            items,
            genre,
            skip,
            next_skip(skip, count, size),
            size,
            errors=answer.errors,
            from_cache=from_cache,
        )

    # -- search ---------------------------------------------------------------------------------
    def search(self, query: str, media_type: str = "all", remember: bool = True) -> SearchResults:
        """Search every catalog that takes ``search`` (of ``media_type``: movie, series or
        all), merged in manifest order without duplicates. Remembered in the history."""
        query = " ".join((query or "").split())
        if not self.configured:
            return SearchResults(Status.NO_MANIFEST, query, media_type)
        if not query:  # an empty "search" extra would list the whole catalog instead
            return SearchResults(Status.NO_RESULTS, query, media_type)
        menu = self.catalogs()
        if menu.status is not Status.OK:
            return SearchResults(menu.status, query, media_type, message=menu.message)
        targets = [c for c in menu.search_catalogs if media_type == "all" or c.type == media_type]
        if not targets:
            return SearchResults(Status.NO_SEARCH_CATALOGS, query, media_type)
        if remember:
            self.cache.add_search(query, media_type)
        before = self._request_count()
        pages, failed, first_error = [], [], None
        for catalog in targets:
            answer, _, error = self._catalog_answer(
                catalog.type, catalog.id, {"search": query}, self.times.search
            )
            if isinstance(error, errors.Aborted):
                return SearchResults(Status.ABORTED, query, media_type)
            if answer is None or (not answer.metas and answer.errors):
                failed.append(catalog.name)
                first_error = first_error or error or errors.InstanceError(answer.errors[0])
                continue
            pages.append(answer.metas)
        requests = self._request_count() - before
        merged = merge_in_order(pages)
        if not merged:
            if failed and len(failed) == len(targets):
                status, message = status_of(first_error)
                return SearchResults(
                    status, query, media_type, (), message, tuple(failed), requests
                )
            return SearchResults(
                Status.NO_RESULTS, query, media_type, failed=tuple(failed), requests=requests
            )
        marks = item_marks(self.mirror, (m.imdb_id for m in merged))
        items = tuple(item_from_meta(m, marks.get(m.imdb_id or "", NO_MARK)) for m in merged)
        return SearchResults(Status.OK, query, media_type, items, "", tuple(failed), requests)

    # -- metas ----------------------------------------------------------------------------------
    def meta(
        self, media_type: str, stremio_id: str, network: bool = True
    ) -> Tuple[Status, Optional[Meta], str, bool]:
        """``(status, meta, message, from_cache)``: cached when fresh, else one request."""
        key = meta_key(media_type, stremio_id)
        entry = self.cache.get("meta", key)
        cached = meta_from_dict(entry.payload) if entry and not entry.missing else None
        if entry is not None and entry.fresh:
            if entry.missing:
                return Status.NOT_FOUND, None, "", True
            if cached is not None:
                return Status.OK, cached, "", True
        client = self.resources if network else None
        if client is None:
            if cached is not None:
                return Status.OK, cached, "", True
            return (Status.NOT_FOUND if not network else Status.NO_MANIFEST), None, "", False
        try:
            meta = client.meta(media_type, stremio_id)
        except MetaNotFound:
            self.cache.put_missing("meta", key, self.times.missing)
            return Status.NOT_FOUND, None, "", False
        except errors.AIOStreamsError as exc:
            if cached is not None and not isinstance(exc, errors.Aborted):
                return Status.OK, cached, "", True  # stale beats nothing
            status, message = status_of(exc)
            return status, None, message, False
        self.cache.put("meta", key, meta.to_dict(), meta_ttl(meta, self.times, self.clock()))
        return Status.OK, meta, "", False

    def show_page(self, stremio_id: str, media_type: str = "series") -> ShowPage:
        """A show's seasons (specials last) with watched counts and the Next Up episode."""
        status, meta, message, from_cache = self.meta(media_type, stremio_id)
        if meta is None:
            return ShowPage(status, message=message, from_cache=from_cache)
        now = self.clock()
        marks = show_marks(self.mirror, meta.imdb_id)
        base = item_marks(self.mirror, [meta.imdb_id]).get(meta.imdb_id or "", NO_MARK)
        show = item_from_meta(meta, show_mark(meta, marks, now, base))
        seasons = build_seasons(meta, marks, now)
        return ShowPage(Status.OK, show, seasons, marks.next_up, from_cache=from_cache)

    def season_page(self, stremio_id: str, season: int, media_type: str = "series") -> SeasonPage:
        """One season's episodes: aired or not, watched, play count, resume, Next Up."""
        status, meta, message, from_cache = self.meta(media_type, stremio_id)
        if meta is None:
            return SeasonPage(status, season=season, message=message, from_cache=from_cache)
        now = self.clock()
        marks = show_marks(self.mirror, meta.imdb_id)
        episodes = build_episodes(meta, int(season), marks, now)
        if not episodes:
            return SeasonPage(Status.EMPTY, item_from_meta(meta), season, from_cache=from_cache)
        show = item_from_meta(meta, show_mark(meta, marks, now))
        return SeasonPage(Status.OK, show, int(season), episodes, from_cache=from_cache)

    def movie_page(self, stremio_id: str) -> MoviePage:
        status, meta, message, from_cache = self.meta("movie", stremio_id)
        if meta is None:
            return MoviePage(status, message=message, from_cache=from_cache)
        mark = item_marks(self.mirror, [meta.imdb_id]).get(meta.imdb_id or "", NO_MARK)
        return MoviePage(Status.OK, item_from_meta(meta, mark), from_cache=from_cache)


def open_browser(
    data_dir: str,
    manifest_url: Optional[str],
    mirror: Optional[MirrorReads] = None,
    should_abort: Optional[Callable[[], bool]] = None,
    max_bytes: Optional[int] = None,
) -> Browser:
    """A Browser over ``<data_dir>/meta_cache.db``; a missing or invalid manifest URL gives a
    Browser whose pages say ``NO_MANIFEST`` (the cache and search history still work)."""
    cache = MetaCache(os.path.join(data_dir, FILE_NAME), max_bytes or DEFAULT_MAX_BYTES)
    return Browser(cache, None, mirror, manifest_url=manifest_url, should_abort=should_abort)


__all__ = [
    "MIN_FULL_PAGE",
    "Browser",
    "CacheTimes",
    "CatalogMenu",
    "meta_ttl",
    "open_browser",
    "status_of",
]
