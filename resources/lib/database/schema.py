"""Schema of ``trakt_sync.db``: named, ordered migrations, each applied in its own transaction.

The applied versions are recorded in ``schema_migrations`` (version, name, applied_at);
``current_version(conn)`` is the highest one. A migration only adds (tables, columns, indexes) or
transforms data in place: no migration ever drops user data. ``migrate(conn)`` brings a database
of any older version up to :data:`LATEST_VERSION`; a database of a *newer* version (written by a
newer add-on after a downgrade) is left alone and used as is.

Tables (version where they appeared). Times are ISO 8601 UTC strings as Trakt sends them
(``2026-01-02T03:04:05.000Z``) unless named ``*_ts`` (Unix seconds, local clock). Trakt ids are
the keys; slug/imdb/tmdb/tvdb are informational and may be NULL.

``meta`` (1)
    key/value: ``trakt_user`` (slug of the account the data belongs to), ``trakt_username``,
    ``last_sync_at`` (ISO time of the last run that committed without error).
``activities`` (1)
    one row per sync unit (``watched_movies``, ``watched_shows``, ``watchlist``, ``playback``,
    ``hidden``, ``collection``, ``ratings``): ``cursor`` is a JSON object of the REMOTE
    ``/sync/last_activities`` timestamps that unit covers, as of its last successful apply
    (written in the same transaction as the data); ``synced_at`` is when that happened.
    Deleting a row forces that unit to re-sync.
``shows`` (1)
    shows with watched episodes: ids, title, year, status, ``aired_episodes`` (from Trakt's
    progress data or counted from metadata), ``completed_episodes`` (watched episodes after
    ``reset_at``, specials excluded), ``plays``, ``last_watched_at``, ``reset_at`` (the user
    restarted the show: earlier plays do not count for progress), ``metadata_checked_ts`` (when
    the season/episode metadata was last fetched or tried), ``has_metadata``.
``episodes`` (1)
    key (show_id, season, number); metadata (ids, title, first_aired, runtime) when
    ``has_metadata`` = 1, and watch state (``plays``, ``last_watched_at``). Cascades from shows.
``movies`` (1)
    watched movies: ids, title, year, ``plays``, ``last_watched_at``.
``watchlist`` (1)
    key (media_type, trakt_id); ``list_id`` (Trakt's list item id), ``rank``, ``listed_at``,
    ``notes``, ids, title, year; for seasons/episodes also show_id/show_title/season/number.
``bookmarks`` (1)
    playback (resume) points: key ``playback_id``; ``media_type`` movie|episode, ``trakt_id``
    (movie or episode id), ``progress`` (percent, float), ``paused_at``, titles and ids of the
    movie or episode and its show.
``hidden`` (1)
    key (section, media_type, trakt_id): section is ``progress_watched``,
    ``progress_watched_reset``, ``progress_collected``, ``calendar``, ``dropped`` or
    ``recommendations``; media_type
    movie|show|season (for seasons, ``show_id`` and ``season`` are set).
``sync_lease`` (1)
    cross-process lease: ``name`` ('sync'), ``owner`` (pid + random), ``acquired_ts``,
    ``expires_ts``. A lease past its expiry may be taken over.
``sync_runs`` (1)
    one row per sync run: ``started_at``, ``finished_at``, ``trigger``, ``duration`` (s),
    ``requests``, ``changes`` (JSON ``{unit: {added, changed, removed}}``), ``status``, ``error``.
``collection`` (2)
    key (media_type, trakt_id): collected movies and episodes (``show_id``/season/number for
    episodes), ``collected_at``.
``ratings`` (2)
    key (media_type, trakt_id): movie|show|season|episode, ``rating`` 1-10, ``rated_at``.

Version 3 adds the indexes the read queries use (Next Up, in progress, watchlist ordering).

Version 4 adds ``shows.metadata_pending`` (1 = the season metadata must be (re)fetched; set when
a fetch is due or failed, cleared on success) and ``shows.metadata_retry_ts`` (not before this
Unix time: the next sync after a transient error, a day after a 404).

Version 5 adds the (show_id, last_watched_at) index Next Up uses to find each show's most
recently watched episode, and a (media_type, trakt_id) index on bookmarks for its resume points.

Version 6 adds ``outbox`` (6): local changes (context-menu actions) waiting to be pushed to Trakt,
written in the same transaction as their effect on the mirror. ``id`` (push order),
``idempotency_key`` (uuid4), ``kind`` (watch, unwatch, watchlist_add, watchlist_remove, hide,
remove_playback), ``item_key`` (``movie:<id>``, ``show:<id>``, ``episode:<show>:<s>:<n>``),
``payload`` (JSON), ``created_at`` (ISO UTC time of the local change), ``attempts``,
``last_error``, ``state`` (``pending`` | ``sending``: a POST may have reached Trakt),
``next_attempt_ts`` (Unix time; backoff after a failure). See ``trakt_sync/outbox.py``.

Migration ``endpoint_not_offered`` adds ``endpoint_not_offered`` (``endpoint`` = API URL + path,
``until_ts``: skipped until then because the server answered 404, ``first_seen_ts``,
``last_seen_ts``) and ``sync_runs.failures`` (JSON list of ``{unit, part, reason, retry_at}``,
see ``trakt_sync/failures.py``).

Migration ``next_up_table`` (issue 13) adds ``next_up`` (``show_id``, ``next_key`` = season *
100000 + number or NULL, a copy of that episode's ids/title/air date/runtime, ``valid_until`` =
air time of the first regular episode not aired when computed, ``computed_at``) and the
triggers on ``episodes`` and ``shows`` that delete a show's row when its answer may change;
see ``trakt_sync/next_up_table.py``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Optional, Sequence, Tuple

from .connection import write_transaction

log = logging.getLogger(__name__)

Migration = Tuple[int, str, Sequence[str]]

_V1_INITIAL = (
    """CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL)""",
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)""",
    """CREATE TABLE activities (
        category TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        synced_at TEXT NOT NULL)""",
    """CREATE TABLE shows (
        trakt_id INTEGER PRIMARY KEY,
        slug TEXT, imdb_id TEXT, tmdb_id INTEGER, tvdb_id INTEGER,
        title TEXT, year INTEGER, status TEXT, runtime INTEGER,
        aired_episodes INTEGER,
        completed_episodes INTEGER NOT NULL DEFAULT 0,
        plays INTEGER NOT NULL DEFAULT 0,
        last_watched_at TEXT, last_updated_at TEXT, reset_at TEXT,
        metadata_checked_ts REAL,
        has_metadata INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE episodes (
        show_id INTEGER NOT NULL REFERENCES shows(trakt_id) ON DELETE CASCADE,
        season INTEGER NOT NULL,
        number INTEGER NOT NULL,
        trakt_id INTEGER, imdb_id TEXT, tmdb_id INTEGER, tvdb_id INTEGER,
        title TEXT, first_aired TEXT, runtime INTEGER,
        has_metadata INTEGER NOT NULL DEFAULT 0,
        plays INTEGER NOT NULL DEFAULT 0,
        last_watched_at TEXT,
        PRIMARY KEY (show_id, season, number)) WITHOUT ROWID""",
    """CREATE TABLE movies (
        trakt_id INTEGER PRIMARY KEY,
        slug TEXT, imdb_id TEXT, tmdb_id INTEGER,
        title TEXT, year INTEGER, runtime INTEGER,
        plays INTEGER NOT NULL DEFAULT 0,
        last_watched_at TEXT, last_updated_at TEXT)""",
    """CREATE TABLE watchlist (
        media_type TEXT NOT NULL,
        trakt_id INTEGER NOT NULL,
        list_id INTEGER, rank INTEGER, listed_at TEXT, notes TEXT,
        slug TEXT, imdb_id TEXT, tmdb_id INTEGER, tvdb_id INTEGER,
        title TEXT, year INTEGER,
        show_id INTEGER, show_title TEXT, season INTEGER, number INTEGER,
        PRIMARY KEY (media_type, trakt_id))""",
    """CREATE TABLE bookmarks (
        playback_id INTEGER PRIMARY KEY,
        media_type TEXT NOT NULL,
        trakt_id INTEGER NOT NULL,
        progress REAL NOT NULL,
        paused_at TEXT,
        slug TEXT, imdb_id TEXT, tmdb_id INTEGER, tvdb_id INTEGER,
        title TEXT, year INTEGER,
        show_id INTEGER, show_title TEXT, show_year INTEGER,
        show_imdb_id TEXT, show_tmdb_id INTEGER, show_tvdb_id INTEGER,
        season INTEGER, number INTEGER)""",
    """CREATE TABLE hidden (
        section TEXT NOT NULL,
        media_type TEXT NOT NULL,
        trakt_id INTEGER NOT NULL,
        hidden_at TEXT,
        slug TEXT, title TEXT, year INTEGER,
        show_id INTEGER, season INTEGER,
        PRIMARY KEY (section, media_type, trakt_id))""",
    """CREATE TABLE sync_lease (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        acquired_ts REAL NOT NULL,
        expires_ts REAL NOT NULL)""",
    """CREATE TABLE sync_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        started_ts REAL NOT NULL,
        finished_at TEXT,
        trigger TEXT,
        duration REAL,
        requests INTEGER,
        changes TEXT,
        status TEXT,
        error TEXT)""",
    "CREATE INDEX sync_runs_by_start ON sync_runs(started_ts)",
)

_V2_COLLECTION_RATINGS = (
    """CREATE TABLE collection (
        media_type TEXT NOT NULL,
        trakt_id INTEGER NOT NULL,
        collected_at TEXT,
        slug TEXT, imdb_id TEXT, tmdb_id INTEGER, tvdb_id INTEGER,
        title TEXT, year INTEGER,
        show_id INTEGER, season INTEGER, number INTEGER,
        PRIMARY KEY (media_type, trakt_id))""",
    """CREATE TABLE ratings (
        media_type TEXT NOT NULL,
        trakt_id INTEGER NOT NULL,
        rating INTEGER NOT NULL,
        rated_at TEXT,
        title TEXT, year INTEGER,
        show_id INTEGER, season INTEGER, number INTEGER,
        PRIMARY KEY (media_type, trakt_id))""",
)

_V3_READ_INDEXES = (
    "CREATE INDEX episodes_watched ON episodes(show_id, plays, season, number)",
    "CREATE INDEX shows_last_watched ON shows(last_watched_at)",
    "CREATE INDEX watchlist_by_rank ON watchlist(media_type, rank)",
    "CREATE INDEX watchlist_by_listed ON watchlist(media_type, listed_at)",
    "CREATE INDEX bookmarks_by_paused ON bookmarks(paused_at)",
    "CREATE INDEX hidden_by_item ON hidden(media_type, trakt_id, section)",
)

_V4_METADATA_RETRY = (
    "ALTER TABLE shows ADD COLUMN metadata_pending INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE shows ADD COLUMN metadata_retry_ts REAL",
    # Shows that never got metadata although they have episodes left to watch: fetch them again.
    "UPDATE shows SET metadata_pending = 1 WHERE has_metadata = 0 AND metadata_checked_ts "
    "IS NOT NULL",
)

_V5_NEXT_UP_INDEX = (
    "CREATE INDEX episodes_by_last_watched ON episodes(show_id, last_watched_at, season, number)",
    "CREATE INDEX bookmarks_by_item ON bookmarks(media_type, trakt_id)",
)

_V6_OUTBOX = (
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        item_key TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        next_attempt_ts REAL NOT NULL DEFAULT 0)""",
    "CREATE INDEX outbox_by_item ON outbox(item_key)",
)

# Issue 10: endpoints a server answers with 404 ("not offered", skipped for a day), and the
# failure records (JSON: unit, part, reason code, retry time) of every sync run.
_V7_ENDPOINT_NOT_OFFERED = (
    """CREATE TABLE endpoint_not_offered (
        endpoint TEXT PRIMARY KEY,
        until_ts REAL NOT NULL,
        first_seen_ts REAL NOT NULL,
        last_seen_ts REAL NOT NULL)""",
    "ALTER TABLE sync_runs ADD COLUMN failures TEXT",
)

# Version 8: the user's personal lists and liked lists (``trakt_sync/lists.py``). ``kind`` is
# ``personal`` or ``liked``; ``items_updated_at`` is the list's ``updated_at`` when its items were
# last fetched (the per-list delta). Items are keyed by (list, media type, Trakt id).
_V8_TRAKT_LISTS = (
    """CREATE TABLE IF NOT EXISTS trakt_lists (
        kind TEXT NOT NULL,
        list_id INTEGER NOT NULL,
        name TEXT,
        slug TEXT,
        description TEXT,
        privacy TEXT,
        item_count INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT,
        liked_at TEXT,
        owner TEXT,
        owner_slug TEXT,
        position INTEGER,
        items_updated_at TEXT,
        PRIMARY KEY (kind, list_id)
    )""",
    """CREATE TABLE IF NOT EXISTS trakt_list_items (
        list_id INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        trakt_id INTEGER NOT NULL,
        entry_id INTEGER,
        rank INTEGER,
        listed_at TEXT,
        notes TEXT,
        slug TEXT,
        imdb_id TEXT,
        tmdb_id INTEGER,
        tvdb_id INTEGER,
        title TEXT,
        year INTEGER,
        show_id INTEGER,
        show_title TEXT,
        season INTEGER,
        number INTEGER,
        PRIMARY KEY (list_id, media_type, trakt_id)
    )""",
    "CREATE INDEX IF NOT EXISTS trakt_list_items_rank ON trakt_list_items (list_id, rank)",
)

# Issue 13: each show's Next Up answer, stored (trakt_sync/next_up_table.py). The triggers delete
# a show's row in the transaction of any change its answer depends on; an absent row is
# recomputed by the sync or the next read. The table keeps a copy of the episode's fields the
# view shows; an update that changes none of the columns used (plays of another show's
# episode, say) leaves the row alone.
_V9_NEXT_UP_TABLE = (
    """CREATE TABLE next_up (
        show_id INTEGER PRIMARY KEY,
        next_key INTEGER,
        season INTEGER, number INTEGER,
        trakt_id INTEGER, imdb_id TEXT, tmdb_id INTEGER, tvdb_id INTEGER,
        title TEXT, first_aired TEXT, runtime INTEGER,
        valid_until TEXT,
        computed_at TEXT NOT NULL)""",
    """CREATE TRIGGER next_up_episode_inserted AFTER INSERT ON episodes BEGIN
        DELETE FROM next_up WHERE show_id = NEW.show_id; END""",
    """CREATE TRIGGER next_up_episode_deleted AFTER DELETE ON episodes BEGIN
        DELETE FROM next_up WHERE show_id = OLD.show_id; END""",
    """CREATE TRIGGER next_up_episode_updated
        AFTER UPDATE OF show_id, season, number, plays, last_watched_at, first_aired,
            has_metadata, trakt_id, imdb_id, tmdb_id, tvdb_id, title, runtime ON episodes
        WHEN OLD.show_id IS NOT NEW.show_id OR OLD.season IS NOT NEW.season
            OR OLD.number IS NOT NEW.number OR OLD.plays IS NOT NEW.plays
            OR OLD.last_watched_at IS NOT NEW.last_watched_at
            OR OLD.first_aired IS NOT NEW.first_aired OR OLD.has_metadata IS NOT NEW.has_metadata
            OR OLD.trakt_id IS NOT NEW.trakt_id OR OLD.imdb_id IS NOT NEW.imdb_id
            OR OLD.tmdb_id IS NOT NEW.tmdb_id OR OLD.tvdb_id IS NOT NEW.tvdb_id
            OR OLD.title IS NOT NEW.title OR OLD.runtime IS NOT NEW.runtime
        BEGIN DELETE FROM next_up WHERE show_id IN (OLD.show_id, NEW.show_id); END""",
    """CREATE TRIGGER next_up_show_inserted AFTER INSERT ON shows BEGIN
        DELETE FROM next_up WHERE show_id = NEW.trakt_id; END""",
    """CREATE TRIGGER next_up_show_deleted AFTER DELETE ON shows BEGIN
        DELETE FROM next_up WHERE show_id = OLD.trakt_id; END""",
    """CREATE TRIGGER next_up_show_updated AFTER UPDATE OF trakt_id, reset_at, has_metadata ON shows
        WHEN OLD.trakt_id IS NOT NEW.trakt_id OR OLD.reset_at IS NOT NEW.reset_at
            OR OLD.has_metadata IS NOT NEW.has_metadata
        BEGIN DELETE FROM next_up WHERE show_id IN (OLD.trakt_id, NEW.trakt_id); END""",
)

MIGRATIONS: Tuple[Migration, ...] = (
    (1, "initial", _V1_INITIAL),
    (2, "collection_and_ratings", _V2_COLLECTION_RATINGS),
    (3, "read_query_indexes", _V3_READ_INDEXES),
    (4, "metadata_retry", _V4_METADATA_RETRY),
    (5, "next_up_index", _V5_NEXT_UP_INDEX),
    (6, "outbox", _V6_OUTBOX),
    (7, "endpoint_not_offered", _V7_ENDPOINT_NOT_OFFERED),
    (8, "trakt_lists", _V8_TRAKT_LISTS),
    (9, "next_up_table", _V9_NEXT_UP_TABLE),
)
LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    """Highest applied migration, 0 for an empty database."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def migrate(conn: sqlite3.Connection, target: Optional[int] = None) -> int:
    """Apply every migration above the current version (up to ``target``); returns the version.

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with its
    ``schema_migrations`` row, so a crash leaves the database at the previous version. Two
    processes migrating at once serialise on the write lock; the second one re-reads the version
    inside its transaction and skips what is already applied.
    """
    target = LATEST_VERSION if target is None else target
    for version, name, statements in MIGRATIONS:
        if version > target:
            break
        if version <= current_version(conn):
            continue
        with write_transaction(conn):
            if version <= current_version(conn):
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, _now_iso()),
            )
        log.info("database schema migrated to version %d (%s)", version, name)
    version = current_version(conn)
    if version > LATEST_VERSION:
        log.warning("database schema %d is newer than this add-on (%d)", version, LATEST_VERSION)
    return version
