"""Timestamps in the shapes the core may hand over (epoch numbers, ISO strings, datetimes),
turned into epoch seconds and into local time for the user. Pure, no Kodi."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Optional


def to_epoch(value: Any) -> Optional[float]:
    """Epoch seconds from an int/float, an ISO 8601 string (``Z`` or offset; naive = UTC) or a
    datetime; None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    if isinstance(value, _dt.datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            pass
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


def local_time(value: Any, with_date: bool = True) -> str:
    """A timestamp as local time for a dialog ("2026-11-28 14:05" or "14:05"); "" if unknown."""
    epoch = to_epoch(value)
    if epoch is None:
        return ""
    moment = _dt.datetime.fromtimestamp(epoch)
    return moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
