"""Benchmark of the real plugin entry for browse pages (issue 11's 150 ms budget).

    python bench/bench_plugin_browse.py [--runs 7]

Each measured call is a NEW Python process that does what Kodi's plugin invoker does with our
``addon.py``: ``router.run([url, handle, query])``, with the xbmc doubles of ``tests/doubles``
standing in for Kodi (their parsing of addon.xml, settings.xml and strings.po is included in the
figure; Kodi's own is not ours). Pages: the root, a catalog page, a show page, a season page and
Next Up, each already cached (one warm-up call fills the cache). Prints the process CPU seconds
(median and max of ``--runs``), the items listed and the AIOStreams requests the measured calls
sent (must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from aiostreams_sandbox.server import AIOStreamsSandbox  # noqa: E402

CHILD = r"""
import json, sys, time
root, profile, manifest, query = sys.argv[1:5]
sys.path[:0] = [root, root + "/tests/doubles"]
import kodistate
state = kodistate.reset(profile_dir=profile)
for key, value in (("aiostreams_manifest_url", manifest), ("trakt_client_id", "id"),
                   ("trakt_client_secret", "secret")):
    state.set_setting(key, value)
from resources.lib.plugin import router
router.run(["plugin://plugin.video.aiostreams/", "1", query, "resume:false"])
print(json.dumps({"cpu": time.process_time(), "items": len(state.directory)}))
"""

PAGES = (
    ("root", ""),
    ("catalog", "?action=catalog&type=movie&id=c1.top"),
    ("show", "?action=show&id=tt0903747&type=series"),
    ("season", "?action=season&id=tt0903747&season=1&type=series"),
    ("next_up", "?action=next_up"),
)


def _call(profile: str, manifest: str, query: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, ROOT, profile, manifest, query],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    profile = tempfile.mkdtemp(prefix="bench-plugin-")
    try:
        with AIOStreamsSandbox(port=0) as aio:
            from resources.lib.trakt.tokens import Tokens, TokenStore
            from tests.support.browse_mirror import seed_mirror

            data = os.path.join(profile, "addon_data", "plugin.video.aiostreams")
            os.makedirs(data, exist_ok=True)
            seed_mirror(os.path.join(data, "trakt_sync.db")).close()
            TokenStore(os.path.join(data, "trakt_tokens.json")).save(
                Tokens.from_response(
                    {"access_token": "a", "refresh_token": "r", "expires_in": 86400}
                )
            )
            _call(profile, aio.manifest_url, "?action=catalogs")  # the manifest, cached
            for name, query in PAGES:
                _call(profile, aio.manifest_url, query)  # warm-up: fills the cache
                before = len(aio.requests())
                runs = [_call(profile, aio.manifest_url, query) for _ in range(args.runs)]
                cpu = [run["cpu"] * 1000 for run in runs]
                print(
                    f"{name:8s} cached, new process: CPU median {statistics.median(cpu):.0f} ms, "
                    f"max {max(cpu):.0f} ms, {runs[0]['items']} items, "
                    f"{len(aio.requests()) - before} AIOStreams requests"
                )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
