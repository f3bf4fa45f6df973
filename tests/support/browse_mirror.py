"""A Trakt mirror seeded with the state the browse tests look at, through real SQLite rows.

Breaking Bad (``tt0903747``, Trakt 1388; the AIOStreams sandbox has its meta): S1E1 watched
twice, S1E2 once, S1E3 paused at 40 % (Next Up), the rest unwatched. Movies: The Shawshank
Redemption watched, The Matrix paused at 60 %, The Godfather on the watchlist.
"""

from __future__ import annotations

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase

SHOW_ID = 1388


def seed_mirror(path: str) -> TraktSyncDatabase:
    db = TraktSyncDatabase(path)
    conn = db.connection
    with write_transaction(conn):
        conn.execute(
            "INSERT INTO shows (trakt_id, imdb_id, title, year, has_metadata, aired_episodes, "
            "completed_episodes, plays, last_watched_at) VALUES (?, 'tt0903747', "
            "'Breaking Bad', 2008, 1, 12, 2, 3, '2024-01-02T00:00:00.000Z')",
            (SHOW_ID,),
        )
        for season, count in ((0, 2), (1, 7), (2, 5)):
            for number in range(1, count + 1):
                plays = {(1, 1): 2, (1, 2): 1}.get((season, number), 0)
                watched = "2024-01-0%dT00:00:00.000Z" % number if plays else None
                conn.execute(
                    "INSERT INTO episodes (show_id, season, number, trakt_id, title, "
                    "first_aired, has_metadata, plays, last_watched_at) "
                    "VALUES (?, ?, ?, ?, ?, '2009-01-01T00:00:00.000Z', 1, ?, ?)",
                    (
                        SHOW_ID,
                        season,
                        number,
                        70000 + season * 100 + number,
                        "E%d" % number,
                        plays,
                        watched,
                    ),
                )
        conn.execute(
            "INSERT INTO bookmarks (playback_id, media_type, trakt_id, progress, paused_at, "
            "show_id, show_imdb_id, season, number) VALUES (1, 'episode', 70103, 40.0, "
            "'2024-01-03T00:00:00.000Z', ?, 'tt0903747', 1, 3)",
            (SHOW_ID,),
        )
        conn.execute(
            "INSERT INTO movies (trakt_id, imdb_id, title, plays, last_watched_at) VALUES "
            "(1, 'tt0111161', 'The Shawshank Redemption', 1, '2023-05-01T00:00:00.000Z')"
        )
        conn.execute(
            "INSERT INTO bookmarks (playback_id, media_type, trakt_id, progress, paused_at, "
            "imdb_id, title) VALUES (2, 'movie', 2, 60.0, '2024-02-01T00:00:00.000Z', "
            "'tt0133093', 'The Matrix')"
        )
        conn.execute(
            "INSERT INTO watchlist (media_type, trakt_id, rank, listed_at, imdb_id, title) "
            "VALUES ('movie', 3, 1, '2024-03-01T00:00:00.000Z', 'tt0068646', 'The Godfather')"
        )
    return db
