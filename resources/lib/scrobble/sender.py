"""Turn :class:`~.state.Action` objects into Trakt calls, and deliver outbox items.

``ScrobbleSender.send(action)`` posts ``/scrobble/{start|pause|stop}``. Outcomes:
    ``sent``     Trakt accepted it (201)
    ``done``     409: Trakt already has this scrobble; nothing more to do
    ``pending``  could not be sent (offline, 5xx, 429, signed out): kept as an outbox item
    ``failed``   could not be sent and not worth keeping (a start)
    ``dropped``  Trakt rejected it for good (404 unknown item, 422, ...)
    ``skipped``  nothing to send (a ``failed`` action: the player monitor handles it)
Scrobbles are posted with ``idempotent=True``: a repeated start/pause is harmless and a
repeated stop answers 409, which counts as done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, List, Optional

from resources.lib.trakt import errors as trakt_errors

from .media import MediaRef
from .outbox import HISTORY, Outbox, PendingItem, pending_for_failure, progress_key
from .state import FAILED, Action

log = logging.getLogger(__name__)

PERMANENT_ERRORS = (trakt_errors.NotFound, trakt_errors.ClientError, trakt_errors.VipOnly)


class Outcome:
    DELIVERED = "delivered"
    REJECTED = "rejected"
    RETRY = "retry"


@dataclass
class SendResult:
    action: Action
    status: str
    response: Any = None
    pending: Optional[PendingItem] = None
    error: Optional[BaseException] = None

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "done")


class ScrobbleSender:
    """Sends the actions of one playback of ``media`` with a :class:`TraktClient`.

    With an ``outbox``, failed pauses/stops are put there and a successful scrobble removes a
    stale queued progress of the same media. Without one, read ``SendResult.pending``. ``keep``,
    when given, receives the failed item instead of ``outbox.put`` (the service routes a missed
    watched stop to the sync database's outbox).
    """

    def __init__(
        self,
        client: Any,
        media: MediaRef,
        outbox: Optional[Outbox] = None,
        keep: Optional[Callable[[PendingItem], None]] = None,
    ) -> None:
        self.client = client
        self.media = media
        self.outbox = outbox
        self.keep = keep

    def send_all(self, actions: Iterable[Action]) -> List[SendResult]:
        return [self.send(action) for action in actions]

    def send(self, action: Action) -> SendResult:
        if action.kind == FAILED:
            return SendResult(action, "skipped")
        body = self.media.scrobble_body(action.progress)
        try:
            response = self.client.post(action.path, body, idempotent=True)
        except trakt_errors.Conflict as exc:
            log.info("scrobble %s: Trakt already has it (409)", action.kind)
            self._superseded()
            return SendResult(action, "done", error=exc)
        except PERMANENT_ERRORS as exc:
            log.warning("scrobble %s rejected by Trakt: %s", action.kind, exc)
            return SendResult(action, "dropped", error=exc)
        except (trakt_errors.TraktError, trakt_errors.Aborted) as exc:
            pending = pending_for_failure(self.media, action)
            log.warning(
                "scrobble %s at %.2f%% not sent (%s): %s",
                action.kind,
                action.progress,
                type(exc).__name__,
                "kept for later" if pending else "dropped",
            )
            if pending is not None and self.keep is not None:
                self.keep(pending)
            elif pending is not None and self.outbox is not None:
                self.outbox.put(pending)
            return SendResult(
                action, "pending" if pending else "failed", pending=pending, error=exc
            )
        log.info("scrobble %s at %.2f%% sent", action.kind, action.progress)
        self._superseded()
        return SendResult(action, "sent", response=response)

    def _superseded(self) -> None:
        if self.outbox is not None:
            self.outbox.discard(progress_key(self.media))


def _parse_time(text: Any) -> Optional[float]:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def already_in_history(client: Any, item: PendingItem) -> bool:
    """Does Trakt's history hold this play (same item, watched_at within 1 s)?

    False when it cannot tell (no Trakt id known, or the lookup is rejected); network errors
    propagate, so the item stays pending.
    """
    media = MediaRef.from_dict(item.media)
    lookup = media.history_lookup()
    when = _parse_time(item.watched_at)
    if lookup is None or when is None:
        return False
    kind, trakt_id = lookup
    params = {"start_at": item.watched_at, "end_at": item.watched_at, "page": 1, "limit": 100}
    try:
        entries = client.get(f"/sync/history/{kind}/{trakt_id}", params=params)
    except PERMANENT_ERRORS:
        return False
    for entry in entries if isinstance(entries, list) else []:
        seen = _parse_time(entry.get("watched_at")) if isinstance(entry, dict) else None
        if seen is not None and abs(seen - when) < 1.0 and media.same_item(entry):
            return True
    return False


def _history_not_found(response: Any) -> bool:
    if not isinstance(response, dict):
        return False
    added = response.get("added") or {}
    nothing_added = not any(v for v in added.values() if isinstance(v, int))
    not_found = response.get("not_found") or {}
    return nothing_added and any(not_found.get(k) for k in not_found)


def deliver_pending(client: Any, item: PendingItem) -> str:
    """Send one outbox item; an :class:`Outcome` value."""
    try:
        if item.kind == HISTORY:
            if already_in_history(client, item):
                log.info("outbox: the play is already in the Trakt history")
                return Outcome.DELIVERED
            response = client.post(item.path, item.body)
            if _history_not_found(response):
                log.warning("outbox: Trakt does not know this item; dropping the play")
                return Outcome.REJECTED
        else:
            client.post(item.path, item.body, idempotent=True)
    except trakt_errors.Conflict:
        return Outcome.DELIVERED
    except PERMANENT_ERRORS as exc:
        log.warning("outbox: %s rejected by Trakt: %s", item.kind, exc)
        return Outcome.REJECTED
    except (trakt_errors.TraktError, trakt_errors.Aborted) as exc:
        log.info("outbox: %s still not deliverable (%s)", item.kind, type(exc).__name__)
        return Outcome.RETRY
    return Outcome.DELIVERED


__all__ = [
    "PERMANENT_ERRORS",
    "Outcome",
    "ScrobbleSender",
    "SendResult",
    "already_in_history",
    "deliver_pending",
]
