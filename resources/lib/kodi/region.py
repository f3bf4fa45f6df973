"""Times of day as the user's region setting writes them (Settings > Interface > Regional).

``xbmc.getRegion('time')`` answers the region's format in strftime form: ``%I:%M:%S %p`` for
Kodi's default "USA (12h)", ``%H:%M:%S`` for a 24-hour region. Lists show no seconds, and the
hour of a 12-hour clock unpadded as Kodi's own clock shows it (its format says ``h``, which
getRegion turns into ``%I``). The command line keeps 24 hours (``%H:%M``).
"""

from __future__ import annotations

import datetime
import re

import xbmc

_SECONDS = re.compile(r"[:.]?%S")
_FALLBACK = "%H:%M"


def _region(name: str) -> str:
    try:
        return str(xbmc.getRegion(name) or "")
    except Exception:  # an old or broken runtime: the fallback format
        return ""


def format_time(moment: datetime.datetime) -> str:
    """``moment``'s time of day in the region's format without seconds: ``8:05 PM``, ``20:05``."""
    text = _SECONDS.sub("", _region("time")).strip() or _FALLBACK
    if "%p" in text:
        am, _, pm = _region("meridiem").partition("/")
        symbol = pm if moment.hour >= 12 else am
        if symbol:  # the region's own symbols; else strftime's
            text = text.replace("%p", symbol.replace("%", "%%"))
    text = text.replace("%I", str(moment.hour % 12 or 12))
    return moment.strftime(text)
