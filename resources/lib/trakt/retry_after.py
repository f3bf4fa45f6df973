"""How long Trakt asks us to wait, read from a response's headers (no clock of its own).

``Retry-After`` is either seconds or an HTTP date; without it, Trakt's ``X-Ratelimit`` JSON
header may carry an ``until`` timestamp. Both are turned into seconds from ``now``; the client
caps the result and falls back to its own backoff when neither header is usable.
"""

from __future__ import annotations

import email.utils
import json
from datetime import datetime
from typing import Mapping, Optional


def seconds_to_wait(headers: Mapping[str, str], now: float) -> Optional[float]:
    """Seconds until Trakt accepts requests again, or None when the headers do not say."""
    value = headers.get("retry-after")
    if value is not None:
        value = value.strip()
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return email.utils.parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError):
            pass
    return _ratelimit_until(headers.get("x-ratelimit"), now)


def _ratelimit_until(header: Optional[str], now: float) -> Optional[float]:
    if not header:
        return None
    try:
        info = json.loads(header)
        until = info.get("until") if isinstance(info, dict) else None
        if not isinstance(until, str):
            return None
        when = until.replace("Z", "+00:00")
        return datetime.fromisoformat(when).timestamp() - now
    except (ValueError, TypeError):
        return None
