"""Checks the credentials of the user's Trakt API app (the guided setup's step 3).

Trakt has no call that checks a client id and secret together. ``POST /oauth/device/code``
answers 200 for a client id it knows and 401/403 for one it does not, so asking for a device code
is the check of the id, and the code it returns is the one the user then enters. The secret is
sent only when polling for the token: a 401/403 there (``invalid_client``) means the secret is
wrong. Outcomes are codes; the front end words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import errors

OK = "ok"
UNKNOWN_CLIENT = "unknown_client"  # Trakt does not know the client id
FAILED = "failed"  # no answer about the id (network, 5xx, 429...): see ``error``

_REFUSED = (401, 403)


@dataclass(frozen=True)
class AppCheck:
    """The outcome of :func:`check_client_id`; ``device_code`` is set when it is ``OK``."""

    outcome: str
    device_code: Any = None
    error: Optional[errors.TraktError] = None


def check_client_id(client: Any) -> AppCheck:
    """Ask Trakt for a device code with ``client``'s id: OK (with the code), UNKNOWN_CLIENT or
    FAILED. ``errors.Aborted`` (Kodi is quitting) is left to the caller."""
    try:
        code = client.request_device_code()
    except errors.TraktError as exc:
        if exc.status in _REFUSED:
            return AppCheck(UNKNOWN_CLIENT, error=exc)
        return AppCheck(FAILED, error=exc)
    return AppCheck(OK, device_code=code)


def secret_refused(exc: BaseException) -> bool:
    """True when a device-token poll failed because Trakt refused the app's secret."""
    return isinstance(exc, errors.TraktError) and exc.status in _REFUSED
