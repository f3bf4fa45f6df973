"""The widget refresh property after a manual sync and after a context-menu change, and the
collection in the service's prefetch (sandboxes over loopback, real SQLite files)."""

from __future__ import annotations

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi import prefetch, window
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import actions, router
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests.support.browse_mirror import seed_mirror

URL = "plugin://plugin.video.aiostreams/"


@pytest.fixture(scope="module")
def trakt():
    with Sandbox(account="small", seed=5, port=0) as sb:
        yield sb


@pytest.fixture
def kodi(kodi, trakt):
    state = kodi
    for key, value in (("trakt_api_url", trakt.url), ("trakt_oauth_url", trakt.url),
                       ("trakt_client_id", trakt.client_id),
                       ("trakt_client_secret", trakt.client_secret)):  # fmt: skip
        state.set_setting(key, value)
    TokenStore(get_paths().token_path).save(Tokens.from_response(trakt.issue_tokens()))
    return state


def test_a_manual_sync_that_changed_something_refreshes_the_widgets(kodi):
    assert actions.run_action("force_sync").startswith("ok")
    first = kodi.home_property(window.WIDGET_REFRESH)
    assert first
    actions.run_action("force_sync")  # throttled: nothing changed, the value stays
    assert kodi.home_property(window.WIDGET_REFRESH) == first


def test_a_context_change_refreshes_the_widgets(kodi):
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=movie&trakt=42"])
    assert kodi.log_lines(contains="Action context finished: watchlist_add movie:42")
    assert kodi.home_property(window.WIDGET_REFRESH)


def test_the_prefetch_wants_the_collection_too(kodi):
    path = get_paths().db_path
    seed_mirror(path).close()
    with TraktSyncDatabase(path) as db:
        with write_transaction(db.connection):
            db.connection.execute(
                "INSERT INTO collection (media_type, trakt_id, collected_at, imdb_id, title) "
                "VALUES ('movie', 77, '2024-01-01T00:00:00.000Z', 'tt0816692', 'Interstellar')"
            )
        keys = prefetch.wanted_keys(db)
    assert ("movie", "tt0816692") in keys
    assert keys.index(("movie", "tt0816692")) > keys.index(("series", "tt0903747"))
    assert len(keys) == len(set(keys))
