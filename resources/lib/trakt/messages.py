"""What a Trakt error says to the user: the strings.po id of each error's message code.

The errors themselves carry only codes (``errors.TraktError.message_code``). A front end turns
a code into words with its own ``localize``: ``kodi.localize.localize`` in Kodi (the user's
language), ``i18n.localize`` on the command line and in logs (English from the same file).
"""

from __future__ import annotations

from typing import Any, Callable

from .. import i18n

Localize = Callable[..., str]

GENERIC = 31300  # "Trakt could not complete the request. Please try again later."
MESSAGES = {
    "trakt_error": GENERIC,
    "unauthorized": 31301,
    "reauthorization_required": 31302,
    "forbidden": 31303,
    "app_credentials_rejected": 31304,
    "not_found": 31305,
    "conflict": 31306,
    "account_limit": 31307,
    "account_locked": 31308,
    "account_deactivated": 31309,
    "vip_only": 31310,
    "rate_limited": 31311,
    "server_error": 31312,
    "network_error": 31313,
    "bad_response": 31314,
    "client_error": 31315,
    "lock_timeout": 31316,
    "device_code_expired": 31317,
    "device_code_denied": 31318,
    "device_code_invalid": 31319,
    "device_code_used": 31320,
    "device_auth_cancelled": 31321,
}


def message_id(error: Any) -> int:
    """The strings.po id of what ``error`` (a TraktError, or its message code) says."""
    code = error if isinstance(error, str) else getattr(error, "message_code", None)
    return MESSAGES.get(str(code), GENERIC)


def message_text(error: Any, localize: Localize = i18n.localize) -> str:
    """``error``'s message in words from ``localize`` (English by default)."""
    return localize(message_id(error))
