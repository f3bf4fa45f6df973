"""Browse pages against the AIOStreams sandbox over loopback, with real SQLite files.

Request counts come from the sandbox's own request log: a page not cached costs exactly one
AIOStreams request, a cached page none.
"""

from __future__ import annotations

import time

import pytest

from aiostreams_sandbox import metas as sandbox_metas
from aiostreams_sandbox.server import AIOStreamsSandbox
from resources.lib.aiostreams.catalog_client import StremioResources
from resources.lib.aiostreams.http import RequestSpacer
from resources.lib.browse import artwork
from resources.lib.browse.browser import Browser, CacheTimes, open_browser
from resources.lib.browse.records import Status
from resources.lib.database.meta_cache import MetaCache
from tests.support.browse_mirror import seed_mirror


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    sb = AIOStreamsSandbox(cache_dir=str(tmp_path_factory.mktemp("aiostreams-media")))
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def sb(sandbox):
    sandbox.reset()
    return sandbox


@pytest.fixture
def clock(clock):
    """The shared fake clock, started at the real now: the sandbox's air dates are real ones."""
    clock.t = time.time()
    return clock


def make_browser(sb, tmp_path, clock, mirror=None, manifest_url=None):
    cache = MetaCache(str(tmp_path / "meta_cache.db"), clock=clock)
    resources = StremioResources(manifest_url or sb.manifest_url, spacer=RequestSpacer(0.0))
    return Browser(cache, resources, mirror, clock=clock)


@pytest.fixture
def browser(sb, tmp_path, clock):
    found = make_browser(sb, tmp_path, clock, seed_mirror(str(tmp_path / "trakt_sync.db")))
    yield found
    found.cache.close()


def routed(sb, resource):
    return [r["path"] for r in sb.requests() if f"/{resource}/" in r["path"]]


# -- catalogs -----------------------------------------------------------------------------------


def test_catalog_menu_groups_the_manifest_catalogs_by_type(browser, sb):
    menu = browser.catalogs()
    assert menu.status is Status.OK
    assert [(kind, [c.name for c in cats]) for kind, cats in menu.groups] == [
        ("movie", ["Popular", "Trending", "Broken List"]),
        ("series", ["Popular"]),
        ("anime", ["Airing Anime"]),
    ]
    assert [(c.type, c.id) for c in menu.search_catalogs] == [
        ("movie", "c1.top"),
        ("series", "c1.top"),
        ("movie", "t2.search"),
        ("series", "t2.search"),
    ]
    assert browser.catalogs().from_cache and len(routed(sb, "manifest.json")) == 0
    assert sum(1 for r in sb.requests() if r["path"].endswith("manifest.json")) == 1


def test_paging_through_a_catalog_costs_one_request_per_page_then_none(browser, sb):
    pages, skip, size = [], 0, 0
    while True:
        page = browser.catalog_page("movie", "c1.top", skip=skip, page_size=size)
        pages.append(page)
        if page.next_skip is None:
            break
        skip, size = page.next_skip, page.page_size
    assert [len(p.items) for p in pages] == [50, 50, 30]
    assert [p.skip for p in pages] == [0, 50, 100]
    assert routed(sb, "catalog")[1].endswith("/catalog/movie/c1.top/skip=50.json")
    assert len(routed(sb, "catalog")) == 3
    again = browser.catalog_page("movie", "c1.top", skip=50, page_size=50)
    assert again.from_cache and again.items == pages[1].items and len(routed(sb, "catalog")) == 3
    titles = [item.title for page in pages for item in page.items]
    assert len(set(titles)) == 130  # no item twice across pages


def test_an_item_carries_what_the_meta_holds_and_the_mirror_state(browser):
    page = browser.catalog_page("movie", "c1.top")
    shawshank = page.items[0]
    assert (shawshank.title, shawshank.year, shawshank.genres) == (
        "The Shawshank Redemption",
        1994,
        ("Drama",),
    )
    assert shawshank.plot and shawshank.rating and shawshank.runtime
    assert shawshank.art.poster.endswith("/poster/tt0111161.jpg") and shawshank.art.logo
    assert shawshank.mark.watched and shawshank.mark.playcount == 1
    matrix = next(i for i in page.items if i.imdb_id == "tt0133093")
    assert matrix.mark.resume_percent == 60.0


def test_a_next_page_past_the_end_says_so_instead_of_an_empty_folder(browser):
    page = browser.catalog_page("anime", "k3.airing")
    assert len(page.items) == 30 and page.next_skip == 30  # 30 >= 20: there may be more
    last = browser.catalog_page("anime", "k3.airing", skip=30, page_size=30)
    assert last.status is Status.END and last.items == () and last.next_skip is None


def test_genre_filter_and_a_required_genre_default(browser, sb):
    drama = browser.catalog_page("movie", "c1.top", genre="Drama")
    assert drama.items and all("Drama" in item.genres for item in drama.items)
    assert routed(sb, "catalog")[-1].endswith("/catalog/movie/c1.top/genre=Drama.json")
    browser.catalogs()  # the cached manifest tells the page that Trending needs a genre
    trending = browser.catalog_page("movie", "t2.trending")
    assert trending.genre == "None" and len(trending.items) == 20
    assert routed(sb, "catalog")[-1].endswith("/catalog/movie/t2.trending/genre=None.json")


def test_a_failing_add_on_gives_its_own_error_text(browser):
    page = browser.catalog_page("movie", "x4.broken")
    assert page.status is Status.INSTANCE_ERROR and page.message == "Request timed out"
    assert page.items == ()


def test_wrong_password_rate_limit_and_unreachable(sb, tmp_path, clock):
    wrong = make_browser(sb, tmp_path, clock, manifest_url=sb.manifest_url_with("nope"))
    page = wrong.catalog_page("movie", "c1.top")
    assert (page.status, page.message) == (Status.INSTANCE_ERROR, "Invalid password")
    assert wrong.show_page("tt0903747").status is Status.INSTANCE_ERROR
    wrong.cache.close()
    browser = make_browser(sb, tmp_path, clock)
    sandbox_metas.configure(sb, fault="rate_limit", count=1)
    assert browser.catalog_page("series", "c1.top").status is Status.RATE_LIMITED
    assert browser.catalog_page("series", "c1.top").status is Status.OK  # not cached as empty
    dead = make_browser(
        sb, tmp_path, clock, manifest_url="http://127.0.0.1:9/stremio/u/p/manifest.json"
    )
    assert dead.catalog_page("movie", "c1.top").status is Status.UNREACHABLE
    browser.cache.close()


def test_an_expired_page_is_shown_when_aiostreams_is_down(tmp_path, clock):
    with AIOStreamsSandbox() as short_lived:
        browser = make_browser(short_lived, tmp_path, clock)
        first = browser.catalog_page("movie", "c1.top")
    clock.advance(CacheTimes().catalog + 1)
    stale = browser.catalog_page("movie", "c1.top")
    assert stale.status is Status.OK and stale.from_cache and stale.items == first.items


def test_latency_knob_slows_answers(browser, sb):
    sandbox_metas.configure(sb, latency=0.3)
    started = time.monotonic()
    browser.catalog_page("series", "c1.top", genre="Comedy")
    assert time.monotonic() - started >= 0.3


# -- search -------------------------------------------------------------------------------------


def test_search_merges_catalogs_and_removes_duplicates_by_imdb_id(browser, sb):
    results = browser.search("amélie", "movie")
    assert results.status is Status.OK and results.requests == 2
    assert [(i.stremio_id, i.imdb_id) for i in results.items] == [("tt0211915", "tt0211915")]
    both = browser.search("sandbox show 00")
    ids = [item.imdb_id for item in both.items]
    assert ids == [f"tt8100{n:03d}" for n in range(1, 10)]  # c1.top's order, tmdb dups dropped
    assert [(e.query, e.media_type) for e in browser.cache.searches()] == [
        ("sandbox show 00", "all"),
        ("amélie", "movie"),
    ]
    assert browser.search("amélie", "movie").requests == 0  # cached for an hour


def test_search_without_results_and_with_every_catalog_failing(browser, sb):
    assert browser.search("zzzz nothing", "series").status is Status.NO_RESULTS
    assert browser.search("   ").status is Status.NO_RESULTS
    assert [e.query for e in browser.cache.searches()] == ["zzzz nothing"]
    browser.catalogs()
    sandbox_metas.configure(sb, fault="unconfigured", count=2)
    failed = browser.search("breaking", "series")
    assert failed.status is Status.INSTANCE_ERROR
    assert failed.message == "Please configure the addon first"
    assert failed.failed == ("Popular", "TMDB Search")


def test_without_a_manifest_every_page_says_so(tmp_path):
    browser = open_browser(str(tmp_path), "")
    assert browser.catalogs().status is Status.NO_MANIFEST
    assert browser.search("x").status is Status.NO_MANIFEST
    assert browser.show_page("tt0903747").status is Status.NO_MANIFEST
    assert open_browser(str(tmp_path), "not a url").resources is None


# -- show, season and movie pages ------------------------------------------------------------


def test_show_page_seasons_specials_last_with_next_up(browser, sb):
    page = browser.show_page("tt0903747")
    assert page.status is Status.OK and not page.from_cache
    assert [(s.number, s.episode_count, s.watched_count) for s in page.seasons] == [
        (1, 7, 2),
        (2, 5, 0),
        (0, 2, 0),
    ]
    assert page.next_up == (1, 3) and page.show.title == "Breaking Bad"
    assert page.show.mark.completed == 2 and page.show.mark.aired == 12
    season = browser.season_page("tt0903747", 1)
    assert season.from_cache and len(routed(sb, "meta")) == 1  # one request for both pages
    marks = [
        (e.number, e.mark.playcount, e.mark.watched, e.mark.resume_percent, e.mark.next_up)
        for e in season.episodes[:4]
    ]
    assert marks == [
        (1, 2, True, 0.0, False),
        (2, 1, True, 0.0, False),
        (3, 0, False, 40.0, True),
        (4, 0, False, 0.0, False),
    ]
    assert season.episodes[6].title is None  # a missing title stays missing


def test_unaired_episodes_unicode_titles_and_missing_art(browser):
    upcoming = browser.season_page("tt9900001", 2)
    assert [(e.number, e.aired) for e in upcoming.episodes] == [
        (1, True),
        (2, True),
        (3, False),
        (4, False),
        (5, False),
    ]
    assert browser.show_page("tt9900001").seasons[1].aired_count == 2
    german = browser.season_page("tt5753856", 1)
    assert [e.title for e in german.episodes][1] == "Lügen"
    japanese = browser.show_page("tt2560140")
    assert japanese.show.title == "進撃の巨人"
    bare = browser.season_page("tt9900002", 1)
    assert bare.show.art.empty and all(e.art.thumb is None for e in bare.episodes)
    assert browser.season_page("tt9900002", 7).status is Status.EMPTY


def test_no_meta_is_remembered_and_not_asked_again(browser, sb, clock):
    assert browser.show_page("tt0000404").status is Status.NOT_FOUND
    assert browser.movie_page("tt0000500").status is Status.NOT_FOUND  # an add-on error meta
    assert browser.show_page("tt0000404").status is Status.NOT_FOUND
    assert len(routed(sb, "meta")) == 2
    clock.advance(CacheTimes().missing + 1)
    browser.show_page("tt0000404")
    assert len(routed(sb, "meta")) == 3


def test_a_movie_page_has_the_mirror_state(browser):
    page = browser.movie_page("tt0068646")
    assert page.status is Status.OK and page.movie.mark.in_watchlist
    assert page.movie.title == "The Godfather" and page.movie.plot


def test_an_airing_show_is_refreshed_sooner_than_an_ended_one(browser, sb, clock):
    browser.show_page("tt9900001")  # continuing
    browser.show_page("tt0903747")  # ended
    clock.advance(CacheTimes().airing_meta + 1)
    browser.show_page("tt9900001")
    browser.show_page("tt0903747")
    assert [p.rsplit("/", 1)[-1] for p in routed(sb, "meta")] == [
        "tt9900001.json",
        "tt0903747.json",
        "tt9900001.json",
    ]


# -- artwork for Trakt lists --------------------------------------------------------------------


def test_prefetch_fetches_each_list_item_once_and_lists_read_only_the_cache(browser, sb):
    wanted = artwork.wanted_from_mirror(browser.mirror)
    assert wanted[:2] == [("movie", "tt0133093"), ("series", "tt0903747")]
    assert set(wanted) == {("movie", "tt0133093"), ("series", "tt0903747"), ("movie", "tt0068646")}
    assert artwork.cached_details(browser.cache, wanted) == {}  # nothing yet: text only
    report = artwork.prefetch(browser, wanted + [("movie", "tt0000404")])
    assert (report.fetched, report.missing, report.requests, report.status) == (3, 1, 4, Status.OK)
    again = artwork.prefetch(browser, wanted + [("movie", "tt0000404")])
    assert (again.fresh, again.requests) == (4, 0)
    details = artwork.cached_details(browser.cache, wanted)
    assert details[("movie", "tt0068646")].art.poster.endswith("tt0068646.jpg")
    meta = artwork.cached_metas(browser.cache, [("series", "tt0903747")])[("series", "tt0903747")]
    assert artwork.episode_thumb(meta, 1, 3).endswith("tt0903747-1-3.jpg")


def test_prefetch_stops_at_a_rate_limit_and_resumes_later(browser, sb):
    keys = [("movie", f"tt70000{n:02d}") for n in range(10)]
    sandbox_metas.configure(sb, fault="rate_limit", count=1)
    first = artwork.prefetch(browser, keys)
    assert first.status is Status.RATE_LIMITED and first.fetched == 0 and first.requests == 1
    second = artwork.prefetch(browser, keys, max_requests=4)
    assert (second.fetched, second.requests) == (4, 4)
    third = artwork.prefetch(browser, keys, should_abort=lambda: False)
    assert (third.fresh, third.fetched) == (4, 6)
    aborted = artwork.prefetch(browser, [("movie", "tt7999999")], should_abort=lambda: True)
    assert (aborted.status, aborted.requests) == (Status.ABORTED, 0)


def test_control_api_faults_over_http_and_a_stale_page_on_a_server_error(browser, sb, clock):
    import json
    import urllib.request

    first = browser.catalog_page("series", "c1.top")
    request = urllib.request.Request(
        sb.url + "/_control/browse",
        data=json.dumps({"fault": "http_500", "count": 2}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=5).close()
    assert browser.catalog_page("movie", "c1.top").status is Status.BAD_RESPONSE
    clock.advance(CacheTimes().catalog + 1)
    stale = browser.catalog_page("series", "c1.top")
    assert stale.status is Status.OK and stale.from_cache and stale.items == first.items


def test_a_catalog_the_manifest_no_longer_declares_costs_no_request(browser, sb):
    browser.catalogs()
    before = len(routed(sb, "catalog"))
    assert browser.catalog_page("movie", "gone.catalog").status is Status.UNKNOWN_CATALOG
    assert len(routed(sb, "catalog")) == before


def test_trakt_list_rows_get_art_from_the_cache_only(browser, sb):
    mirror = browser.mirror
    rows = mirror.next_up() + mirror.in_progress() + mirror.watchlist("movie")
    assert artwork.art_for_rows(browser.cache, rows) == [None] * len(rows)  # text only, no wait
    assert routed(sb, "meta") == []
    artwork.prefetch(browser, artwork.wanted_from_mirror(mirror))
    arts = artwork.art_for_rows(browser.cache, rows)
    next_up = arts[0]
    assert (
        next_up.item.title == "Breaking Bad"
        and next_up.episode_title == "...And the Bag's in the River"
    )
    assert next_up.art.thumb.endswith("tt0903747-1-3.jpg") and next_up.art.poster
    assert {a.item.imdb_id for a in arts[1:]} == {"tt0903747", "tt0133093", "tt0068646"}
    assert all(a.art.poster and a.item.plot for a in arts)


def test_a_429_is_retried_once_after_its_retry_after(browser, sb):
    sandbox_metas.configure(sb, fault="http_429", count=1)
    page = browser.catalog_page("movie", "c1.top", genre="Drama", skip=20, page_size=20)
    assert page.status is Status.OK
    paths = routed(sb, "catalog")
    assert len(paths) == 2 and paths[-1].endswith("/c1.top/genre=Drama&skip=20.json")
    sandbox_metas.configure(sb, fault="http_429", count=5)
    assert browser.catalog_page("series", "c1.top", skip=50).status is Status.RATE_LIMITED
