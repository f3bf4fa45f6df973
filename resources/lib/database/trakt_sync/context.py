"""What a sync unit sees while it runs: the client, abort checks, the clock, shared notes.

A *unit* is the smallest piece of a category with its own cursor and its own transaction
(``watched`` has two: movies and shows). ``fetch()`` does all the network work and returns plain
data; ``apply()`` writes it inside one transaction and touches no network. A failed fetch
therefore never deletes anything.

A unit built from several requests (hidden sections, collection types) lists them as ``parts``:
each part is fetched on its own (``fetch_part``) and ``apply_parts`` replaces only the parts that
answered, so one failing request keeps the rest of the unit, and only that part is retried.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from ...trakt import errors, ratelimit
from ...trakt.protocols import TraktApi
from .items import MalformedItem, skip
from .store import Changes

log = logging.getLogger(__name__)

ActivityKey = Tuple[str, str]


class SyncContext:
    """Per-run state shared by the units of one sync."""

    def __init__(
        self,
        client: TraktApi,
        should_abort: Optional[Callable[[], bool]],
        now: Optional[float] = None,
    ) -> None:
        self.client = client
        self._should_abort = should_abort
        self.now = time.time() if now is None else now
        # Shows whose watched state changed in this run (their metadata may need a refresh).
        self.touched_shows: Set[int] = set()
        # Shows the watched data says have more aired episodes than we have metadata for.
        self.aired_counts: Dict[int, int] = {}
        # Set by the engine: renews the sync lease during long fetches.
        self.heartbeat: Optional[Callable[[], None]] = None
        # The lease lives in the sync's own connection: only the sync's thread renews it (the
        # client also polls from threads that fetch show metadata ahead).
        self._thread = threading.get_ident()

    def check_abort_flag(self) -> bool:
        return self._should_abort is not None and bool(self._should_abort())

    def poll(self) -> bool:
        """The client's ``should_abort`` during a sync: also keeps the lease alive while the
        client waits (rate limits, Retry-After), then answers whether to abort."""
        if self.heartbeat is not None and threading.get_ident() == self._thread:
            self.heartbeat()
        return self.check_abort_flag()

    def check_abort(self) -> None:
        if self.check_abort_flag():
            raise errors.Aborted("sync aborted")
        if self.heartbeat is not None:
            self.heartbeat()

    def fetch_pages(self, path: str, params: Optional[Dict[str, Any]] = None) -> Iterator[Any]:
        """Every item of every page; abort is checked before each page and every 50 items.

        Pages are background requests for the rate limiter (they leave Trakt's reserve to the
        user's own actions)."""
        self.check_abort()
        with ratelimit.background():
            for index, item in enumerate(self.client.paginate(path, params)):
                if index % 50 == 49:
                    self.check_abort()
                yield item
        self.check_abort()

    def parse_all(
        self,
        category: str,
        items: Any,
        parse: Callable[[Any], Any],
    ) -> List[Any]:
        """``parse`` every item, skipping (with a log line) the malformed ones."""
        parsed = []
        for item in items:
            try:
                value = parse(item)
            except (MalformedItem, TypeError, ValueError, AttributeError, KeyError) as exc:
                skip(category, item, exc)
                continue
            if value is not None:
                parsed.append(value)
        return parsed


class Unit:
    """One independently synced piece of a category."""

    name = ""
    category = ""
    activity_keys: Tuple[ActivityKey, ...] = ()
    # The API path of a single-request unit (its endpoint for the "not offered" marks).
    path = ""
    # The requests a unit is built from; a single-request unit has the one part "all".
    parts: Tuple[str, ...] = ("all",)

    def endpoint(self, part: str) -> str:
        """The API path ``part`` is fetched from."""
        return self.path

    def fetch(self, ctx: SyncContext) -> Any:
        raise NotImplementedError

    def apply(self, conn: sqlite3.Connection, data: Any, ctx: SyncContext) -> Changes:
        raise NotImplementedError

    def fetch_part(self, ctx: SyncContext, part: str) -> Any:
        return self.fetch(ctx)

    def apply_parts(
        self, conn: sqlite3.Connection, data: Dict[str, Any], ctx: SyncContext
    ) -> Changes:
        """Write the parts in ``data`` (part -> fetched data); the other parts stay as they are."""
        return self.apply(conn, data[self.parts[0]], ctx)
