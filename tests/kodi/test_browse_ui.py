"""Browsing in a real Kodi (issue 11): Search, a show, a season, an episode that plays the
AIOStreams sandbox clip and is then marked watched on the show's page and in Next Up; Next Up as
a home-screen widget path (no dialog, posters present); the README screenshots.

Both sandboxes run in this process. The AIOStreams sandbox's art URLs point at a small image
server here (generated JPEGs), so that Kodi really loads posters, fanart and stills.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List
from urllib.parse import quote

import pytest

from aiostreams_sandbox import metas as sandbox_metas
from aiostreams_sandbox.server import AIOStreamsSandbox
from resources.lib.browse.artwork import prefetch, wanted_from_mirror
from resources.lib.browse.browser import open_browser
from resources.lib.database.trakt_sync import TraktSyncDatabase
from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID, HOME_WINDOW_ID, KodiInstance
from tests.support.kodi_playback import (
    SHOW,
    boot_synced,
    next_up_items,
    open_in_background,
    player_time,
)
from tests.support.kodi_ui import (
    assert_no_addon_tracebacks,
    builtin_in_background,
    db_path,
    info_boolean,
    info_labels,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    save_screenshot,
    type_on_keyboard,
    wait_until,
)

pytestmark = pytest.mark.kodi

PLUGIN = f"plugin://{ADDON_ID}/"
SEARCH_RESULTS = PLUGIN + "?action=search_results&query=Breaking&type=series&new=1"
NEXT_UP = PLUGIN + "?action=next_up"
WIDGET_NEXT_UP = PLUGIN + "?action=next_up&widget=1"
WIDGET_UPCOMING = PLUGIN + "?action=upcoming&widget=1"
WIDGET_RECENT = PLUGIN + "?action=recently_watched&widget=1"
PROPERTIES = ["art", "playcount", "season", "episode", "file", "title", "resume", "plot"]
SIZES = {"poster": (300, 450), "background": (1280, 720), "logo": (400, 150),
         "thumb": (400, 225)}  # fmt: skip


class _Images(BaseHTTPRequestHandler):
    """``/<kind>/<name>.jpg`` -> a JPEG in a colour of the name, with the name written on it."""

    def log_message(self, fmt: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:  # noqa: N802
        from PIL import Image, ImageDraw

        parts = self.path.strip("/").split("/")
        kind, name = (parts + ["", ""])[:2]
        size = SIZES.get(kind, (300, 300))
        seed = hashlib.sha1(self.path.encode("utf-8")).digest()  # noqa: S324
        image = Image.new("RGB", size, (40 + seed[0] % 150, 40 + seed[1] % 150, 60 + seed[2] % 150))
        ImageDraw.Draw(image).text((12, 12), name.rsplit(".", 1)[0], fill=(255, 255, 255))
        body = io.BytesIO()
        image.save(body, "JPEG")
        data = body.getvalue()
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def aio() -> Iterator[AIOStreamsSandbox]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = sandbox_metas.ART
    sandbox_metas.ART = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        with AIOStreamsSandbox(port=0) as sb:
            sb.ensure_media()
            yield sb
    finally:
        sandbox_metas.ART = previous
        server.shutdown()


def listing(kodi: KodiInstance, url: str) -> List[Dict[str, Any]]:
    found = kodi.jsonrpc(
        "Files.GetDirectory",
        {"directory": url, "media": "video", "properties": PROPERTIES},
        timeout=30,
    )
    return found.get("files") or []


def by_label(items: List[Dict[str, Any]], label: str) -> Dict[str, Any]:
    for item in items:
        if item["label"] == label:
            return item
    raise AssertionError(f"{label!r} not in {[i['label'] for i in items]}")


def show_folder(kodi: KodiInstance, url: str, screenshot: str) -> None:
    """Open ``url`` in the video window as a user would, wait for it, save a screenshot."""
    kodi.run_builtin(f"ActivateWindow(Videos,{url},return)")
    wait_until(
        lambda: (
            info_labels(kodi, "Container.FolderPath")["Container.FolderPath"] == url
            and int(info_labels(kodi, "Container.NumItems")["Container.NumItems"] or 0) > 0
        ),
        f"the folder {url}",
        timeout=30,
    )
    kodi.jsonrpc("Input.Down")  # from ".." to the first item: its poster and fanart show
    time.sleep(2.5)  # thumbnails load and fade in
    save_screenshot(kodi, screenshot)


def fill_meta_cache(kodi: KodiInstance, aio: AIOStreamsSandbox) -> Any:
    """What the service does after a sync (``kodi/prefetch.py``; auto-sync is off here)."""
    with TraktSyncDatabase(str(db_path(kodi))) as db:
        wanted = wanted_from_mirror(db)
    browser = open_browser(str(kodi.addon_data_dir), aio.manifest_url)
    try:
        return prefetch(browser, wanted)
    finally:
        browser.cache.close()


def test_search_show_season_episode_plays_and_is_marked_watched_then_next_up_moves(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    started = time.monotonic()
    kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=True)
    root = listing(kodi, PLUGIN)
    assert [item["label"] for item in root] == ["Search", "Catalogs", "Trakt", "Settings"]
    show_folder(kodi, PLUGIN, "browse_root.png")

    # 1. Search: the keyboard, then the results as their own folder
    opener = builtin_in_background(
        kodi, f"ActivateWindow(Videos,{PLUGIN}?action=search_new&type=series,return)"
    )
    type_on_keyboard(kodi, "Breaking", "Search AIOStreams")
    wait_until(
        lambda: info_labels(kodi, "Container.FolderPath")["Container.FolderPath"] == SEARCH_RESULTS,
        "the search results folder",
        timeout=30,
    )
    opener.join(30)
    results = listing(kodi, SEARCH_RESULTS)
    show = by_label(results, "Breaking Bad (2008)")
    assert show["filetype"] == "directory" and show["art"].get("poster")
    show_folder(kodi, SEARCH_RESULTS, "browse_search.png")
    # 2. the show
    seasons = listing(kodi, show["file"])
    assert seasons[-1]["label"] == "Specials"
    season = by_label(seasons, "Season 1")
    show_folder(kodi, show["file"], "browse_show.png")
    # 3. the season: the pilot is Next Up (the show was restarted: nothing counts as watched)
    episodes = listing(kodi, season["file"])
    pilot = next(e for e in episodes if e.get("episode") == 1)
    assert pilot["label"].startswith("[B]") and pilot["playcount"] == 0, pilot
    assert pilot["file"].startswith(f"{PLUGIN}play?") and "show=81189" in pilot["file"]
    show_folder(kodi, season["file"], "browse_season.png")
    kodi.go_home()

    # 4. the episode plays the sandbox clip; stopped at 92 %
    mark = kodi.log_mark()
    open_in_background(kodi, pilot["file"])
    wait_until(lambda: kodi.jsonrpc("Player.GetActivePlayers"), "Kodi to play", timeout=30)
    first = wait_until(lambda: player_time(kodi) or None, "playback time", timeout=15)
    wait_until(lambda: player_time(kodi) > first + 1.0, "playback time to advance", timeout=10)
    assert any("/media/clip.mp4" in e["path"] for e in aio.requests())
    kodi.wait_for_log(r"scrobble start [\d.]+%: sent", timeout=15, since=mark)
    kodi.jsonrpc("Player.Seek", {"playerid": 1, "value": {"percentage": 92}})
    time.sleep(1.6)
    kodi.jsonrpc("Player.Stop", {"playerid": 1})
    stop = kodi.wait_for_log(r"scrobble stop ([\d.]+)%: (\w+)", timeout=15, since=mark)
    assert float(stop.group(1)) >= 90.0 and stop.group(2) == "sent", stop.group(0)
    kodi.wait_for_log(r"mirror updated locally: episode watched", timeout=10, since=mark)
    label = f"Window({HOME_WINDOW_ID}).Property(AIOStreams.WidgetRefresh)"
    assert wait_until(lambda: info_labels(kodi, label)[label], "the widget refresh property")

    # marked watched on the show's page, and Next Up moved on
    episodes = listing(kodi, season["file"])
    pilot = next(e for e in episodes if e.get("episode") == 1)
    second = next(e for e in episodes if e.get("episode") == 2)
    assert pilot["playcount"] >= 1 and not pilot["label"].startswith("[B]"), pilot
    assert second["label"].startswith("[B]"), second
    following = [(i.get("season"), i.get("episode")) for i in next_up_items(kodi)]
    assert (1, 2) in following and (1, 1) not in following, following

    # Next Up with posters, as the README shows it
    report = fill_meta_cache(kodi, aio)
    assert report.status.value == "ok" and report.wanted >= 1
    show_folder(kodi, NEXT_UP, "browse_next_up.png")
    assert_no_addon_tracebacks(kodi)
    print(f"browse path took {time.monotonic() - started:.1f} s")


def test_next_up_as_a_widget_path_opens_no_dialog_and_has_art(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=True)
    fill_meta_cache(kodi, aio)
    assert kodi.current_window()["id"] == HOME_WINDOW_ID
    mark = kodi.log_mark()
    for url in (WIDGET_NEXT_UP, NEXT_UP + "&refresh=" + quote("1700000000000")):
        items = listing(kodi, url)
        assert items and items[0]["art"].get("poster") and items[0]["art"].get("fanart"), items
        assert items[0]["plot"]
        assert kodi.current_window()["id"] == HOME_WINDOW_ID
        assert not info_boolean(kodi, "System.HasActiveModalDialog")
    # Upcoming and Recently Watched as widgets (issue 12): an episode announced for the day
    # after tomorrow is listed grey with its day, not playable; the last plays are playable.
    _announce_episode_six(kodi)
    upcoming = listing(kodi, WIDGET_UPCOMING)
    assert len(upcoming) == 1 and "Breaking Bad 1x06. Finale" in upcoming[0]["label"], upcoming
    assert upcoming[0]["label"].startswith("[COLOR FF808080]")
    # the air time as Kodi's default region ("USA (12h)") writes it, without seconds
    assert re.search(r", \d{1,2}:\d{2} [AP]M  Breaking Bad", upcoming[0]["label"]), upcoming
    assert upcoming[0]["art"].get("poster") and "action=noop" in upcoming[0]["file"]
    recent = listing(kodi, WIDGET_RECENT)
    assert [item["label"] for item in recent] == [
        "Breaking Bad 1x03. Episode 3", "Breaking Bad 1x02. Episode 2",
        "Breaking Bad 1x01. Pilot"]  # fmt: skip
    assert recent[0]["art"].get("poster") and "/play?" in recent[0]["file"]
    assert kodi.current_window()["id"] == HOME_WINDOW_ID
    assert not info_boolean(kodi, "System.HasActiveModalDialog")
    lines = kodi.addon_log_lines(mark)
    assert not any("Notified" in line or "Plugin route" in line for line in lines), lines
    assert_no_addon_tracebacks(kodi)


def _announce_episode_six(kodi: KodiInstance) -> None:
    """Season metadata as a sync would store it: S01E06 airs in two days."""
    from resources.lib.database.connection import write_transaction
    from resources.lib.database.trakt_sync.items import now_iso

    with TraktSyncDatabase(str(db_path(kodi))) as db, write_transaction(db.connection):
        db.connection.execute(
            "INSERT INTO episodes (show_id, season, number, trakt_id, title, first_aired, "
            "has_metadata) VALUES (?, 1, 6, 9006, 'Finale', ?, 1)",
            (SHOW, now_iso(time.time() + 2 * 86400)),
        )
