"""*Rate...* in the context menu: on every movie, show and episode the mirror knows, a select of
10 to 1 and *Remove rating*, queued through the outbox (the mirror's rating changes at once)."""

from __future__ import annotations

import pytest

from resources.lib.browse.records import Episode, Item, Mark
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import browse_items, rate_menu, router
from resources.lib.plugin.context_menu import menu_entries

URL = "plugin://plugin.video.aiostreams/"
RATE = "Rate..."


def _rate_commands(entries):
    return [cmd for label, cmd in entries if label == rate_menu.strings.RATE or label == RATE]


@pytest.mark.parametrize(
    "row, view, query",
    [
        ({"type": "episode", "show_trakt_id": 5, "season": 1, "number": 2, "trakt_id": 77},
         "next_up", "op=rate&type=episode&show=5&season=1&number=2&trakt=77"),
        ({"type": "movie", "trakt_id": 4}, "in_progress", "op=rate&type=movie&trakt=4"),
        ({"trakt_id": 4, "plays": 2}, "watchlist_movie", "op=rate&type=movie&trakt=4"),
        ({"type": "show", "trakt_id": 8}, "watchlist_show", "op=rate&type=show&trakt=8"),
        ({"type": "show", "trakt_id": 8}, "collection", "op=rate&type=show&trakt=8"),
        # a collected episode's own negative key is no Trakt id: named by its numbers
        ({"type": "episode", "show_trakt_id": 5, "season": 1, "number": 2, "trakt_id": -77},
         "collection", "op=rate&type=episode&show=5&season=1&number=2"),
        ({"type": "episode", "show_trakt_id": "5", "season": "0", "number": "2", "trakt_id": 0},
         "collection", "op=rate&type=episode&show=5&season=0&number=2"),
    ],
)  # fmt: skip
def test_every_list_row_has_rate(row, view, query):
    (command,) = _rate_commands(menu_entries(row, view))
    assert command == "RunPlugin(%s?action=context&%s)" % (URL, query)


@pytest.mark.parametrize(
    "row",
    [{"type": "movie", "trakt_id": -4}, {"type": "movie", "trakt_id": "x"},
     {"type": "episode", "show_trakt_id": 5, "season": -1, "number": 2},
     {"type": "episode", "show_trakt_id": 5, "season": 1, "number": None}],
)  # fmt: skip
def test_a_row_without_usable_ids_has_no_rate(row):
    assert _rate_commands(menu_entries(row, "collection")) == []


def test_the_ratings_modules_share_one_int_parser():
    """``items.as_int`` is the one lenient int parser; the ratings code keeps no copy of it."""
    import ast
    import inspect

    from resources.lib.database.trakt_sync import ratings
    from resources.lib.kodi import rating_prompt
    from resources.lib.plugin import list_ratings

    for module in (ratings, rate_menu, list_ratings, rating_prompt):
        tree = ast.parse(inspect.getsource(module))
        defined = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert "_int" not in defined, module.__name__


def test_browse_items_have_rate_when_the_mirror_knows_them(kodi):
    def labels(entry):
        return [label for label, _ in entry.context_menu]

    known = Item("movie", "tt1", "tt1", "Film", mark=Mark(trakt_id=3))
    unknown = Item("movie", "tt2", "tt2", "Other")
    assert labels(browse_items.media_entry(known)).count(RATE) == 1
    assert RATE not in labels(browse_items.media_entry(unknown))
    show = Item("series", "tt3", "tt3", "Show", mark=Mark(trakt_id=9))
    aired = Episode("tt3:1:2", 1, 2, "E2", None, "2020-01-01", True)
    (command,) = [c for label, c in browse_items.episode_entry(show, aired).context_menu
                  if label == RATE]  # fmt: skip
    assert "op=rate&type=episode&show=9&season=1&number=2" in command
    unaired = Episode("tt3:1:3", 1, 3, "E3", None, "2099-01-01", False)
    assert RATE not in labels(browse_items.episode_entry(show, unaired))


def _db():
    return TraktSyncDatabase(get_paths().db_path)


def test_rate_then_remove_through_the_context_route(kodi):
    kodi.script("select", 1)  # 10, 9, ...: the second line is 9
    router.run([URL, "-1", "?action=context&op=rate&type=movie&trakt=42"])
    with _db() as db:
        assert db.ratings_for([("movie", 42, None, None, None)]) == [9]
        assert [(r.kind, r.payload["rating"]) for r in db.outbox_rows()] == [("rate", 9)]
    assert kodi.log_lines(contains="Action context finished: rate rating:movie:42")
    assert "Container.Refresh" in kodi.builtins
    kodi.script("select", 10)  # "Remove rating", offered now that there is one
    router.run([URL, "-1", "?action=context&op=rate&type=movie&trakt=42"])
    heading, lines = kodi.dialog_calls("select")[-1][0]
    assert heading == "Your rating" and lines[1] == "9 (your rating now)"
    with _db() as db:
        assert db.ratings_for([("movie", 42, None, None, None)]) == [None]
        assert db.outbox_rows() == []  # rated and unrated before any push: nothing to send


def test_a_cancelled_select_changes_nothing(kodi):
    kodi.script("select", -1)
    router.run([URL, "-1", "?action=context&op=rate&type=episode&show=5&season=1&number=2"])
    assert kodi.log_lines(contains="Action context finished: cancelled")
    with _db() as db:
        assert db.outbox_rows() == []


@pytest.mark.parametrize(
    "query",
    [
        "op=rate&type=season&trakt=4",
        "op=rate&type=movie&trakt=abc",
        "op=rate&type=movie",
        "op=rate&type=episode&show=5&season=1",
        "op=rate&type=movie&imdb=tt0111161",
    ],
)
def test_a_malformed_rate_call_is_refused_without_a_dialog(kodi, query):
    router.run([URL, "-1", "?action=context&" + query])
    assert kodi.dialog_calls("select") == []
    assert kodi.log_lines(contains="Action context finished: refused")
