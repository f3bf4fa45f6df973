"""The rating select (10 down to 1, and *Remove rating*) and the optional prompt after playback.

:func:`ask_rating` is the select both *Rate...* in the context menu and the prompt show.
:class:`PromptAfterPlayback` is plugged into the service's playback scrobbling: it remembers the
last stop the worker recorded (item, progress, title) and, when the worker reports the end of a
playback, decides in a thread of its own (the worker never waits on a dialog): it waits
``SETTLE_SECONDS``, then asks :func:`resources.lib.scrobble.rating_prompt.decide` with the
settings, whether the episode is its season's finale (the mirror's episodes table), whether Kodi
plays a video again and whether Up Next is active (Home property ``aiostreams.upnext.active``).
A rating given there goes through the outbox like *Rate...*.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable, Deque, Optional, Tuple

from resources.lib.constants import UPNEXT_ACTIVE_PROPERTY
from resources.lib.database.trakt_sync.items import as_int
from resources.lib.scrobble import rating_prompt as rule

log = logging.getLogger(__name__)

REMOVE = 0  # ask_rating's answer for "Remove rating"
# A stop older than this when the end is reported belongs to another playback (its own end
# was never reported: an error): no prompt for it.
STALE_STOP_SECONDS = 30.0
# Decisions kept for the log and tests: the hook lives as long as the service.
OUTCOMES_KEPT = 20


def rating_options(current: Optional[int]) -> Tuple[list, list]:
    """(labels, answers) of the select: 10 down to 1 (the current one marked), then *Remove
    rating* when there is a rating to remove."""
    from .localize import localize
    from .strings import RATE_CURRENT, RATE_REMOVE

    labels, answers = [], []
    for rating in range(10, 0, -1):
        labels.append(localize(RATE_CURRENT, rating=rating) if rating == current else str(rating))
        answers.append(rating)
    if current is not None:
        labels.append(localize(RATE_REMOVE))
        answers.append(REMOVE)
    return labels, answers


def ask_rating(current: Optional[int], title: str = "") -> Optional[int]:
    """The user's choice: 1-10, :data:`REMOVE`, or None (cancelled)."""
    from . import dialogs
    from .localize import localize
    from .strings import RATE_HEADING, RATE_HEADING_UNTITLED

    labels, answers = rating_options(current)
    heading = localize(RATE_HEADING, title=title) if title else localize(RATE_HEADING_UNTITLED)
    choice = dialogs.select(labels, heading)
    return answers[choice] if 0 <= choice < len(answers) else None


def action_for(media_type: str, choice: Optional[int], **ids: Any) -> Any:
    """The outbox action of a choice (None when cancelled)."""
    from resources.lib.database.trakt_sync import outbox

    if choice is None:
        return None
    if choice == REMOVE:
        return outbox.LocalAction(outbox.UNRATE, media_type, **ids).validate()
    return outbox.LocalAction(outbox.RATE, media_type, rating=int(choice), **ids).validate()


def media_ids(media: Any) -> Optional[Tuple[str, dict]]:
    """(media_type, LocalAction ids) of a played ``MediaRef``; None without the Trakt ids."""
    if media.kind == "movie":
        trakt = as_int(media.ids.get("trakt"))
        return ("movie", {"trakt_id": trakt}) if trakt else None
    show = as_int(media.show_ids.get("trakt"))
    if not show or media.season is None or media.number is None:
        return None
    ids = {"show_id": show, "season": int(media.season), "number": int(media.number)}
    episode_id = as_int(media.ids.get("trakt"))
    if episode_id:
        ids["trakt_id"] = episode_id
    return "episode", ids


class PromptAfterPlayback:
    """The service's hook: ``stopped(media, progress, title)`` from the mirror update of every
    stop, ``ended()`` when the worker reports the end of a playback."""

    def __init__(
        self,
        wait: Optional[Callable[[float], bool]] = None,
        ask: Callable[[Optional[int], str], Optional[int]] = ask_rating,
    ) -> None:
        self._last: Optional[Tuple[Any, float, str, float]] = None
        self._lock = threading.Lock()
        self._wait = wait
        self._ask = ask
        self.thread: Optional[threading.Thread] = None
        # (code, media_type, ids) of the latest decisions, oldest first
        self.outcomes: Deque[Tuple[str, str, dict]] = collections.deque(maxlen=OUTCOMES_KEPT)

    def stopped(self, media: Any, progress: float, title: str = "") -> None:
        with self._lock:
            self._last = (media, float(progress), title or "", time.monotonic())

    def ended(self) -> None:
        with self._lock:
            last, self._last = self._last, None
        if last is None or time.monotonic() - last[3] > STALE_STOP_SECONDS:
            return
        settings = _prompt_settings()
        if not settings.any:
            return  # the common case: no thread, no wait
        self.thread = threading.Thread(
            target=self._decide, args=(last, settings), name="aiostreams-rating-prompt", daemon=True
        )
        self.thread.start()

    def _decide(self, last: Tuple[Any, float, str, float], settings: rule.PromptSettings) -> None:
        media, progress, title, _ = last
        try:
            found = media_ids(media)
            if found is None:
                return
            media_type, ids = found
            if self._settle():
                return  # Kodi is closing
            from .context import build_context

            ctx = build_context()
            try:
                finale = None
                if media_type == "episode":
                    last_number = ctx.db.last_episode_number(ids["show_id"], ids["season"])
                    finale = rule.is_finale(ids["number"], last_number)
                code = rule.decide(
                    media.kind, progress, settings, finale, _playing_video(), _upnext_active()
                )
                self.outcomes.append((code, media_type, ids))
                log.info("Rating prompt after playback: %s", code)
                if code != rule.PROMPT:
                    return
                key = (media_type, ids.get("trakt_id"), ids.get("show_id"), ids.get("season"),
                       ids.get("number"))  # fmt: skip
                current = ctx.db.ratings_for([key])[0]
                action = action_for(media_type, self._ask(current, title), **ids)
                if action is not None:
                    ctx.db.queue_change(action)
                    _saved()
            finally:
                ctx.close()
        except Exception:  # a prompt is never worth breaking the service for
            log.exception("Rating prompt failed")

    def _settle(self) -> bool:
        """Wait for the next item to start; True when Kodi is closing."""
        if self._wait is not None:
            return bool(self._wait(rule.SETTLE_SECONDS))
        import xbmc

        return bool(xbmc.Monitor().waitForAbort(rule.SETTLE_SECONDS))


def _prompt_settings() -> rule.PromptSettings:
    from .settings import load_settings

    try:
        settings = load_settings()
    except Exception:
        log.debug("settings unreadable: no rating prompt", exc_info=True)
        return rule.PromptSettings()
    return rule.PromptSettings(settings.rating_prompt_movies, settings.rating_prompt_season_finale)


def _playing_video() -> bool:
    import xbmc

    try:
        return bool(xbmc.Player().isPlayingVideo())
    except Exception:
        return False


def _upnext_active() -> bool:
    from . import window

    return window.get_text(UPNEXT_ACTIVE_PROPERTY) == "true"


def _saved() -> None:
    from . import dialogs
    from .localize import localize
    from .strings import CONTEXT_SAVED

    dialogs.notification(localize(CONTEXT_SAVED))


__all__ = [
    "REMOVE",
    "UPNEXT_ACTIVE_PROPERTY",
    "PromptAfterPlayback",
    "action_for",
    "ask_rating",
    "media_ids",
    "rating_options",
]
