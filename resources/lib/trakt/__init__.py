"""Trakt API client: HTTP transport, device-code auth, token store, pagination, typed errors.

Kodi-free: nothing in this package imports ``xbmc``. Front ends build a
:class:`~resources.lib.trakt.client.TraktClient` from their settings and pass it to the core.
"""

from __future__ import annotations

# Kept in step with addon.xml by tests/unit/test_trakt_http.py.
ADDON_VERSION = "2.9.0"
