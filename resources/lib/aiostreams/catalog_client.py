"""Requests to an AIOStreams instance's ``manifest``, ``catalog`` and ``meta`` routes.

:class:`StremioResources` sends one request per call (spaced by its own per-host
:class:`http.RequestSpacer`, abortable, a 429 retried after its ``Retry-After``) and turns the
answers into ``catalog``/``meta`` records or typed errors (``errors``, ``catalog.MetaNotFound``).
It reuses the transport in ``http.py`` and the manifest URL parsing in ``manifest.py``.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
from typing import Any, Callable, Dict, Mapping, Optional

from . import errors
from .catalog import (
    CatalogAnswer,
    MetaNotFound,
    catalog_path,
    meta_path,
    parse_catalog_answer,
    raise_for_account_error,
)
from .http import PacedClient, RequestSpacer
from .manifest import USER_AGENT, instance_error_text, parse_manifest_url
from .meta import Meta, error_text, is_error_meta, parse_meta

log = logging.getLogger(__name__)

# AIOStreams' defaults: catalog 30 per 5 s, meta 15 per 5 s (per IP). One spacing for both keeps
# a background prefetch under the meta limit without a burst.
DEFAULT_MIN_INTERVAL = 0.35
DEFAULT_TIMEOUT = 30.0

_SPACERS: Dict[str, RequestSpacer] = {}
_SPACERS_LOCK = threading.Lock()


def _browse_spacer(base_url: str, min_interval: float) -> RequestSpacer:
    """One spacer per instance for catalog and meta requests, apart from the stream spacer
    (streams allow 10 per 15 s; a meta prefetch spaced like that would take hours)."""
    host = urllib.parse.urlsplit(base_url).netloc
    with _SPACERS_LOCK:
        spacer = _SPACERS.get(host)
        if spacer is None:
            spacer = _SPACERS[host] = RequestSpacer(min_interval)
        return spacer


class StremioResources(PacedClient):
    """Catalog, meta and manifest requests to one AIOStreams manifest URL.

    Every public call sends exactly one request (a 429 is retried at most ``max_retries``
    times after its ``Retry-After``). ``request_count`` counts requests sent.
    """

    def __init__(
        self,
        manifest_url: str,
        *,
        user_agent: str = USER_AGENT,
        timeout: float = DEFAULT_TIMEOUT,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        max_retries: int = 1,
        max_rate_limit_wait: float = 10.0,
        should_abort: Optional[Callable[[], bool]] = None,
        spacer: Optional[RequestSpacer] = None,
    ) -> None:
        self.manifest_url = parse_manifest_url(manifest_url)
        self.user_agent = user_agent if "AIOStreams/" in user_agent else USER_AGENT
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_rate_limit_wait = max_rate_limit_wait
        self.should_abort = should_abort
        self.spacer = spacer or _browse_spacer(self.manifest_url.base_url, min_interval)
        self.request_count = 0

    def manifest(self) -> Dict[str, Any]:
        payload = self._get_json("manifest.json")
        if not isinstance(payload, dict):
            raise errors.BadResponse("AIOStreams sent a manifest that is not a JSON object.")
        return payload

    def catalog(
        self, media_type: str, catalog_id: str, extras: Optional[Mapping[str, Any]] = None
    ) -> CatalogAnswer:
        """One catalog page. Raises InstanceError / RateLimited when the only answer is an
        error about the account or instance; item-level errors stay in ``answer.errors``."""
        answer = parse_catalog_answer(self._get_json(catalog_path(media_type, catalog_id, extras)))
        if not answer.metas:
            raise_for_account_error(answer.errors)
        return answer

    def meta(self, media_type: str, stremio_id: str) -> Meta:
        """The full meta; raises MetaNotFound when no add-on has it (404 or an item error)."""
        try:
            payload = self._get_json(meta_path(media_type, stremio_id))
        except errors.HttpError as exc:
            if exc.status == 404:
                raise MetaNotFound("No meta for this item.", stremio_id) from None
            raise
        inner = payload.get("meta") if isinstance(payload, dict) else None
        if is_error_meta(inner):
            text = error_text(inner)
            raise_for_account_error((text,))
            raise MetaNotFound(text, stremio_id)
        meta = parse_meta(payload)
        if meta is None:
            if isinstance(payload, dict) and payload.get("meta") is None and "meta" in payload:
                raise MetaNotFound("No meta for this item.", stremio_id)
            raise errors.BadResponse("AIOStreams sent a meta answer without a usable meta.")
        return meta

    # -- transport ----------------------------------------------------------------------------
    def _get_json(self, path: str) -> Any:
        response = self.paced_get(self.manifest_url.route(path))
        return _decode(response.status, response.body)


def _decode(status: int, body: bytes) -> Any:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if status >= 400:
        message = instance_error_text(payload)
        if status == 404 or status >= 500:  # 5xx: the server's trouble, a stale page may do
            raise errors.HttpError(status, message or f"AIOStreams answered HTTP {status}.")
        if message:
            raise errors.InstanceError(message)
        raise errors.HttpError(status, f"AIOStreams answered HTTP {status}.")
    if payload is None:
        raise errors.BadResponse("AIOStreams sent an answer that is not JSON.")
    return payload


__all__ = ["DEFAULT_MIN_INTERVAL", "StremioResources"]
