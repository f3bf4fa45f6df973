"""Sign in to an AIOStreams instance with the configuration's UUID and password.

An alternative to pasting the manifest URL: ``GET <instance>/api/v1/user`` with HTTP Basic
``uuid:password`` answers ``{success, data: {userData, encryptedPassword}}`` and the manifest
URL is ``<instance>/stremio/<uuid>/<encryptedPassword>/manifest.json``. The credentials travel
only in the ``Authorization`` header: since v2.30 AIOStreams refuses ``?uuid=&password=``, and a
query string would land in server and proxy logs. The UUID may also be the configuration's alias
(the server resolves it); the manifest URL then uses the real UUID from ``userData``.

:func:`sign_in` never raises: it returns a :class:`SignInResult` with a code (the front end
words it from strings.po) and, on success, the manifest URL. Nothing here logs the password or
the header; the log names the host and the outcome only.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import errors
from .http import fetch
from .manifest import USER_AGENT, instance_error_text, manifest_url_for

log = logging.getLogger(__name__)

USER_PATH = "/api/v1/user"

OK = "ok"
MISSING = "missing"  # no instance URL, UUID or password given
INVALID_URL = "invalid_url"
WRONG_CREDENTIALS = "wrong_credentials"
REFUSED = "refused"  # the instance refused the request itself (e.g. no Basic auth support)
NOT_AIOSTREAMS = "not_aiostreams"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
RATE_LIMITED = "rate_limited"
ABORTED = "aborted"
CODES = (
    OK,
    MISSING,
    INVALID_URL,
    WRONG_CREDENTIALS,
    REFUSED,
    NOT_AIOSTREAMS,
    UNREACHABLE,
    TIMEOUT,
    RATE_LIMITED,
    ABORTED,
)


@dataclass(frozen=True)
class SignInResult:
    """``code`` is one of :data:`CODES`; ``detail`` is the instance's own text when it gave one
    (never the password); ``manifest_url`` is set when ``code == "ok"``."""

    code: str
    manifest_url: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.code == OK


def instance_base(url: str) -> str:
    """The instance's address from what the user typed: a plain ``https://host[/path]``, or a
    manifest / configure URL of that instance (the part before ``/stremio/``). Raises
    :class:`errors.InvalidManifestUrl` for anything that is not http(s)."""
    text = (url or "").strip()
    if text.startswith("stremio://"):
        text = "https://" + text[len("stremio://") :]
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.InvalidManifestUrl("The AIOStreams address must start with http(s)://.")
    path = parts.path
    if "/stremio/" in path + "/":
        path = (path + "/").split("/stremio/", 1)[0]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


def basic_header(uuid: str, password: str) -> str:
    token = base64.b64encode(("%s:%s" % (uuid, password)).encode("utf-8")).decode("ascii")
    return "Basic " + token


def sign_in(
    instance_url: str,
    uuid: str,
    password: str,
    *,
    timeout: float = 20.0,
    should_abort: Optional[Callable[[], bool]] = None,
    user_agent: str = USER_AGENT,
) -> SignInResult:
    """Ask the instance for the configuration's manifest URL (see the module docstring)."""
    uuid = (uuid or "").strip()
    if not (instance_url or "").strip() or not uuid or not password:
        return SignInResult(MISSING)
    try:
        base = instance_base(instance_url)
    except errors.InvalidManifestUrl:
        return SignInResult(INVALID_URL)
    host = urllib.parse.urlsplit(base).netloc
    headers = {
        "User-Agent": user_agent,
        "Accept": "application/json",
        "Authorization": basic_header(uuid, password),
    }
    url = base + USER_PATH
    try:
        response = fetch(url, headers=headers, timeout=timeout, should_abort=should_abort)
    except errors.Aborted:
        return SignInResult(ABORTED)
    except errors.Timeout:
        return SignInResult(TIMEOUT)
    except errors.Unreachable as exc:
        return SignInResult(UNREACHABLE, detail=exc.detail or "")
    result = _read_answer(base, uuid, response.status, response.body)
    log.info("AIOStreams sign-in at %s: %s (HTTP %d)", host, result.code, response.status)
    return result


def _read_answer(base: str, uuid: str, status: int, body: bytes) -> SignInResult:
    try:
        payload: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if status == 429:
        return SignInResult(RATE_LIMITED)
    if not isinstance(payload, dict) or "success" not in payload:
        return SignInResult(NOT_AIOSTREAMS)
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    text = instance_error_text(payload) or ""
    if payload.get("success") is not True or status >= 400:
        if error.get("code") in ("USER_INVALID_DETAILS", "USER_NOT_FOUND") or status == 401:
            return SignInResult(WRONG_CREDENTIALS, detail=text)
        if error.get("code") == "RATE_LIMIT_EXCEEDED":
            return SignInResult(RATE_LIMITED, detail=text)
        return SignInResult(REFUSED, detail=text)
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    encrypted = data.get("encryptedPassword")
    user_data = data.get("userData") if isinstance(data.get("userData"), dict) else {}
    real_uuid = user_data.get("uuid") if isinstance(user_data.get("uuid"), str) else uuid
    if not isinstance(encrypted, str) or not encrypted:
        return SignInResult(NOT_AIOSTREAMS)
    return SignInResult(OK, manifest_url=manifest_url_for(base, real_uuid or uuid, encrypted))


__all__ = ["CODES", "SignInResult", "basic_header", "instance_base", "sign_in"]
