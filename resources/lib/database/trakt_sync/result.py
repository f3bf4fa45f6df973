"""The value ``sync_activities`` returns."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

STATUSES = ("ok", "partial", "throttled", "busy", "aborted", "unauthorized", "error")


class SyncResult:
    """Outcome of one ``sync_activities`` call.

    ``status``: one of :data:`STATUSES`. ``changes``: ``{unit: {added, changed, removed}}``.
    ``requests``: HTTP requests this run sent. ``duration``: seconds. ``error``: text or None.
    ``next_allowed_at``: Unix time when throttled (or when a busy lease expires), else None.
    ``failures``: failure records ``{unit, part, reason, retry_at}`` (see ``failures.py``): what
    failed and why, as codes the front ends put in words. ``error`` is the same for logs.
    """

    __slots__ = (
        "status", "changes", "requests", "duration", "error", "next_allowed_at", "failures",
    )  # fmt: skip

    def __init__(
        self,
        status: str,
        changes: Optional[Dict[str, Dict[str, int]]] = None,
        requests: int = 0,
        duration: float = 0.0,
        error: Optional[str] = None,
        next_allowed_at: Optional[float] = None,
        failures: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        self.status = status
        self.changes = changes or {}
        self.requests = requests
        self.duration = duration
        self.error = error
        self.next_allowed_at = next_allowed_at
        self.failures = list(failures or [])

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return "SyncResult(%s)" % ", ".join(
            "%s=%r" % (name, getattr(self, name)) for name in self.__slots__
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SyncResult) and self.as_dict() == other.as_dict()
