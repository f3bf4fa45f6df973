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
    parser.add_argument(
        "--latency", type=float, default=0, metavar="MS", help="added to every API response"
    )
    parser.add_argument(
        "--get-limit",
        type=int,
        default=None,
        metavar="N",
        help="GETs per --get-period before a 429 (Trakt: 1000, or 500 since 2026; default: none)",
    )
    parser.add_argument("--get-period", type=float, default=300, metavar="S", help="seconds")
    parser.add_argument(
        "--write-limit",
        type=int,
        default=None,
        metavar="N",
        help="POST/PUT/DELETE per second before a 429 (Trakt: 1; default: none)",
    )
    parser.add_argument(
        "--trakt-limits",
        action="store_true",
        help="Trakt's documented limits: 1000 GETs per 300 s and 1 write per second",
    )
    args = parser.parse_args(argv)
    if args.trakt_limits:
        args.get_limit = args.get_limit or 1000
        args.write_limit = args.write_limit or 1
    for name in ("get_limit", "write_limit"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error("--%s must be at least 1" % name.replace("_", "-"))
    if args.latency < 0 or args.get_period <= 0:
        parser.error("--latency must be >= 0 and --get-period > 0")
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
        latency_ms=args.latency,
        get_limit=args.get_limit,
        get_period=args.get_period,
        write_limit=args.write_limit,
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
