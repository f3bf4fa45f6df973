"""``python -m aiostreams_sandbox [--port N] [--cache DIR]``: serve until Ctrl+C."""

from __future__ import annotations

import argparse
import logging
import threading

from .server import AIOStreamsSandbox


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m aiostreams_sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--cache", default=None, help="folder for the generated video clips")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    sandbox = AIOStreamsSandbox(port=args.port, cache_dir=args.cache)
    sandbox.start()
    print(sandbox.url, flush=True)
    print("manifest:", sandbox.manifest_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
