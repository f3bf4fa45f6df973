"""Every sync leaves the stored Next Up answers current (next_up table): a list opened after a
sync reads them without recomputing, and they equal the sandbox's truth (issue 13 section 4)."""

from __future__ import annotations

import time

import pytest

from resources.lib.database.trakt_sync import next_up_table, queries
from resources.lib.database.trakt_sync.items import now_iso
from tests.support.sync_rig import SyncRig, first_show_with


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path), "small")
    yield rig
    rig.close()


def _stored_next_up(rig):
    """The answers as the table holds them, in the truth's format (hidden shows included)."""
    rows = rig.db.connection.execute(
        "SELECT show_id, season, number FROM next_up WHERE next_key IS NOT NULL"
    ).fetchall()
    return {str(show): {"season": season, "number": number} for show, season, number in rows}


def _assert_current(rig):
    conn = rig.db.connection
    assert not next_up_table.has_stale(conn, now_iso(None))
    assert _stored_next_up(rig) == rig.truth()["next_up"]
    assert rig.db.next_up() == queries.next_up(conn, now=time.time())


def test_first_sync_stores_every_answer(rig):
    assert rig.sync().status == "ok"
    _assert_current(rig)


@pytest.mark.parametrize("op", ["watch", "unwatch", "reset", "hide"])
def test_each_later_sync_keeps_them_current(rig, op):
    assert rig.sync().status == "ok"
    truth = rig.truth()
    show = first_show_with(truth)
    step = truth["next_up"][str(show)]
    if op == "watch":
        rig.sandbox.mutate("watch_episode", show=show, season=step["season"],
                           number=step["number"])  # fmt: skip
    elif op == "unwatch":
        season, number = sorted(truth["episodes"][str(show)], key=lambda k: tuple(
            int(p) for p in k.split(":")))[-1].split(":")  # fmt: skip
        rig.sandbox.mutate("unwatch_episode", show=show, season=int(season), number=int(number))
    elif op == "reset":
        rig.sandbox.mutate("reset_show", show=show)
    else:
        rig.sandbox.mutate("hide", section="progress_watched", type="show", id=show)
    assert rig.sync().status == "ok"
    _assert_current(rig)
    shown = {row["show_trakt_id"] for row in rig.db.next_up()}
    assert (show in shown) == (op != "hide" and str(show) in rig.truth()["next_up"])
