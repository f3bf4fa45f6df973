"""The settings buttons: ``RunScript(plugin.video.aiostreams,action=<name>)``.

Each action is one function taking the interpreter's :class:`AddonContext`; the logic lives in
the core (Trakt client, sync engine, ``database.maintenance``) and this module only asks,
shows progress and reports. Every action ends with the log line
``[AIOStreams] Action <name> finished: <result>`` (end-to-end tests wait for it).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Dict, List, Optional

from resources.lib.database.sync_status import SyncStatus
from resources.lib.kodi import dialogs, strings, window
from resources.lib.kodi.context import AddonContext, build_context
from resources.lib.kodi.localize import localize
from resources.lib.kodi.log import setup_logging
from resources.lib.kodi.progress import BackgroundProgress
from resources.lib.kodi.settings import set_string
from resources.lib.kodi.system import abort_requested
from resources.lib.plugin import syncui
from resources.lib.plugin.aiostreams_actions import aiostreams_sign_in, aiostreams_test
from resources.lib.service.scheduler import count_changes
from resources.lib.service.timeutil import local_time, to_epoch

log = logging.getLogger(__name__)

MAX_ARG_LENGTH = 200


def parse_script_args(argv: List[str]) -> Dict[str, str]:
    """``['script.py', 'action=force_sync']`` -> ``{'action': 'force_sync'}``; first value wins,
    junk is ignored (plugin-style ``?action=...`` is accepted too)."""
    args: Dict[str, str] = {}
    for raw in argv[1:] if argv else []:
        text = str(raw).lstrip("?")
        for part in text.split("&"):
            key, sep, value = part.partition("=")
            key = key.strip()
            if sep and key and key not in args and len(value) <= MAX_ARG_LENGTH:
                args[key] = value.strip()
    return args


# ------------------------------------------------------------------ account


def _client_missing(ctx: AddonContext) -> bool:
    """True (after telling the user how to fix it) when no Trakt client id/secret is set.

    There is no built-in Trakt app: a request without a client id is refused by Trakt with an
    error that says nothing useful, so every action that talks to Trakt checks this first.
    """
    if ctx.client_configured():
        return False
    log.warning("No Trakt client id/secret configured: register a Trakt API app first")
    dialogs.ok(localize(strings.NO_CLIENT), heading=localize(strings.TRAKT))
    return True


def trakt_auth(ctx: AddonContext) -> str:
    """Device-code sign-in; guided through registering a Trakt API app when none is set."""
    from resources.lib.plugin.trakt_setup import authorise

    return authorise(ctx)


def trakt_signout(ctx: AddonContext) -> str:
    confirmed = dialogs.yesno(
        localize(strings.SIGNOUT_CONFIRM),
        heading=localize(strings.SIGNOUT_HEADING),
        yeslabel=localize(strings.SIGN_OUT),
        nolabel=localize(strings.CANCEL),
    )
    if not confirmed:
        return "cancelled"
    if not ctx.client_configured():  # no request without a client id: sign out locally
        ctx.store.clear()
        set_string("trakt_username", "")
        dialogs.notification(localize(strings.SIGNED_OUT))
        return "signed_out revoked=False"
    try:
        revoked = ctx.client.revoke()
    except Exception:  # signing out must work offline: the local tokens go regardless
        log.warning("Revoking the token at Trakt failed; clearing it locally", exc_info=True)
        ctx.store.clear()
        revoked = False
    set_string("trakt_username", "")
    dialogs.notification(localize(strings.SIGNED_OUT))
    return f"signed_out revoked={bool(revoked)}"


# --------------------------------------------------------------------- sync


def _not_ready_to_sync(ctx: AddonContext) -> Optional[str]:
    """Tell the user why a sync cannot start, and return that result; None when it can."""
    if _client_missing(ctx):
        return "no_client"
    if not ctx.is_authorised():
        dialogs.ok(localize(strings.NOT_AUTHORISED_ACTION))
        return "unauthorized"
    return None


def force_trakt_sync(ctx: AddonContext) -> str:
    """A manual sync with a background progress bar; the engine's 5-minute throttle applies."""
    refused = _not_ready_to_sync(ctx)
    if refused:
        return refused
    with BackgroundProgress(
        localize(strings.PROGRESS_ACTIVITY), heading=localize(strings.SYNCING)
    ) as bar:
        result = ctx.db.sync_activities(
            ctx.client,
            on_progress=syncui.progress_callback(bar),
            should_abort=abort_requested,
            force=False,
            trigger="manual",
            categories=ctx.settings.categories(),
        )
    if result.status in (SyncStatus.OK, SyncStatus.PARTIAL) and count_changes(result.changes or {}):
        from resources.lib.kodi.prefetch import refresh_widgets

        refresh_widgets()  # the widgets show the new state
    if result.status == SyncStatus.THROTTLED:
        log.warning(
            "Manual sync throttled: the next sync is allowed at %s",
            local_time(to_epoch(getattr(result, "next_allowed_at", None))) or "-",
        )
    return syncui.report(result)


# ------------------------------------------------------------- maintenance


def show_database_info(ctx: AddonContext) -> str:
    from resources.lib.database import maintenance

    info = maintenance.database_info(ctx.paths.db_path)
    counts = info.get("counts") or {}
    size_bytes = int(info.get("size_bytes") or 0)
    size_kb = round(size_bytes / 1024.0, 1)
    last_sync_ts = to_epoch(info.get("last_sync_ts"))
    published = {
        "counts": counts,
        "last_sync_ts": last_sync_ts,
        "last_sync_local": local_time(last_sync_ts),
        "size_bytes": size_bytes,
        "size_kb": size_kb,
        "schema_version": info.get("schema_version"),
        "sync_running": bool(info.get("sync_running")),
        "exists": bool(info.get("exists")),
        "meta_cache": meta_cache_info(ctx),
    }
    window.set_json(window.DATABASE_INFO, published)
    log.info("Database info: %s", json.dumps(published, sort_keys=True))
    text = localize(
        strings.DATABASE_INFO,
        shows=counts.get("shows", 0),
        episodes=counts.get("episodes", 0),
        movies=counts.get("movies", 0),
        watchlist=counts.get("watchlist", 0),
        bookmarks=counts.get("bookmarks", 0),
        hidden=counts.get("hidden", 0),
        last_sync=local_time(last_sync_ts) or localize(strings.NEVER),
        size_kb=size_kb,
        schema_version=info.get("schema_version", 0),
    )
    text = dialogs.lines(text, meta_cache_line(published["meta_cache"]))
    dialogs.ok(text, heading=localize(strings.DATABASE_INFO_HEADING))
    return "ok"


def meta_cache_info(ctx: AddonContext) -> Dict[str, Any]:
    """Counts and sizes of ``meta_cache.db`` (AIOStreams' metas, not the Trakt mirror: *Clear
    Trakt Database* keeps it). Zeros when the file does not exist (it is not created here)."""
    import os

    from resources.lib.database.meta_cache import FILE_NAME, MetaCache

    path = os.path.join(ctx.paths.data_dir, FILE_NAME)
    counts = ("metas", "missing", "expired", "file_bytes", "max_bytes", "searches")
    empty = dict.fromkeys(counts, 0)
    if not os.path.exists(path):
        return empty
    try:
        with MetaCache(path) as cache:
            info = cache.info()
    except Exception:  # a broken cache file must not hide the mirror's info
        log.warning("The meta cache could not be read", exc_info=True)
        return empty
    metas = (info.get("entries") or {}).get("meta") or {}
    return {
        "metas": int(metas.get("ok", 0)),
        "missing": int(metas.get("none", 0)),
        "expired": int(metas.get("expired", 0)),
        "file_bytes": int(info.get("file_bytes") or 0),
        "max_bytes": int(info.get("max_bytes") or 0),
        "searches": int(info.get("searches") or 0),
    }


def meta_cache_line(info: Dict[str, Any]) -> str:
    from resources.lib.plugin import texts

    return localize(
        texts.META_CACHE_INFO,
        metas=info["metas"],
        missing=info["missing"],
        expired=info["expired"],
        size_mb=round(info["file_bytes"] / 1048576.0, 1),
        max_mb=round(info["max_bytes"] / 1048576.0),
        searches=info["searches"],
    )


def _busy_or_failed(exc: Exception) -> str:
    from resources.lib.database.maintenance import DatabaseBusy

    if isinstance(exc, DatabaseBusy):
        dialogs.ok(localize(strings.DATABASE_BUSY))
        return "busy"
    code = getattr(exc, "code", None)  # a storage cause (full disk, read-only, foreign file)
    if code:
        dialogs.ok(localize(strings.storage_message_id(code), error=syncui.short_error(exc)))
        return "error"
    dialogs.ok(localize(strings.MAINTENANCE_FAILED, error=syncui.short_error(exc)))
    return "error"


def clear_trakt_database(ctx: AddonContext) -> str:
    from resources.lib.database import maintenance

    confirmed = dialogs.yesno(
        localize(strings.CLEAR_CONFIRM),
        heading=localize(strings.CLEAR_HEADING),
        yeslabel=localize(strings.CLEAR),
        nolabel=localize(strings.CANCEL),
    )
    if not confirmed:
        return "cancelled"
    try:
        deleted = maintenance.clear_database(ctx.paths.db_path)
    except maintenance.MaintenanceError as exc:
        return _busy_or_failed(exc)
    dialogs.notification(localize(strings.CLEARED))
    return f"cleared rows={sum(int(value) for value in (deleted or {}).values())}"


def rebuild_trakt_database(ctx: AddonContext) -> str:
    from resources.lib.database import maintenance

    refused = _not_ready_to_sync(ctx)  # rebuilding without a sign-in would only delete data
    if refused:
        return refused
    confirmed = dialogs.yesno(
        localize(strings.REBUILD_CONFIRM),
        heading=localize(strings.REBUILD_HEADING),
        yeslabel=localize(strings.REBUILD),
        nolabel=localize(strings.CANCEL),
    )
    if not confirmed:
        return "cancelled"
    try:
        with BackgroundProgress(
            localize(strings.PROGRESS_ACTIVITY), heading=localize(strings.REBUILD_HEADING)
        ) as bar:
            result = maintenance.rebuild_database(
                ctx.paths.db_path,
                ctx.client,
                on_progress=syncui.progress_callback(bar),
                should_abort=abort_requested,
            )
    except maintenance.MaintenanceError as exc:
        return _busy_or_failed(exc)
    if result.status == SyncStatus.OK:
        dialogs.notification(localize(strings.REBUILT, changes=count_changes(result.changes)))
        syncui.publish(result)
        return f"ok changes={count_changes(result.changes)} requests={result.requests}"
    return syncui.report(result)


def vacuum_database(ctx: AddonContext) -> str:
    from resources.lib.database import maintenance

    try:
        before, after = maintenance.vacuum_database(ctx.paths.db_path)
    except maintenance.MaintenanceError as exc:
        return _busy_or_failed(exc)
    before_kb, after_kb = round(before / 1024.0, 1), round(after / 1024.0, 1)
    dialogs.ok(
        localize(strings.VACUUMED, before=before_kb, after=after_kb),
        heading=localize(strings.VACUUM_HEADING),
    )
    return f"ok before_kb={before_kb} after_kb={after_kb}"


def history_lines(ctx: AddonContext, limit: int = 50) -> List[str]:
    """The 7-day totals followed by one line per run, newest first (also used by the view):
    time, trigger, result or error, duration, requests, and added/changed/removed per category."""
    from resources.lib.service import history

    rows = ctx.db.sync_history(limit=limit)
    if not rows:
        return []
    names = syncui.unit_names()
    none = localize(strings.NO_CHANGES)
    stats = ctx.db.sync_stats(days=7) or {}
    lines = [localize(strings.HISTORY_TOTALS, **history.stats_fields(stats, names, none))]
    for row in rows:
        fields = history.run_fields(row, names, none, localize)
        lines.append(
            localize(strings.HISTORY_ROW, time=local_time(row.get("started_at")), **fields)
        )
    return lines


def sync_history(ctx: AddonContext) -> str:
    lines = history_lines(ctx)
    if not lines:
        dialogs.ok(localize(strings.HISTORY_EMPTY), heading=localize(strings.SYNC_HISTORY))
        return "ok runs=0"
    dialogs.select(lines, heading=localize(strings.SYNC_HISTORY))
    return f"ok runs={len(lines) - 1}"


# RunScript action keys (used by settings.xml and the plugin routes) -> functions; the
# maintenance functions carry the names of the spec (phase4-background-service.md).
ACTIONS: Dict[str, Callable[[AddonContext], str]] = {
    "trakt_auth": trakt_auth,
    "trakt_signout": trakt_signout,
    "force_sync": force_trakt_sync,
    "database_info": show_database_info,
    "database_clear": clear_trakt_database,
    "database_rebuild": rebuild_trakt_database,
    "database_vacuum": vacuum_database,
    "sync_history": sync_history,
    "aiostreams_test": aiostreams_test,
    "aiostreams_sign_in": aiostreams_sign_in,
}


def run_action(name: str, ctx: Optional[AddonContext] = None) -> str:
    """Run one action by name; anything unknown is refused, nothing raises to Kodi."""
    action = ACTIONS.get(name)
    if action is None:
        log.warning("Unknown action refused: %r", str(name)[:MAX_ARG_LENGTH])
        log.info("Action %s finished: refused", _printable(name))
        return "refused"
    own = ctx is None
    result = "error"
    try:
        if ctx is None:
            ctx = build_context(should_abort=abort_requested)
        result = action(ctx)
    except Exception as exc:  # a bug or a broken database must end in a message, not a traceback
        log.exception("Action %s failed", name)
        try:
            dialogs.ok(localize(strings.MAINTENANCE_FAILED, error=syncui.short_error(exc)))
        except Exception:
            log.debug("Could not show the error dialog", exc_info=True)
        result = "error"
    finally:
        if own and ctx is not None:
            ctx.close()
        log.info("Action %s finished: %s", name, result)
    return result


def _printable(name: Any) -> str:
    """An action name safe for one log line (hostile input is cut and stripped)."""
    text = "".join(ch for ch in str(name)[:64] if ch.isalnum() or ch in "_-.")
    return text or "-"


def run_script(argv: List[str]) -> str:
    """Entry point of script.py."""
    setup_logging(service=False)
    args = parse_script_args(argv)
    return run_action(args.get("action", ""))
