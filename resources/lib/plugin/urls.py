"""Plugin URLs: ``url_for`` (a route) and ``play_url`` (the play route).

Kept apart from the router, the views and the context menu so that each of them can build URLs
without importing the others (the router imports a view only when its route runs, and a list
view never imports the play stack).

A list builds several URLs per item (the item and its context entries), so the query is encoded
here without ``urlencode``: most values (ids, numbers, types) are plain ASCII letters and digits
and go in as they are; only the others pass through ``quote_plus``. The result is the same
string ``urlencode`` gives.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional
from urllib.parse import quote_plus

from resources.lib.constants import ADDON_ID

ADDON_URL = f"plugin://{ADDON_ID}/"
PLAY_URL = ADDON_URL + "play"
_ROUTE_PREFIX = ADDON_URL + "?action="
_PLAY_PREFIX = PLAY_URL + "?action=play"
_NUMBER = re.compile(r"^[0-9]{1,10}$")


def _quote(text: str) -> str:
    """``quote_plus(text, safe="")`` with a fast path for ASCII letters, digits and ``_.-~``."""
    if text.isascii() and text.replace("_", "").replace("-", "").replace(".", "").isalnum():
        return text
    return quote_plus(text, safe="")


def _query(params: Any, skip: tuple) -> str:
    parts = []
    for key, value in params.items():
        if value in skip:
            continue
        parts.append("&" + _quote(key) + "=" + _quote(str(value)))
    return "".join(parts)


def url_for(action: str, **params: object) -> str:
    """The plugin URL of a route (None values are left out)."""
    return _ROUTE_PREFIX + _quote(action) + _query(params, (None,))


def play_url(**params: Any) -> str:
    """``plugin://plugin.video.aiostreams/play?...`` (None and empty values left out)."""
    # The route is in the path too: older routers read the query.
    return _PLAY_PREFIX + _query(params, (None, ""))


def number_param(params: Dict[str, str], name: str) -> Optional[int]:
    """A whole number from a route's parameters: None when absent or empty, ValueError when it
    is anything but 1-10 digits (a hostile or broken URL)."""
    text = params.get(name)
    if text is None or text == "":
        return None
    if not _NUMBER.match(text):
        raise ValueError("%s is not a number" % name)
    return int(text)


__all__ = ["ADDON_URL", "PLAY_URL", "number_param", "play_url", "url_for"]
