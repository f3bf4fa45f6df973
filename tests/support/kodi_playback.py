"""Playback in a real Kodi: the Trakt account the playback tests share, a Kodi booted with its
mirror already synced, and the JSON-RPC reads and calls those tests make about the player."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List

from aiostreams_sandbox.server import AIOStreamsSandbox
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID, KodiInstance
from tests.support.kodi_ui import STARTED, TOKEN_NAME, db_path, sandbox_settings

SHOW = 81189
NEXT_UP_URL = f"plugin://{ADDON_ID}/?action=next_up"


def breaking_bad_account() -> Dict[str, Any]:
    """A Trakt account whose Next Up is Breaking Bad S01E01: the show was restarted after three
    plays, so they do not count."""
    episodes = [
        {"trakt": 9000 + n, "number": n, "title": f"Episode {n}", "first_aired": f"now-{900 - n}d",
         "runtime": 47}
        for n in range(1, 6)
    ]  # fmt: skip
    episodes[0]["title"] = "Pilot"
    return {
        "user": {"username": "walter", "slug": "walter"},
        "shows": [
            {
                "trakt": SHOW,
                "title": "Breaking Bad",
                "year": 2008,
                "imdb": "tt0903747",
                "tmdb": 1396,
                "tvdb": 81189,
                "runtime": 47,
                "status": "ended",
                "seasons": [{"trakt": 3950, "number": 1, "episodes": episodes}],
            }
        ],  # fmt: skip
        "history": [
            {"show": SHOW, "season": 1, "number": n, "watched_at": f"now-{40 - n}d"}
            for n in (1, 2, 3)
        ],
        "reset_at": {str(SHOW): "now-10d"},
    }


def boot_synced(
    kodi_factory: Callable[..., KodiInstance], trakt: Sandbox, aio: AIOStreamsSandbox, **extra: Any
) -> KodiInstance:
    """A Kodi whose mirror was synced (here, before it starts) and whose auto-sync is off."""
    settings = sandbox_settings(
        trakt,
        trakt_sync_auto=False,
        aiostreams_manifest_url=aio.manifest_url,
        playback_placeholder_seconds=10,
        **extra,
    )
    kodi = kodi_factory(settings=settings, start=False)
    kodi.prepare_home()
    kodi.addon_data_dir.mkdir(parents=True, exist_ok=True)
    store = TokenStore(str(kodi.addon_data_dir / TOKEN_NAME))
    store.save(Tokens.from_response(trakt.issue_tokens()))
    client = TraktClient(trakt.client_id, trakt.client_secret, token_store=store,
                         api_url=trakt.url, oauth_url=trakt.url)  # fmt: skip
    with TraktSyncDatabase(str(db_path(kodi))) as db:
        assert db.sync_activities(client, force=True, trigger="manual").status == "ok"
    client.close()
    kodi.start()
    kodi.wait_for_log(STARTED, timeout=20)
    kodi.go_home()
    return kodi


def next_up_items(kodi: KodiInstance) -> List[Dict[str, Any]]:
    listing = kodi.jsonrpc(
        "Files.GetDirectory",
        {"directory": NEXT_UP_URL, "media": "video", "properties": ["season", "episode", "file"]},
        timeout=30,
    )
    return listing.get("files") or []


def player_time(kodi: KodiInstance) -> float:
    props = kodi.jsonrpc("Player.GetProperties", {"playerid": 1, "properties": ["time"]})
    t = props["time"]
    return t["hours"] * 3600 + t["minutes"] * 60 + t["seconds"] + t["milliseconds"] / 1000.0


def open_in_background(kodi: KodiInstance, url: str) -> threading.Thread:
    """Player.Open on a plugin URL (it may only answer once the plugin resolved)."""
    thread = threading.Thread(
        target=lambda: kodi.jsonrpc("Player.Open", {"item": {"file": url}}, timeout=60),
        daemon=True,
    )
    thread.start()
    return thread
