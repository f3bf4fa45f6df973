"""How a sync run ends: one enum for the engine, the service, the history and the front ends.

Its own module, with nothing but the standard library: the plugin imports it on every call, and
the sync engine's package is not needed for a comparison.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class SyncStatus(str, Enum):
    """How a sync run ended. A ``str`` subclass: the run history stores the value, and a
    comparison with the bare text (``status == "ok"``) keeps working where it is still written."""

    OK = "ok"
    PARTIAL = "partial"  # some categories failed, the others committed
    THROTTLED = "throttled"  # too soon after the last completed run: nothing was asked
    BUSY = "busy"  # another process holds the sync lease
    ABORTED = "aborted"  # Kodi is shutting down (or the user cancelled)
    UNAUTHORIZED = "unauthorized"  # Trakt refused the tokens: the user must authorise again
    ERROR = "error"  # the whole run failed
    # The service's own: every category is switched off, so nothing ran (never from the engine).
    SKIPPED = "skipped"

    def __str__(self) -> str:
        # The value, not "SyncStatus.OK": logs, window properties and "%s" show what is stored.
        return self.value

    def __hash__(self) -> int:
        # As the text's hash: a dict keyed by "ok" finds SyncStatus.OK, and the other way round.
        return str.__hash__(self)

    @property
    def succeeded(self) -> bool:
        """The run synced (wholly or partly): it counts as the last sync and ends a backoff."""
        return self in (SyncStatus.OK, SyncStatus.PARTIAL)

    @classmethod
    def of(cls, value: Any) -> SyncStatus:
        """The status for a stored or reported value; anything unknown is an error."""
        try:
            return cls(str(value.value if isinstance(value, Enum) else value))
        except ValueError:
            return cls.ERROR


# The statuses of a run that synced.
SUCCEEDED = (SyncStatus.OK, SyncStatus.PARTIAL)
