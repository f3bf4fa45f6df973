"""The Kodi service driven through the xbmc doubles with a scripted database: the pieces several
test modules share (a fake database and context, the service wired to a fake clock, a playback
monitor that watches nothing).
"""

from __future__ import annotations

import threading
import time

from resources.lib.database.trakt_sync.result import SyncResult
from resources.lib.kodi import service as service_module
from resources.lib.kodi.log import setup_logging
from resources.lib.kodi.paths import get_paths
from tests.support.clock import FakeClock

T0 = 1_800_000_000.0


class FakeDb:
    """The TraktSyncDatabase surface the service uses; results are scripted."""

    def __init__(self, results=None, last_sync_at=None, recovered=None, block=False):
        self.results = list(results or [])
        self.calls = []
        self.recovered = recovered
        self._last_sync_at = last_sync_at
        self.block = block
        self.closed = False
        self.entered = threading.Event()
        self.raise_error = None

    def queued_scrobbles(self):  # the player's outbox (scrobble rows): none
        return []

    def check_integrity(self):  # the service's full check; ``moved_by_check`` scripts damage
        self.integrity_checks = getattr(self, "integrity_checks", 0) + 1
        return getattr(self, "moved_by_check", None)

    def push_scrobbles(self, client):
        return None

    def last_sync_at(self):
        return self._last_sync_at

    def sync_activities(
        self,
        client,
        on_progress=None,
        should_abort=None,
        force=False,
        trigger="manual",
        categories=None,
    ):
        self.calls.append({"trigger": trigger, "categories": categories, "force": force})
        self.entered.set()
        if self.raise_error is not None:
            raise self.raise_error
        if self.block:
            while not should_abort():
                time.sleep(0.01)
            return SyncResult("aborted", error="aborted")
        if self.results:
            return self.results.pop(0)
        return SyncResult("ok", changes={}, requests=1)

    def close(self):
        self.closed = True


class FakeContext:
    def __init__(self, db, authorised=True):
        self.db = db
        self.client = object()
        self.paths = get_paths()
        self.settings = None
        self.authorised = authorised
        self.closed = False

    def is_authorised(self):
        return self.authorised

    def close(self):
        self.closed = True
        self.db.close()


def make_service(kodi, db=None, authorised=True, clock=None, **settings):
    for key, value in settings.items():
        kodi.set_setting(key, value)
    db = db or FakeDb()
    ctx = FakeContext(db, authorised)
    clock = clock or FakeClock(T0)
    kodi.clock = clock
    service = service_module.AIOStreamsService(
        clock=clock, context_factory=lambda settings, should_abort: ctx
    )
    return service, db, ctx, clock


def started(service):
    setup_logging(service=True)
    service._start()
    return service


class NoPlayback:
    """A playback monitor that watches nothing: for service tests about syncing only."""

    def start(self):
        pass

    def stop(self):
        pass

    def tick(self, online=True, now=None):
        pass
