"""The value ``sync_activities`` returns. Its statuses are :class:`SyncStatus` (kept in
``database/sync_status.py``, a module light enough for every front end to import)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..sync_status import SUCCEEDED, SyncStatus

__all__ = ("STATUSES", "SUCCEEDED", "SyncResult", "SyncStatus")


# What the engine can return (SKIPPED is the service's, before the engine is called).
STATUSES = tuple(status.value for status in SyncStatus if status is not SyncStatus.SKIPPED)

_FIELDS = ("status", "changes", "requests", "duration", "error", "next_allowed_at", "failures")


class SyncResult:
    """Outcome of one ``sync_activities`` call.

    ``status``: a :class:`SyncStatus` (given as one or as its text). ``changes``:
    ``{unit: {added, changed, removed}}``. ``requests``: HTTP requests this run sent.
    ``duration``: seconds. ``error``: text or None. ``next_allowed_at``: Unix time when throttled
    (or when a busy lease expires), else None. ``failures``: failure records
    ``{unit, part, reason, retry_at}`` (see ``failures.py``): what failed and why, as codes the
    front ends put in words. ``error`` is the same for logs.
    """

    __slots__ = _FIELDS

    def __init__(
        self,
        status: Any,
        changes: Optional[Dict[str, Dict[str, int]]] = None,
        requests: int = 0,
        duration: float = 0.0,
        error: Optional[str] = None,
        next_allowed_at: Optional[float] = None,
        failures: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        self.status = SyncStatus.of(status)
        self.changes = changes or {}
        self.requests = requests
        self.duration = duration
        self.error = error
        self.next_allowed_at = next_allowed_at
        self.failures = list(failures or [])

    @property
    def ok(self) -> bool:
        return self.status is SyncStatus.OK

    def as_dict(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def replaced(self, **fields: Any) -> SyncResult:
        """A copy with some fields changed (a result may be shared: it is never mutated here)."""
        values = self.as_dict()
        values.update(fields)
        return SyncResult(**values)

    def __repr__(self) -> str:
        values = dict(self.as_dict(), status=self.status.value)
        return "SyncResult(%s)" % ", ".join("%s=%r" % item for item in values.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SyncResult) and self.as_dict() == other.as_dict()
