"""The background service's access to the mirror database: the one-time legacy import, the last
sync it remembers, and one sync run. Each step is guarded: nothing here can end the service.

A recovered (moved-aside) database is announced once, and a database that another process
replaced on disk is reopened before the next sync writes to it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from resources.lib.database import connection
from resources.lib.database.trakt_sync.result import SyncResult, SyncStatus
from resources.lib.kodi.context import AddonContext, announce_recovery
from resources.lib.service.effects import RunSync
from resources.lib.service.timeutil import to_epoch

log = logging.getLogger(__name__)


def run_migration(ctx: AddonContext) -> None:
    """The one-time legacy JSON import: guarded, never fatal."""
    try:
        from resources.lib.database.migration import run_migration as migrate

        result = migrate(ctx.paths.data_dir, ctx.paths.db_path)
        log.info("Migration check finished: %s", result)
    except Exception:
        log.warning("Migration check failed; the service continues", exc_info=True)


INTEGRITY_POLL_SECONDS = 30.0


class ServiceMirror:
    """The mirror as the service uses it (the context may be rebuilt between calls)."""

    def __init__(self, should_abort: Callable[[], bool]) -> None:
        self.should_abort = should_abort
        self.recovered_notified: Any = None  # the recovered path already announced
        self._integrity_checked_at = float("-inf")

    def open_db(self, ctx: AddonContext) -> Any:
        db = ctx.db
        recovered = getattr(db, "recovered", None)
        if recovered and recovered != self.recovered_notified:
            # Told once across processes: a plugin call may have announced this file already.
            self.recovered_notified = recovered
            announce_recovery(recovered)
        return db

    def check_integrity(self, ctx: AddonContext) -> None:
        """The full check (``PRAGMA quick_check``) that plugin calls leave to the service: at the
        service's start (which also follows an unclean shutdown) and when a plugin call met
        damage. A damaged file is moved aside and announced once; the next sync refills it."""
        try:
            moved = ctx.db.check_integrity()
        except Exception:  # a foreign file, a full disk: the open's own words come with use
            log.warning("Could not check the database", exc_info=True)
            return
        if moved and moved != self.recovered_notified:
            self.recovered_notified = moved
            announce_recovery(moved)

    def integrity_check_wanted(self, ctx: AddonContext, now: float) -> bool:
        """Whether a plugin call asked for the full check (one stat, at most every 30 s)."""
        if now - self._integrity_checked_at < INTEGRITY_POLL_SECONDS:
            return False
        self._integrity_checked_at = now
        return connection.integrity_check_wanted(ctx.paths.db_path)

    def last_sync_at(self, ctx: AddonContext, now: float) -> Optional[float]:
        """The last sync the database remembers (an earlier session's or another process's);
        a time in the future counts as none."""
        try:
            value = to_epoch(self.open_db(ctx).last_sync_at())
        except Exception:
            log.warning("Could not read the last sync time from the database", exc_info=True)
            return None
        if value is not None and value > now:
            return None
        return value

    def sync(self, ctx: AddonContext, effect: RunSync) -> SyncResult:
        """One sync run; whatever the engine or the client raises becomes a result."""
        from resources.lib.trakt.errors import Aborted

        log.debug("Sync starting: trigger=%s", effect.trigger)
        kwargs = {"on_progress": None, "should_abort": self.should_abort, "force": effect.force}
        if effect.categories is not None:
            kwargs["categories"] = effect.categories
        try:
            _reopen_if_replaced(ctx)
            db = self.open_db(ctx)
            result = db.sync_activities(ctx.client, trigger=effect.trigger, **kwargs)
            from resources.lib.kodi import notices  # a change Trakt refused (420), shown once

            notices.show_pending(db)
        except Aborted:
            result = SyncResult(SyncStatus.ABORTED)
        except Exception as exc:  # the loop must survive anything the engine or client raises
            log.debug("Sync raised", exc_info=True)
            result = SyncResult(SyncStatus.ERROR, error=f"{type(exc).__name__}: {exc}")
        return result


def _reopen_if_replaced(ctx: AddonContext) -> None:
    """Another process (a plugin or script call) moved a corrupt database aside and created a
    new one: this process's connection still points at the renamed file, so reopen."""
    replaced = getattr(ctx.db, "replaced_on_disk", None)
    if not callable(replaced) or not replaced():
        return
    log.warning("The database file was replaced by another process: reopening it")
    ctx.reopen_db()
