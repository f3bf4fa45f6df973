"""After a sync: refresh the home-screen widgets and fetch the art the Trakt lists will show.

The service calls :func:`after_sync` once per finished sync. A sync that changed something gives
``AIOStreams.WidgetRefresh`` a new value (skins put it in widget paths, so the widgets reload).
Then, in a background thread of its own (never more than one), the metas of the items the lists
show are fetched into the meta cache: most recently watched first, spaced by the AIOStreams
client's browse spacer, at most :data:`MAX_REQUESTS` per run (the rest comes after the next
sync), none for an item already cached or remembered as "no meta", stopping at a rate limit and
when Kodi shuts down. A list never waits for this: it shows text until the art is there.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from resources.lib.kodi import window

log = logging.getLogger(__name__)

MAX_REQUESTS = 300  # per run; a large account's lists fill over a few syncs
SUCCESS = ("ok", "partial")

_worker: Optional[threading.Thread] = None
_worker_lock = threading.Lock()


def refresh_widgets(now: Optional[float] = None) -> None:
    """Give the widget property a new value; never raises (a widget refresh is a nicety)."""
    try:
        value = window.refresh_widgets(time.time() if now is None else now)
        log.debug("Widgets refresh: %s = %s", window.WIDGET_REFRESH, value)
    except Exception:
        log.debug("Could not set the widget refresh property", exc_info=True)


def after_sync(service: Any, status: str, changes: int, now: float) -> Optional[threading.Thread]:
    """The service's hook after a sync (``service``: its ``ctx``, ``settings`` and
    ``should_abort``). Returns the prefetch thread started, if any."""
    if status not in SUCCESS:
        return None
    if changes:
        refresh_widgets(now)
    try:
        ctx = getattr(service, "ctx", None)
        settings = getattr(service, "settings", None)
        manifest = (getattr(settings, "aiostreams_manifest_url", "") or "").strip()
        if ctx is None or not manifest:
            return None
        return start(ctx.paths.data_dir, ctx.paths.db_path, manifest, service.should_abort)
    except Exception:  # never costs the service its loop
        log.exception("Could not start the meta prefetch")
        return None


def start(
    data_dir: str,
    db_path: str,
    manifest_url: str,
    should_abort: Callable[[], bool],
    max_requests: int = MAX_REQUESTS,
) -> Optional[threading.Thread]:
    """Start the prefetch thread unless one is still running."""
    global _worker
    with _worker_lock:
        if _worker is not None and _worker.is_alive():
            log.debug("meta prefetch still running: not started again")
            return None
        _worker = threading.Thread(
            target=run,
            args=(data_dir, db_path, manifest_url, should_abort, max_requests),
            name="aiostreams-meta-prefetch",
            daemon=True,
        )
        _worker.start()
        return _worker


def run(
    data_dir: str,
    db_path: str,
    manifest_url: str,
    should_abort: Callable[[], bool],
    max_requests: int = MAX_REQUESTS,
) -> Any:
    """One prefetch pass (the thread's body; callable directly). Returns the report or None."""
    if not os.path.exists(db_path):
        return None
    from resources.lib.browse.browser import open_browser
    from resources.lib.database.trakt_sync import TraktSyncDatabase

    try:
        with TraktSyncDatabase(db_path) as db:
            wanted = wanted_keys(db)
        from resources.lib.browse.artwork import prefetch

        browser = open_browser(data_dir, manifest_url, None, should_abort)
        try:
            report = prefetch(browser, wanted, should_abort, max_requests)
        finally:
            browser.cache.close()
    except Exception:  # the service must survive a broken cache or a bug here
        log.exception("meta prefetch failed")
        return None
    if report.fetched:  # new art: the widgets reload and show it
        refresh_widgets()
    return report


def wanted_keys(db: Any) -> List[Any]:
    """The metas the lists show, in order: In Progress, Next Up, the watchlists (the core's
    order, most recently watched first), then the collection and the items of my lists."""
    from resources.lib.browse.artwork import list_key, wanted_from_mirror

    keys = list(wanted_from_mirror(db))
    rows: List[Dict[str, Any]] = list(db.collection())
    lists = getattr(db, "lists", None)
    items = getattr(db, "list_items", None)
    if callable(lists) and callable(items):  # the list sync (another branch) once connected
        for kind in ("personal", "liked"):
            for entry in lists(kind=kind):
                list_id = entry.get("list_id") or entry.get("trakt_id") or entry.get("id")
                if list_id is not None:
                    rows.extend(items(int(list_id)))
    keys.extend(key for key in (list_key(row) for row in rows) if key)
    return list(dict.fromkeys(keys))


def wait(timeout: float = 30.0) -> bool:
    """Wait for a running prefetch (tests, shutdown); True when none is left running."""
    worker = _worker
    if worker is None:
        return True
    worker.join(timeout)
    return not worker.is_alive()


__all__ = ["MAX_REQUESTS", "after_sync", "refresh_widgets", "run", "start", "wait"]
