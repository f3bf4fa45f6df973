"""The mirror's seam as a ``Protocol``: what the service, the CLI and the tests rely on from the
Trakt mirror (:class:`resources.lib.database.trakt_sync.TraktSyncDatabase`) to sync it and read
its state. The plugin's list reads (browse_facade.py) and the player's writes
(player_facade.py) are the facade's other faces; rows and run records stay plain dicts of JSON
values (``Any``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

try:  # typing.Protocol is 3.8+; the annotations below are never evaluated at runtime
    from typing import Protocol
except ImportError:  # pragma: no cover
    Protocol = object  # type: ignore[assignment,misc]

if TYPE_CHECKING:  # pragma: no cover
    from ...trakt.protocols import TraktApi
    from .result import SyncResult


class Mirror(Protocol):
    """Sync the local mirror of the user's Trakt data and read its state."""

    recovered: Optional[str]

    def sync_activities(
        self,
        client: TraktApi,
        on_progress: Optional[Callable[[int, str], None]] = None,
        should_abort: Optional[Callable[[], bool]] = None,
        force: bool = False,
        trigger: str = "manual",
        categories: Optional[Sequence[str]] = None,
        lease_wait: float = 0.0,
    ) -> SyncResult: ...

    def sync_in_progress(self) -> bool: ...

    def next_allowed_at(self) -> float: ...

    def reset_throttle(self) -> None: ...

    def last_sync_at(self) -> Optional[str]: ...

    def trakt_user(self) -> Optional[str]: ...

    def sync_history(self, limit: int = 50) -> List[Dict[str, Any]]: ...

    def sync_stats(self, days: int = 7) -> Dict[str, Any]: ...

    def take_notices(self) -> List[Dict[str, Any]]: ...

    def counts(self) -> Dict[str, int]: ...

    def snapshot(self) -> Dict[str, Any]: ...

    def check_integrity(self) -> Optional[str]: ...

    def close(self) -> None: ...
