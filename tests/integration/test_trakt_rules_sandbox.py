"""Trakt's 2026 rules against the sandbox: dropped shows, account limits (420), token refusals,
paging on made-up totals. Real client, real SQLite, the sandbox as Trakt."""

from __future__ import annotations

import pytest
from test_sync_support import SyncRig


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path))
    yield rig
    rig.close()


def _shown(rig):
    return {row["show_trakt_id"] for row in rig.db.next_up()}


def test_a_show_dropped_on_trakt_leaves_next_up(rig):
    assert rig.sync().status == "ok"
    truth = rig.truth()
    show = next(
        int(s)
        for s in sorted(truth["next_up"], key=int)
        if ["dropped", "show", int(s)] not in truth["hidden"]
        and ["progress_watched", "show", int(s)] not in truth["hidden"]
    )
    assert show in _shown(rig)
    rig.sandbox.mutate("hide", section="dropped", type="show", id=show)
    assert rig.sync().status == "ok"
    assert ["dropped", "show", show] in rig.db.snapshot()["hidden"]
    assert show not in _shown(rig)
    # Trakt's truth still has its next episode: only the view leaves it out, like progress_watched.
    assert str(show) in rig.db.snapshot()["next_up"]
    rig.sandbox.mutate("unhide", section="dropped", type="show", id=show)
    assert rig.sync().status == "ok"
    assert show in _shown(rig)
