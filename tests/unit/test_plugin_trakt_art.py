"""Trakt lists with art from the meta cache, the service's prefetch after a sync, widgets (no
dialog, a changing Home property) and the meta cache's line in *Show Database Info*."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest
import xbmc

from aiostreams_sandbox.server import AIOStreamsSandbox
from resources.lib.aiostreams import catalog_client
from resources.lib.aiostreams.http import RequestSpacer
from resources.lib.database.meta_cache import FILE_NAME
from resources.lib.kodi import prefetch, window
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import actions, router
from resources.lib.trakt.tokens import Tokens, TokenStore
from tests.support.browse_mirror import seed_mirror

URL = "plugin://plugin.video.aiostreams/"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="module")
def aio(tmp_path_factory):
    with AIOStreamsSandbox(port=0, cache_dir=str(tmp_path_factory.mktemp("aio-media"))) as sb:
        yield sb


@pytest.fixture
def kodi(kodi, aio, monkeypatch):
    aio.reset()
    monkeypatch.setattr(catalog_client, "_browse_spacer", lambda base, interval: RequestSpacer(0))
    state = kodi
    state.set_setting("aiostreams_manifest_url", aio.manifest_url)
    state.set_setting("trakt_client_id", "id")
    state.set_setting("trakt_client_secret", "secret")
    TokenStore(get_paths().token_path).save(
        Tokens.from_response({"access_token": "a", "refresh_token": "r", "expires_in": 86400})
    )
    seed_mirror(get_paths().db_path).close()
    return state


def browse(kodi, query, handle=7):
    kodi.directory.clear()
    kodi.ended.clear()
    router.run([URL, str(handle), query, "resume:false"])
    assert kodi.ended and kodi.ended[-1]["handle"] == handle
    return [(url, item, folder) for _, url, item, folder in kodi.directory]


def fill_cache(aio):
    paths = get_paths()
    return prefetch.run(paths.data_dir, paths.db_path, aio.manifest_url, lambda: False)


def test_lists_show_text_without_cached_art_and_never_wait_on_the_network(kodi, aio):
    for action in ("next_up", "in_progress", "watchlist_movies"):
        entries = browse(kodi, f"?action={action}")
        assert entries and all("poster" not in item.art for _, item, _ in entries)
    assert aio.requests() == []


def test_after_the_prefetch_every_list_has_poster_fanart_thumb_and_plot(kodi, aio):
    report = fill_cache(aio)
    assert report.fetched >= 3 and report.status.value == "ok"
    before = len(aio.requests())
    next_up = browse(kodi, "?action=next_up")
    ((_, episode, _),) = next_up
    assert {"poster", "fanart", "thumb", "clearlogo"} <= set(episode.art)
    assert episode.tag["plot"]
    for action in ("in_progress", "watchlist_movies"):
        for _, item, _ in browse(kodi, f"?action={action}"):
            assert {"poster", "fanart", "thumb"} <= set(item.art), action
            assert item.tag["plot"]
    assert len(aio.requests()) == before  # lists read the cache only
    again = fill_cache(aio)
    assert again.requests == 0 and again.fresh == report.wanted


def test_next_up_episode_opens_the_show_page_from_its_context_menu(kodi):
    ((_, episode, _),) = browse(kodi, "?action=next_up")
    menu = dict(episode.context_menu)
    assert "Container.Update(" in menu["Show page"] and "tt0903747" in menu["Show page"]
    assert "Add to one of my lists" in menu and "Remove from one of my lists" in menu


def test_collection_lists_collected_movies_and_shows(kodi):
    from resources.lib.database.connection import write_transaction
    from resources.lib.database.trakt_sync import TraktSyncDatabase

    with TraktSyncDatabase(get_paths().db_path) as db, write_transaction(db.connection):
        db.connection.execute(
            "INSERT INTO collection (media_type, trakt_id, collected_at, imdb_id, title, year) "
            "VALUES ('movie', 1, '2024-01-01T00:00:00.000Z', 'tt0111161', "
            "'The Shawshank Redemption', 1994)"
        )
        db.connection.execute(
            "INSERT INTO collection (media_type, trakt_id, collected_at, title, show_id, "
            "season, number) VALUES ('episode', 9, '2024-02-01T00:00:00.000Z', 'Breaking Bad', "
            "1388, 1, 1)"
        )
    entries = browse(kodi, "?action=collection")
    assert [item.getLabel() for _, item, _ in entries] == [
        "Breaking Bad (2008)", "The Shawshank Redemption (1994)"]  # fmt: skip
    assert entries[0][2] is True and "action=show" in entries[0][0]


def test_an_empty_collection_says_so(kodi):
    entries = browse(kodi, "?action=collection")
    assert [item.getLabel() for _, item, _ in entries] != []


def test_my_lists_read_the_facade_once_it_has_them(kodi, monkeypatch):
    from resources.lib.database.trakt_sync import TraktSyncDatabase

    monkeypatch.setattr(TraktSyncDatabase, "lists", lambda self, kind: [
        {"list_id": 11, "name": "Weekend", "item_count": 1}], raising=False)  # fmt: skip
    monkeypatch.setattr(TraktSyncDatabase, "list_items", lambda self, list_id: [
        {"type": "movie", "trakt_id": 1, "title": "The Shawshank Redemption", "year": 1994,
         "imdb_id": "tt0111161"}], raising=False)  # fmt: skip
    lists = browse(kodi, "?action=lists_personal")
    assert [item.getLabel() for _, item, _ in lists] == ["Weekend"]
    items = browse(kodi, "?action=list_items&id=11")
    assert [item.getLabel() for _, item, _ in items] == ["The Shawshank Redemption (1994)"]


# ------------------------------------------------------------------------------ widgets


@pytest.mark.parametrize("action", ["next_up", "in_progress", "watchlist_movies",
                                    "watchlist_shows", "collection", "lists_personal",
                                    "search", "catalogs"])  # fmt: skip
def test_every_list_works_as_a_widget_without_a_dialog(kodi, action):
    entries = browse(kodi, f"?action={action}&widget=1")
    assert entries
    assert kodi.dialogs == []


def test_a_listing_asked_for_from_the_home_window_counts_as_a_widget(kodi, monkeypatch):
    monkeypatch.setattr(xbmc, "getCondVisibility", lambda cond: cond == "Window.IsActive(home)")
    assert window.called_as_widget({}) is True
    monkeypatch.setattr(xbmc, "getCondVisibility", lambda cond: False)
    assert window.called_as_widget({}) is False
    assert window.called_as_widget({"widget": "1"}) is True


def test_a_sync_that_changed_something_refreshes_the_widgets(kodi, aio):
    paths = get_paths()
    service = types.SimpleNamespace(
        ctx=types.SimpleNamespace(paths=paths),
        settings=types.SimpleNamespace(aiostreams_manifest_url=aio.manifest_url),
        should_abort=lambda: False,
    )
    assert prefetch.after_sync(service, "ok", 0, 1000.0) is not None
    assert prefetch.wait(30)
    assert kodi.home_property(window.WIDGET_REFRESH)  # the prefetch brought art: refreshed
    first = kodi.home_property(window.WIDGET_REFRESH)
    prefetch.after_sync(service, "ok", 2, 2000.0)
    assert prefetch.wait(30)
    second = kodi.home_property(window.WIDGET_REFRESH)
    assert second and second != first
    prefetch.after_sync(service, "error", 2, 3000.0)
    assert kodi.home_property(window.WIDGET_REFRESH) == second
    assert os.path.exists(os.path.join(paths.data_dir, FILE_NAME))


def test_the_widget_property_changes_on_every_refresh(kodi):
    values = {window.refresh_widgets(5.0) for _ in range(3)}
    assert len(values) == 3


@pytest.mark.parametrize("event", ["stopped", "ended"])
def test_a_stopped_playback_refreshes_the_widgets(kodi, event):
    from resources.lib.kodi.scrobbling import refresh_widgets_after_playback
    from tests.support.scrobble_rig import Rig

    rig = Rig(on_playback_end=refresh_widgets_after_playback)
    rig.start(resume_at=2400.0)
    assert kodi.home_property(window.WIDGET_REFRESH) == ""
    rig.at(2500.0)
    rig.playback.time = None
    rig.worker.handle(event)
    assert rig.sent[-1][0] == "stop"
    assert kodi.home_property(window.WIDGET_REFRESH)


# ---------------------------------------------------------------- database info


def test_database_info_has_a_meta_cache_line_and_clearing_trakt_keeps_the_cache(kodi, aio):
    fill_cache(aio)
    assert actions.run_action("database_info") == "ok"
    text = kodi.dialog_calls("ok")[-1][0][1]
    assert "[CR]Meta cache: " in text and " metas, " in text
    info = window.get_json(window.DATABASE_INFO)["meta_cache"]
    assert info["metas"] >= 3 and info["file_bytes"] > 0
    kodi.script("yesno", True)
    assert actions.run_action("database_clear").startswith("cleared")
    actions.run_action("database_info")
    assert window.get_json(window.DATABASE_INFO)["meta_cache"]["metas"] == info["metas"]


# ---------------------------------------------------------------------- imports


def test_list_views_import_neither_the_play_stack_nor_the_http_client():
    code = (
        "import sys; sys.path.insert(0, 'tests/doubles');"
        "import resources.lib.plugin.views_trakt, resources.lib.plugin.views_browse,"
        " resources.lib.plugin.views_search, resources.lib.plugin.router;"
        "bad = [m for m in ('resources.lib.plugin.play', 'resources.lib.aiostreams.client',"
        " 'resources.lib.aiostreams.http', 'resources.lib.kodi.player') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
