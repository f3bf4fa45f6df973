"""The AIOStreams manifest URL: parsing, base URL, and what an instance's answer means.

The plain-words connection test lives in ``connection.py``: it also probes the streams route
through the client, and the client imports this module.

AIOStreams issues the manifest URL in these forms (checked in its ``app.ts``, ``alias.ts`` and
``variants/runtime.ts``):

* ``https://host/stremio/<uuid>/<encryptedPassword>/manifest.json``;
* the path variant ``.../<encryptedPassword>/v/<variant>/manifest.json`` (the default since
  v2.33: some clients drop query strings);
* the query variant ``.../manifest.json?v=<variant>``;
* the alias ``https://host/stremio/u/<alias>/manifest.json`` (the server redirects every route
  to the uuid form, keeping the query string).

Every other Stremio route hangs off the base URL, i.e. the manifest URL without
``/manifest.json`` (a path variant stays in it); a query string (the ``?v=`` selector) is sent
with every route, so streams, catalogs and metas see the same variant as the manifest.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Optional

from ..trakt import ADDON_VERSION
from . import errors
from .http import redact_url

log = logging.getLogger(__name__)

# AIOStreams adds ``streamData`` only for a User-Agent containing "AIOStreams/".
USER_AGENT = "AIOStreams/Kodi-" + ADDON_VERSION
_STREMIO_PATH = re.compile(
    r"^(?P<prefix>.*?)/stremio/(?:u/(?P<alias>[^/]+)|(?P<uuid>[^/]+)/(?P<secret>[^/]+))"
    r"(?:/v/(?P<variant>[^/]+))?/?$"
)


@dataclass(frozen=True)
class ManifestUrl:
    """A parsed manifest URL. ``base_url`` has no trailing slash."""

    manifest_url: str
    base_url: str
    host: str
    user: str
    query: str = ""  # sent with every route (``v=<variant>``)
    variant: str = ""  # from the path or the query, informational

    def route(self, path: str) -> str:
        """Absolute URL of a Stremio route, e.g. ``route("stream/movie/tt1.json")``."""
        url = "{}/{}".format(self.base_url, path.lstrip("/"))
        return url + "?" + self.query if self.query else url

    @property
    def redacted(self) -> str:
        """The manifest URL without the user's secrets, for logs and dialogs."""
        return redact_url(self.manifest_url)


def parse_manifest_url(url: str) -> ManifestUrl:
    """Parse and normalise a manifest URL; raise :class:`errors.InvalidManifestUrl`.

    Accepts the URL with or without ``/manifest.json``, surrounding spaces, the
    ``stremio://`` scheme Stremio's "install" buttons use (mapped to https), and every form in
    the module docstring. A fragment is dropped; the query string is kept.
    """
    text = (url or "").strip()
    if not text:
        raise errors.InvalidManifestUrl("No AIOStreams manifest URL is configured.")
    if text.startswith("stremio://"):
        text = "https://" + text[len("stremio://") :]
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.InvalidManifestUrl(
            "The manifest URL must start with http:// or https://.", redact_url(text)
        )
    path = parts.path
    if path.endswith("/manifest.json"):
        path = path[: -len("/manifest.json")]
    match = _STREMIO_PATH.match(path)
    if match is None:
        raise errors.InvalidManifestUrl(
            "This does not look like an AIOStreams manifest URL "
            "(expected .../stremio/<id>/<password>/manifest.json).",
            redact_url(text),
        )
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))
    query = parts.query
    selected = urllib.parse.parse_qs(query).get("v")
    variant = match.group("variant") or (selected[0] if selected else "")
    alias = match.group("alias")
    return ManifestUrl(
        manifest_url=base + "/manifest.json" + ("?" + query if query else ""),
        base_url=base,
        host=parts.netloc,
        user="u/" + alias if alias else match.group("uuid"),
        query=query,
        variant=urllib.parse.unquote(variant),
    )


def manifest_url_for(instance_url: str, uuid: str, encrypted_password: str) -> str:
    """The manifest URL of a configuration on the instance at ``instance_url`` (the address
    the user opens AIOStreams at, with or without a trailing ``/`` or sub-path)."""
    base = (instance_url or "").strip().rstrip("/")
    for suffix in ("/stremio/configure", "/configure", "/stremio"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    quote = urllib.parse.quote
    parts = (base, quote(uuid, safe=""), quote(encrypted_password, safe=""))
    return "{}/stremio/{}/{}/manifest.json".format(*parts)


def looks_like_aiostreams(manifest: Any) -> bool:
    """True for a Stremio manifest published by AIOStreams."""
    if not isinstance(manifest, dict):
        return False
    if not all(key in manifest for key in ("id", "name", "resources")):
        return False
    text = "{} {} {}".format(
        manifest.get("id", ""), manifest.get("name", ""), manifest.get("description", "")
    )
    return "aiostreams" in text.lower()


def instance_error_text(payload: Any) -> Optional[str]:
    """The error message in an AIOStreams API error body (``{"error": {...}}``), if any."""
    if not isinstance(payload, dict):
        return None
    err = payload.get("error")
    if isinstance(err, dict):
        message = err.get("message") or err.get("description") or err.get("title")
        if message:
            return str(message)
    if isinstance(err, str) and err and payload.get("success") is False:
        return err
    if payload.get("success") is False and payload.get("detail"):
        return str(payload["detail"])
    return None


__all__ = [
    "USER_AGENT",
    "ManifestUrl",
    "instance_error_text",
    "looks_like_aiostreams",
    "manifest_url_for",
    "parse_manifest_url",
]
