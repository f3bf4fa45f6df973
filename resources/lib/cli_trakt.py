"""The command line's Trakt and database commands: auth, sync, info, clear, rebuild, vacuum,
migrate, and the listings (next-up, in-progress, watchlist, history).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, List

from . import cli_support as support
from .cli_context import (
    EXIT_ERROR,
    EXIT_OK,
    HISTORY_LIMIT,
    STATS_DAYS,
    SYNC_EXIT_CODES,
    CliError,
    Context,
    confirm,
)
from .cli_output import (
    ProgressBar,
    format_history,
    format_in_progress,
    format_info,
    format_next_up,
    format_sync_result,
    format_watchlist,
    print_lines,
)


def cmd_auth(ctx: Context) -> int:
    ctx.require_writable("authorise")
    client = ctx.client(need_auth=False)
    code = client.request_device_code()
    print(f"Go to {code.verification_url} and enter the code: {code.user_code}")
    print(f"Waiting for approval (expires in {int(code.expires_in)} s; Ctrl-C cancels)...")
    sys.stdout.flush()
    client.poll_device_token(code, should_cancel=ctx.interrupt)
    ctx.save_config()  # later commands need no options, and the tokens stay bound to this host
    settings = client.get("/users/settings")
    db = ctx.database()
    try:
        if db.adopt_account(settings):
            print("Signed in as another Trakt user: the previous user's local data was removed.")
    finally:
        db.close()
    user = (settings or {}).get("user") or {}
    print("Authorised with Trakt as %s." % (user.get("username") or "your account"))
    return EXIT_OK


def _run_sync(ctx: Context, call: Callable[[Any, ProgressBar], Any]) -> int:
    client = ctx.client()
    bar = ProgressBar()
    try:
        result = call(client, bar)
    finally:
        bar.done()
        client.close()
    from .database.storage import code_in

    code = code_in(result.error) or support.storage_reason(getattr(result, "failures", None))
    storage_line = support.storage_message(code, str(result.error))
    if storage_line is not None:  # the run is recorded as failed with its reason
        raise CliError(f"sync stopped: {storage_line}")
    print(format_sync_result(result))
    return SYNC_EXIT_CODES.get(result.status, EXIT_ERROR)


def cmd_sync(ctx: Context) -> int:
    ctx.require_writable("sync")
    db = ctx.database()
    try:
        return _run_sync(
            ctx,
            lambda client, bar: db.sync_activities(
                client,
                on_progress=bar,
                should_abort=ctx.interrupt,
                force=ctx.args.force,
                trigger="manual",
            ),
        )
    finally:
        db.close()


def cmd_info(ctx: Context) -> int:
    from .database.maintenance import database_info

    print_lines(format_info(database_info(ctx.db_path)))
    return EXIT_OK


def cmd_clear(ctx: Context) -> int:
    from .database.maintenance import clear_database

    ctx.require_writable("clear the database")
    confirm(ctx, "Delete all Trakt data from the local database (Trakt itself is untouched)?")
    deleted = clear_database(ctx.db_path)
    print(f"cleared {sum(deleted.values())} row(s); the next sync fetches everything again")
    return EXIT_OK


def cmd_rebuild(ctx: Context) -> int:
    from .database.maintenance import rebuild_database

    ctx.require_writable("rebuild the database")
    client_check = ctx.client()  # fail before deleting anything when not authorised
    client_check.close()
    confirm(ctx, "Delete the local Trakt database and sync everything again?")
    return _run_sync(
        ctx,
        lambda client, bar: rebuild_database(ctx.db_path, client, bar, ctx.interrupt),
    )


def cmd_vacuum(ctx: Context) -> int:
    from .database.maintenance import vacuum_database

    ctx.require_writable("optimize the database")
    before, after = vacuum_database(ctx.db_path)
    print(f"optimized: {before / 1024:.1f} KB -> {after / 1024:.1f} KB")
    return EXIT_OK


def cmd_migrate(ctx: Context) -> int:
    from .database.migration import flag_path, run_migration

    ctx.require_writable("migrate")
    if ctx.args.again and os.path.exists(flag_path(ctx.data_dir)):
        os.remove(flag_path(ctx.data_dir))
    result = run_migration(ctx.data_dir, ctx.db_path)
    if result.already_done:
        print("migration already done (use --again to run it once more)")
        return EXIT_OK
    if not result.cache_found:
        print("legacy cache not found; nothing to migrate")
    else:
        print("migrated: " + result.summary())
        for name, reason in result.skipped:
            print(f"  skipped {name}: {reason}")
    if result.error:
        raise CliError(result.error)
    return EXIT_OK


def _with_db(ctx: Context, read: Callable[[Any], List[str]]) -> int:
    db = ctx.database()
    try:
        print_lines(read(db))
    finally:
        db.close()
    return EXIT_OK


def cmd_next_up(ctx: Context) -> int:
    return _with_db(ctx, lambda db: format_next_up(db.next_up()))


def cmd_in_progress(ctx: Context) -> int:
    return _with_db(ctx, lambda db: format_in_progress(db.in_progress()))


def cmd_watchlist(ctx: Context) -> int:
    return _with_db(
        ctx,
        lambda db: (
            format_watchlist("movie", db.watchlist(kind="movie"))
            + format_watchlist("show", db.watchlist(kind="show"))
        ),
    )


def cmd_history(ctx: Context) -> int:
    return _with_db(
        ctx,
        lambda db: format_history(
            db.sync_history(limit=HISTORY_LIMIT), db.sync_stats(days=STATS_DAYS)
        ),
    )
