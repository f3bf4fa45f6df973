"""Catalogs and metas of an AIOStreams instance (the Stremio ``catalog`` and ``meta`` routes).

- :func:`catalogs_from_manifest` reads the manifest's ``catalogs[]`` into :class:`CatalogDef`
  records (type, id, name as the manifest names them, and which extras they take).
- :func:`catalog_path` builds ``catalog/{type}/{id}[/{extras}].json`` with the extras in the last
  path segment, as Stremio does: ``search=the%20wire&genre=Drama&skip=100``. AIOStreams' server
  URL-decodes the segment, splits it on ``&`` and ``=`` and re-encodes each value
  (``ExtrasParser``), so a value cannot carry ``&`` or ``=``: :func:`encode_extras` turns them
  into spaces instead of sending a query the server would cut in two.
- ``catalog_client.StremioResources`` sends those requests (kept apart so that a page built
  from the cache never imports the HTTP stack) and turns the answers into records or typed
  errors with :func:`parse_catalog_answer` and :func:`raise_for_account_error`. AIOStreams
  reports errors inside HTTP 200:
  a catalog answers ``{"metas": [<error meta>]}`` (wrong password, unconfigured instance, rate
  limit, an upstream add-on that failed), a meta answers ``{"meta": <error meta>}``; a meta
  nobody can provide is a 404 ``{"success": false, "error": {"code": "NOT_FOUND"}}``.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from . import errors
from .meta import MetaPreview, error_text, is_error_meta, parse_preview

log = logging.getLogger(__name__)

EXTRA_ORDER = ("search", "genre", "skip")
_RATE_LIMIT_WORDS = re.compile(r"rate.?limit|too many requests", re.IGNORECASE)
# Error metas that describe the account or instance, not the item asked for: never cached.
_ACCOUNT_WORDS = re.compile(
    r"invalid password|user not found|configure the addon|encrypt|unauthori[sz]ed", re.IGNORECASE
)


class MetaNotFound(errors.AIOStreamsError):
    """No add-on of the instance has a meta for this id (remembered as "no meta" for a while)."""

    code = "not_found"


@dataclass(frozen=True)
class CatalogExtra:
    """One entry of a catalog's ``extra[]``: ``search``, ``genre``, ``skip`` or another."""

    name: str
    required: bool = False
    options: Tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogDef:
    """A catalog the manifest declares."""

    type: str
    id: str
    name: str
    extras: Tuple[CatalogExtra, ...] = ()

    def extra(self, name: str) -> Optional[CatalogExtra]:
        return next((extra for extra in self.extras if extra.name == name), None)

    @property
    def supports_search(self) -> bool:
        return self.extra("search") is not None

    @property
    def search_only(self) -> bool:
        """Needs a search query: it is used by Search, not listed under Catalogs."""
        extra = self.extra("search")
        return bool(extra and extra.required)

    @property
    def genres(self) -> Tuple[str, ...]:
        extra = self.extra("genre")
        return extra.options if extra else ()

    @property
    def default_genre(self) -> Optional[str]:
        """The genre sent when the user picked none: the first option when genre is required
        (AIOStreams' "only on discover" catalogs require it and list ``None`` first)."""
        extra = self.extra("genre")
        if extra and extra.required and extra.options:
            return extra.options[0]
        return None

    @property
    def browsable(self) -> bool:
        """Can be opened without input: every required extra has a default."""
        for extra in self.extras:
            if extra.required and not (extra.name == "genre" and extra.options):
                return False
        return True


def _parse_extras(entry: Dict[str, Any]) -> Tuple[CatalogExtra, ...]:
    found: Dict[str, CatalogExtra] = {}
    for raw in entry.get("extra") or ():
        if isinstance(raw, dict) and isinstance(raw.get("name"), str) and raw["name"]:
            options = raw.get("options") if isinstance(raw.get("options"), list) else []
            found[raw["name"]] = CatalogExtra(
                raw["name"],
                raw.get("isRequired") is True,
                tuple(str(o) for o in options if isinstance(o, (str, int)) and str(o).strip()),
            )
    # Older manifests: "extraSupported" / "extraRequired" name lists and a "genres" list.
    required = entry.get("extraRequired") if isinstance(entry.get("extraRequired"), list) else []
    for name in entry.get("extraSupported") or ():
        if isinstance(name, str) and name and name not in found:
            genres = entry.get("genres") if name == "genre" else None
            options = tuple(str(g) for g in genres) if isinstance(genres, list) else ()
            found[name] = CatalogExtra(name, name in required, options)
    return tuple(found.values())


def catalogs_from_manifest(manifest: Any) -> List[CatalogDef]:
    """The manifest's catalogs in its order; malformed entries and duplicates are skipped."""
    result: List[CatalogDef] = []
    seen = set()
    entries = manifest.get("catalogs") if isinstance(manifest, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        media_type, catalog_id = entry.get("type"), entry.get("id")
        if not (isinstance(media_type, str) and media_type and isinstance(catalog_id, str)):
            continue
        if not catalog_id or (media_type, catalog_id) in seen:
            continue
        seen.add((media_type, catalog_id))
        name = entry.get("name") if isinstance(entry.get("name"), str) else ""
        result.append(CatalogDef(media_type, catalog_id, name or catalog_id, _parse_extras(entry)))
    return result


def group_by_type(catalogs: List[CatalogDef]) -> List[Tuple[str, List[CatalogDef]]]:
    """Browsable catalogs grouped by type, types in the order the manifest first names them."""
    groups: Dict[str, List[CatalogDef]] = {}
    for catalog in catalogs:
        if catalog.browsable:
            groups.setdefault(catalog.type, []).append(catalog)
    return list(groups.items())


def _clean_value(value: Any) -> str:
    text = str(value)
    # The server splits the decoded segment on "&" and "=": such a character would cut the value.
    return re.sub(r"\s+", " ", text.replace("&", " ").replace("=", " ")).strip()


def encode_extras(extras: Mapping[str, Any]) -> str:
    """``search=the%20wire&genre=Drama&skip=100`` (fixed order; empty and None values left out;
    ``skip=0`` left out so the first page has the same URL as the plain catalog)."""
    names = [n for n in EXTRA_ORDER if n in extras] + sorted(
        n for n in extras if n not in EXTRA_ORDER
    )
    parts = []
    for name in names:
        value = extras[name]
        if value is None or (name == "skip" and not value):
            continue
        text = _clean_value(value)
        if text:
            parts.append("{}={}".format(name, urllib.parse.quote(text, safe="")))
    return "&".join(parts)


def catalog_path(
    media_type: str, catalog_id: str, extras: Optional[Mapping[str, Any]] = None
) -> str:
    """``catalog/{type}/{id}.json`` or ``catalog/{type}/{id}/{extras}.json``."""
    head = "catalog/{}/{}".format(
        urllib.parse.quote(media_type, safe=""), urllib.parse.quote(catalog_id, safe="")
    )
    encoded = encode_extras(extras or {})
    return f"{head}/{encoded}.json" if encoded else head + ".json"


def meta_path(media_type: str, stremio_id: str) -> str:
    return "meta/{}/{}.json".format(
        urllib.parse.quote(media_type, safe=""), urllib.parse.quote(stremio_id, safe=":")
    )


@dataclass(frozen=True)
class CatalogAnswer:
    """One catalog page: the items, and the error texts AIOStreams appended (error metas)."""

    metas: Tuple[MetaPreview, ...]
    errors: Tuple[str, ...] = ()

    @property
    def raw_count(self) -> int:
        return len(self.metas)


def parse_catalog_answer(payload: Any) -> CatalogAnswer:
    """Split a ``{"metas": [...]}`` answer into items and error texts; raise BadResponse."""
    if not isinstance(payload, dict) or not isinstance(payload.get("metas"), list):
        raise errors.BadResponse("AIOStreams sent a catalog answer without a metas list.")
    metas: List[MetaPreview] = []
    texts: List[str] = []
    for item in payload["metas"]:
        if is_error_meta(item):
            texts.append(error_text(item))
            continue
        preview = parse_preview(item)
        if preview is not None:
            metas.append(preview)
    return CatalogAnswer(tuple(metas), tuple(dict.fromkeys(texts)))


def raise_for_account_error(texts: Tuple[str, ...]) -> None:
    """Raise RateLimited / InstanceError when an error text is about the instance, not an item."""
    for text in texts:
        if _RATE_LIMIT_WORDS.search(text):
            raise errors.RateLimited(text)
    for text in texts:
        if _ACCOUNT_WORDS.search(text):
            raise errors.InstanceError(text)


__all__ = [
    "CatalogAnswer",
    "CatalogDef",
    "CatalogExtra",
    "MetaNotFound",
    "catalog_path",
    "catalogs_from_manifest",
    "encode_extras",
    "group_by_type",
    "meta_path",
    "parse_catalog_answer",
    "raise_for_account_error",
]
