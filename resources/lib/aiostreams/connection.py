"""The plain-words AIOStreams connection test: is this manifest URL a working instance?

Kept apart from ``manifest.py`` because the optional probe asks for streams through
:class:`AIOStreamsClient`, and the client imports ``manifest.py``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import errors
from .client import AIOStreamsClient
from .http import fetch
from .manifest import USER_AGENT, instance_error_text, looks_like_aiostreams, parse_manifest_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionReport:
    """The outcome of :func:`test_connection` as a code and its details, no words: the front
    ends word it from strings.po (``connection_text.report_text``).

    ``status``: ``ok`` | ``invalid_url`` | ``unreachable`` | ``timeout`` | ``not_aiostreams``
    | ``instance_error`` | ``rate_limited`` | ``aborted`` (or another ``errors`` code from the
    probe). ``reason`` tells the ``invalid_url`` cases apart (``missing`` | ``scheme`` |
    ``shape``); ``host``, ``seconds`` and ``http_status`` fill the words; ``detail`` is the
    instance's own error text, or the network's reason, shown as is.
    """

    ok: bool
    status: str
    host: str = ""
    seconds: float = 0.0
    http_status: int = 0
    detail: str = ""
    reason: str = ""
    name: str = ""
    version: str = ""
    base_url: str = ""


def _report(status: str, **extra: Any) -> ConnectionReport:
    return ConnectionReport(ok=status == "ok", status=status, **extra)


def _invalid_url_reason(url: str) -> str:
    text = (url or "").strip()
    if not text:
        return "missing"
    if not text.lower().startswith(("http://", "https://", "stremio://")):
        return "scheme"
    return "shape"


def test_connection(
    url: str,
    *,
    timeout: float = 20.0,
    user_agent: str = USER_AGENT,
    should_abort: Optional[Callable[[], bool]] = None,
    probe_id: Optional[str] = None,
) -> ConnectionReport:
    """Check a manifest URL and report what is wrong as a code. Never raises.

    With ``probe_id`` (e.g. ``"tt0111161"``) it also asks for that movie's streams, which is
    where AIOStreams reports a wrong password or an unconfigured instance (as an error stream).
    That costs one stream request against the instance's rate limit.
    """
    try:
        parsed = parse_manifest_url(url)
    except errors.InvalidManifestUrl:
        return _report("invalid_url", reason=_invalid_url_reason(url))
    host = parsed.host
    headers = {"User-Agent": user_agent, "Accept": "application/json"}
    try:
        response = fetch(
            parsed.manifest_url, headers=headers, timeout=timeout, should_abort=should_abort
        )
    except errors.Aborted:
        return _report("aborted", host=host)
    except errors.Timeout:
        return _report("timeout", host=host, seconds=timeout)
    except errors.Unreachable as exc:
        return _report("unreachable", host=host, detail=exc.detail or "")
    payload: Any = None
    try:
        payload = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    instance_text = instance_error_text(payload)
    status = response.status
    if status == 429:
        return _report("rate_limited", host=host, http_status=status)
    if instance_text and (status >= 400 or not looks_like_aiostreams(payload)):
        return _report("instance_error", host=host, http_status=status, detail=instance_text)
    if status >= 400 or not looks_like_aiostreams(payload):
        return _report("not_aiostreams", host=host, http_status=status)
    name = str(payload.get("name", ""))
    version = str(payload.get("version", ""))
    if probe_id:
        client = AIOStreamsClient(
            parsed.manifest_url, timeout=timeout, user_agent=user_agent, should_abort=should_abort
        )
        try:
            client.streams("movie", probe_id)
        except errors.InstanceError as exc:  # its message is the instance's own text
            return _report("instance_error", host=host, detail=exc.user_message)
        except errors.AIOStreamsError as exc:
            http_status = getattr(exc, "status", 0) or 0
            detail = exc.detail or ""
            return _report(exc.code, host=host, http_status=http_status, detail=detail)
    log.info("AIOStreams connection OK: %s %s at %s", name, version, parsed.redacted)
    return _report("ok", host=host, name=name, version=version, base_url=parsed.base_url)


# pytest would collect a module-level ``test_*`` function imported into a test module.
test_connection.__test__ = False  # type: ignore[attr-defined]


__all__ = ["ConnectionReport", "test_connection"]
