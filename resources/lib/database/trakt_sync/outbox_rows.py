"""The outbox's kinds, the :class:`LocalAction` a row holds, and reading the stored rows.

The bottom layer of the outbox: ``outbox.py`` (queueing), ``outbox_mirror.py`` (a change's
effect on the mirror) and ``outbox_push.py`` (sending) all build on it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

log = logging.getLogger(__name__)

WATCH = "watch"
UNWATCH = "unwatch"
WATCHLIST_ADD = "watchlist_add"
WATCHLIST_REMOVE = "watchlist_remove"
HIDE = "hide"
REMOVE_PLAYBACK = "remove_playback"
LIST_ADD = "list_add"
LIST_REMOVE = "list_remove"
LIST_KINDS = (LIST_ADD, LIST_REMOVE)
RATE = "rate"
UNRATE = "unrate"
RATING_KINDS = (RATE, UNRATE)

MEDIA_TYPES = {
    WATCH: ("movie", "episode"),
    UNWATCH: ("movie", "episode"),
    WATCHLIST_ADD: ("movie", "show"),
    WATCHLIST_REMOVE: ("movie", "show"),
    HIDE: ("show",),
    REMOVE_PLAYBACK: ("movie", "episode"),
    LIST_ADD: ("movie", "show"),
    LIST_REMOVE: ("movie", "show"),
    RATE: ("movie", "show", "episode"),
    UNRATE: ("movie", "show", "episode"),
}
KINDS = tuple(MEDIA_TYPES)
OPPOSITE = {
    WATCHLIST_ADD: WATCHLIST_REMOVE,
    WATCHLIST_REMOVE: WATCHLIST_ADD,
    LIST_ADD: LIST_REMOVE,
    LIST_REMOVE: LIST_ADD,
}
HIDDEN_SECTION = "progress_watched"

PENDING = "pending"
SENDING = "sending"


def _positive(value: Any, name: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("%s must be an integer" % name)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("%s must be positive" % name)
    return value


@dataclass(frozen=True)
class LocalAction:
    """One context-menu action on one item.

    ``media_type`` movie: ``trakt_id`` is the movie; show: ``trakt_id`` is the show; episode:
    ``show_id``, ``season`` (0 = specials) and ``number`` (``trakt_id`` optional).
    ``list_id``: the personal list of a ``list_add`` / ``list_remove``.
    ``title``, ``year``, ``imdb_id``: a label for an item the mirror does not know yet (a
    catalog or search item), so its new watchlist row has a name before the next sync.
    ``rating``: the 1-10 of a ``rate``.
    """

    kind: str
    media_type: str
    trakt_id: Optional[int] = None
    show_id: Optional[int] = None
    season: Optional[int] = None
    number: Optional[int] = None
    list_id: Optional[int] = None
    title: Optional[str] = None
    year: Optional[int] = None
    imdb_id: Optional[str] = None
    rating: Optional[int] = None

    def validate(self) -> LocalAction:
        """Raise ValueError unless this action is well formed; returns self."""
        if self.kind not in MEDIA_TYPES:
            raise ValueError("unknown kind")
        if self.media_type not in MEDIA_TYPES[self.kind]:
            raise ValueError("%s does not apply to a %s" % (self.kind, self.media_type))
        if self.media_type == "episode":
            _positive(self.show_id, "show")
            _positive(self.season, "season", allow_zero=True)
            _positive(self.number, "episode")
            if self.trakt_id is not None:
                _positive(self.trakt_id, "trakt")
        else:
            _positive(self.trakt_id, "trakt")
        if self.kind in LIST_KINDS:
            _positive(self.list_id, "list")
        if self.kind == RATE and (_positive(self.rating, "rating") > 10):
            raise ValueError("rating must be 1 to 10")
        if self.title is not None and not isinstance(self.title, str):
            raise ValueError("title must be text")
        if self.year is not None:
            _positive(self.year, "year")
        if self.imdb_id is not None and not isinstance(self.imdb_id, str):
            raise ValueError("imdb id must be text")
        return self

    @property
    def item_key(self) -> str:
        if self.kind in LIST_KINDS:  # add and remove cancel out on the same list only
            return "list:%d:%s:%d" % (self.list_id, self.media_type, self.trakt_id)
        if self.kind in RATING_KINDS:  # a rating merges with queued ratings of the item only
            return "rating:" + self._media_key
        return self._media_key

    @property
    def _media_key(self) -> str:
        if self.media_type == "episode":
            return "episode:%d:%d:%d" % (self.show_id, self.season, self.number)
        return "%s:%d" % (self.media_type, self.trakt_id)

    @property
    def unit(self) -> str:
        """The sync unit whose pull covers this change."""
        if self.kind in (WATCH, UNWATCH):
            return "watched_movies" if self.media_type == "movie" else "watched_shows"
        if self.kind in LIST_KINDS:
            return "lists_personal"
        if self.kind in RATING_KINDS:
            return "ratings"
        if self.kind in OPPOSITE:
            return "watchlist"
        return "hidden" if self.kind == HIDE else "playback"

    def to_payload(self) -> Dict[str, Any]:
        payload: Dict[str, Any] = {
            "type": self.media_type,
            "trakt": self.trakt_id,
            "show": self.show_id,
            "season": self.season,
            "number": self.number,
            "list": self.list_id,
        }
        labels = {
            "title": self.title,
            "year": self.year,
            "imdb": self.imdb_id,
            "rating": self.rating,
        }
        payload.update((name, value) for name, value in labels.items() if value is not None)
        return payload

    @classmethod
    def from_row(cls, kind: str, payload: Dict[str, Any]) -> LocalAction:
        return cls(
            kind=kind,
            media_type=str(payload.get("type")),
            trakt_id=payload.get("trakt"),
            show_id=payload.get("show"),
            season=payload.get("season"),
            number=payload.get("number"),
            list_id=payload.get("list"),
            title=payload.get("title"),
            year=payload.get("year"),
            imdb_id=payload.get("imdb"),
            rating=payload.get("rating"),
        ).validate()


@dataclass
class OutboxRow:
    """One queued change as stored."""

    id: int
    key: str
    kind: str
    item_key: str
    payload: Dict[str, Any]
    created_at: str
    attempts: int
    last_error: Optional[str]
    state: str
    next_attempt_ts: float

    @property
    def action(self) -> LocalAction:
        return LocalAction.from_row(self.kind, self.payload)


_COLUMNS = (
    "id, idempotency_key, kind, item_key, payload, created_at, attempts, last_error, state, "
    "next_attempt_ts"
)
_SELECT_ROWS = "SELECT " + _COLUMNS + " FROM outbox ORDER BY id"  # noqa: S608 - fixed text


def _to_row(record: Any) -> Optional[OutboxRow]:
    try:
        payload = json.loads(record[4])
    except (TypeError, ValueError):
        payload = None
    if not isinstance(payload, dict):
        log.warning("outbox row %s has an unreadable payload", record[0])
        return None
    return OutboxRow(
        int(record[0]),
        record[1],
        record[2],
        record[3],
        payload,
        record[5],
        int(record[6] or 0),
        record[7],
        record[8],
        float(record[9] or 0.0),
    )


def rows(conn: sqlite3.Connection) -> List[OutboxRow]:
    """Every queued change, oldest first (unreadable rows are skipped)."""
    found = (_to_row(record) for record in conn.execute(_SELECT_ROWS).fetchall())
    return [row for row in found if row is not None]


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
