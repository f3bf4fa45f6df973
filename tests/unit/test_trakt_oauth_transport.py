"""The Authenticator works through an OAuth transport, not the client's private members."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional, Tuple

from resources.lib.trakt import auth
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.http import Response
from resources.lib.trakt.tokens import Tokens, TokenStore


class RecordingTransport:
    """An OAuth transport double: answers every POST with one canned response."""

    def __init__(self, store: TokenStore, answer: Response) -> None:
        self.client_id, self.client_secret = "id", "secret"
        self.token_store: Optional[TokenStore] = store
        self.refresh_margin, self.lock_timeout = 600.0, 5.0
        self.should_abort = None
        self.answer = answer
        self.posts: List[Tuple[str, Dict[str, Any], bool]] = []

    def post(self, path, body, idempotent, retry=True):
        self.posts.append((path, body, idempotent))
        return self.answer, json.loads(self.answer.body.decode())

    def error(self, resp, path):  # pragma: no cover - not reached on a 200
        raise AssertionError("unexpected refusal")

    def retry_after(self, resp, attempt):  # pragma: no cover
        return 0.0

    def wait(self, seconds, should_cancel=None):  # pragma: no cover
        pass

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> float:
        return time.time()


def test_an_authenticator_refreshes_through_its_transport(tmp_path):
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    stale = Tokens("old-access", "old-refresh", time.time() + 60, time.time() - 3600, "public")
    store.save(stale)
    body = {"access_token": "new-access", "refresh_token": "new-refresh", "expires_in": 86400}
    transport = RecordingTransport(store, Response(200, {}, json.dumps(body).encode()))
    tokens = auth.Authenticator(transport).valid_tokens()  # expires within the margin
    assert tokens.access_token == "new-access"
    assert store.load().refresh_token == "new-refresh"
    assert [(p, b["grant_type"], i) for p, b, i in transport.posts] == [
        ("/oauth/token", "refresh_token", False)
    ]


def test_a_client_hands_out_its_oauth_transport(tmp_path):
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    client = TraktClient("id", "secret", token_store=store, oauth_url="http://127.0.0.1:9")
    transport = client.oauth()
    assert (transport.client_id, transport.client_secret) == ("id", "secret")
    assert transport.token_store is store
    assert transport.should_abort is None
