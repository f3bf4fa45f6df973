"""Signing in as another Trakt user drops the previous user's mirror and queued changes."""

from __future__ import annotations

import pytest

from resources.lib.database.trakt_sync.outbox import WATCHLIST_ADD, LocalAction
from tests.support.sync_rig import SyncRig


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path))
    yield rig
    rig.close()


def _queue_one_change(rig):
    movie = next(iter(rig.truth()["movies"]))
    rig.db.queue_change(LocalAction(WATCHLIST_ADD, "movie", trakt_id=int(movie)))
    assert len(rig.db.outbox_rows()) == 1


def test_signing_in_again_as_the_same_user_keeps_mirror_and_queued_changes(rig):
    assert rig.sync().status == "ok"
    _queue_one_change(rig)
    before = rig.db.counts()

    wiped = rig.db.adopt_account(rig.client.get("/users/settings"))

    assert wiped is False
    assert rig.db.counts() == before
    assert len(rig.db.outbox_rows()) == 1


def test_signing_in_as_another_user_wipes_mirror_and_queued_changes(rig):
    assert rig.sync().status == "ok"
    _queue_one_change(rig)
    other = {"user": {"username": "Someone Else", "ids": {"slug": "someone-else"}}}

    wiped = rig.db.adopt_account(other)

    assert wiped is True
    assert rig.db.outbox_rows() == []
    assert all(count == 0 for count in rig.db.counts().values())
    assert rig.db.trakt_user() == "someone-else"
