"""Plugin URLs: ``url_for`` (a route) and ``play_url`` (the play route).

Kept apart from the router, the views and the context menu so that each of them can build URLs
without importing the others (the router imports a view only when its route runs, and a list
view never imports the play stack).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from resources.lib.constants import ADDON_ID

ADDON_URL = f"plugin://{ADDON_ID}/"
PLAY_URL = ADDON_URL + "play"


def url_for(action: str, **params: object) -> str:
    """The plugin URL of a route (None values are left out)."""
    query = {"action": action}
    query.update({key: str(value) for key, value in params.items() if value is not None})
    return ADDON_URL + "?" + urlencode(query)


def play_url(**params: Any) -> str:
    """``plugin://plugin.video.aiostreams/play?...`` (None and empty values left out)."""
    query = {"action": "play"}  # the route is in the path too: older routers read the query
    query.update({k: str(v) for k, v in params.items() if v not in (None, "")})
    return PLAY_URL + "?" + urlencode(query)


__all__ = ["ADDON_URL", "PLAY_URL", "play_url", "url_for"]
