"""The add-on's core from a terminal: ``python -m resources.lib.cli <command>`` (repo root).

Commands: auth, sync [--force], info, clear [--yes], rebuild [--yes], vacuum, migrate [--again],
next-up, history, in-progress, watchlist; and browsing AIOStreams (``cli_browse.py``): connect,
catalogs, catalog, search, show, streams (``--json`` for machine-readable output). Results go to
stdout, logs and the progress bar to stderr (``-v`` for debug logs). Tokens and passwords are
never printed.

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
import signal
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, TextIO

from . import cli_browse as browse
from . import cli_support as support
from . import i18n
from .service.progress_text import step_text

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNAUTHORIZED = 3
EXIT_BUSY = 4
EXIT_PARTIAL = 5
EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a writer killed by the pipe

SYNC_EXIT_CODES = {
    "ok": EXIT_OK,
    "partial": EXIT_PARTIAL,
    "throttled": EXIT_BUSY,
    "busy": EXIT_BUSY,
    "unauthorized": EXIT_UNAUTHORIZED,
    "aborted": EXIT_INTERRUPTED,
    "error": EXIT_ERROR,
}
DB_FILENAME = "trakt_sync.db"
TOKEN_FILENAME = "trakt_tokens.json"
ENV_CLIENT_ID = "AIOSTREAMS_TRAKT_CLIENT_ID"
ENV_CLIENT_SECRET = "AIOSTREAMS_TRAKT_CLIENT_SECRET"
ENV_DATA_DIR = "AIOSTREAMS_DATA_DIR"
DEFAULT_API_URL = "https://api.trakt.tv"
HISTORY_LIMIT = 50
STATS_DAYS = 7

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


class CliError(Exception):
    """A failure to report as one line, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# ---- environment ------------------------------------------------------------------------------


def default_data_dir() -> str:
    if os.environ.get(ENV_DATA_DIR):
        return os.environ[ENV_DATA_DIR]
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return os.path.join(base, "aiostreams")


class Interrupt:
    """Ctrl-C asks the running operation to stop cleanly; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    def install(self) -> None:
        def handler(signum: int, frame: Any) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            print("\nstopping... (Ctrl-C again to quit at once)", file=sys.stderr)

        signal.signal(signal.SIGINT, handler)


class ProgressBar:
    """``on_progress(percent, label)`` drawn on stderr (one line per step when not a terminal)."""

    WIDTH = 30

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_label: Optional[str] = None
        self.drawn = False

    def __call__(self, percent: int, step: Any) -> None:
        label = step_text(step, i18n.localize)  # the engine reports a step code
        percent = max(0, min(100, int(percent)))
        if self.tty:
            filled = self.WIDTH * percent // 100
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {percent:3d}% {label[:40]:<40}")
            self.drawn = True
        elif label != self.last_label:
            self.stream.write(f"{percent:3d}% {label}\n")
        self.last_label = label
        self.stream.flush()

    def done(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


# ---- formatting (shared with tools/demo.py) ---------------------------------------------------


def _episode_code(item: Dict[str, Any]) -> str:
    season, number = item.get("season"), item.get("number")
    if isinstance(season, int) and isinstance(number, int):
        return f"S{season:02d}E{number:02d}"
    return ""


def _title_year(title: Any, year: Any) -> str:
    text = str(title) if title else "(untitled)"
    return f"{text} ({year})" if year else text


def _when(stamp: Optional[float]) -> str:
    if not stamp:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def _local(iso: Any) -> str:
    """A stored UTC time (``2026-03-01T10:00:00Z``) in this machine's local time."""
    from .database.trakt_sync.items import parse_time

    parsed = parse_time(iso)
    return _when(parsed.timestamp()) if parsed else "?"


def format_info(info: Dict[str, Any]) -> List[str]:
    lines = [f"database: {info['path']}"]
    for table, count in info["counts"].items():
        label = "watched episodes" if table == "episodes" else table
        lines.append(f"  {label + ':':<18}{count}")
    user = info.get("trakt_user")
    if user:
        lines.append(f"  {'trakt user:':<18}{user}")
    lines.append(f"  {'last sync:':<18}{_when(info['last_sync_ts'])}")
    lines.append(f"  {'size:':<18}{info['size_bytes'] / 1024:.1f} KB")
    lines.append(f"  {'schema version:':<18}{info['schema_version']}")
    if info.get("sync_running"):
        lines.append("  a sync is running now")
    return lines


def format_next_up(items: Sequence[Dict[str, Any]]) -> List[str]:
    if not items:
        return ["Next Up: nothing to watch next"]
    lines = [f"Next Up ({len(items)}):"]
    for item in items:
        show = _title_year(item.get("show_title"), item.get("show_year"))
        episode = item.get("title") or ""
        aired = item.get("aired_episodes")
        done = item.get("completed_episodes")
        progress = f"  [{done}/{aired}]" if aired else ""
        lines.append(f"  {show}  {_episode_code(item)}  {episode}{progress}".rstrip())
    return lines


def format_in_progress(items: Sequence[Dict[str, Any]]) -> List[str]:
    if not items:
        return ["In progress: nothing"]
    lines = [f"In progress ({len(items)}):"]
    for item in items:
        if item.get("type") == "episode":
            name = f"{item.get('show_title') or '(show)'}  {_episode_code(item)}  "
            name += str(item.get("title") or "")
        else:
            name = _title_year(item.get("title"), item.get("year"))
        lines.append(f"  {float(item.get('progress') or 0):5.1f}%  {name}".rstrip())
    return lines


def format_watchlist(kind: str, items: Sequence[Dict[str, Any]]) -> List[str]:
    lines = [f"Watchlist {kind}s ({len(items)}):"]
    for item in items:
        rank = item.get("rank")
        prefix = f"{rank:>4}. " if isinstance(rank, int) else "      "
        lines.append("  " + prefix + _title_year(item.get("title"), item.get("year")))
    return lines


def format_history(runs: Sequence[Dict[str, Any]], stats: Any) -> List[str]:
    """The last runs, newest first (time, trigger, result or error, duration, requests, and
    added/changed/removed per category), then the totals of the last STATS_DAYS days."""
    from .service import history

    lines = [f"Last {len(runs)} sync run(s):"]
    for run in runs:
        fields = history.run_fields(run)
        lines.append(
            f"  {_local(run.get('started_at'))}  {fields['trigger']:<8} {fields['status']:<12}"
            f" {fields['duration']:>6.1f}s {fields['requests']:>4} req  {fields['details']}"
        )
        words = _failure_words(run.get("failures"))
        if words:
            lines.extend(f"      {line}" for line in words)
        elif run.get("error") and run.get("status") not in ("ok", "aborted"):
            # a run recorded before failures were kept as codes (2.8.0): its error text
            lines.append(f"      error: {run['error']}")
    totals = history.stats_fields(stats)
    lines.append(f"Last {totals['days']} days:")
    lines.append(
        f"  {totals['runs']} sync(s), {totals['failed']} failed, {totals['requests']} request(s),"
        f" {totals['duration']:.1f}s syncing"
    )
    lines.append(
        f"  {totals['added']} added, {totals['changed']} changed, {totals['removed']} removed:"
        f" {totals['details']}"
    )
    if isinstance(stats, dict):
        by_trigger = stats.get("by_trigger") or {}
        if by_trigger:
            lines.append(
                "  by trigger: "
                + ", ".join(f"{name} {count}" for name, count in sorted(by_trigger.items()))
            )
        last_error = stats.get("last_error")
        if isinstance(last_error, dict) and last_error.get("error"):
            words = _failure_words(last_error.get("failures"), include_notices=False)
            text = "; ".join(words) if words else last_error["error"]
            lines.append(f"  last error: {_local(last_error.get('started_at'))}  {text}")
    return lines


def _local(stamp: Any) -> str:
    """An ISO UTC time of the database as local time (the README's promise for ``history``)."""
    from .service.timeutil import to_epoch

    epoch = to_epoch(stamp)
    return _when(epoch) if epoch else str(stamp or "?")


def _failure_words(records: Any, include_notices: bool = True) -> List[str]:
    """Failure records in the English words of strings.po (as the Kodi dialogs say them)."""
    from .i18n import localize
    from .service.failure_text import failure_lines

    if isinstance(records, str):
        from .database.trakt_sync.lease import parse_failures

        records = parse_failures(records)
    return failure_lines(records, localize, include_notices=include_notices)


def format_sync_result(result: Any) -> str:
    changes = sum(
        sum(v for v in c.values() if isinstance(v, int))
        for c in (result.changes or {}).values()
        if isinstance(c, dict)
    )
    text = (
        f"sync {result.status}: {changes} change(s), {result.requests} request(s) "
        f"in {result.duration:.1f}s"
    )
    if result.status == "throttled" and result.next_allowed_at:
        text += f"; next sync allowed at {_when(result.next_allowed_at)} (use --force)"
    elif getattr(result, "failures", None):
        text += "; " + "; ".join(_failure_words(result.failures))
    elif result.error and result.status not in ("ok", "aborted"):
        text += f"; {result.error}"
    return text


def _print(lines: Iterable[str]) -> None:
    for line in lines:
        print(line)


# ---- commands ---------------------------------------------------------------------------------


class Context:
    """What every command needs, built from the options and the saved ``cli_config.json``."""

    def __init__(self, args: argparse.Namespace, interrupt: Interrupt) -> None:
        self.args = args
        self.interrupt = interrupt
        self.data_dir = os.path.abspath(os.path.expanduser(args.data_dir))
        self.db_path = os.path.join(self.data_dir, DB_FILENAME)
        self.token_path = os.path.join(self.data_dir, TOKEN_FILENAME)
        self.config_path = os.path.join(self.data_dir, support.CONFIG_FILENAME)
        self.opened: List[Any] = []  # databases a command opened, closed by main()

    def saved_config(self) -> Dict[str, str]:
        """What ``auth`` saved (empty when nothing was saved or the file is unusable)."""
        return support.load_config(self.config_path)

    def settings(self) -> Dict[str, Optional[str]]:
        """API URL, OAuth URL, client id and secret: options, then environment, then saved."""
        saved = self.saved_config()
        api_url = self.args.api_url or saved.get("api_url") or DEFAULT_API_URL
        oauth_url = self.args.oauth_url or (
            saved.get("oauth_url") if not self.args.api_url else None
        )
        return {
            "api_url": api_url,
            "oauth_url": oauth_url or api_url,
            "client_id": self.args.client_id or os.environ.get(ENV_CLIENT_ID)
            or saved.get("client_id"),
            "client_secret": self.args.client_secret or os.environ.get(ENV_CLIENT_SECRET)
            or saved.get("client_secret"),
        }  # fmt: skip

    def check_token_host(self, api_url: str, oauth_url: str) -> None:
        """Refuse API or OAuth URLs on another host than the one the saved tokens came from."""
        saved = self.saved_config()
        issuer = saved.get("api_url")
        if not issuer:
            return
        for url, bound in ((api_url, issuer), (oauth_url, saved.get("oauth_url") or issuer)):
            issued, asked = support.origin(bound), support.origin(url)
            if issued != asked:
                raise CliError(
                    f"the Trakt tokens in {self.data_dir} were issued by {issued}; they are not "
                    f"sent to {asked} (run `auth --api-url {url}` to sign in there)",
                    EXIT_USAGE,
                )

    def client(self, need_auth: bool = True) -> Any:
        from .trakt.client import TraktClient
        from .trakt.tokens import TokenStore

        settings = self.settings()
        if not settings["client_id"] or not settings["client_secret"]:
            raise CliError(
                f"a Trakt client id and secret are needed: --client-id/--client-secret or "
                f"{ENV_CLIENT_ID}/{ENV_CLIENT_SECRET} (`auth` saves them for later commands)",
                EXIT_USAGE,
            )
        try:
            support.check_url(settings["api_url"] or "")
            support.check_url(settings["oauth_url"] or "")
        except ValueError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
        if need_auth:
            self.check_token_host(settings["api_url"] or "", settings["oauth_url"] or "")
        self.make_data_dir()
        try:
            client = TraktClient(
                settings["client_id"],
                settings["client_secret"],
                token_store=TokenStore(self.token_path),
                api_url=settings["api_url"],
                oauth_url=settings["oauth_url"],
                should_abort=self.interrupt,
            )
        except ValueError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
        if need_auth and not client.is_authorized():
            raise CliError("not authorised with Trakt: run the `auth` command", EXIT_UNAUTHORIZED)
        return client

    def save_config(self) -> None:
        """Keep the settings ``auth`` used (0600: the secret is in it)."""
        values = self.saved_config()  # keeps what `connect` saved
        values.update({k: v for k, v in self.settings().items() if v})
        support.save_config(self.config_path, values)

    def make_data_dir(self) -> None:
        from .database.storage import make_private_folder

        make_private_folder(self.data_dir)

    def database(self) -> Any:
        from .database.trakt_sync import TraktSyncDatabase

        self.make_data_dir()
        db = TraktSyncDatabase(self.db_path)
        if getattr(db, "recovered", None):
            log.warning("the database was corrupt; the old file was moved to %s", db.recovered)
        return db

    def require_writable(self, what: str) -> None:
        """A command that writes, in a folder that cannot be written: one line, before work."""
        if os.path.isdir(self.data_dir) and not os.access(self.data_dir, os.W_OK):
            raise CliError(f"cannot {what}: the data folder {self.data_dir} is read-only")


def _confirm(ctx: Context, question: str) -> None:
    if ctx.args.yes:
        return
    if not sys.stdin.isatty():
        raise CliError("refusing without --yes (stdin is not a terminal)", EXIT_USAGE)
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CliError("cancelled", EXIT_ERROR)


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

    _print(format_info(database_info(ctx.db_path)))
    return EXIT_OK


def cmd_clear(ctx: Context) -> int:
    from .database.maintenance import clear_database

    ctx.require_writable("clear the database")
    _confirm(ctx, "Delete all Trakt data from the local database (Trakt itself is untouched)?")
    deleted = clear_database(ctx.db_path)
    print(f"cleared {sum(deleted.values())} row(s); the next sync fetches everything again")
    return EXIT_OK


def cmd_rebuild(ctx: Context) -> int:
    from .database.maintenance import rebuild_database

    ctx.require_writable("rebuild the database")
    client_check = ctx.client()  # fail before deleting anything when not authorised
    client_check.close()
    _confirm(ctx, "Delete the local Trakt database and sync everything again?")
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
        _print(read(db))
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
        "--api-url", default=default(None),
        help=f"Trakt API base URL (default: saved by auth, else {DEFAULT_API_URL})",
    )  # fmt: skip
    parser.add_argument("--oauth-url", default=default(None), help="Trakt OAuth base URL")
    parser.add_argument(
        "--client-id", default=default(None), help=f"or ${ENV_CLIENT_ID} (saved by auth)"
    )
    parser.add_argument(
        "--client-secret", default=default(None), help=f"or ${ENV_CLIENT_SECRET} (saved by auth)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default(False),
        help="debug logging and tracebacks on stderr",
    )  # fmt: skip


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


if __name__ == "__main__":
    sys.exit(main())
