"""Subprocess runner for the reliability tests and bench/bench_reliability.py (not a test module).

``python tests/reliability/runner.py <mode> ...`` (cwd = repository root). Every mode prints
flushed marker lines on stdout so a parent can SIGKILL it at a chosen point:

- ``sync DATA_DIR API_URL [--tx-sleep S] [--trigger T] [--loop N] [--force]``: the real engine
  (``TraktSyncDatabase.sync_activities``). ``--tx-sleep`` sleeps inside every engine write
  transaction (``TX <n>`` printed after BEGIN, ``COMMIT <n>`` just before COMMIT), so a kill can
  land inside a category's transaction or in its commit.
- ``migrate DATA_DIR [--tx-sleep S]``: the legacy-cache migration, same markers.
- ``refresh DATA_DIR API_URL``: one token refresh (``REFRESH`` printed before the request).
- ``reader DATA_DIR SECONDS WATCHLIST_MOD PLAYS_PARITY``: Next Up / In Progress / Watchlist in a
  loop, checking an invariant that only complete categories satisfy; prints ``READS n``.
- ``script PROFILE_DIR API_URL ACTION``: ``script.py``'s ``run_script`` with the xbmc doubles.

Errors go to stderr; the exit code is 0 on success.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"  # the sandbox's public test secret


def mark(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def slow_transactions(module, delay: float) -> None:
    """Replace ``write_transaction`` by one that sleeps inside the transaction, in ``module``
    and in every loaded module of its package that imported it (the sync's unit transactions
    run in ``trakt_sync.runner``, not in ``engine``: patching one module alone left them
    unmarked, and the "inside transaction" kills landed elsewhere)."""
    from resources.lib.database import connection

    original = connection.write_transaction
    counter = [0]

    @contextlib.contextmanager
    def slow(conn):
        with original(conn) as inner:
            counter[0] += 1
            number = counter[0]
            mark("TX %d" % number)
            time.sleep(delay)
            yield inner
            mark("COMMIT %d" % number)

    package = module.__name__.rsplit(".", 1)[0] + "."
    for name, loaded in list(sys.modules.items()):
        if loaded is module or (
            name.startswith(package) and getattr(loaded, "write_transaction", None) is original
        ):
            loaded.write_transaction = slow


def _client(data_dir: str, api_url: str):
    from resources.lib.trakt.client import TraktClient
    from resources.lib.trakt.tokens import TokenStore

    store = TokenStore(os.path.join(data_dir, "trakt_tokens.json"))
    return TraktClient(
        CLIENT_ID, CLIENT_SECRET, token_store=store, api_url=api_url, oauth_url=api_url,
        retry_base=0.05, timeout=10.0,
    )  # fmt: skip


def mode_sync(args: argparse.Namespace) -> int:
    from resources.lib.database.trakt_sync import TraktSyncDatabase, engine, runner  # noqa: F401

    if args.tx_sleep:
        slow_transactions(engine, args.tx_sleep)
    client = _client(args.data_dir, args.api_url)
    db = TraktSyncDatabase(os.path.join(args.data_dir, "trakt_sync.db"))
    code = 0
    try:
        for _ in range(args.loop):
            mark("SYNC")
            result = db.sync_activities(client, force=args.force, trigger=args.trigger)
            mark("RESULT %s %s" % (result.status, result.error or ""))
            if result.status not in ("ok", "partial", "busy", "throttled"):
                code = 1
    finally:
        db.close()
        client.close()
    return code


def mode_migrate(args: argparse.Namespace) -> int:
    from resources.lib.database import migration

    if args.tx_sleep:
        slow_transactions(migration, args.tx_sleep)
    mark("MIGRATE")
    result = migration.run_migration(args.data_dir, os.path.join(args.data_dir, "trakt_sync.db"))
    mark("RESULT %s" % result.flag_written)
    return 0 if result.flag_written else 1


def mode_refresh(args: argparse.Namespace) -> int:
    from resources.lib.trakt import auth

    client = _client(args.data_dir, args.api_url)
    tokens = client.token_store.load()
    mark("REFRESH")
    auth.Authenticator(client.oauth()).refresh(tokens)
    mark("DONE")
    return 0


def _reader_check(conn: sqlite3.Connection, watchlist_mod: int, plays_parity: int) -> None:
    conn.execute("BEGIN")
    try:
        watchlist = conn.execute("SELECT COUNT(*) FROM watchlist").fetchone()[0]
        plays = conn.execute("SELECT COALESCE(SUM(plays), 0) FROM movies").fetchone()[0]
    finally:
        conn.execute("COMMIT")
    if watchlist % watchlist_mod:
        raise AssertionError("half-applied watchlist: %d rows" % watchlist)
    if plays and plays % 2 != plays_parity:
        raise AssertionError("half-applied watched movies: %d plays" % plays)


def mode_reader(args: argparse.Namespace) -> int:
    from resources.lib.database.trakt_sync import TraktSyncDatabase

    db = TraktSyncDatabase(os.path.join(args.data_dir, "trakt_sync.db"))
    reads = 0
    deadline = time.monotonic() + args.seconds
    try:
        while time.monotonic() < deadline:
            db.next_up()
            db.in_progress()
            db.watchlist("movie")
            db.watchlist("show")
            _reader_check(db.connection, args.watchlist_mod, args.plays_parity)
            reads += 1
    finally:
        db.close()
    mark("READS %d" % reads)
    return 0


def mode_script(args: argparse.Namespace) -> int:
    sys.path.insert(0, os.path.join(ROOT, "tests", "doubles"))
    import kodistate

    state = kodistate.reset(profile_dir=args.profile_dir)
    for key, value in (
        ("trakt_api_url", args.api_url),
        ("trakt_oauth_url", args.api_url),
        ("trakt_client_id", CLIENT_ID),
        ("trakt_client_secret", CLIENT_SECRET),
    ):
        state.set_setting(key, value)
    from resources.lib.plugin.actions import run_script

    for _ in range(args.loop):
        result = run_script(["script.py", "action=" + args.action])
        mark("RESULT %s" % result)
    for level, message in state.logs:
        if level >= 2:
            sys.stderr.write("KODI[%d] %s\n" % (level, message))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    modes = parser.add_subparsers(dest="mode", required=True)
    sync = modes.add_parser("sync")
    sync.add_argument("data_dir")
    sync.add_argument("api_url")
    sync.add_argument("--tx-sleep", type=float, default=0.0)
    sync.add_argument("--trigger", default="manual")
    sync.add_argument("--loop", type=int, default=1)
    sync.add_argument("--force", action="store_true")
    migrate = modes.add_parser("migrate")
    migrate.add_argument("data_dir")
    migrate.add_argument("--tx-sleep", type=float, default=0.0)
    refresh = modes.add_parser("refresh")
    refresh.add_argument("data_dir")
    refresh.add_argument("api_url")
    reader = modes.add_parser("reader")
    reader.add_argument("data_dir")
    reader.add_argument("seconds", type=float)
    reader.add_argument("watchlist_mod", type=int)
    reader.add_argument("plays_parity", type=int)
    script = modes.add_parser("script")
    script.add_argument("profile_dir")
    script.add_argument("api_url")
    script.add_argument("action")
    script.add_argument("--loop", type=int, default=1)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")  # fmt: skip
    handler = {
        "sync": mode_sync,
        "migrate": mode_migrate,
        "refresh": mode_refresh,
        "reader": mode_reader,
        "script": mode_script,
    }[args.mode]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
