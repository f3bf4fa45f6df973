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
    """The outcome of :func:`test_connection`, in words a user understands.

    ``status``: ``ok`` | ``invalid_url`` | ``unreachable`` | ``timeout`` | ``not_aiostreams``
    | ``instance_error`` | ``rate_limited`` | ``aborted``. ``message`` is a full sentence.
    """

    ok: bool
    status: str
    message: str
    name: str = ""
    version: str = ""
    base_url: str = ""


def _report(status: str, message: str, **extra: str) -> ConnectionReport:
    return ConnectionReport(ok=status == "ok", status=status, message=message, **extra)


def test_connection(
    url: str,
    *,
    timeout: float = 20.0,
    user_agent: str = USER_AGENT,
    should_abort: Optional[Callable[[], bool]] = None,
    probe_id: Optional[str] = None,
) -> ConnectionReport:
    """Check a manifest URL and say what is wrong in plain words. Never raises.

    With ``probe_id`` (e.g. ``"tt0111161"``) it also asks for that movie's streams, which is
    where AIOStreams reports a wrong password or an unconfigured instance (as an error stream).
    That costs one stream request against the instance's rate limit.
    """
    try:
        parsed = parse_manifest_url(url)
    except errors.InvalidManifestUrl as exc:
        return _report("invalid_url", exc.user_message)
    headers = {"User-Agent": user_agent, "Accept": "application/json"}
    try:
        response = fetch(
            parsed.manifest_url, headers=headers, timeout=timeout, should_abort=should_abort
        )
    except errors.Aborted:
        return _report("aborted", "The connection test was cancelled.")
    except errors.Timeout:
        return _report("timeout", f"{parsed.host} did not answer within {timeout:g} seconds.")
    except errors.Unreachable as exc:
        return _report(
            "unreachable", "Could not reach {}: {}.".format(parsed.host, exc.detail or "no answer")
        )
    payload: Any = None
    try:
        payload = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    message = instance_error_text(payload)
    if response.status == 429:
        return _report("rate_limited", "AIOStreams is rate-limiting requests: try again shortly.")
    if message and (response.status >= 400 or not looks_like_aiostreams(payload)):
        return _report("instance_error", f"AIOStreams answered with an error: {message}")
    if response.status >= 400:
        return _report(
            "not_aiostreams",
            f"{parsed.host} answered HTTP {response.status}: this is not an AIOStreams manifest.",
        )
    if not looks_like_aiostreams(payload):
        return _report(
            "not_aiostreams",
            f"{parsed.host} answered, but not with an AIOStreams manifest.",
        )
    name = str(payload.get("name", ""))
    version = str(payload.get("version", ""))
    if probe_id:
        client = AIOStreamsClient(
            parsed.manifest_url, timeout=timeout, user_agent=user_agent, should_abort=should_abort
        )
        try:
            client.streams("movie", probe_id)
        except errors.Aborted:
            return _report("aborted", "The connection test was cancelled.")
        except errors.RateLimited as exc:
            return _report("rate_limited", f"AIOStreams is rate-limiting: {exc.user_message}")
        except errors.InstanceError as exc:
            return _report(
                "instance_error", f"AIOStreams answered with an error: {exc.user_message}"
            )
        except errors.AIOStreamsError as exc:
            return _report(exc.code, exc.user_message)
    log.info("AIOStreams connection OK: %s %s at %s", name, version, parsed.redacted)
    return _report(
        "ok",
        f"Connected to {name} {version}.".replace(" .", "."),
        name=name,
        version=version,
        base_url=parsed.base_url,
    )


# pytest would collect a module-level ``test_*`` function imported into a test module.
test_connection.__test__ = False  # type: ignore[attr-defined]


__all__ = ["ConnectionReport", "test_connection"]
