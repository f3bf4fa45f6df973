"""Trakt lists page by 100 rows with a "Next page" item, and a list view's import set."""

from __future__ import annotations

import os
import subprocess
import sys

import kodistate
import pytest
import xbmcplugin

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import router
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox

URL = "plugin://plugin.video.aiostreams/"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="module")
def sandbox():
    # medium: 139 Next Up rows and 369 collection rows, so both lists have more than one page
    with Sandbox(account="medium", seed=3, port=0) as sb:
        yield sb


@pytest.fixture
def kodi(sandbox, monkeypatch):
    state = kodistate.reset()
    for key, value in (
        ("trakt_api_url", sandbox.url),
        ("trakt_oauth_url", sandbox.url),
        ("trakt_client_id", sandbox.client_id),
        ("trakt_client_secret", sandbox.client_secret),
    ):
        state.set_setting(key, value)
    paths = get_paths()
    store = TokenStore(paths.token_path)
    store.save(Tokens.from_response(sandbox.issue_tokens()))
    with TraktClient(
        sandbox.client_id,
        sandbox.client_secret,
        token_store=store,
        api_url=sandbox.url,
        oauth_url=sandbox.url,
    ) as trakt, TraktSyncDatabase(paths.db_path) as db:
        assert db.sync_activities(trakt, force=True).status == "ok"
        state.counts = {"next_up": len(db.next_up()), "collection": len(db.collection())}
    state.categories = []
    monkeypatch.setattr(
        xbmcplugin, "setPluginCategory", lambda handle, text: state.categories.append(text)
    )
    yield state
    kodistate.cleanup()


def browse(kodi, query, handle=7):
    kodi.directory.clear()
    kodi.ended.clear()
    router.run([URL, str(handle), query, "resume:false"])
    assert kodi.ended and kodi.ended[-1]["handle"] == handle
    return [(url, item, folder) for _, url, item, folder in kodi.directory]


def next_page(entries):
    url, item, folder = entries[-1]
    return url if item.getLabel() == "Next page" and folder else None


def test_next_up_first_page_holds_100_rows_and_a_next_page_item(kodi):
    assert kodi.counts["next_up"] > 100
    entries = browse(kodi, "?action=next_up")
    assert len(entries) == 101
    assert all("/play?" in url for url, _, _ in entries[:100])
    assert next_page(entries) == URL + "?action=next_up&page=2"
    assert kodi.categories[-1] == "Next Up"


def test_next_up_last_page_holds_the_rest_without_a_next_page_item(kodi):
    first = {url for url, _, _ in browse(kodi, "?action=next_up")[:100]}
    entries = browse(kodi, "?action=next_up&page=2")
    assert len(entries) == kodi.counts["next_up"] - 100
    assert next_page(entries) is None
    assert not first & {url for url, _, _ in entries}  # no row twice
    assert kodi.categories[-1] == "Next Up, page 2"


def test_every_page_of_the_collection_and_a_bad_page_number_is_page_one(kodi):
    seen = []
    url = URL + "?action=collection"
    while url:
        entries = browse(kodi, url[len(URL) :])
        url = next_page(entries)
        rows = entries[:-1] if url else entries
        assert len(rows) <= 100
        seen += [item.getLabel() for _, item, _ in rows]
    assert len(seen) == kodi.counts["collection"]
    for bad in ("0", "-1", "x", "99999"):
        assert len(browse(kodi, "?action=collection&page=" + bad)) == 101
    # past the end: the list's one "empty" item, no error
    assert [item.getLabel() for _, item, _ in browse(kodi, "?action=collection&page=9")] == [
        "Nothing in the collection yet"
    ]


def test_a_widget_path_pages_too_and_keeps_its_widget_flag(kodi):
    entries = browse(kodi, "?action=next_up&widget=1")
    assert len(entries) == 101
    assert next_page(entries) == URL + "?action=next_up&widget=1&page=2"
    assert next_page(browse(kodi, "?action=next_up&widget=1&page=2")) is None


def test_next_up_without_cached_art_imports_only_what_it_uses(kodi):
    """A list view in a new process: not the play route, the player, the sync engine, the
    scrobble stack or the HTTP clients, and without cached art not the browse item builders."""
    code = (
        "import sys; sys.path.insert(0, 'tests/doubles');"
        "import kodistate; kodistate.reset(profile_dir=sys.argv[1]);"
        "import resources.lib.plugin.router as r;"
        "r.run(['plugin://plugin.video.aiostreams/', '1', '?action=next_up', 'resume:false']);"
        "import xbmcplugin;"
        "assert len(kodistate.STATE.directory) > 100, len(kodistate.STATE.directory);"
        "bad = [m for m in ('resources.lib.plugin.play', 'resources.lib.kodi.player',"
        " 'resources.lib.database.trakt_sync.engine', 'resources.lib.scrobble',"
        " 'resources.lib.trakt.client', 'resources.lib.aiostreams.http',"
        " 'resources.lib.plugin.browse_items') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, kodi.profile_dir], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
