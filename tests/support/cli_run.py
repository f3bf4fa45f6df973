"""Running the command line against the Trakt sandbox: its environment, tokens put in place, and
the sandbox's control API. Shared by the CLI integration tests."""

from __future__ import annotations

import json
import os
import urllib.request

from resources.lib.trakt.tokens import Tokens, TokenStore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli_env(sandbox):
    """The environment for a ``python -m resources.lib.cli`` run against ``sandbox``."""
    env = dict(os.environ)
    env["AIOSTREAMS_TRAKT_CLIENT_ID"] = sandbox.client_id
    env["AIOSTREAMS_TRAKT_CLIENT_SECRET"] = sandbox.client_secret
    env.pop("AIOSTREAMS_DATA_DIR", None)
    return env


def authorise_into(sandbox, data_dir):
    """Tokens the sandbox issued, saved in ``data_dir`` as the CLI keeps them."""
    os.makedirs(str(data_dir), exist_ok=True)
    tokens = sandbox.issue_tokens()
    TokenStore(os.path.join(str(data_dir), "trakt_tokens.json")).save(Tokens.from_response(tokens))
    return tokens


def sandbox_control(sandbox, action, body):
    """POST to the sandbox's control API (``/_sandbox/<action>``); returns the HTTP status."""
    request = urllib.request.Request(
        sandbox.url + "/_sandbox/" + action, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status
