"""Failures as data: what failed in a sync, why (a reason code) and when it is retried.

A failure record is a plain dict, stored as JSON in ``sync_runs.failures`` and returned in
``SyncResult.failures``::

    {"unit": "watchlist", "part": None, "reason": "rate_limited", "retry_at": 1767729900.0}

``unit`` is the engine unit (``watched_movies`` ... ``ratings``, ``metadata``, ``outbox``) or
None when the run failed as a whole. ``part`` names the request of a unit built from several
(a hidden section, a collection type). The front ends turn ``reason`` into words from
strings.po (``service/failure_text.py``); nothing here is meant for a user's eyes.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List, Optional

from ...trakt import errors
from .items import MalformedItem

NETWORK = "network"
RATE_LIMITED = "rate_limited"
SERVER = "server"
BAD_RESPONSE = "bad_response"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NOT_OFFERED = "not_offered"
ACCOUNT_LOCKED = "account_locked"
ACCOUNT_LIMIT = "account_limit"
VIP_ONLY = "vip_only"
REFUSED = "refused"
BUSY = "busy"
DATABASE = "database"
DISK_FULL = "disk_full"
LEASE_LOST = "lease_lost"
INTERNAL = "internal"
REASONS = (
    NETWORK, RATE_LIMITED, SERVER, BAD_RESPONSE, UNAUTHORIZED, FORBIDDEN, NOT_OFFERED,
    ACCOUNT_LOCKED, ACCOUNT_LIMIT, VIP_ONLY, REFUSED, BUSY, DATABASE, DISK_FULL, LEASE_LOST,
    INTERNAL,
)  # fmt: skip
# Reasons that are not failures: the run stays "ok" (an endpoint this server does not offer).
NOT_FAILURES = (NOT_OFFERED,)

_BY_ERROR = (
    (errors.NetworkError, NETWORK),
    (errors.RateLimited, RATE_LIMITED),
    (errors.ServerError, SERVER),
    (errors.BadResponse, BAD_RESPONSE),
    (errors.Unauthorized, UNAUTHORIZED),
    (errors.ReauthorizationRequired, UNAUTHORIZED),
    (errors.Forbidden, FORBIDDEN),
    (errors.NotFound, NOT_OFFERED),
    (errors.AccountLocked, ACCOUNT_LOCKED),
    (errors.AccountLimit, ACCOUNT_LIMIT),
    (errors.VipOnly, VIP_ONLY),
    (errors.LockTimeout, BUSY),
    (errors.TraktError, REFUSED),
    (MalformedItem, BAD_RESPONSE),
)


def reason_of(exc: BaseException) -> str:
    """The reason code of an exception a sync step raised."""
    for cls, reason in _BY_ERROR:
        if isinstance(exc, cls):
            return reason
    if isinstance(exc, sqlite3.Error):
        return DISK_FULL if "full" in str(exc).lower() else DATABASE
    if type(exc).__name__ == "LeaseLost":
        return LEASE_LOST
    return INTERNAL


def is_connection_failure(exc: BaseException) -> bool:
    """Trakt could not be reached at all (no connection): the run ends at the first one.

    A dropped or slow answer of one endpoint is not this: the other units still go on.
    """
    return isinstance(exc, errors.NetworkError) and getattr(exc, "transport", None) == "connect"


def record(
    unit: Optional[str], reason: str, retry_at: Optional[float] = None, part: Optional[str] = None
) -> Dict[str, Any]:
    return {"unit": unit, "part": part, "reason": reason, "retry_at": retry_at}


def counted(failures: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The records that make a run partial or failed (``not_offered`` does not)."""
    return [item for item in failures if item.get("reason") not in NOT_FAILURES]
