"""The outbox's pure decisions, its queueing rules, the context-menu parameters, the v6 upgrade,
and that every SQL statement of the outbox modules binds its values."""

from __future__ import annotations

import ast
import json
import pathlib
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resources.lib.database import schema
from resources.lib.database.connection import open_database
from resources.lib.database.trakt_sync import TraktSyncDatabase, outbox
from resources.lib.database.trakt_sync import conflicts as c
from resources.lib.database.trakt_sync.outbox import LocalAction

T0 = "2026-03-01T10:00:00.000Z"
T1 = "2026-03-01T10:00:05.000Z"
T2 = "2026-03-01T10:00:09.000Z"

# -- conflict rules --------------------------------------------------------------------------------


def test_local_newer_wins_equal_or_older_loses():
    assert c.local_wins(T1, T0)
    assert not c.local_wins(T1, T1)
    assert not c.local_wins(T0, T1)
    assert c.local_wins(T0, None)


@pytest.mark.parametrize(
    "present, remote, before, expected",
    [
        (False, None, T0, c.CONFIRMED),  # Trakt already removed it
        (True, T0, T0, c.PUSH),  # unchanged on Trakt since the last sync
        (True, T2, T0, c.DROP),  # re-added on Trakt after the local remove
        (True, "2026-03-01T10:00:01.000Z", T0, c.PUSH),  # re-added before the local remove
    ],
)
def test_watchlist_remove(present, remote, before, expected):
    assert c.decide_watchlist_remove(T1, remote, present, before) == expected


def test_remove_playback():
    assert c.decide_remove_playback(T1, []) == c.CONFIRMED
    assert c.decide_remove_playback(T1, [T0]) == c.PUSH
    assert c.decide_remove_playback(T1, [T0, T2]) == c.DROP


def test_unwatch_loses_only_to_a_later_remote_play():
    assert c.decide_unwatch(T1, []) == c.PUSH
    assert c.decide_unwatch(T1, [T0]) == c.PUSH
    assert c.decide_unwatch(T1, [T0, T2]) == c.DROP


def test_watch_conflicts_only_with_a_remote_unwatch():
    assert c.decide_watch(T1, before_plays=0, remote_plays=0, category_at=T2) == c.PUSH
    assert c.decide_watch(T1, before_plays=2, remote_plays=3, category_at=T2) == c.PUSH
    assert c.decide_watch(T1, before_plays=2, remote_plays=0, category_at=T2) == c.DROP
    assert c.decide_watch(T1, before_plays=2, remote_plays=0, category_at=T0) == c.PUSH


@pytest.mark.parametrize(
    "status, network, expected",
    [
        (None, True, c.KEEP), (500, False, c.KEEP), (503, False, c.KEEP), (429, False, c.KEEP),
        (401, False, c.KEEP), (403, False, c.KEEP), (409, False, c.CONFIRMED),
        (400, False, c.REJECTED), (404, False, c.REJECTED), (420, False, c.REJECTED),
        (422, False, c.REJECTED),
    ],
)  # fmt: skip
def test_error_outcomes(status, network, expected):
    assert c.error_outcome(status, network) == expected


def test_backoff_doubles_and_is_capped():
    assert c.backoff_seconds(0) == 0
    assert c.backoff_seconds(1) == c.BACKOFF_BASE
    assert c.backoff_seconds(2) == 2 * c.BACKOFF_BASE
    assert c.backoff_seconds(50) == c.BACKOFF_CAP


def test_category_moved():
    activities = {"movies": {"watched_at": T1}}
    assert c.category_moved(None, activities, "movies.watched_at")
    assert not c.category_moved({"movies.watched_at": T1}, activities, "movies.watched_at")
    assert c.category_moved({"movies.watched_at": T0}, activities, "movies.watched_at")


def test_same_moment():
    assert c.same_moment("2026-03-01T10:00:05.000Z", "2026-03-01T10:00:05.400Z")
    assert not c.same_moment(T0, T1)
    assert not c.same_moment(None, T1)


# -- actions and queueing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        LocalAction("nope", "movie", trakt_id=1),
        LocalAction("watch", "show", trakt_id=1),
        LocalAction("hide", "movie", trakt_id=1),
        LocalAction("watch", "movie", trakt_id=0),
        LocalAction("watch", "movie", trakt_id=-3),
        LocalAction("watch", "movie", trakt_id=True),
        LocalAction("watch", "episode", show_id=1, season=1, number=0),
        LocalAction("watch", "episode", show_id=1, season=-1, number=2),
        LocalAction("watch", "episode", show_id=None, season=1, number=2),
    ],
)
def test_malformed_actions_are_refused(action):
    with pytest.raises(ValueError):
        action.validate()


@pytest.fixture
def db(tmp_path):
    database = TraktSyncDatabase(str(tmp_path / "t.db"))
    yield database
    database.close()


def kinds(db):
    return [row.kind for row in db.outbox_rows()]


def test_queue_applies_to_the_mirror_in_the_same_transaction(db):
    db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=7), now=1772359200.0)
    rows = db.outbox_rows()
    assert [r.kind for r in rows] == ["watchlist_add"]
    assert rows[0].created_at == "2026-03-01T10:00:00.000Z" and rows[0].state == "pending"
    assert len(rows[0].key) == 36  # uuid4
    assert db.snapshot()["watchlist"] == [["movie", 7]]


def test_failing_mirror_write_queues_nothing(db):
    db.connection.execute("CREATE TRIGGER boom BEFORE INSERT ON hidden BEGIN "
                          "SELECT RAISE(ABORT, 'boom'); END")  # fmt: skip
    with pytest.raises(sqlite3.DatabaseError):
        db.queue_change(LocalAction("hide", "show", trakt_id=3))
    assert db.outbox_rows() == []


def test_add_and_remove_cancel_out_and_duplicates_are_kept_once(db):
    db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=7))
    db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=7))
    assert kinds(db) == ["watchlist_add"]
    db.queue_change(LocalAction("watchlist_remove", "movie", trakt_id=7))
    assert kinds(db) == [] and db.snapshot()["watchlist"] == []


def test_every_watch_is_a_play_and_unwatch_replaces_queued_watches(db):
    db.queue_change(LocalAction("watch", "movie", trakt_id=9))
    db.queue_change(LocalAction("watch", "movie", trakt_id=9))
    assert kinds(db) == ["watch", "watch"] and db.snapshot()["movies"] == {"9": 2}
    db.queue_change(LocalAction("unwatch", "movie", trakt_id=9))
    assert kinds(db) == ["unwatch"] and db.snapshot()["movies"] == {}


def test_reapply_after_a_pull_keeps_queued_changes(db):
    conn = db.connection
    db.queue_change(LocalAction("hide", "show", trakt_id=3))
    conn.execute("DELETE FROM hidden")  # what a pull replacing the unit would do
    assert outbox.reapply_pending(conn, "hidden") == 1
    assert db.snapshot()["hidden"] == [["progress_watched", "show", 3]]


def test_schema_v6_upgrade_keeps_data_and_adds_the_outbox(tmp_path):
    conn, _ = open_database(str(tmp_path / "t.db"))
    schema.migrate(conn, target=5)
    conn.execute("INSERT INTO movies (trakt_id, plays) VALUES (1, 2)")
    assert schema.migrate(conn, target=6) == 6
    columns = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
    assert {"id", "idempotency_key", "kind", "payload", "created_at", "attempts", "last_error",
            "state"} <= columns  # fmt: skip
    assert conn.execute("SELECT plays FROM movies").fetchone()[0] == 2
    conn.close()


# -- every SQL statement binds its values ----------------------------------------------------------

MODULES = [
    pathlib.Path(outbox.__file__),
    pathlib.Path(outbox.__file__).with_name("outbox_push.py"),
    pathlib.Path(outbox.__file__).with_name("conflicts.py"),
    pathlib.Path(outbox.__file__).with_name("outbox_writes.py"),
    pathlib.Path(outbox.__file__).with_name("outbox_rows.py"),
    pathlib.Path(outbox.__file__).with_name("outbox_mirror.py"),
    pathlib.Path(outbox.__file__).with_name("plays.py"),
]


def test_sql_text_is_never_built_from_formatted_values():
    """No f-string, %-format or .format() reaches execute(); concatenations join literals or the
    fixed WHERE fragments of _bookmark_where only."""
    for path in MODULES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.JoinedStr,)):
                assert "SELECT" not in ast.unparse(node).upper(), path
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
                assert "SELECT" not in ast.unparse(node.left).upper(), path
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format":
                assert "SELECT" not in ast.unparse(node.func).upper(), path


class RecordingConnection:
    """Delegates to a real connection and records every statement text as passed."""

    def __init__(self, conn):
        self._conn = conn
        self.statements = []

    def execute(self, sql, params=()):
        self.statements.append(sql)
        return self._conn.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@settings(max_examples=40, deadline=None)
@given(
    trakt=st.integers(min_value=1, max_value=2**31),
    show=st.integers(min_value=1, max_value=2**31),
    season=st.integers(min_value=0, max_value=99),
    number=st.integers(min_value=1, max_value=9999),
    error=st.text(min_size=1, max_size=40),
)
def test_fuzz_every_statement_binds_its_values(tmp_path_factory, trakt, show, season, number,
                                               error):  # fmt: skip
    # A marker no statement contains: a bare error like " WHE" is a substring of any SQL text.
    error = "fuzz-error:" + error
    conn, _ = open_database(str(tmp_path_factory.mktemp("fuzz") / "t.db"))
    schema.migrate(conn)
    rec = RecordingConnection(conn)
    actions = [
        LocalAction("watch", "movie", trakt_id=trakt),
        LocalAction("unwatch", "episode", show_id=show, season=season, number=number),
        LocalAction(
            "watch", "episode", trakt_id=trakt, show_id=show, season=season, number=number
        ),  # fmt: skip
        LocalAction("watchlist_add", "show", trakt_id=trakt),
        LocalAction("watchlist_remove", "movie", trakt_id=trakt),
        LocalAction("hide", "show", trakt_id=show),
        LocalAction("remove_playback", "episode", show_id=show, season=season, number=number),
        LocalAction("rate", "episode", show_id=show, season=season, number=number, rating=7),
        LocalAction("rate", "movie", trakt_id=trakt, rating=3),
        LocalAction("unrate", "show", trakt_id=show),
    ]
    for action in actions:
        outbox.queue_action(rec, action)
    for unit in ("watched_movies", "watched_shows", "watchlist", "hidden", "playback", "ratings"):
        outbox.reapply_pending(rec, unit)
    for row in outbox.rows(rec):
        outbox.mark_sending(rec, row.id)
        outbox.mark_failed(rec, row.id, error, 1.0, "sending")
        outbox.refetch_unit(rec, row.action.unit)
        outbox.delete_row(rec, row.id)
        assert json.loads(json.dumps(row.payload)) == row.payload
    values = {str(trakt), str(show), error}
    for sql in rec.statements:
        for value in values:
            if len(value) > 3:
                assert value not in sql, sql
    conn.close()
