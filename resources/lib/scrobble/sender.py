"""Turn :class:`~.state.Action` objects into Trakt scrobbles.

``ScrobbleSender.send(action)`` posts ``/scrobble/{start|pause|stop}``. Outcomes:
    ``sent``     Trakt accepted it (201)
    ``done``     409: Trakt already has this scrobble; nothing more to do
    ``pending``  could not be sent (offline, 5xx, 429, signed out): kept as a pending item
    ``failed``   could not be sent and not worth keeping (a start)
    ``dropped``  Trakt rejected it for good (404 unknown item, 422, ...)
    ``skipped``  nothing to send (a ``failed`` action: the player monitor handles it)
Scrobbles are posted with ``idempotent=True``: a repeated start/pause is harmless and a
repeated stop answers 409, which counts as done. Kept items are sent later by the outbox push
(``database.trakt_sync.scrobble_rows``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, List, Optional

from resources.lib.trakt import errors as trakt_errors

from .media import MediaRef
from .pending import PendingItem, PendingStore, pending_for_failure, progress_key
from .state import FAILED, Action

log = logging.getLogger(__name__)

PERMANENT_ERRORS = (trakt_errors.NotFound, trakt_errors.ClientError, trakt_errors.VipOnly)


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

    With an ``outbox`` (a :class:`~.pending.PendingStore`), failed pauses/stops are put there
    and a successful scrobble removes a stale queued progress of the same media. Without one,
    read ``SendResult.pending``. ``keep``, when given, receives the failed item instead of
    ``outbox.put`` (the service records a missed watched stop of a known item in the mirror).
    """

    def __init__(
        self,
        client: Any,
        media: MediaRef,
        outbox: Optional[PendingStore] = None,
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


__all__ = ["PERMANENT_ERRORS", "ScrobbleSender", "SendResult"]
