"""The command line's shared pieces: exit codes, file names, the one-line error, Ctrl-C, and
the :class:`Context` every command gets (options, saved settings, the Trakt client, the database).

``cli.py`` builds the parser and runs a command; the commands live in ``cli_trakt.py`` and
``cli_browse.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from typing import Any, Dict, List, Optional

from . import cli_support as support

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


def confirm(ctx: Context, question: str) -> None:
    if ctx.args.yes:
        return
    if not sys.stdin.isatty():
        raise CliError("refusing without --yes (stdin is not a terminal)", EXIT_USAGE)
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CliError("cancelled", EXIT_ERROR)
