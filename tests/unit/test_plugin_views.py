"""Plugin routes and views against a real mirror: synced from the local sandbox through the
DB API, then listed with the network switched off."""

from __future__ import annotations

import json
import os

import kodistate
import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import router
from resources.lib.trakt import client as client_module
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox

URL = "plugin://plugin.video.aiostreams/"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(account="small", seed=3, port=0) as sb:
        yield sb


def authorise(kodi, sandbox):
    for key, value in (
        ("trakt_api_url", sandbox.url),
        ("trakt_oauth_url", sandbox.url),
        ("trakt_client_id", sandbox.client_id),
        ("trakt_client_secret", sandbox.client_secret),
    ):
        kodi.set_setting(key, value)
    paths = get_paths()
    store = TokenStore(paths.token_path)
    store.save(Tokens.from_response(sandbox.issue_tokens()))
    return paths, store


@pytest.fixture
def synced(kodi, sandbox):
    paths, store = authorise(kodi, sandbox)
    with TraktClient(
        sandbox.client_id,
        sandbox.client_secret,
        token_store=store,
        api_url=sandbox.url,
        oauth_url=sandbox.url,
    ) as trakt, TraktSyncDatabase(paths.db_path) as db:
        assert db.sync_activities(trakt, force=True).status == "ok"
    return paths


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("browsing must not build a Trakt client")

    monkeypatch.setattr(client_module, "TraktClient", refuse)


def browse(kodi, query, handle=7):
    kodi.directory.clear()
    kodi.ended.clear()
    router.run([URL, str(handle), query, "resume:false"])
    assert kodi.ended and kodi.ended[-1]["handle"] == handle
    return [(url, item, folder) for _, url, item, folder in kodi.directory]


ROOT_UNSET = [
    "Search: set the AIOStreams manifest first",
    "Catalogs: set the AIOStreams manifest first",
    "Trakt: sign in to Trakt first",
    "Settings",
]


def test_root_and_trakt_menu(kodi):
    root = browse(kodi, "")
    assert [item.getLabel() for _, item, _ in root] == ROOT_UNSET
    menu = browse(kodi, "?action=trakt")
    labels = [item.getLabel() for _, item, _ in menu]
    assert labels == [
        "Trakt is not set up: select to sign in",
        "Next Up",
        "In Progress",
        "Upcoming",
        "Recently Watched",
        "Watchlist Movies",
        "Watchlist Shows",
        "Collection",
        "My Lists",
        "Liked Lists",
        "Sync History",
    ]
    assert all(folder for _, _, folder in menu[1:])


@pytest.mark.parametrize(
    "query",
    [
        "?action=delete_everything",
        "?action=__init__",
        "?action=" + "x" * 5000,
        "?" + "&".join(f"k{n}=v" for n in range(500)),
        "?action=%00%ff%fe",
        "?action=next_up;rm -rf /",
        "?action=next_up%26action%3Dforce_sync",
    ],
)
def test_hostile_or_unknown_queries_are_refused_with_an_empty_directory(kodi, query):
    assert browse(kodi, query) == []
    assert kodi.ended[-1]["succeeded"] is True
    assert kodi.log_lines(level=2, contains="[AIOStreams] Unknown plugin action refused")


@pytest.mark.parametrize("query", ["?action[]=next_up", "garbage===&&&", "?", "?&&&="])
def test_queries_without_an_action_show_the_root_menu(kodi, query):
    assert [item.getLabel() for _, item, _ in browse(kodi, query)] == ROOT_UNSET


@pytest.mark.parametrize("argv", [[], [URL], [URL, "not-a-handle"], [URL, "-1", "?action=bogus"]])
def test_broken_argv_never_raises(kodi, argv):
    router.run(argv)


def test_first_value_wins_for_repeated_keys():
    assert router.parse_query("?action=next_up&action=bogus")["action"] == "next_up"


def test_not_authorised_shows_one_item_that_starts_authorisation(kodi, no_network):
    items = browse(kodi, "?action=next_up")
    assert [item.getLabel() for _, item, _ in items] == ["Trakt is not authorised"]
    assert items[0][0] == URL + "?action=trakt_auth"


def test_before_the_first_sync_says_so(kodi, sandbox, no_network):
    authorise(kodi, sandbox)
    items = browse(kodi, "?action=watchlist_movies")
    assert [item.getLabel() for _, item, _ in items] == ["First sync has not finished yet"]
    assert items[0][0] == URL + "?action=force_sync"


def test_next_up_lists_the_mirror_with_ids_and_episode_numbers(kodi, sandbox, synced, no_network):
    items = browse(kodi, "?action=next_up")
    truth = sandbox.truth()["next_up"]  # hidden shows included: filtering them is ours
    with TraktSyncDatabase(synced.db_path) as db:
        rows = db.next_up()
    assert len(items) == len(rows) > 0 and len(rows) <= len(truth)
    for (url, item, folder), row in zip(items, rows):
        tag = item.tag
        assert not folder and item.getProperty("IsPlayable") == "true"
        assert tag["mediaType"] == "episode"
        assert tag["season"] == row["season"] and tag["episode"] == row["number"]
        assert tag["tvShowTitle"] == row["show_title"]
        ids, default = tag["uniqueIDs"]
        assert ids["trakt"] == str(row["trakt_id"]) and default in ids
        if row.get("tmdb_id"):
            assert ids["tmdb"] == str(row["tmdb_id"])
        expected = {"season": row["season"], "number": row["number"]}
        assert truth[str(row["show_trakt_id"])] == expected
        assert "action=play" in url and "type=episode" in url
        assert item.getLabel().startswith(row["show_title"])
    assert kodi.content[-1] == (7, "episodes")


def test_in_progress_has_resume_points(kodi, sandbox, synced, no_network):
    with TraktSyncDatabase(synced.db_path) as db:
        rows = db.in_progress()
    items = browse(kodi, "?action=in_progress")
    assert len(items) == len(rows) > 0
    resumed = 0
    for (_, item, _), row in zip(items, rows):
        assert item.tag["mediaType"] == row["type"]
        if row.get("runtime") and 0 < row["progress"] < 100:
            position, total = item.tag["resumePoint"]
            assert total == row["runtime"] * 60
            assert position == pytest.approx(total * row["progress"] / 100.0)
            resumed += 1
    assert resumed > 0


def test_watchlists_list_movies_and_shows(kodi, sandbox, synced, no_network):
    truth = sandbox.truth()["watchlist"]
    movies = browse(kodi, "?action=watchlist_movies")
    shows = browse(kodi, "?action=watchlist_shows")
    assert len(movies) == len([kind for kind, _ in truth if kind == "movie"])
    assert len(shows) == len([kind for kind, _ in truth if kind == "show"])
    assert {item.tag["mediaType"] for _, item, _ in movies} <= {"movie"}
    assert {item.tag["mediaType"] for _, item, _ in shows} <= {"tvshow"}
    movie_ids = sorted(int(item.tag["uniqueIDs"][0]["trakt"]) for _, item, _ in movies)
    assert movie_ids == sorted(tid for kind, tid in truth if kind == "movie")


def test_kodi19_gets_setinfo_and_properties(kodi, sandbox, synced, no_network):
    kodistate.STATE.kodi_version = 19
    items = browse(kodi, "?action=in_progress")
    first = items[0][1]
    assert first.info["mediatype"] in ("movie", "episode")
    assert first.unique_ids.get("trakt")
    with_resume = [item for _, item, _ in items if item.getProperty("ResumeTime")]
    assert with_resume and all(float(i.getProperty("TotalTime")) > 0 for i in with_resume)


def test_sync_history_view_lists_runs(kodi, sandbox, synced, no_network):
    items = browse(kodi, "?action=sync_history")
    labels = [item.getLabel() for _, item, _ in items]
    assert labels[0].startswith("Last 7 days: 1 syncs")
    assert len(labels) == 2 and " manual " in labels[1] and " OK " in labels[1]  # issue 10: words


def test_play_is_refused_politely(kodi):
    router.run([URL, "3", "?action=play&type=movie&trakt=1"])
    assert kodi.resolved and kodi.resolved[-1][1] is False
    assert kodi.dialog_calls("notification")


def test_window_properties_are_json(kodi):
    from resources.lib.kodi import window

    window.set_json("aiostreams.test", {"a": 1})
    assert json.loads(kodi.home_property("aiostreams.test")) == {"a": 1}


# ------------------------------------------------- migrated data before the first sync

LEGACY_CACHE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "legacy_cache", "upgrade_2_7"
)


@pytest.fixture
def migrated(kodi):
    """A 2.7.x upgrade: the legacy cache imported, no sync has run yet."""
    import shutil

    from resources.lib.database.migration import run_migration

    paths = get_paths()
    shutil.copytree(os.path.join(LEGACY_CACHE, "cache"), os.path.join(paths.data_dir, "cache"))
    assert run_migration(paths.data_dir, paths.db_path).flag_written
    with TraktSyncDatabase(paths.db_path) as db:
        assert db.last_sync_at() is None
        assert len(db.watchlist("movie")) == 3 and db.in_progress() == []
    return paths


def labels(items):
    return [item.getLabel() for _, item, _ in items]


def test_migrated_lists_show_before_the_first_sync(kodi, sandbox, migrated, no_network):
    authorise(kodi, sandbox)
    movies = browse(kodi, "?action=watchlist_movies")
    assert len(movies) == 3
    assert {item.tag["mediaType"] for _, item, _ in movies} == {"movie"}
    assert "First sync has not finished yet" not in labels(movies)
    assert len(browse(kodi, "?action=watchlist_shows")) == 2


def test_empty_view_before_the_first_sync_still_says_so(kodi, sandbox, migrated, no_network):
    authorise(kodi, sandbox)
    items = browse(kodi, "?action=in_progress")
    assert labels(items) == ["First sync has not finished yet"]
    assert items[0][0] == URL + "?action=force_sync"


def test_not_authorised_with_data_lists_it_under_one_info_item(kodi, migrated, no_network):
    items = browse(kodi, "?action=watchlist_movies")
    assert labels(items)[0] == "Trakt is not authorised"
    assert len(items) == 1 + 3
    url, info, folder = items[0]
    assert url == URL + "?action=trakt_auth"
    assert not folder and info.getProperty("IsPlayable") != "true"
    assert labels(items).count("Trakt is not authorised") == 1
    assert all(item.getProperty("IsPlayable") == "true" for _, item, _ in items[1:])


def test_not_authorised_and_empty_shows_only_the_state_item(kodi, migrated, no_network):
    assert labels(browse(kodi, "?action=in_progress")) == ["Trakt is not authorised"]


def test_not_authorised_without_a_database_does_not_create_one(kodi, no_network):
    assert labels(browse(kodi, "?action=watchlist_shows")) == ["Trakt is not authorised"]
    assert not os.path.exists(get_paths().db_path)


def test_corrupt_database_found_by_a_view_is_announced_once_across_processes(
    kodi, sandbox, no_network
):
    # G5: the plugin call recovers and notifies; the service (same path) stays quiet.
    from resources.lib.kodi import context as context_module

    paths, _ = authorise(kodi, sandbox)
    with open(paths.db_path, "wb") as handle:
        handle.write(b"this is not a database" * 100)
    browse(kodi, "?action=watchlist_movies")
    moved = kodi.home_property("aiostreams.db_recovered")
    assert moved.startswith(paths.db_path + ".corrupt-") and os.path.exists(moved)
    assert [args[1] for args, _ in kodi.dialog_calls("notification")] == [kodi.localized(30111)]
    assert context_module.announce_recovery(moved) is False  # another interpreter, same file
    assert len(kodi.dialog_calls("notification")) == 1


# ------------------------------------------ issue 10: every empty list says why

LIST_QUERIES = (
    "?action=next_up",
    "?action=in_progress",
    "?action=watchlist_movies",
    "?action=watchlist_shows",
    "?action=sync_history",
)
GENUINELY_EMPTY = {
    "?action=next_up": "Nothing to watch next",
    "?action=in_progress": "Nothing in progress",
    "?action=watchlist_movies": "No movies on your Trakt watchlist",
    "?action=watchlist_shows": "No shows on your Trakt watchlist",
}


def assert_one_state_item(items, label, action):
    """One item that says `label`, opens `action` and plays nothing."""
    assert labels(items) == [label]
    url, item, folder = items[0]
    assert url == URL + "?action=" + action
    assert not folder and item.getProperty("IsPlayable") != "true"


@pytest.fixture
def empty_sandbox(tmp_path):
    """A Trakt account with nothing in it (a new user)."""
    account = tmp_path / "empty.json"
    account.write_text(json.dumps({"user": {"username": "newbie", "slug": "newbie"}}))
    with Sandbox(account=str(account), seed=1, port=0) as sb:
        yield sb


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_every_list_says_not_authorised_and_opens_the_authorisation(kodi, query, no_network):
    assert_one_state_item(browse(kodi, query), "Trakt is not authorised", "trakt_auth")


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_every_list_says_the_first_sync_is_in_progress_while_it_runs(
    kodi, sandbox, query, no_network
):
    from resources.lib.database.trakt_sync import lease

    paths, _ = authorise(kodi, sandbox)
    with TraktSyncDatabase(paths.db_path) as db:
        assert lease.acquire(db.connection, "the-service")
        items = browse(kodi, query)
    assert_one_state_item(items, "First sync in progress: this list fills when it finishes", "noop")


@pytest.fixture
def empty_synced(kodi, empty_sandbox):
    """Authorised and synced, with nothing on Trakt to list."""
    paths, store = authorise(kodi, empty_sandbox)
    with TraktClient(
        empty_sandbox.client_id,
        empty_sandbox.client_secret,
        token_store=store,
        api_url=empty_sandbox.url,
        oauth_url=empty_sandbox.url,
    ) as trakt, TraktSyncDatabase(paths.db_path) as db:
        assert db.sync_activities(trakt, force=True).status == "ok"
    return paths


@pytest.mark.parametrize("query", sorted(GENUINELY_EMPTY))
def test_a_synced_empty_list_says_so(kodi, empty_synced, no_network, query):
    assert_one_state_item(browse(kodi, query), GENUINELY_EMPTY[query], "noop")


def test_sync_history_without_runs_offers_a_sync(kodi, sandbox, no_network):
    paths, _ = authorise(kodi, sandbox)
    TraktSyncDatabase(paths.db_path).close()
    items = browse(kodi, "?action=sync_history")
    assert_one_state_item(items, "First sync has not finished yet", "force_sync")


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_a_list_that_cannot_be_read_says_so(kodi, sandbox, synced, no_network, monkeypatch, query):
    def broken(self, *args, **kwargs):
        raise RuntimeError("disk I/O error")

    for name in ("next_up", "in_progress", "watchlist", "sync_history"):
        monkeypatch.setattr(TraktSyncDatabase, name, broken)
    items = browse(kodi, query)
    assert_one_state_item(items, "This list could not be read: see the Kodi log", "noop")
    assert kodi.log_lines(level=3, contains="could not be read")


def test_an_episode_without_a_title_is_labelled_without_a_dangling_full_stop(kodi):
    from resources.lib.plugin.views import episode_item

    row = {"show_title": "Severance", "season": 2, "number": 3, "trakt_id": 9, "show_trakt_id": 1}
    assert episode_item(row).label == "Severance 2x03"
    row["title"] = "Who Is Alive?"
    assert episode_item(row).label == "Severance 2x03. Who Is Alive?"
