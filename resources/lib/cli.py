"""The add-on's core from a terminal: ``python -m resources.lib.cli <command>`` (repo root).

Commands: auth, sync [--force], info, clear [--yes], rebuild [--yes], vacuum, migrate [--again],
next-up, history, in-progress, watchlist, upcoming, recent (``cli_upcoming.py``); and browsing
AIOStreams (``cli_browse.py``): connect, catalogs, catalog, search, show, streams (``--json``
for machine-readable output). Results go to
stdout, logs and the progress bar to stderr (``-v`` for debug logs). Tokens and passwords are
never printed.

This module builds the parser and runs a command; the rest is split by concern:
``cli_context.py`` (exit codes, the one-line error, the per-command context), ``cli_trakt.py``
(the Trakt and database commands), ``cli_output.py`` (progress bar and listings),
``cli_browse.py`` and ``cli_support.py``. The names tools and tests read from ``cli`` stay
importable here.

The global options may come before or after the command. ``auth`` keeps the API URL, OAuth URL,
client id and secret in ``cli_config.json`` (mode 0600) in the data folder, so later commands
need none of them; the tokens are bound to that API host: a later ``--api-url`` naming another
host is refused instead of sending them there. Every expected failure is one line on stderr
(the traceback only with ``-v``); a closed output pipe (``| head``) ends the command silently.

Exit codes (also in ``--help``):
  0 ok, 1 error, 2 usage, 3 not authorised, 4 throttled or busy, 5 partial sync,
  130 interrupted (Ctrl-C), 141 output pipe closed
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any, Callable, Dict, Optional, Sequence

from . import cli_browse as browse
from . import cli_support as support
from . import cli_upcoming as upcoming
from .cli_context import (
    DB_FILENAME,
    DEFAULT_API_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_DATA_DIR,
    EXIT_BUSY,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_PIPE_CLOSED,
    EXIT_UNAUTHORIZED,
    EXIT_USAGE,
    HISTORY_LIMIT,
    STATS_DAYS,
    SYNC_EXIT_CODES,
    TOKEN_FILENAME,
    CliError,
    Context,
    Interrupt,
    default_data_dir,
)
from .cli_output import (
    ProgressBar,
    format_history,
    format_in_progress,
    format_info,
    format_next_up,
    format_sync_result,
    format_watchlist,
)
from .cli_trakt import (
    cmd_auth,
    cmd_clear,
    cmd_history,
    cmd_in_progress,
    cmd_info,
    cmd_migrate,
    cmd_next_up,
    cmd_rebuild,
    cmd_sync,
    cmd_vacuum,
    cmd_watchlist,
)

log = logging.getLogger(__name__)

EPILOG = """exit codes:
  0    ok
  1    error
  2    usage error
  3    not authorised (run `auth`)
  4    throttled or busy (another sync or maintenance is running)
  5    partial sync (some categories failed; they are retried next time)
  130  interrupted (Ctrl-C)
  141  the output pipe was closed (e.g. `| head`); nothing more is printed

The global options may also follow the command. `auth` saves the API URL, client id and
secret in the data folder (cli_config.json, mode 0600): later commands need none of them.
"""


# Commands that check the interrupt flag and stop cleanly; the others stop at the first Ctrl-C.
_ABORTABLE = ("auth", "sync", "rebuild") + tuple(browse.COMMANDS)
COMMANDS: Dict[str, Callable[[Context], int]] = {
    "auth": cmd_auth,
    "sync": cmd_sync,
    "info": cmd_info,
    "clear": cmd_clear,
    "rebuild": cmd_rebuild,
    "vacuum": cmd_vacuum,
    "migrate": cmd_migrate,
    "next-up": cmd_next_up,
    "history": cmd_history,
    "in-progress": cmd_in_progress,
    "watchlist": cmd_watchlist,
}
COMMANDS.update(upcoming.COMMANDS)
COMMANDS.update(browse.COMMANDS)
_HELP = {
    "auth": "authorise with Trakt (device code shown here)",
    "sync": "sync the local mirror with Trakt",
    "info": "database counts, last sync, size",
    "clear": "delete the local Trakt data (the next sync refills it)",
    "rebuild": "delete everything and sync again at once",
    "vacuum": "optimize the database file",
    "migrate": "import the 2.7.x legacy JSON cache",
    "next-up": "list the next episode of every show in progress",
    "history": f"last {HISTORY_LIMIT} sync runs and {STATS_DAYS}-day stats",
    "in-progress": "list resume points",
    "watchlist": "list the watchlist",
}
_HELP.update(upcoming.HELP)
_HELP.update(browse.HELP)


def _add_global_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """The global options; on a command's parser they default to "not given" (SUPPRESS), so
    ``aiostreams sync --data-dir X`` and ``aiostreams --data-dir X sync`` mean the same."""

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--data-dir", default=default(default_data_dir()), help="data folder (%(default)s)"
    )
    parser.add_argument(
        "--api-url",
        default=default(None),
        help=f"Trakt API base URL (default: saved by auth, else {DEFAULT_API_URL})",
    )
    parser.add_argument("--oauth-url", default=default(None), help="Trakt OAuth base URL")
    parser.add_argument(
        "--client-id", default=default(None), help=f"or ${ENV_CLIENT_ID} (saved by auth)"
    )
    parser.add_argument(
        "--client-secret", default=default(None), help=f"or ${ENV_CLIENT_SECRET} (saved by auth)"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="debug logging and tracebacks on stderr",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiostreams",
        description="AIOStreams for Kodi: the Trakt mirror and AIOStreams from a terminal.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.required = True
    for name in COMMANDS:
        sub = commands.add_parser(name, help=_HELP[name])
        _add_global_options(sub, top=False)
        if name == "sync":
            sub.add_argument("--force", action="store_true", help="ignore the 5-minute throttle")
        if name in ("clear", "rebuild"):
            sub.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        if name == "migrate":
            sub.add_argument("--again", action="store_true", help="delete the flag and re-run")
        if name in browse.COMMANDS:
            browse.add_arguments(name, sub)
    return parser


def _error_code(exc: BaseException) -> int:
    from .database.maintenance import DatabaseBusy
    from .trakt import errors

    if isinstance(exc, (errors.Unauthorized, errors.ReauthorizationRequired)):
        return EXIT_UNAUTHORIZED
    if isinstance(exc, (DatabaseBusy, errors.RateLimited, errors.LockTimeout)):
        return EXIT_BUSY
    if isinstance(exc, (errors.Aborted, errors.DeviceAuthCancelled)):
        return EXIT_INTERRUPTED
    return EXIT_ERROR


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except BrokenPipeError:  # --help into a closed pipe
        support.silence_stdout()
        return EXIT_PIPE_CLOSED
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    interrupt = Interrupt()
    if args.command in _ABORTABLE:
        interrupt.install()
    ctx = Context(args, interrupt)
    try:
        if os.path.exists(ctx.data_dir) and not os.path.isdir(ctx.data_dir):
            raise CliError(f"the data folder {ctx.data_dir} is not a folder")
        try:
            code = COMMANDS[args.command](ctx)
        finally:
            for db in ctx.opened:
                db.close()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        support.silence_stdout()
        return EXIT_PIPE_CLOSED
    except (CliError, browse.BrowseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        code = _error_code(exc)
        if code == EXIT_INTERRUPTED:
            print("interrupted", file=sys.stderr)
            return code
        # Expected failures are one line; the traceback is for -v.
        log.debug("details", exc_info=True)
        print(f"error: {support.failure_line(exc)}", file=sys.stderr)
        return code


# Names other code (tools/demo.py, tests) reads from here; they live in the modules above.
__all__ = [
    "COMMANDS",
    "DB_FILENAME",
    "DEFAULT_API_URL",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "ENV_DATA_DIR",
    "EXIT_BUSY",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_PIPE_CLOSED",
    "EXIT_UNAUTHORIZED",
    "EXIT_USAGE",
    "HISTORY_LIMIT",
    "STATS_DAYS",
    "SYNC_EXIT_CODES",
    "TOKEN_FILENAME",
    "CliError",
    "Context",
    "Interrupt",
    "ProgressBar",
    "build_parser",
    "default_data_dir",
    "format_history",
    "format_in_progress",
    "format_info",
    "format_next_up",
    "format_sync_result",
    "format_watchlist",
    "main",
]


if __name__ == "__main__":
    sys.exit(main())
