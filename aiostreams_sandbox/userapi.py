"""AIOStreams' REST user route and the manifest URL forms it issues, for the sandbox.

* ``GET /api/v1/user`` with ``Authorization: Basic base64(uuid:password)`` answers
  ``{success, detail, data: {userData, encryptedPassword}, error}``; the uuid may also be the
  configuration's alias. No Basic header is refused with 400 ``MISSING_REQUIRED_FIELDS``, even
  when ``?uuid=&password=`` are given (the query form was dropped in v2.30); wrong credentials
  are 400 ``USER_INVALID_DETAILS``.
* ``/stremio/u/<alias>/<rest>`` redirects (302) to ``/stremio/<uuid>/<encryptedPassword>/<rest>``
  keeping the query string (it may carry ``?v=``).
* variants: ``/stremio/<uuid>/<pw>/v/<variant>/<rest>`` or ``?v=<variant>``. An unknown variant
  answers a Stremio resource with an error (HTTP 200) and the manifest with 400
  ``USER_INVALID_CONFIG``.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from typing import Any, Dict, List, Optional, Tuple

ALIAS = "sandbox-alias"
PLAIN_PASSWORD = "sandbox plain password: s3cret!"
VARIANTS = ("lite", "4k")


def api_error(code: str, message: str) -> Dict[str, Any]:
    return {"success": False, "detail": None, "data": None,
            "error": {"code": code, "message": message}}  # fmt: skip


def _basic(header: Optional[str]) -> Optional[Tuple[str, str]]:
    """(user, password) from a Basic header; None without one; ValueError when malformed."""
    if not header:
        return None
    if not header.startswith("Basic "):
        raise ValueError("Invalid Authorization header: expected 'Basic <base64>'")
    try:
        text = base64.b64decode(header[len("Basic ") :].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("Invalid Authorization header: %s" % exc) from None
    if ":" not in text:
        raise ValueError("Invalid basic auth format: expected 'uuid:password'")
    user, password = text.split(":", 1)
    return user, password


def user_route(sandbox: Any, headers: Any) -> Tuple[int, Dict[str, Any]]:
    """``(status, body)`` of ``GET /api/v1/user``."""
    try:
        creds = _basic(headers.get("Authorization"))
    except ValueError as exc:
        return 400, api_error("BAD_REQUEST", str(exc))
    if creds is None:
        return 400, api_error("MISSING_REQUIRED_FIELDS", "Authorization header (Basic) is required")
    user, password = creds
    uuid = sandbox.uuid if user == ALIAS else user
    if uuid != sandbox.uuid or password != PLAIN_PASSWORD:
        return 400, api_error("USER_INVALID_DETAILS", "Invalid UUID or password")
    body = {
        "success": True,
        "detail": "User details retrieved successfully",
        "data": {
            "userData": {"uuid": sandbox.uuid, "addonName": "AIOStreams", "presets": []},
            "encryptedPassword": sandbox.password,
        },
        "error": None,
    }
    return 200, body


def alias_target(sandbox: Any, raw_path: str) -> Optional[str]:
    """The redirect target of ``/stremio/u/<alias>/...`` (None for an unknown alias)."""
    parts = urllib.parse.urlsplit(raw_path)
    segments = parts.path.strip("/").split("/")
    if len(segments) < 3 or segments[2] != ALIAS:
        return None
    rest = "/".join(segments[3:])
    target = "/stremio/%s/%s/%s" % (sandbox.uuid, sandbox.password, rest)
    return target + ("?" + parts.query if parts.query else "")


def split_variant(raw_path: str) -> Tuple[str, Optional[str]]:
    """(the raw path without ``/v/<variant>``, the variant from the path or ``?v=``)."""
    parts = urllib.parse.urlsplit(raw_path)
    segments: List[str] = parts.path.split("/")
    variant = None
    # ['', 'stremio', uuid, password, 'v', variant, ...]
    if len(segments) > 6 and segments[4] == "v":
        variant = urllib.parse.unquote(segments[5])
        segments = segments[:4] + segments[6:]
    query = urllib.parse.parse_qs(parts.query)
    if variant is None and query.get("v"):
        variant = query["v"][0]
    path = "/".join(segments) + ("?" + parts.query if parts.query else "")
    return path, variant


def unknown_variant(variant: Optional[str]) -> bool:
    return variant is not None and any(v not in VARIANTS for v in variant.split(","))


__all__ = ["ALIAS", "PLAIN_PASSWORD", "VARIANTS", "alias_target", "split_variant", "user_route"]
