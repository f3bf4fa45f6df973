"""The sync rig shared by the integration tests and a few unit tests (no tests here).

Each test builds its own :class:`SyncRig`: a sandbox, a token store with issued tokens, a real
``TraktClient`` with short retry delays, and a ``TraktSyncDatabase`` in ``tmp_path``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox import server as sandbox_server
from sandbox.server import Sandbox

# The sandbox answers in two TCP segments; with Nagle + delayed ACK every request then costs
# ~40 ms on loopback, which would hide the sync's own cost. Tests do not depend on it.
sandbox_server._Handler.disable_nagle_algorithm = True


class SyncRig:
    def __init__(self, folder: str, account: str = "small", seed: int = 1) -> None:
        self.sandbox = Sandbox(account=account, seed=seed).start()
        self.store = TokenStore(os.path.join(folder, "trakt_tokens.json"))
        self.store.save(Tokens.from_response(self.sandbox.issue_tokens()))
        self.client = make_client(self.sandbox, self.store)
        self.db_path = os.path.join(folder, "trakt_sync.db")
        self.db = TraktSyncDatabase(self.db_path)

    def sync(self, **kwargs: Any) -> Any:
        kwargs.setdefault("force", True)
        return self.db.sync_activities(self.client, **kwargs)

    def requests_during(self, **kwargs: Any) -> Dict[str, Any]:
        """Run a sync and return the sandbox's request log for it (plus the result)."""
        self.sandbox.reset_requests()
        result = self.sync(**kwargs)
        log = self.sandbox.requests()
        log["result"] = result
        return log

    def truth(self) -> Dict[str, Any]:
        return self.sandbox.truth()

    def close(self) -> None:
        self.db.close()
        self.client.close()
        self.sandbox.stop()


def make_client(sandbox: Sandbox, store: TokenStore, **overrides: Any) -> TraktClient:
    options: Dict[str, Any] = dict(
        token_store=store,
        api_url=sandbox.url,
        oauth_url=sandbox.url,
        timeout=10.0,
        retry_base=0.01,
        backoff_cap=0.05,
        retry_after_cap=0.05,
    )
    options.update(overrides)
    return TraktClient(sandbox.client_id, sandbox.client_secret, **options)


def comparable_truth(truth: Dict[str, Any]) -> Dict[str, Any]:
    """The truth minus ``reset_at`` of shows that have no plays left.

    The contract says only items with plays > 0 appear, but the sandbox keeps the ``reset_at`` of
    a show whose plays were all removed afterwards. Trakt reports ``reset_at`` only through
    ``/sync/watched/shows``, which lists watched shows only, so no client can mirror those.
    (Reported to the sandbox owner; this becomes a no-op once the truth follows the contract.)
    """
    out = dict(truth)
    out["reset_at"] = {k: v for k, v in truth["reset_at"].items() if k in truth["episodes"]}
    return out


def first_show_with(truth: Dict[str, Any], need_next: bool = True) -> Optional[int]:
    for show_id in sorted(truth["episodes"], key=int):
        if not need_next or show_id in truth["next_up"]:
            return int(show_id)
    return None


def section_not_hiding(
    truth: Dict[str, Any],
    show_id: int,
    sections: tuple = ("calendar", "progress_collected", "recommendations"),
) -> str:
    """A hidden section that does not hold ``show_id`` yet. The generated accounts follow the
    date, so on some days a show is already hidden where a test would hide it, and hiding it
    again changes nothing on Trakt (no activity, no request)."""
    return next(s for s in sections if [s, "show", show_id] not in truth["hidden"])


def hidden_progress_shows(truth: Dict[str, Any]) -> set:
    """Shows left out of Next Up: hidden from progress or dropped."""
    return {
        str(item_id)
        for section, kind, item_id in truth["hidden"]
        if section in ("progress_watched", "dropped") and kind == "show"
    }
