"""Sync progress as codes: what the engine passes to ``on_progress(percent, step)``.

``step`` is ``(kind, unit)``: ``("activity", None)``, ``("account", None)``,
``("unit", "watchlist")``, ``("metadata", None)``, ``("done", None)``. Nothing here is meant for
a user's eyes: the front ends word the steps from strings.po (``service/progress_text.py``).
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple

ACTIVITY = "activity"  # reading Trakt's last activities
ACCOUNT = "account"  # reading the account settings
UNIT = "unit"  # syncing one unit, named in the second element
METADATA = "metadata"  # fetching show details
DONE = "done"  # a run that ended ok (never after a failure)

ProgressStep = Tuple[str, Optional[str]]
ProgressCallback = Callable[[int, ProgressStep], None]
