"""Shows the mirror's notices (codes from ``trakt_sync.refusals``) as Kodi notifications, in
words from strings.po. Each notice is taken from the database once, so it is shown once."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from . import dialogs, strings
from .localize import localize

log = logging.getLogger(__name__)


def message_for(notice: Dict[str, Any]) -> Optional[Tuple[int, Dict[str, Any]]]:
    """(string id, placeholders) for one notice; None for a code this version does not know."""
    if notice.get("code") != "account_limit":
        return None
    limit, count, vip = notice.get("limit"), notice.get("count"), bool(notice.get("vip"))
    known = isinstance(count, int) and not isinstance(count, bool) and count > 0
    values = {"count": f"{count:,}" if known else ""}
    if limit == "history" and known:
        return strings.LIMIT_HISTORY, values
    if vip:
        if limit == "watchlist" and known:
            return strings.LIMIT_WATCHLIST_VIP, values
        return strings.LIMIT_OTHER_VIP, {}
    if limit == "watchlist" and known:
        return strings.LIMIT_WATCHLIST_FREE, values
    if limit == "library" and known:
        return strings.LIMIT_LIBRARY_FREE, values
    if limit == "ratings" and known:  # h27-ratings
        return strings.LIMIT_RATINGS_FREE, values
    return strings.LIMIT_OTHER_FREE, {}


def show_pending(db: Any) -> List[str]:
    """Take the waiting notices and show them as one notification; returns the shown lines.

    Never raises: a notice is not worth breaking the caller (the service loop) for.
    """
    try:
        notices = db.take_notices()
    except Exception:  # noqa: BLE001 - a locked or broken database: try at the next sync
        log.debug("notices could not be read", exc_info=True)
        return []
    lines: List[str] = []
    for notice in notices:
        found = message_for(notice)
        if found is None:
            log.info("Notice with an unknown code ignored: %s", notice.get("code"))
            continue
        line = localize(found[0], **found[1])
        if line not in lines:
            lines.append(line)
    if lines:
        message = "[CR]".join(lines)
        log.info("Notified: %s", message)
        dialogs.notification(message, icon=dialogs.WARNING, time_ms=10000)
    return lines
