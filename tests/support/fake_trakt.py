"""A scripted in-memory Trakt client for the sync engine's unit tests: answers from a dict of
path -> JSON, raises what ``fail`` maps a path to, pages like the real client (and aborts between
pages), plus builders for the items it serves.
"""

from __future__ import annotations

import copy

from resources.lib.trakt import errors

T0 = "2026-01-01T00:00:00.000Z"
T1 = "2026-01-02T00:00:00.000Z"
T2 = "2026-01-03T00:00:00.000Z"
PAST = "2020-01-01T00:00:00.000Z"


def movie(trakt, title="Movie", year=2000):
    return {
        "title": title,
        "year": year,
        "ids": {"trakt": trakt, "slug": "m-%d" % trakt, "imdb": "tt%07d" % trakt, "tmdb": trakt},
    }


def show(trakt, title="Show", aired=3):
    return {
        "title": title,
        "year": 2010,
        "aired_episodes": aired,
        "ids": {"trakt": trakt, "slug": "s-%d" % trakt, "tvdb": trakt, "imdb": None, "tmdb": trakt},
    }


def activities(**overrides):
    data = {
        "all": T0,
        "movies": {
            "watched_at": T0,
            "watchlisted_at": T0,
            "paused_at": T0,
            "hidden_at": T0,
            "collected_at": T0,
            "rated_at": T0,
        },
        "episodes": {
            "watched_at": T0,
            "watchlisted_at": T0,
            "paused_at": T0,
            "collected_at": T0,
            "rated_at": T0,
        },
        "shows": {"watchlisted_at": T0, "hidden_at": T0, "dropped_at": T0, "rated_at": T0},
        "seasons": {"watchlisted_at": T0, "hidden_at": T0, "rated_at": T0},
        "watchlist": {"updated_at": T0},
        "account": {"settings_at": T0},
    }
    for dotted, value in overrides.items():
        group, key = dotted.split("__")
        data[group][key] = value
    return data


class FakeClient:
    """Answers from ``self.data`` (path -> JSON); ``fail`` maps path -> exception to raise."""

    def __init__(self):
        self.request_count = 0
        self.should_abort = None
        self.calls = []
        self.fail = {}
        self.page_size = 2
        self.data = {
            "/sync/last_activities": activities(),
            "/users/settings": {"user": {"username": "alice", "ids": {"slug": "alice"}}},
            "/sync/watched/movies": [
                {
                    "plays": 2,
                    "last_watched_at": PAST,
                    "last_updated_at": PAST,
                    "movie": movie(10, "Ten"),
                },
                {
                    "plays": 1,
                    "last_watched_at": PAST,
                    "last_updated_at": PAST,
                    "movie": movie(11, "Eleven"),
                },
            ],
            "/sync/watched/shows": [
                {
                    "plays": 2,
                    "last_watched_at": PAST,
                    "reset_at": None,
                    "show": show(100, "Hundred"),
                    "seasons": [
                        {
                            "number": 1,
                            "episodes": [
                                {
                                    "number": 1,
                                    "plays": 1,
                                    "last_watched_at": "2020-01-01T00:00:00.000Z",
                                },
                                {
                                    "number": 2,
                                    "plays": 1,
                                    "last_watched_at": "2020-01-02T00:00:00.000Z",
                                },
                            ],
                        }
                    ],
                },
            ],
            "/shows/100/seasons": [
                {
                    "number": 1,
                    "episodes": [
                        {
                            "season": 1,
                            "number": n,
                            "title": "Ep %d" % n,
                            "first_aired": "2019-0%d-01T00:00:00.000Z" % n,
                            "runtime": 30,
                            "ids": {"trakt": 1000 + n, "tvdb": None, "imdb": None, "tmdb": None},
                        }
                        for n in (1, 2, 3, 4)
                    ],
                },
            ],
            "/sync/watchlist": [
                {
                    "rank": 1,
                    "id": 1,
                    "listed_at": T0,
                    "notes": None,
                    "type": "movie",
                    "movie": movie(20, "Twenty"),
                },
                {
                    "rank": 2,
                    "id": 2,
                    "listed_at": T0,
                    "notes": "n",
                    "type": "show",
                    "show": show(200, "Two Hundred"),
                },
            ],
            "/sync/playback": [
                {
                    "progress": 42.5,
                    "paused_at": T0,
                    "id": 7,
                    "type": "movie",
                    "movie": movie(30, "Thirty"),
                },
            ],
            "/sync/collection/movies": [],
            "/sync/collection/shows": [],
            "/sync/ratings": [],
            "/users/me/lists": [],
            "/users/likes/lists": [],
        }

    def _answer(self, path):
        self.request_count += 1
        self.calls.append(path)
        if path in self.fail:
            exc = self.fail[path]
            raise exc
        if path.startswith("/users/hidden/"):
            return copy.deepcopy(self.data.get(path, []))
        return copy.deepcopy(self.data[path])

    def get(self, path, params=None, auth=True):
        return self._answer(path)

    def paginate(self, path, params=None, limit=250):
        items = self._answer(path)
        for start in range(0, len(items), self.page_size):
            if start and self.should_abort is not None and self.should_abort():
                raise errors.Aborted("aborted between pages")
            if start:
                self.request_count += 1
                self.calls.append(path)
            yield from items[start : start + self.page_size]
