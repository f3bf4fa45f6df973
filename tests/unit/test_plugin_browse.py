"""The browse front end through the real router and the strict xbmc doubles: root menu, catalogs,
genres, paging, show and season pages, search with history, every failure as one item, against
the AIOStreams sandbox (real HTTP on 127.0.0.1) and a real SQLite mirror."""

from __future__ import annotations

from typing import List
from urllib.parse import parse_qsl, urlsplit

import pytest

from aiostreams_sandbox import metas as sandbox_metas
from aiostreams_sandbox.server import AIOStreamsSandbox
from resources.lib.aiostreams import catalog_client
from resources.lib.aiostreams.http import RequestSpacer
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import router
from resources.lib.trakt.tokens import Tokens, TokenStore
from tests.support.browse_mirror import SHOW_ID, seed_mirror

URL = "plugin://plugin.video.aiostreams/"


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
    return state


def authorise(kodi):
    kodi.set_setting("trakt_client_id", "id")
    kodi.set_setting("trakt_client_secret", "secret")
    store = TokenStore(get_paths().token_path)
    store.save(Tokens.from_response({"access_token": "a", "refresh_token": "r",
                                     "expires_in": 86400 * 90}))  # fmt: skip


@pytest.fixture
def mirror(kodi):
    authorise(kodi)
    seed_mirror(get_paths().db_path).close()


def browse(kodi, query, handle=7):
    kodi.directory.clear()
    kodi.ended.clear()
    router.run([URL, str(handle), query, "resume:false"])
    assert kodi.ended and kodi.ended[-1]["handle"] == handle
    return [(url, item, folder) for _, url, item, folder in kodi.directory]


def labels(entries):
    return [item.getLabel() for _, item, _ in entries]


def params_of(url):
    return dict(parse_qsl(urlsplit(url).query))


def aio_requests(aio, part=""):
    return [r for r in aio.requests() if part in r.get("path", "")]


# ------------------------------------------------------------------------------ root


def test_root_lists_search_catalogs_trakt_settings_when_everything_is_set(kodi, mirror):
    root = browse(kodi, "")
    assert labels(root) == ["Search", "Catalogs", "Trakt", "Settings"]
    assert [params_of(url).get("action") for url, _, _ in root] == [
        "search", "catalogs", "trakt", "open_settings"]  # fmt: skip
    assert [folder for _, _, folder in root] == [True, True, True, False]


def test_root_items_that_cannot_be_used_say_why_and_open_the_fix(kodi):
    kodi.set_setting("aiostreams_manifest_url", "")
    root = browse(kodi, "")
    assert labels(root)[:3] == [
        "Search: set the AIOStreams manifest first",
        "Catalogs: set the AIOStreams manifest first",
        "Trakt: sign in to Trakt first",
    ]
    actions = [params_of(url)["action"] for url, _, _ in root]
    assert actions == ["open_settings", "open_settings", "trakt_auth", "open_settings"]
    router.run([URL, "-1", "?action=open_settings"])
    assert kodi.builtins[-1] == "Addon.OpenSettings(plugin.video.aiostreams)"


# -------------------------------------------------------------------------- catalogs


def test_catalogs_are_grouped_by_type_and_named_as_the_manifest_names_them(kodi):
    types = browse(kodi, "?action=catalogs")
    assert labels(types) == ["Movies", "Shows", "Anime"]
    movies = browse(kodi, "?" + urlsplit(types[0][0]).query)
    assert "Popular" in labels(movies) and "Trending" in labels(movies)
    assert all(folder for _, _, folder in movies)
    # search-only catalogs ("TMDB Search") are used by Search, not listed here
    assert "TMDB Search" not in labels(movies)


def test_a_catalog_page_has_genres_items_with_details_and_a_next_page(kodi):
    browse(kodi, "?action=catalogs")  # the manifest is cached
    page = browse(kodi, "?action=catalog&type=movie&id=c1.top")
    assert labels(page)[0] == "Genre: All genres"
    items = page[1:-1]
    assert len(items) == sandbox_metas.C1_PAGE
    url, first, folder = items[0]
    assert not folder and first.getProperty("IsPlayable") == "true"
    assert params_of(url)["action"] == "play" and params_of(url)["imdb"].startswith("tt")
    tag = first.tag
    assert tag["title"] and tag["year"] and tag["plot"] and tag["genres"]
    assert tag["mediaType"] == "movie"
    assert {"poster", "fanart", "thumb"} <= set(first.art)
    next_url, next_item, next_folder = page[-1]
    assert next_item.getLabel() == "Next page" and next_folder
    assert params_of(next_url)["skip"] == str(sandbox_metas.C1_PAGE)
    second = browse(kodi, "?" + urlsplit(next_url).query)
    assert labels(second)[0] != "Genre: All genres"  # the genre choice is on the first page
    assert labels(second) != labels(page)


def test_paging_to_the_end_says_so_in_one_item(kodi):
    browse(kodi, "?action=catalogs")
    query = "?action=catalog&type=movie&id=c1.top"
    seen = 0
    for _ in range(10):
        page = browse(kodi, query)
        if labels(page)[-1] != "Next page":
            break
        seen += 1
        query = "?" + urlsplit(page[-1][0]).query
    assert seen >= 2
    end = browse(kodi, "?action=catalog&type=movie&id=c1.top&skip=100000&size=50")
    assert labels(end) == ["No more items in this catalog"]


def test_genre_options_filter_the_catalog(kodi):
    browse(kodi, "?action=catalogs")
    options = browse(kodi, "?action=genres&type=movie&id=c1.top")
    assert labels(options)[0] == "All genres"
    assert "Comedy" in labels(options)
    url = next(url for url, item, _ in options if item.getLabel() == "Comedy")
    page = browse(kodi, "?" + urlsplit(url).query)
    assert labels(page)[0] == "Genre: Comedy"
    assert all("Comedy" in item.tag["genres"] for _, item, folder in page[1:] if not folder)


@pytest.mark.parametrize(
    "fault, text",
    [
        ("addon_error", "AIOStreams says: "),
        ("rate_limit", "AIOStreams"),
        ("http_500", "AIOStreams"),
    ],
)
def test_a_failing_catalog_gives_one_item_never_an_empty_folder(kodi, aio, fault, text):
    browse(kodi, "?action=catalogs")
    sandbox_metas.configure(aio, fault=fault, count=5)
    page = browse(kodi, "?action=catalog&type=series&id=c1.top")
    assert len(page) == 1 and labels(page)[0].startswith(text)


def test_an_unreachable_instance_gives_one_item_that_retries(kodi):
    kodi.set_setting("aiostreams_manifest_url", "http://127.0.0.1:9/stremio/u/p/manifest.json")
    page = browse(kodi, "?action=catalogs")
    assert labels(page) == ["AIOStreams could not be reached: select to try again"]
    assert page[0][2] is True and params_of(page[0][0])["action"] == "catalogs"


def test_a_catalog_the_manifest_no_longer_declares_offers_a_reload(kodi):
    browse(kodi, "?action=catalogs")
    page = browse(kodi, "?action=catalog&type=movie&id=gone.catalog")
    assert labels(page) == [
        "This catalog is no longer in the manifest: select to reload the catalogs"
    ]
    assert params_of(page[0][0]) == {"action": "catalogs", "refresh": "1"}


# ------------------------------------------------------------------- show and season


def test_show_page_lists_seasons_with_specials_last_and_watched_counts(kodi, mirror):
    seasons = browse(kodi, "?action=show&id=tt0903747&type=series")
    names = labels(seasons)
    assert names[0] == "Season 1" and names[-1] == "Specials"
    assert all(folder for _, _, folder in seasons)
    first = seasons[0][1]
    assert first.label2.startswith("2 of ")
    assert first.tag["mediaType"] == "season" and "poster" in first.art


def test_season_page_marks_watched_resume_next_up_and_dims_unaired(kodi, mirror):
    episodes = browse(kodi, "?action=season&id=tt0903747&season=1&type=series")
    by_number = {item.tag["episode"]: (url, item) for url, item, _ in episodes}
    assert by_number[1][1].tag["playcount"] == 2
    assert by_number[2][1].tag["playcount"] == 1
    url, third = by_number[3]
    assert third.getProperty("AIOStreams.NextUp") == "true" and third.label2 == "Next Up"
    assert third.tag.get("resumePoint")  # paused at 40 %
    play = params_of(url)
    assert play["action"] == "play" and play["show_imdb"] == "tt0903747"
    assert (play["season"], play["episode"], play["show"]) == ("1", "3", str(SHOW_ID))
    menu = [label for label, _ in third.context_menu]
    assert "Mark as watched" in menu[0] or "watched" in menu[0].lower()
    assert "Show page" in menu and "Add to one of my lists" in menu


def test_unaired_episodes_are_dimmed_and_cannot_be_played(kodi):
    seasons = browse(kodi, "?action=show&id=tt9900001&type=series")
    url = next(u for u, item, _ in seasons if item.getLabel() == "Season 2")
    episodes = browse(kodi, "?" + urlsplit(url).query)
    assert labels(episodes)[:2] == ["1. Aired", "2. Aired too"]
    unaired = [(u, item) for u, item, _ in episodes if "[COLOR" in item.getLabel()]
    assert unaired
    for u, item in unaired:
        assert item.getProperty("IsPlayable") != "true"
        assert params_of(u)["action"] == "noop"
        assert item.label2.startswith("Not aired yet")


def test_a_show_without_meta_says_so(kodi):
    page = browse(kodi, "?action=show&id=tt0000404&type=series")
    assert labels(page) == ["AIOStreams has no details for this title"]


# ------------------------------------------------------------------------------ search


def test_search_menu_asks_then_opens_the_results_as_their_own_folder(kodi):
    menu = browse(kodi, "?action=search")
    assert labels(menu) == ["New search: movies and shows", "New search: movies",
                            "New search: shows"]  # fmt: skip
    kodi.script("input", "Breaking")
    kodi.info_labels["Container.FolderPath"] = URL + "?action=search_new&type=series"
    router.run([URL, "8", "?action=search_new&type=series"])
    # The keyboard's folder ends as an empty listing that succeeded (a failed one is an error in
    # kodi.log), and once Kodi shows it, the results replace it in the window's history.
    assert kodi.ended[-1]["succeeded"] is True
    assert not kodi.directory or all(h != 8 for h, *_ in kodi.directory)
    update = kodi.builtins[-1]
    assert update.startswith("Container.Update(") and update.endswith(",replace)")
    assert "search_results" in update
    query = update[len("Container.Update(") : -len(",replace)")]
    results = browse(kodi, "?" + urlsplit(query).query)
    assert "Breaking Bad (2008)" in labels(results)
    show_url = next(u for u, item, _ in results if item.getLabel() == "Breaking Bad (2008)")
    assert params_of(show_url)["action"] == "show"
    history = browse(kodi, "?action=search")
    assert labels(history)[3] == "Breaking (shows)"
    assert labels(history)[-1] == "Clear search history"


def test_search_merges_catalogs_without_duplicates(kodi):
    results = browse(kodi, "?action=search_results&query=Matrix&type=movie")
    ids = [params_of(url).get("imdb") for url, _, _ in results]
    assert "tt0133093" in ids and len(ids) == len(set(ids))


def test_search_history_entries_are_removed_one_by_one_or_cleared(kodi):
    for words in ("Dark", "Matrix", "Inception"):
        browse(kodi, f"?action=search_results&query={words}&type=all&new=1")
    history = browse(kodi, "?action=search")
    entries = history[3:-1]
    assert labels(entries) == ["Inception (movies and shows)", "Matrix (movies and shows)",
                               "Dark (movies and shows)"]  # fmt: skip
    remove = entries[1][1].context_menu[0]
    assert remove[0] == "Remove from search history"
    router.run([URL, "-1", "?" + urlsplit(remove[1][len("RunPlugin(") : -1]).query])
    assert "Matrix (movies and shows)" not in labels(browse(kodi, "?action=search"))
    router.run([URL, "-1", "?action=search_clear"])
    assert labels(browse(kodi, "?action=search"))[3:] == []
    assert kodi.builtins[-1] == "Container.Refresh"


def test_search_history_keeps_the_last_20(kodi):
    for n in range(23):
        browse(kodi, f"?action=search_results&query=q{n}&type=movie&new=1")
    history = browse(kodi, "?action=search")
    assert len(history) == 3 + 20 + 1
    assert labels(history)[3] == "q22 (movies)"


def test_nothing_found_says_so_in_one_item(kodi):
    results = browse(kodi, "?action=search_results&query=zzzqqqxxx&type=all")
    assert labels(results) == ['Nothing found for "zzzqqqxxx"']


def test_an_error_stream_while_searching_shows_its_text(kodi, aio):
    browse(kodi, "?action=catalogs")
    sandbox_metas.configure(aio, fault="unconfigured", count=10)
    results = browse(kodi, "?action=search_results&query=Dark&type=series")
    assert len(results) == 1 and labels(results)[0].startswith("AIOStreams says: ")


def test_search_unreachable_gives_one_item(kodi):
    kodi.set_setting("aiostreams_manifest_url", "http://127.0.0.1:9/stremio/u/p/manifest.json")
    results = browse(kodi, "?action=search_results&query=Dark&type=all")
    assert labels(results) == ["AIOStreams could not be reached: select to try again"]


def test_a_widget_never_opens_the_keyboard(kodi):
    browse(kodi, "?action=search_new&type=all&widget=1")
    assert kodi.dialog_calls("input") == []
    assert labels(browse(kodi, "?action=search_new&type=all&widget=1"))[0].startswith("New")


# ------------------------------------------------------------------ context and urls


def test_catalog_items_known_to_the_mirror_get_trakt_context_entries(kodi, mirror):
    browse(kodi, "?action=catalogs")
    page = browse(kodi, "?action=catalog&type=movie&id=c1.top")
    by_imdb = {params_of(url).get("imdb"): item for url, item, _ in page}
    watched = [label for label, _ in by_imdb["tt0111161"].context_menu]
    assert watched[0] == "Mark as unwatched" and "Add to one of my lists" in watched
    paused = dict(by_imdb["tt0133093"].context_menu)
    assert paused  # The Matrix: in the mirror through its bookmark


def _my_lists(monkeypatch, holding=()):
    """Two personal lists in the mirror; ``holding``: the movie ids list 12 holds."""
    from resources.lib.database.trakt_sync import TraktSyncDatabase

    queued = []
    monkeypatch.setattr(TraktSyncDatabase, "lists", lambda self, kind="personal": [
        {"list_id": 11, "name": "Weekend"}, {"list_id": 12, "name": "Classics"}])  # fmt: skip
    monkeypatch.setattr(TraktSyncDatabase, "list_items", lambda self, list_id: [
        {"type": "movie", "trakt_id": t} for t in holding if list_id == 12])  # fmt: skip
    monkeypatch.setattr(TraktSyncDatabase, "queue_change", lambda self, a: queued.append(a))
    return queued


def test_adding_to_a_list_asks_which_and_queues_the_change(kodi, monkeypatch):
    queued = _my_lists(monkeypatch)
    kodi.script("select", 1)
    router.run([URL, "-1", "?action=context&op=list_add&type=movie&trakt=5"])
    assert [(a.kind, a.media_type, a.trakt_id, a.list_id) for a in queued] == [
        ("list_add", "movie", 5, 12)]  # fmt: skip
    assert kodi.dialog_calls("select")[-1][0][1] == ["Weekend", "Classics"]


def test_removing_offers_only_the_lists_that_hold_the_item(kodi, monkeypatch):
    queued = _my_lists(monkeypatch, holding=(5,))
    kodi.script("select", 0)
    router.run([URL, "-1", "?action=context&op=list_remove&type=movie&trakt=5"])
    assert kodi.dialog_calls("select")[-1][0][1] == ["Classics"]
    assert [(a.kind, a.list_id) for a in queued] == [("list_remove", 12)]


def test_removing_from_the_list_being_viewed_asks_nothing(kodi, monkeypatch):
    queued = _my_lists(monkeypatch, holding=(5,))
    router.run([URL, "-1", "?action=context&op=list_remove&type=movie&trakt=5&list=12"])
    assert not kodi.dialog_calls("select")
    assert [(a.kind, a.list_id) for a in queued] == [("list_remove", 12)]


def test_no_list_of_my_own_says_so_and_changes_nothing(kodi, monkeypatch):
    from resources.lib.database.trakt_sync import TraktSyncDatabase

    queued = _my_lists(monkeypatch)
    monkeypatch.setattr(TraktSyncDatabase, "lists", lambda self, kind="personal": [])
    router.run([URL, "-1", "?action=context&op=list_add&type=movie&trakt=5"])
    assert not queued
    assert kodi.log_lines(contains="Action context finished: cancelled")
    assert "no Trakt lists of your own" in kodi.dialog_calls("notification")[-1][0][1]


def test_plays_from_before_a_rewatch_reset_give_no_watched_overlay(kodi, mirror):
    from resources.lib.database.connection import write_transaction
    from resources.lib.database.trakt_sync import TraktSyncDatabase

    with TraktSyncDatabase(get_paths().db_path) as db, write_transaction(db.connection):
        db.connection.execute(
            "UPDATE shows SET reset_at = '2024-06-01T00:00:00.000Z' WHERE trakt_id = ?",
            (SHOW_ID,),
        )
    episodes = browse(kodi, "?action=season&id=tt0903747&season=1&type=series")
    counts = {item.tag["episode"]: item.tag["playcount"] for _, item, _ in episodes}
    assert counts[1] == 0 and counts[2] == 0


def test_the_results_wait_until_kodi_shows_the_keyboards_empty_folder(kodi, monkeypatch):
    # Sent earlier, Kodi may handle the update inside the first listing's fetch, and the empty
    # listing, finished last, replaces the results.
    from resources.lib.kodi import system

    answers = iter(["plugin://elsewhere/", "", URL + "?action=search_new&type=series"])
    asked: List[str] = []

    def folder_path(label: str) -> str:
        asked.append(label)
        return next(answers, URL + "?action=search_new&type=series")

    monkeypatch.setattr(system.xbmc, "getInfoLabel", folder_path)
    kodi.script("input", "Breaking")
    router.run([URL, "8", "?action=search_new&type=series"])
    assert asked == ["Container.FolderPath"] * 3
    update = kodi.builtins[-1]
    assert update.startswith("Container.Update(") and "search_results" in update
    # Still updating: not yet.
    kodi.conditions["Container.IsUpdating"] = True
    assert system.wait_for_folder("action=search_new", timeout=0.2) is False
    kodi.conditions["Container.IsUpdating"] = False
    assert system.wait_for_folder("action=search_new", timeout=0.2) is True


def test_when_kodi_never_shows_the_keyboards_folder_the_results_still_open(kodi, monkeypatch):
    from resources.lib.kodi import system

    monkeypatch.setattr(system, "wait_for_folder", lambda part: False)
    kodi.script("input", "Breaking")
    router.run([URL, "8", "?action=search_new&type=series"])
    update = kodi.builtins[-1]
    assert update.startswith("Container.Update(") and "search_results" in update


def test_a_cancelled_search_keyboard_shows_the_search_menu_again(kodi):
    kodi.script("input", "")
    router.run([URL, "9", "?action=search_new&type=series"])
    assert kodi.ended[-1]["succeeded"] is True  # never a failed listing (an error in kodi.log)
    assert labels([(u, i, f) for h, u, i, f in kodi.directory if h == 9])[:3] == [
        "New search: movies and shows",
        "New search: movies",
        "New search: shows",
    ]
    assert not [b for b in kodi.builtins if b.startswith("Container.Update(")]
