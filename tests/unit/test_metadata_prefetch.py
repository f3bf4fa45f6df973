"""Season metadata fetched ahead on a few connections: one failed fetch never aborts the run.

A fetch that fails (a dropped connection) stops the fetching ahead. A fetch thread that starts
only after that must leave its show to the sync's own thread: handing it an "aborted" error
made the whole sync end as aborted (seen in the differential test with a ``drop`` fault).
"""

from __future__ import annotations

import threading

from resources.lib.database.trakt_sync import metadata


class _Client:
    def __init__(self):
        self.paths = []

    def get(self, path, params=None):
        self.paths.append(path)
        return []


class _Ctx:
    def __init__(self):
        self.client = _Client()

    def check_abort(self):
        return None


def test_a_show_left_after_another_fetch_failed_is_fetched_by_the_sync_itself():
    ctx = _Ctx()
    ahead = metadata._Prefetch(ctx, [], parallel=2)
    with ahead._lock:  # show 5's thread was started before the other fetch failed ...
        ahead._started[5] = threading.Event()
        ahead._running += 1
    ahead._stopped = True  # ... and runs only after it
    ahead._fetch(5)
    assert ahead.take(5) is None  # not an error of its own: the sync asks Trakt itself
    ctx.seasons_ahead = ahead
    assert metadata.fetch_show_seasons(ctx, 5) == []
    assert ctx.client.paths == [metadata.SEASONS_PATH % 5]
