"""A change Trakt refuses for an account limit (420) is told once, in words from strings.po:
the words per notice code, and the Kodi service (xbmc doubles, the sandbox as Trakt) showing it
after the sync that met the refusal."""

from __future__ import annotations

import time

import kodistate
import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.database.trakt_sync.outbox import LocalAction
from resources.lib.kodi import notices, strings
from resources.lib.kodi import service as service_module
from resources.lib.kodi.localize import localize
from resources.lib.kodi.paths import get_paths
from sandbox.server import Sandbox
from tests.reliability.conftest import authorise
from tests.support.kodi_doubles import point_at_sandbox
from tests.support.service_rig import NoPlayback


@pytest.fixture
def sb():
    with Sandbox(account="small", seed=5, port=0) as sandbox:
        yield sandbox


@pytest.fixture
def kodi(kodi, sb):
    return point_at_sandbox(kodi, sb)


def _notice(limit, count, vip=False):
    return {"code": "account_limit", "limit": limit, "count": count, "vip": vip}


@pytest.mark.parametrize(
    "notice, words",
    [
        (
            _notice("watchlist", 250),
            "Trakt refused: your free account's watchlist limit "
            "(250 items) is reached. Trakt VIP raises it.",
        ),
        (_notice("library", 1000), "library limit (1,000 items) is reached. Trakt VIP raises it."),
        (_notice("history", 100000), "history limit (100,000 plays) is reached."),
        (_notice("hidden", None), "a free account limit is reached. Trakt VIP raises it."),
        (
            _notice("watchlist", 5000, vip=True),
            "watchlist limit (5,000 items) is reached. Remove some items",
        ),
        (_notice("unknown", None, vip=True), "an account limit is reached. Remove some items"),
    ],  # fmt: skip
)
def test_each_notice_has_its_words(kodi, notice, words):
    string_id, values = notices.message_for(notice)
    text = localize(string_id, **values)
    assert words in text and "{" not in text
    if notice["vip"]:
        assert "VIP" not in text  # a VIP user is not told to buy VIP


def test_an_unknown_code_is_ignored(kodi, tmp_path):
    class Db:
        def take_notices(self):
            return [{"code": "from_a_newer_version"}]

    assert notices.show_pending(Db()) == []
    assert kodi.dialog_calls("notification") == []
    assert strings.APP_CREDENTIALS_REJECTED  # named, and checked against strings.po elsewhere


def test_the_service_tells_a_refused_watchlist_add_once(kodi, sb):
    paths = get_paths()
    authorise(sb, paths.data_dir)
    db = TraktSyncDatabase(paths.db_path)
    listed = {t for t, e in sb.state.watchlist.items()}
    movie = next(m for m in sorted(sb.state.catalog.movies) if m not in listed)
    db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=movie))
    db.close()
    sb.add_fault("420", path="^/sync/watchlist$", method="POST", count=100)
    clock = kodistate.FakeClock(time.time())
    kodi.clock = clock
    service = service_module.AIOStreamsService(
        clock=clock, playback_factory=lambda ctx: NoPlayback()
    )
    service._start()
    for _ in range(3):
        service.tick()
        clock.advance(4000)
    service._shutdown()
    assert service.sync_count >= 2
    notes = [args[1] for args, _ in kodi.dialog_calls("notification")]
    limit = [n for n in notes if "watchlist limit" in n]
    assert limit == [
        "Trakt refused: your free account's watchlist limit (250 items) is reached. "
        "Trakt VIP raises it."
    ], notes
    assert sb.requests()["by_endpoint"].get("POST /sync/watchlist") == 1
    db = TraktSyncDatabase(paths.db_path)
    try:
        assert ["movie", movie] not in db.snapshot()["watchlist"]
        assert db.outbox_rows() == []
    finally:
        db.close()
