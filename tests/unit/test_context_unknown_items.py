"""Context actions on catalog/search items the Trakt mirror does not know (Kodi doubles, the
Trakt sandbox over loopback): entries by IMDb id, one Trakt lookup, then the usual outbox row."""

from __future__ import annotations

import time

import kodistate
import pytest

from resources.lib.browse.records import Art, Episode, Item, Mark
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import router
from resources.lib.plugin.context_menu import episode_entries, item_entries
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.catalog import Movie, Show
from sandbox.server import Sandbox

URL = "plugin://plugin.video.aiostreams/"
NEW_MOVIE = "tt7700001"
NEW_SHOW = "tt7700002"
LOOKUP = "GET /search/imdb/{id}"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(account="small", seed=5, port=0) as sb:
        catalog = sb.state.catalog
        catalog.add_movie(Movie(990001, "Unknown Picture", 2024, "unknown-picture", imdb=NEW_MOVIE))
        catalog.add_show(Show(990002, "Unknown Series", 2023, "unknown-series", imdb=NEW_SHOW))
        yield sb


@pytest.fixture
def kodi(sandbox):
    state = kodistate.reset()
    for key, value in (
        ("trakt_api_url", sandbox.url),
        ("trakt_oauth_url", sandbox.url),
        ("trakt_client_id", sandbox.client_id),
        ("trakt_client_secret", sandbox.client_secret),
    ):
        state.set_setting(key, value)
    TokenStore(get_paths().token_path).save(Tokens.from_response(sandbox.issue_tokens()))
    sandbox.clear_faults()
    yield state
    kodistate.cleanup()


def lookups(sandbox):
    return sum(n for key, n in sandbox.requests()["by_endpoint"].items() if "/search/" in key)


def notifications(kodi):
    return [args[1] for args, _ in kodi.dialog_calls("notification")]


def item(imdb, media_type="movie", trakt=None):
    return Item(stremio_id=imdb or "kitsu:1", media_type=media_type, imdb_id=imdb,
                title="X", year=2024, art=Art(), mark=Mark(trakt_id=trakt))  # fmt: skip


def database():
    return TraktSyncDatabase(get_paths().db_path)


def test_unknown_items_get_entries_by_imdb_id(kodi):
    movie = [cmd for _, cmd in item_entries(item(NEW_MOVIE))]
    assert len(movie) == 3  # mark watched, add to watchlist, add to a list
    assert all("imdb=" + NEW_MOVIE in cmd and "type=movie" in cmd for cmd in movie)
    assert [c.split("op=")[1].split("&")[0] for c in movie] == ["mark_watched", "watchlist_add",
                                                              "list_add"]  # fmt: skip
    show = [cmd for _, cmd in item_entries(item(NEW_SHOW, "series"))]
    assert len(show) == 2 and all("type=show" in cmd for cmd in show)
    assert item_entries(item(None, "series")) == []  # a kitsu-only item: nothing to ask Trakt
    assert item_entries(item("tt1", "channel")) == []


def test_an_unknown_movie_added_to_the_watchlist_shows_with_its_title_at_once(kodi, sandbox):
    before = lookups(sandbox)
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=movie&imdb=" + NEW_MOVIE])
    assert lookups(sandbox) == before + 1  # exactly one request
    with database() as db:
        rows = [r for r in db.watchlist("movie") if r["trakt_id"] == 990001]
        assert [(r["title"], r["year"], r["imdb_id"]) for r in rows] == [
            ("Unknown Picture", 2024, NEW_MOVIE)
        ]
        assert [(r.kind, r.action.trakt_id) for r in db.outbox_rows()] == [
            ("watchlist_add", 990001)
        ]
    assert kodi.log_lines(contains="Action context finished: watchlist_add movie:990001")
    assert "ActivateWindow(busydialognocancel)" in kodi.builtins
    assert "Container.Refresh" in kodi.builtins


def test_an_unknown_show_and_a_watched_movie_resolve_too(kodi, sandbox):
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=show&imdb=" + NEW_SHOW])
    router.run([URL, "-1", "?action=context&op=mark_watched&type=movie&imdb=" + NEW_MOVIE])
    with database() as db:
        kinds = [(r.kind, r.item_key) for r in db.outbox_rows()]
        assert kinds == [("watchlist_add", "show:990002"), ("watch", "movie:990001")]
        assert [r["title"] for r in db.watchlist("show") if r["trakt_id"] == 990002] == [
            "Unknown Series"
        ]


def test_an_episode_of_an_unknown_show_is_marked_watched_through_its_show(kodi, sandbox):
    show = item(NEW_SHOW, "series")
    episode = Episode("x:1:2", 1, 2, "Two", None, None, aired=True)
    commands = [cmd for _, cmd in episode_entries(show, episode)]
    assert "op=mark_watched" in commands[0] and "imdb=" + NEW_SHOW in commands[0]
    router.run([URL, "-1", commands[0][len("RunPlugin(") : -1].replace(URL, "")])
    with database() as db:
        assert [(r.kind, r.item_key) for r in db.outbox_rows()] == [("watch", "episode:990002:1:2")]


def test_trakt_unreachable_gives_one_notification_and_queues_nothing(kodi, sandbox):
    kodi.set_setting("trakt_api_url", "http://127.0.0.1:9")  # nothing listens there
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=movie&imdb=" + NEW_MOVIE])
    assert notifications(kodi) == ["Trakt cannot be reached. Nothing was changed: please try "
                                   "again later."]  # fmt: skip
    with database() as db:
        assert db.outbox_rows() == [] and db.snapshot()["watchlist"] == []
    assert "Container.Refresh" not in kodi.builtins
    assert "Dialog.Close(busydialognocancel)" in kodi.builtins
    assert kodi.log_lines(contains="Action context finished: not resolved")


@pytest.mark.parametrize("fault", ["503", "429"])
def test_trakt_server_errors_count_as_unreachable_without_a_long_wait(kodi, sandbox, fault):
    sandbox.add_fault(fault, path="/search/", count=50)
    before = lookups(sandbox)
    started = time.monotonic()
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=movie&imdb=" + NEW_MOVIE])
    assert len(notifications(kodi)) == 1 and "cannot be reached" in notifications(kodi)[0]
    assert lookups(sandbox) - before <= 2  # one retry of a 5xx at most, a 429 not waited out
    assert time.monotonic() - started < 5
    with database() as db:
        assert db.outbox_rows() == []


def test_an_imdb_id_trakt_does_not_know_says_so(kodi, sandbox):
    before = lookups(sandbox)
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=movie&imdb=tt0000009"])
    assert lookups(sandbox) == before + 1
    assert notifications(kodi) == ["Trakt does not know this title (tt0000009). Nothing was "
                                   "changed."]  # fmt: skip
    with database() as db:
        assert db.outbox_rows() == []


def test_a_show_id_asked_as_a_movie_is_not_taken(kodi, sandbox):
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=movie&imdb=" + NEW_SHOW])
    assert "does not know" in notifications(kodi)[0]


def test_without_trakt_sign_in_nothing_is_asked(kodi, sandbox):
    TokenStore(get_paths().token_path).clear()
    before = lookups(sandbox)
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=movie&imdb=" + NEW_MOVIE])
    assert lookups(sandbox) == before
    assert notifications(kodi) == ["Sign in to Trakt first (Settings, Trakt). Nothing was changed."]


@pytest.mark.parametrize(
    "query",
    [
        "op=watchlist_add&type=movie&imdb=nm0000001",
        "op=watchlist_add&type=movie&imdb=tt1;DROP",
        "op=hide_next_up&type=show&imdb=" + NEW_SHOW,
        "op=mark_watched&type=show&imdb=" + NEW_SHOW,
        "op=remove_resume&type=movie&imdb=" + NEW_MOVIE,
        "op=watchlist_add&type=episode&imdb=" + NEW_MOVIE,
        "op=mark_watched&type=episode&season=1&number=x&imdb=" + NEW_SHOW,
        "op=mark_watched&type=episode&number=1&imdb=" + NEW_SHOW,
    ],
)
def test_bad_calls_by_imdb_id_are_refused_without_a_request(kodi, sandbox, query):
    before = lookups(sandbox)
    router.run([URL, "-1", "?action=context&" + query])
    assert kodi.log_lines(contains="Action context finished: refused")
    assert lookups(sandbox) == before


def test_catalog_and_search_items_carry_the_entries_with_their_words(kodi):
    from resources.lib.plugin.browse_items import media_entry

    entry = media_entry(item(NEW_MOVIE))
    labels = [label for label, _ in entry.context_menu]
    assert len(labels) == 3 and all(label and not label.isdigit() for label in labels)
    assert all("imdb=" + NEW_MOVIE in cmd for _, cmd in entry.context_menu)
