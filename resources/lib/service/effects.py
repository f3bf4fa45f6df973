"""What the service's decisions ask the Kodi front end to do. Plain values: the decisions stay
testable from tables, and the front end only carries them out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple

# Notification codes (the front end turns each into words from strings.po).
NOTIFY_CHANGES = "changes"  # a background sync changed something the user sees
NOTIFY_FAILING = "failing"  # a background sync failed: once per outage
NOTIFY_AUTH_EXPIRED = "auth_expired"  # Trakt refused the tokens: once until a sync succeeds


@dataclass(frozen=True)
class RunSync:
    """Run one sync now; ``force`` bypasses the engine's throttle."""

    trigger: str
    force: bool = False
    categories: Optional[Tuple[str, ...]] = None


@dataclass(frozen=True)
class ReloadSettings:
    """Read the settings again, then evaluate the tick once more with them."""


@dataclass(frozen=True)
class Notify:
    """Show a notification. ``announced``: ``[(noun, count)]`` for NOTIFY_CHANGES;
    ``failures``: the run's failure records for NOTIFY_FAILING."""

    code: str
    announced: Tuple[Tuple[str, int], ...] = ()
    failures: Tuple[Any, ...] = ()


@dataclass(frozen=True)
class PublishLastSync:
    """Publish the outcome of a sync as the ``aiostreams.last_sync`` window property."""

    status: str
    trigger: str
    changes: int
    requests: Any
    at: float
    count: int


@dataclass(frozen=True)
class PublishServiceState:
    """Publish ``aiostreams.service`` again (the settings in effect changed)."""


@dataclass(frozen=True)
class RefreshLists:
    """A freshness check changed something: refresh the open list (if it is ours) and the
    widgets. The front end remembers when, so the renders it causes do not ask again."""
