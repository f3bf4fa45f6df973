"""Context-menu actions through the plugin router (Kodi doubles): parameters validated, unknown
ops refused with a log line, accepted ones applied to the mirror and queued, then a refresh."""

from __future__ import annotations

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.database.trakt_sync.outbox import LocalAction
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import router
from resources.lib.plugin.context_menu import menu_entries, parse_action

URL = "plugin://plugin.video.aiostreams/"


def test_context_parameters_are_validated():
    action = parse_action({"op": "mark_watched", "type": "episode", "show": "5", "season": "0",
                           "number": "3"})  # fmt: skip
    assert action == LocalAction("watch", "episode", show_id=5, season=0, number=3)
    for bad in (
        {"op": "drop_tables", "type": "movie", "trakt": "1"},
        {"op": "mark_watched", "type": "movie", "trakt": "-1"},
        {"op": "mark_watched", "type": "movie", "trakt": "1; DROP TABLE movies"},
        {"op": "mark_watched", "type": "movie", "trakt": "0"},
        {"op": "mark_watched", "type": "movie"},
        {"op": "hide_next_up", "type": "movie", "trakt": "4"},
        {"op": "mark_watched", "type": "movie", "trakt": "99999999999"},
    ):
        with pytest.raises(ValueError):
            parse_action(bad)


def test_menu_entries_point_at_the_context_route():
    row = {"type": "episode", "show_trakt_id": 5, "season": 1, "number": 2, "trakt_id": 77,
           "progress": 10.0}  # fmt: skip
    entries = menu_entries(row, "next_up")
    # watched, hide, watchlist the show, remove resume, add to / remove from a list, rate
    assert len(entries) == 7
    assert all(cmd.startswith("RunPlugin(plugin://plugin.video.aiostreams/?action=context&op=")
               for _, cmd in entries)  # fmt: skip
    assert menu_entries({"type": "movie", "trakt_id": None}, "in_progress") == []
    assert len(menu_entries({"trakt_id": 4, "plays": 2}, "watchlist_movie")) == 6


def test_an_accepted_action_changes_the_mirror_queues_it_and_refreshes(kodi):
    router.run([URL, "-1", "?action=context&op=watchlist_add&type=movie&trakt=42"])
    with TraktSyncDatabase(get_paths().db_path) as db:
        assert db.snapshot()["watchlist"] == [["movie", 42]]
        assert [row.kind for row in db.outbox_rows()] == ["watchlist_add"]
    assert "Container.Refresh" in kodi.builtins
    assert kodi.log_lines(contains="Action context finished: watchlist_add movie:42")


@pytest.mark.parametrize(
    "query",
    [
        "?action=context&op=format_disk&type=movie&trakt=1",
        "?action=context&op=mark_watched&type=movie&trakt=-5",
        "?action=context&op=mark_watched&type=movie&trakt=abc",
        "?action=context&op=hide_next_up&type=episode&show=1&season=1&number=1",
    ],
)
def test_bad_actions_are_refused_with_a_log_line(kodi, query):
    router.run([URL, "-1", query])
    assert kodi.log_lines(contains="Context action refused")
    assert kodi.log_lines(contains="Action context finished: refused")
    assert "Container.Refresh" not in kodi.builtins
    with TraktSyncDatabase(get_paths().db_path) as db:
        assert db.outbox_rows() == []
