"""Names every part of the add-on shares, defined once here (Kodi-free: the core imports it).

- the add-on id (Kodi's id for it, the data folder's name, the User-Agent's product);
- the default Trakt API and OAuth base URL (the settings, the client and the CLI default to it);
- the files in the add-on's data folder;
- the home-window properties the Kodi-free core reads; ``kodi/window.py`` holds the others and
  re-exports these, so the Kodi side finds every cross-process property in one place.
"""

from __future__ import annotations

ADDON_ID = "plugin.video.aiostreams"

DEFAULT_TRAKT_URL = "https://api.trakt.tv"

# Files in the data folder (special://profile/addon_data/<ADDON_ID>/ under Kodi).
DB_FILENAME = "trakt_sync.db"
TOKEN_FILENAME = "trakt_tokens.json"
META_CACHE_FILENAME = "meta_cache.db"
CLI_CONFIG_FILENAME = "cli_config.json"
MIGRATION_FLAG_FILENAME = ".migration_complete"
LEGACY_CACHE_DIR = "cache"
LEGACY_OUTBOX_FILENAME = "scrobble_outbox.json"
INFLIGHT_FILENAME = "scrobble_inflight.json"

# Home-window properties written by the plugin and read by the service's scrobble worker: what
# is about to play, and the one-time "try the next stream" URL for a placeholder clip.
NOW_PLAYING_PROPERTY = "aiostreams.now_playing"
PLAY_RETRY_PROPERTY = "aiostreams.play_retry"

# h28-upnext-play: the next episode's stream list, fetched once by the service's Up Next and
# handed to the play route (JSON of ``upnext.prepared.PreparedStreams``).
UPNEXT_PREPARED_PROPERTY = "aiostreams.upnext.prepared"
# "true" while the Up Next dialog is open and until the next episode it started plays (the
# rating prompt stays away meanwhile).
UPNEXT_ACTIVE_PROPERTY = "aiostreams.upnext.active"
