"""A list view imports only what it reads: opening the mirror and reading its lists in a new
interpreter loads neither the sync engine nor the network side (issue 13 section 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from resources.lib.database.trakt_sync import TraktSyncDatabase

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NOT_FOR_READS = (
    "resources.lib.database.trakt_sync.engine",
    "resources.lib.database.trakt_sync.runner",
    "resources.lib.database.trakt_sync.metadata",
    "resources.lib.database.trakt_sync.outbox_push",
    "resources.lib.database.trakt_sync.watched",
    "resources.lib.database.trakt_sync.lease",
    "resources.lib.trakt.client",
    "resources.lib.trakt.errors",
    "resources.lib.scrobble",
)

READ = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from resources.lib.database.trakt_sync import TraktSyncDatabase
db = TraktSyncDatabase(sys.argv[2])
db.next_up(), db.in_progress(), db.watchlist("movie"), db.watchlist("show"), db.counts()
db.upcoming(), db.recently_watched()
from resources.lib.browse import upcoming_days
db.close()
print(json.dumps(sorted(sys.modules)))
"""


def test_reading_the_lists_loads_no_sync_or_network_module(tmp_path):
    path = str(tmp_path / "trakt_sync.db")
    TraktSyncDatabase(path).close()
    done = subprocess.run(
        [sys.executable, "-c", READ, ROOT, path], capture_output=True, text=True, check=True
    )
    modules = json.loads(done.stdout)
    assert "resources.lib.database.trakt_sync.queries" in modules  # the read really ran
    loaded = [m for m in modules if any(m.startswith(bad) for bad in NOT_FOR_READS)]
    assert loaded == []


def test_the_sync_names_stay_importable_from_the_package():
    from resources.lib.database import trakt_sync

    assert trakt_sync.CATEGORIES[0] == "watched"
    assert trakt_sync.SyncResult("ok").status == "ok"
