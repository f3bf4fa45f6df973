"""Cache and page rules of the browse facade: how long answers stay fresh, when a catalog page
may have a next one, which page status a client error becomes, and the catalog menu record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from ..aiostreams import errors
from ..aiostreams.catalog import CatalogAnswer, CatalogDef, MetaNotFound, group_by_type
from ..aiostreams.meta import Meta, preview_from_dict
from .records import Status
from .shows import is_aired

MIN_FULL_PAGE = 20  # a first page this long may have a next one (add-ons page by 20, 50, 100)


@dataclass(frozen=True)
class CacheTimes:
    """Seconds each kind of answer stays fresh."""

    manifest: float = 6 * 3600
    catalog: float = 3 * 3600
    search: float = 3600
    meta: float = 14 * 86400  # movies and ended shows
    airing_meta: float = 86400  # shows with episodes still to come
    missing: float = 86400  # "no meta" remembered this long


@dataclass(frozen=True)
class CatalogMenu:
    status: Status
    catalogs: Tuple[CatalogDef, ...] = ()
    message: str = ""
    from_cache: bool = False

    @property
    def groups(self) -> List[Tuple[str, List[CatalogDef]]]:
        """Browsable catalogs by type, in manifest order."""
        return group_by_type(list(self.catalogs))

    @property
    def search_catalogs(self) -> Tuple[CatalogDef, ...]:
        return tuple(c for c in self.catalogs if c.supports_search)

    def find(self, media_type: str, catalog_id: str) -> Optional[CatalogDef]:
        return next((c for c in self.catalogs if (c.type, c.id) == (media_type, catalog_id)), None)


def status_of(exc: BaseException) -> Tuple[Status, str]:
    """The page status (and the instance's text where it has one) for a client error."""
    if isinstance(exc, errors.Aborted):
        return Status.ABORTED, ""
    if isinstance(exc, errors.InvalidManifestUrl):
        return Status.NO_MANIFEST, ""
    if isinstance(exc, errors.RateLimited):
        return Status.RATE_LIMITED, exc.user_message
    if isinstance(exc, MetaNotFound):
        return Status.NOT_FOUND, ""
    if isinstance(exc, errors.Unreachable):  # Timeout included
        return Status.UNREACHABLE, ""
    if isinstance(exc, errors.InstanceError):
        return Status.INSTANCE_ERROR, exc.user_message
    return Status.BAD_RESPONSE, ""


def meta_ttl(meta: Meta, times: CacheTimes, now: float) -> float:
    """Shows with episodes still to come are refreshed daily, everything else rarely."""
    if meta.type == "series" and (
        (meta.status or "").lower() in ("continuing", "returning series", "in production")
        or any(not is_aired(video.released, now) for video in meta.videos)
    ):
        return times.airing_meta
    return times.meta


def answer_from_cache(payload: Any) -> CatalogAnswer:
    metas = []
    for data in (payload or {}).get("metas") or ():
        preview = preview_from_dict(data)
        if preview is not None:
            metas.append(preview)
    return CatalogAnswer(tuple(metas), tuple((payload or {}).get("errors") or ()))


def next_skip(skip: int, count: int, page_size: int) -> Optional[int]:
    """The ``skip`` of the next page, or None when this page ends the catalog: a page shorter
    than the first one (``page_size``), or a first page shorter than :data:`MIN_FULL_PAGE`.
    Stremio's own rule (fewer than 100 ends it) would stop add-ons that page by 20 or 50."""
    full = count >= max(MIN_FULL_PAGE, page_size or count) or count >= 100
    return skip + count if full and count else None
