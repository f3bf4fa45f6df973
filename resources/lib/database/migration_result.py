"""What a legacy-cache migration run did: counts per kind, skipped files, the flag and errors."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

COUNT_KINDS = (
    "watchlist_movies",
    "watchlist_shows",
    "watched_movies",
    "watched_shows",
    "watched_episodes",
    "hidden_shows",
    "show_progress",
    "collection_movies",
    "items_skipped",
)


class MigrationResult:
    """What a migration run did. ``counts`` has one entry per :data:`COUNT_KINDS`."""

    def __init__(self) -> None:
        self.counts: Dict[str, int] = {kind: 0 for kind in COUNT_KINDS}
        self.skipped: List[Tuple[str, str]] = []  # (file name, reason)
        self.ignored = 0  # non-Trakt cache files
        self.flag_written = False
        self.already_done = False
        self.cache_found = False
        self.error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> Dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "skipped": [list(item) for item in self.skipped],
            "ignored": self.ignored,
            "flag_written": self.flag_written,
            "already_done": self.already_done,
            "cache_found": self.cache_found,
            "error": self.error,
        }

    def __repr__(self) -> str:
        if self.already_done:
            return "MigrationResult(already done)"
        state = "flag written" if self.flag_written else "flag NOT written"
        error = f", error: {self.error}" if self.error else ""
        return f"MigrationResult({self.summary()}; {state}{error})"

    def summary(self) -> str:
        parts = [f"{n} {kind.replace('_', ' ')}" for kind, n in self.counts.items() if n]
        text = ", ".join(parts) if parts else "nothing imported"
        return f"{text}; {len(self.skipped)} file(s) skipped"
