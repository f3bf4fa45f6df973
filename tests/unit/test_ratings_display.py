"""The user's own ratings on list items: the info tag's user rating (Kodi 20 setter, Kodi 19
``userrating``), "Your rating: N" as the plot's first line, every Trakt list reading them in one
query per page, and the browse pages' items (catalog, search, season, show) from their marks."""

from __future__ import annotations

import pytest

from resources.lib.browse.records import Episode, Item, Mark
from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi import directory
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import browse_items, router
from resources.lib.trakt.tokens import Tokens, TokenStore
from tests.support.browse_mirror import SHOW_ID, seed_mirror

URL = "plugin://plugin.video.aiostreams/"


@pytest.mark.parametrize("version", [20, 19])
def test_the_user_rating_is_set_and_readable_in_the_plot(kodi, version):
    kodi.kodi_version = version
    rated = directory.build_listitem(
        directory.Item("M", "plugin://x", mediatype="movie", plot="A plot.", user_rating=8)
    )
    bare = directory.build_listitem(directory.Item("M", "plugin://x", user_rating=None))
    if version >= 20:
        tag, plain = rated.getVideoInfoTag().data, bare.getVideoInfoTag().data
        assert tag["userRating"] == 8 and tag["plot"] == "Your rating: 8[CR]A plot."
        assert "userRating" not in plain and "plot" not in plain
    else:
        assert rated.info["userrating"] == 8 and rated.info["plot"] == "Your rating: 8[CR]A plot."
        assert "userrating" not in bare.info and "plot" not in bare.info


def test_a_rating_outside_1_to_10_is_not_shown(kodi):
    tag = directory.build_listitem(directory.Item("M", "u", user_rating=0)).getVideoInfoTag()
    assert "userRating" not in tag.data and "plot" not in tag.data


@pytest.fixture
def mirror(kodi):
    kodi.set_setting("trakt_client_id", "id")
    kodi.set_setting("trakt_client_secret", "secret")
    TokenStore(get_paths().token_path).save(
        Tokens.from_response({"access_token": "a", "refresh_token": "r", "expires_in": 86400})
    )
    db = seed_mirror(get_paths().db_path)
    with write_transaction(db.connection):
        db.connection.executemany(
            "INSERT INTO ratings (media_type, trakt_id, rating, show_id, season, number) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("episode", 70103, 8, SHOW_ID, 1, 3),  # the Next Up episode
                ("movie", 2, 6, None, None, None),  # The Matrix, in progress
                ("movie", 3, 9, None, None, None),  # The Godfather, on the watchlist
            ],
        )
    db.close()
    return kodi


def _listed(kodi, query):
    kodi.directory.clear()
    router.run([URL, "7", query, "resume:false"])
    return {item.getLabel(): item.getVideoInfoTag().data for _, _, item, _ in kodi.directory}


@pytest.mark.parametrize(
    "query, label, rating",
    [
        ("?action=next_up", "Breaking Bad", 8),
        ("?action=in_progress", "The Matrix", 6),
        ("?action=watchlist_movies", "The Godfather", 9),
    ],
)
def test_trakt_lists_show_the_ratings_read_once_per_page(mirror, monkeypatch, query, label, rating):
    calls = []
    real = TraktSyncDatabase.ratings_for

    def counted(self, keys):
        calls.append(list(keys))
        return real(self, keys)

    monkeypatch.setattr(TraktSyncDatabase, "ratings_for", counted)
    listed = _listed(mirror, query)
    (found,) = [tag for name, tag in listed.items() if label in name]
    assert found["userRating"] == rating
    assert found["plot"].startswith("Your rating: %d" % rating)
    assert len(calls) == 1 and len(calls[0]) == len(listed)


def test_browse_items_carry_the_marks_rating(kodi):
    movie = Item("movie", "tt1", "tt1", "Film", mark=Mark(trakt_id=1, rating=7))
    show = Item("series", "tt2", "tt2", "Show", mark=Mark(trakt_id=2, rating=5))
    assert browse_items.media_entry(movie).user_rating == 7
    assert browse_items.media_entry(show).user_rating == 5
    episode = Episode("tt2:1:1", 1, 1, "E1", None, "2020-01-01", True, mark=Mark(rating=3))
    assert browse_items.episode_entry(show, episode).user_rating == 3
    unrated = Episode("tt2:1:2", 1, 2, "E2", None, "2020-01-01", True)
    assert browse_items.episode_entry(show, unrated).user_rating is None


def test_a_free_accounts_ratings_limit_has_its_own_words(kodi):
    from resources.lib.kodi import notices, strings

    notice = {"code": "account_limit", "limit": "ratings", "count": 10000, "vip": False}
    assert notices.message_for(notice) == (strings.LIMIT_RATINGS_FREE, {"count": "10,000"})
    assert notices.message_for(dict(notice, vip=True))[0] == strings.LIMIT_OTHER_VIP
