"""Every missed scrobble waits in the sync database's ``outbox`` (issue 14): the JSON outbox of
earlier versions moves there once, the crash journal is recovered there, and a queued scrobble
follows the outbox's rules (expiry, a play once, a 420 dropped with a notice). Real SQLite, the
Kodi-free ``scrobble.playback.PlaybackScrobbling``, a fake Trakt client."""

from __future__ import annotations

import ast
import json
import os
from types import SimpleNamespace

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.scrobble.media import MediaRef
from resources.lib.scrobble.pending import pending_for_failure
from resources.lib.scrobble.playback import PlaybackScrobbling
from resources.lib.scrobble.state import PAUSE, STOP, Action
from resources.lib.trakt import errors

AT = 1_700_000_000.0
BY_IMDB = MediaRef.movie({"imdb": "tt0111161"})  # known only by IMDb id
BY_TRAKT = MediaRef.movie({"trakt": 1})
RUNTIME = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "lib")


class NoPlayer:
    """The worker's player: nothing plays (these tests drive the outbox, not the player)."""

    def sample(self):
        return None

    def playing_file(self):
        return ""

    def stop(self):
        pass

    def seek(self, seconds):
        pass

    def get_property(self, name):
        return ""

    def clear_property(self, name):
        pass

    def play_url(self, url):
        raise AssertionError("nothing to retry")

    def notify(self, message):
        raise AssertionError("nothing to notify")


class Client:
    """Records calls; ``post_error`` is raised by every POST."""

    def __init__(self, post_error=None):
        self.calls = []
        self.post_error = post_error
        self.should_abort = None
        self.fail_fast_connect = False

    def for_run(self, **settings):
        return self

    def post(self, path, body=None, auth=True, idempotent=False):
        self.calls.append(("POST", path))
        if self.post_error is not None:
            raise self.post_error
        return {"added": {"movies": 1}, "not_found": {"movies": []}}

    def get(self, path, params=None, auth=True):
        self.calls.append(("GET", path))
        return {}

    def paginate(self, path, params=None):
        self.calls.append(("GET", path))
        return iter([])


@pytest.fixture
def db(tmp_path):
    with TraktSyncDatabase(str(tmp_path / "trakt_sync.db")) as database:
        yield database


def scrobbling(tmp_path, db, client=None):
    ctx = SimpleNamespace(client=client or Client(), db=db, is_authorised=lambda: True,
                          close=lambda: None)  # fmt: skip
    return PlaybackScrobbling(str(tmp_path), lambda: ctx, playback=NoPlayer())


def legacy_file(tmp_path, *items, done=()):
    path = tmp_path / "scrobble_outbox.json"
    pending = [item.to_dict() for item in items]
    path.write_text(json.dumps({"pending": pending, "done": list(done)}), encoding="utf-8")
    return path


def test_the_json_outbox_moves_into_the_sync_outbox_once_at_start(tmp_path, db):
    play = pending_for_failure(BY_IMDB, Action(STOP, 92.0, AT))
    progress = pending_for_failure(BY_TRAKT, Action(PAUSE, 40.0, AT + 5))
    path = legacy_file(tmp_path, play, progress, done=["history:movie:trakt=7@1"])
    first = scrobbling(tmp_path, db)
    first.start()
    first.stop()
    assert not path.exists()
    rows = db.outbox_rows()
    assert [(r.kind, r.payload["key"]) for r in rows] == [
        ("history_play", play.key),
        ("scrobble_progress", progress.key),
    ]
    assert rows[1].payload["expires_ts"] == pytest.approx(AT + 5 + 6 * 3600)
    assert rows[0].payload["body"] == play.body  # the real watched_at of the stop
    legacy_file(tmp_path, play)  # a copy restored from a backup: the play stays queued once
    again = scrobbling(tmp_path, db)
    again.start()
    again.stop()
    assert [r.kind for r in db.outbox_rows()] == ["history_play", "scrobble_progress"]


def test_migrated_progress_keeps_its_age_and_expires(tmp_path, db):
    legacy_file(tmp_path, pending_for_failure(BY_TRAKT, Action(PAUSE, 40.0, AT)))
    first = scrobbling(tmp_path, db)
    first.start()
    first.stop()
    client = Client()
    result = db.push_scrobbles(client, now=AT + 6 * 3600 + 1)
    assert (result.pushed, result.dropped) == (0, 1)
    assert client.calls == [] and db.outbox_rows() == []


def test_an_offline_pause_and_an_id_only_play_are_queued_in_the_sync_outbox(tmp_path, db):
    player = scrobbling(tmp_path, db, Client(post_error=errors.NetworkError()))
    assert player._send(BY_TRAKT, Action(PAUSE, 30.0, AT)) == "pending"
    assert player._send(BY_IMDB, Action(STOP, 95.0, AT + 60)) == "pending"
    assert not (tmp_path / "scrobble_outbox.json").exists()
    assert [r.kind for r in db.outbox_rows()] == ["scrobble_progress", "history_play"]
    assert len(player.outbox) == 2


def test_a_crashed_playback_is_recovered_into_the_sync_outbox(tmp_path, db):
    journal = tmp_path / "scrobble_inflight.json"
    journal.write_text(json.dumps({"media": BY_TRAKT.to_dict(), "progress": 33.0, "at": AT}))
    player = scrobbling(tmp_path, db)
    player.start()
    player.stop()
    (row,) = db.outbox_rows()
    assert (row.kind, row.payload["path"], row.payload["body"]["progress"]) == (
        "scrobble_progress", "/scrobble/pause", 33.0,
    )  # fmt: skip
    assert not journal.exists()


def test_a_queued_play_refused_for_an_account_limit_is_dropped_with_a_notice(db):
    from resources.lib.scrobble.queue import ScrobbleQueue

    ScrobbleQueue(db).put(pending_for_failure(BY_IMDB, Action(STOP, 95.0, AT)))
    refused = errors.AccountLimit(status=420, account_limit="100000", vip=False)
    result = db.push_scrobbles(Client(post_error=refused), now=AT + 60)
    assert (result.pushed, result.dropped) == (0, 1)
    assert db.outbox_rows() == []
    (notice,) = db.take_notices()
    assert notice["code"] == "account_limit"


def _reaches_connection(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "connection"
    ]


def test_code_outside_the_database_package_never_reaches_the_raw_connection():
    found = {}
    for folder, _, names in os.walk(RUNTIME):
        if os.path.basename(folder) == "database" or "/database/" in folder + "/":
            continue
        for name in names:
            if name.endswith(".py"):
                lines = _reaches_connection(os.path.join(folder, name))
                if lines:
                    found[os.path.relpath(os.path.join(folder, name), RUNTIME)] = lines
    assert found == {}
