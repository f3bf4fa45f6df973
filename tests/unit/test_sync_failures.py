"""Issue 10, sections 2 and 3: one failing request does not cost a whole category, a 404 is
"not offered", failures are records (codes), and failed runs do not throttle.

The engine runs against the scripted client of test_db_sync_engine (real SQLite on disk)."""

from __future__ import annotations

import logging
import time

import pytest

from resources.lib.database import maintenance
from resources.lib.database.trakt_sync import TraktSyncDatabase, partstate
from resources.lib.trakt import errors
from tests.support.fake_trakt import T1, FakeClient, activities, show

HIDDEN_100 = {
    "hidden_at": "2026-01-01T00:00:00.000Z",
    "type": "show",
    "show": show(100, "Hundred"),
}
HIDDEN_200 = {"hidden_at": "2026-01-01T00:00:00.000Z", "type": "show", "show": show(200, "Two")}


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    yield database
    database.close()


def _client():
    client = FakeClient()
    client.data["/users/hidden/progress_watched"] = [HIDDEN_100]
    client.data["/users/hidden/dropped"] = [HIDDEN_200]
    return client


def _hidden(db):
    return sorted(tuple(row) for row in db.snapshot()["hidden"])


# ---- a category built from several requests keeps what succeeded ----


def test_hidden_404_keeps_the_other_sections_and_next_up_excludes_their_shows(db):
    client = _client()
    client.fail["/users/hidden/dropped"] = errors.NotFound(status=404)
    result = db.sync_activities(client, force=True)
    assert result.status == "ok", result  # not offered is not a failure
    assert ("progress_watched", "show", 100) in _hidden(db)
    assert "100" in db.snapshot()["next_up"]  # show 100 has a next episode ...
    assert [item["show_trakt_id"] for item in db.next_up()] == []  # ... but it is hidden
    (record,) = result.failures
    assert record["unit"] == "hidden" and record["part"] == "dropped"
    assert record["reason"] == "not_offered"
    assert record["retry_at"] == pytest.approx(time.time() + 86400, abs=30)


def test_hidden_section_500_keeps_the_others_and_the_failing_sections_old_rows(db):
    client = _client()
    assert db.sync_activities(client, force=True).status == "ok"
    assert ("dropped", "show", 200) in _hidden(db)
    client.data["/sync/last_activities"] = activities(shows__hidden_at=T1)
    client.data["/users/hidden/progress_watched"] = []  # unhidden on Trakt
    client.fail["/users/hidden/dropped"] = errors.ServerError(status=502)
    result = db.sync_activities(client, force=True)
    assert result.status == "partial", result
    # the section that answered is applied, the failing one keeps what it had
    assert _hidden(db) == [("dropped", "show", 200)]
    (record,) = result.failures
    assert (record["unit"], record["part"], record["reason"]) == ("hidden", "dropped", "server")
    assert record["retry_at"] > time.time()


def test_hidden_section_failure_while_the_others_answer_excludes_their_shows(db):
    client = _client()
    client.fail["/users/hidden/dropped"] = errors.RateLimited(status=429)
    result = db.sync_activities(client, force=True)
    assert result.status == "partial"
    assert "100" in db.snapshot()["next_up"]  # the truth format keeps hidden shows ...
    assert [item["show_trakt_id"] for item in db.next_up()] == []  # ... Next Up does not


def test_only_the_failed_part_is_retried(db):
    client = _client()
    client.fail["/users/hidden/dropped"] = errors.ServerError(status=500)
    assert db.sync_activities(client, force=True).status == "partial"
    del client.fail["/users/hidden/dropped"]
    client.calls.clear()
    result = db.sync_activities(client, force=True)  # manual: no wait for the retry time
    assert result.status == "ok", result
    assert client.calls == ["/sync/last_activities", "/users/hidden/dropped"]
    assert ("dropped", "show", 200) in _hidden(db)
    client.calls.clear()
    assert db.sync_activities(client, force=True).requests == 1


def test_a_failed_part_waits_for_its_retry_time_in_background_syncs(db):
    client = _client()
    client.fail["/users/hidden/dropped"] = errors.ServerError(status=500)
    assert db.sync_activities(client, force=True, trigger="auto").status == "partial"
    client.calls.clear()
    result = db.sync_activities(client, force=True, trigger="auto")
    assert client.calls == ["/sync/last_activities"]  # the healthy categories still sync
    # ... and the run says the waiting section is not up to date, with its retry time
    assert result.status == "partial"
    (record,) = result.failures
    assert (record["unit"], record["part"], record["reason"]) == ("hidden", "dropped", "server")
    assert record["retry_at"] > time.time()


def test_collection_types_are_kept_separately(db):
    client = _client()
    client.data["/sync/collection/movies"] = [
        {"collected_at": T1, "movie": {"title": "M", "year": 2001, "ids": {"trakt": 77}}}
    ]
    client.fail["/sync/collection/shows"] = errors.ServerError(status=503)
    result = db.sync_activities(client, force=True)
    assert result.status == "partial"
    assert db.counts()["collection"] == 1
    assert [(r["unit"], r["part"]) for r in result.failures] == [("collection", "shows")]


# ---- 404: not offered by this server ----


def test_a_nothing_new_sync_after_a_404_costs_exactly_one_request(db, caplog):
    client = _client()
    client.fail["/users/hidden/dropped"] = errors.NotFound(status=404)
    caplog.set_level(logging.DEBUG)
    assert db.sync_activities(client, force=True).status == "ok"
    for _ in range(3):
        client.calls.clear()
        result = db.sync_activities(client, force=True)
        assert result.status == "ok" and result.requests == 1, result
        assert client.calls == ["/sync/last_activities"]
        assert result.failures == []
    warnings = [r for r in caplog.records if "not offered" in r.getMessage()]
    assert len([r for r in warnings if r.levelno == logging.WARNING]) == 1  # logged once


def test_a_404_endpoint_is_asked_again_after_a_day(db):
    client = _client()
    client.fail["/users/hidden/dropped"] = errors.NotFound(status=404)
    db.sync_activities(client, force=True)
    db.connection.execute("UPDATE endpoint_not_offered SET until_ts = ?", (time.time() - 1,))
    db.connection.commit()
    del client.fail["/users/hidden/dropped"]
    client.calls.clear()
    assert db.sync_activities(client, force=True).status == "ok"
    assert client.calls == ["/sync/last_activities", "/users/hidden/dropped"]
    assert ("dropped", "show", 200) in _hidden(db)
    count = db.connection.execute("SELECT COUNT(*) FROM endpoint_not_offered").fetchone()[0]
    assert count == 0


def test_a_single_request_unit_answering_404_is_not_a_failure(db):
    client = _client()
    client.fail["/sync/ratings"] = errors.NotFound(status=404)
    result = db.sync_activities(client, force=True)
    assert result.status == "ok"
    client.calls.clear()
    assert db.sync_activities(client, force=True).requests == 1


# ---- whole-run failures, statuses, fail fast ----


def _connect_error(path):
    exc = errors.NetworkError("%s: connect after 1 attempts" % path, method="GET", path=path)
    exc.transport = "connect"
    return exc


def test_network_down_is_a_whole_run_failure_with_a_code(db):
    client = _client()
    client.fail["/sync/last_activities"] = _connect_error("/sync/last_activities")
    result = db.sync_activities(client, force=True)
    assert result.status == "error"
    assert result.failures == [{"unit": None, "part": None, "reason": "network", "retry_at": None}]
    assert db.sync_history()[0]["failures"] == result.failures


def test_the_first_connection_failure_ends_the_run(db):
    client = _client()
    client.fail["/sync/watched/shows"] = _connect_error("/sync/watched/shows")
    result = db.sync_activities(client, force=True)
    assert result.status == "error"
    # nothing after the failed request: no other category, no show details
    assert client.calls[-2:] == ["/sync/watched/movies", "/sync/watched/shows"]
    assert [r["reason"] for r in result.failures] == ["network"]


def test_a_unit_failing_alone_is_partial_not_error(db):
    # Behaviour change of issue 10: Trakt answered last_activities, so the run did not fail as
    # a whole (it used to be "error" when every pending unit failed).
    client = _client()
    assert db.sync_activities(client, force=True).status == "ok"
    client.data["/sync/last_activities"] = activities(watchlist__updated_at=T1)
    client.fail["/sync/watchlist"] = errors.RateLimited(status=429)
    result = db.sync_activities(client, force=True)
    assert result.status == "partial"
    assert [(r["unit"], r["reason"]) for r in result.failures] == [("watchlist", "rate_limited")]


def test_no_done_progress_after_a_failure(db):
    client = _client()
    client.fail["/sync/watchlist"] = errors.ServerError(status=500)
    seen = []
    db.sync_activities(client, force=True, on_progress=lambda p, label: seen.append((p, label)))
    assert (100, ("done", None)) not in seen
    seen.clear()
    del client.fail["/sync/watchlist"]
    db.sync_activities(client, force=True, on_progress=lambda p, label: seen.append((p, label)))
    assert seen[-1] == (100, ("done", None))


# ---- the throttle ----


@pytest.mark.parametrize(
    "exc, status",
    [
        (_connect_error("/sync/last_activities"), "error"),
        (errors.ServerError(status=502), "error"),
        (errors.ReauthorizationRequired(), "unauthorized"),
        (errors.Aborted(), "aborted"),
    ],
)
def test_failed_aborted_and_unauthorised_runs_do_not_throttle(db, exc, status):
    client = _client()
    client.fail["/sync/last_activities"] = exc
    assert db.sync_activities(client).status == status
    del client.fail["/sync/last_activities"]
    assert db.sync_activities(client).status == "ok"  # not "throttled"
    assert db.sync_activities(client).status == "throttled"  # an ok run does throttle


def test_clear_rebuild_and_a_new_authorisation_allow_an_immediate_sync(db):
    client = _client()
    assert db.sync_activities(client).status == "ok"
    assert db.sync_activities(client).status == "throttled"
    maintenance.clear_database(db.path)
    assert db.sync_activities(client).status == "ok"
    assert db.sync_activities(client).status == "throttled"
    db.adopt_account({"user": {"username": "alice", "ids": {"slug": "alice"}}})
    assert db.sync_activities(client).status == "ok"
    assert db.sync_activities(client).status == "throttled"
    # Rebuild syncs at once itself, a throttle notwithstanding
    assert maintenance.rebuild_database(db.path, client).status == "ok"


def test_clear_forgets_the_retry_times_of_failed_parts(db):
    client = _client()
    client.fail["/users/hidden/dropped"] = errors.ServerError(status=500)
    db.sync_activities(client, force=True, trigger="auto")
    assert partstate.has_pending(db.connection, "hidden")
    del client.fail["/users/hidden/dropped"]
    maintenance.clear_database(db.path)
    assert not partstate.has_pending(db.connection, "hidden")
    assert db.sync_activities(client, trigger="auto").status == "ok"
    assert ("dropped", "show", 200) in _hidden(db)
