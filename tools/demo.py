"""`make demo`: the whole add-on core against a local Trakt sandbox, no Trakt account needed.

1. starts the sandbox in-process with a demo account;
2. authorises through the device flow, as on a TV: requests a code, prints it, approves it through
   the sandbox's control API (standing in for the user on trakt.tv) and polls for the tokens;
3. runs the legacy-cache migration check and the sync exactly as the background service does
   (``TraktSyncDatabase.sync_activities(..., trigger="auto")``);
4. prints the database info and Next Up with the CLI's formatting.

Uses a temporary data folder unless ``--data-dir`` is given. Exit code 0 on success.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from typing import Any, Dict, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from resources.lib import cli  # noqa: E402
from resources.lib.database.maintenance import database_info  # noqa: E402
from resources.lib.database.migration import run_migration  # noqa: E402
from resources.lib.database.trakt_sync import TraktSyncDatabase  # noqa: E402
from resources.lib.trakt.client import TraktClient  # noqa: E402
from resources.lib.trakt.tokens import TokenStore  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402

log = logging.getLogger("demo")


def control(base_url: str, action: str, body: Dict[str, Any]) -> Any:
    """POST to the sandbox control API (``/_sandbox/<action>``)."""
    request = urllib.request.Request(
        f"{base_url}/_sandbox/{action}",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        raw = response.read()
    return json.loads(raw) if raw else None


def authorise(client: TraktClient, base_url: str) -> None:
    code = client.request_device_code()
    print(f"Device code: go to {code.verification_url} and enter {code.user_code}")
    control(base_url, "approve", {"user_code": code.user_code})
    print("(the demo approved the code through the sandbox, as the user would on trakt.tv)")
    client.poll_device_token(code)
    print("Authorised.")


def run_demo(data_dir: str, account: str) -> int:
    db_path = os.path.join(data_dir, cli.DB_FILENAME)
    started = time.monotonic()
    # A 1 s device-code poll interval (Trakt uses 5) keeps the demo within a few seconds.
    sandbox = Sandbox(account=account, seed=1, port=0, device_interval=1)
    sandbox.start()
    try:
        print(f"Sandbox Trakt server ({account} account) at {sandbox.url}")
        client = TraktClient(
            sandbox.client_id,
            sandbox.client_secret,
            token_store=TokenStore(os.path.join(data_dir, cli.TOKEN_FILENAME)),
            api_url=sandbox.url,
            oauth_url=sandbox.url,
        )
        try:
            authorise(client, sandbox.url)
            migrated = run_migration(data_dir, db_path)  # what the service does at start
            log.info("migration check: %r", migrated)
            db = TraktSyncDatabase(db_path)
            try:
                result = db.sync_activities(client, should_abort=None, trigger="auto")
                print(cli.format_sync_result(result))
                if result.status != "ok":
                    return cli.SYNC_EXIT_CODES.get(result.status, cli.EXIT_ERROR)
                print()
                for line in cli.format_info(database_info(db_path)):
                    print(line)
                print()
                for line in cli.format_next_up(db.next_up()):
                    print(line)
            finally:
                db.close()
        finally:
            client.close()
    finally:
        sandbox.stop()
    print(f"\nDemo finished in {time.monotonic() - started:.1f}s")
    return cli.EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="keep the data here (default: a temporary folder)")
    parser.add_argument("--account", default="small", help="sandbox account (small|medium|large)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    temporary = args.data_dir is None
    data_dir = tempfile.mkdtemp(prefix="aiostreams-demo-") if temporary else args.data_dir
    os.makedirs(data_dir, exist_ok=True)
    try:
        return run_demo(data_dir, args.account)
    except KeyboardInterrupt:
        return cli.EXIT_INTERRUPTED
    except Exception as exc:
        log.debug("demo failed", exc_info=True)
        print(f"demo failed: {getattr(exc, 'user_message', None) or exc}", file=sys.stderr)
        return cli.EXIT_ERROR
    finally:
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"Data kept in {data_dir}: try `python -m resources.lib.cli --data-dir ...`")


if __name__ == "__main__":
    sys.exit(main())
