"""An item the mirror does not know, from its IMDb id to Trakt: the Trakt client resolves it
against the sandbox over loopback (``trakt.lookup``), the outbox queues it with its label, and
a sync pushes it (mirror vs ``sb.truth()``)."""

from __future__ import annotations

import pytest

from resources.lib.database.trakt_sync.outbox import LocalAction
from resources.lib.trakt import lookup
from sandbox.catalog import Movie
from tests.support.sync_rig import SyncRig

IMDB = "tt7700011"
TRAKT = 991001


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path))
    rig.sandbox.state.catalog.add_movie(Movie(TRAKT, "Unknown Picture", 2024, "up", imdb=IMDB))
    assert rig.sync().status == "ok"
    yield rig
    rig.close()


def queue_by_imdb(rig):
    found = lookup.trakt_ids(rig.client, IMDB, "movie")
    assert found == lookup.Lookup(lookup.FOUND, TRAKT, "Unknown Picture", 2024)
    action = LocalAction("watchlist_add", "movie", found.trakt_id, title=found.title,
                         year=found.year, imdb_id=IMDB)  # fmt: skip
    rig.db.queue_change(action)


def listed(rig):
    return [(r["title"], r["year"], r["imdb_id"])
            for r in rig.db.watchlist("movie") if r["trakt_id"] == TRAKT]  # fmt: skip


def test_an_unknown_movie_is_listed_at_once_and_reaches_trakt_after_a_sync(rig):
    assert ["movie", TRAKT] not in rig.truth()["watchlist"]
    rig.sandbox.reset_requests()
    queue_by_imdb(rig)
    assert rig.sandbox.requests()["total"] == 1  # the lookup, nothing else
    assert listed(rig) == [("Unknown Picture", 2024, IMDB)]
    assert rig.sync().status == "ok"
    assert ["movie", TRAKT] in rig.truth()["watchlist"]
    assert rig.db.outbox_rows() == []
    assert listed(rig) == [("Unknown Picture", 2024, IMDB)]  # Trakt's own row now
    assert rig.db.snapshot()["watchlist"] == rig.truth()["watchlist"]


def test_a_change_trakt_has_not_taken_keeps_its_label_through_the_pull(rig):
    queue_by_imdb(rig)
    rig.sandbox.add_fault("500", path="^/sync/watchlist$", method="POST", count=100)
    other = next(
        m.trakt
        for m in rig.sandbox.state.catalog.movies.values()
        if ["movie", m.trakt] not in rig.truth()["watchlist"] and m.trakt != TRAKT
    )
    rig.sandbox.mutate("watchlist_add", type="movie", id=other)  # so the pull takes the unit
    rig.sync()  # the push fails, the pull replaces the watchlist, the queued change returns
    assert ["movie", other] in rig.db.snapshot()["watchlist"]  # the pull did replace it
    assert [row.kind for row in rig.db.outbox_rows()] == ["watchlist_add"]
    assert listed(rig) == [("Unknown Picture", 2024, IMDB)]


def test_lookup_outcomes_against_the_sandbox(rig):
    assert lookup.trakt_ids(rig.client, "tt0000009", "movie").status == lookup.NOT_FOUND
    assert lookup.trakt_ids(rig.client, IMDB, "show").status == lookup.NOT_FOUND
    with pytest.raises(ValueError):
        lookup.trakt_ids(rig.client, "12345", "movie")
