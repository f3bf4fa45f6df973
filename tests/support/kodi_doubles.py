"""Settings for the xbmc doubles' state that several tiers share."""

from __future__ import annotations

from typing import Any


def point_at_sandbox(state: Any, sb: Any) -> Any:
    """The add-on pointed at the Trakt sandbox ``sb`` (its app set) and the service ticking every
    second; returns ``state`` so a ``kodi`` fixture can end with it."""
    for key, value in (
        ("trakt_api_url", sb.url),
        ("trakt_oauth_url", sb.url),
        ("trakt_client_id", sb.client_id),
        ("trakt_client_secret", sb.client_secret),
        ("trakt_sync_interval_seconds", 1),
        ("service_tick_seconds", 1),
    ):
        state.set_setting(key, value)
    return state
