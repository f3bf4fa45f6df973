"""``python -m sandbox``: run the local Trakt until SIGINT/SIGTERM; prints the base URL."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import List, Optional

from .server import Sandbox


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--account", default="small", help="small | medium | large | FILE.json")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = free port)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token-lifetime", type=float, default=86400, help="seconds")
    parser.add_argument("--auto-approve", action="store_true", help="approve on first poll")
    parser.add_argument("--device-interval", type=float, default=5, help="poll interval, seconds")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    sandbox = Sandbox(
        account=args.account,
        seed=args.seed,
        port=args.port,
        token_lifetime=args.token_lifetime,
        auto_approve=args.auto_approve,
        device_interval=args.device_interval,
        verbose=args.verbose,
    ).start()
    print(sandbox.url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
