"""The sandbox's catalogs and metas, shaped like AIOStreams v2 answers (dev only).

Catalogs (declared in the manifest by :func:`manifest_catalogs`): ``movie``/``series``
``c1.top`` "Popular" (search, genre, skip; pages of 50), ``movie`` ``t2.trending`` "Trending"
(genre required with "None" first, like AIOStreams' "only on discover"; pages of 20),
``movie``/``series`` ``t2.search`` "TMDB Search" (search required; ids ``tmdb:N`` with an
``imdb_id`` field, overlapping ``c1.top``), ``anime`` ``k3.airing`` (``kitsu:N`` ids, no IMDb id)
and ``movie`` ``x4.broken`` (its add-on fails: an error meta on the first page, ``[]`` with skip,
as AIOStreams answers).

Metas: hand-made series (specials listed first, unaired episodes dated from *now*, an episode
without a date, Unicode titles, a show without any art) and movies; any other ``tt`` id gets a
deterministic generated meta (so a large Trakt account has art), except the ids in
:data:`NOT_FOUND_IDS` (404 ``NOT_FOUND``) and :data:`ADDON_ERROR_IDS` (an error meta).

Errors come back as AIOStreams sends them: HTTP 200 with ``{"metas": [error meta]}`` or
``{"meta": error meta}`` (wrong password, rate limit, a failing add-on), 404 JSON for a meta no
add-on handles. ``configure(sandbox, latency=S, fault=..., count=N)`` (or ``POST
/_control/browse``) adds latency or the next N faults: ``rate_limit``, ``unconfigured``,
``addon_error``, ``http_429``, ``http_500``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import threading
import time
import unicodedata
import urllib.parse
import weakref
from typing import Any, Dict, List, Optional, Tuple

GENRES = ("Action", "Comedy", "Drama", "Science Fiction", "Thriller", "Animation")
C1_PAGE = 50
T2_PAGE = 20
NOT_FOUND_IDS = frozenset({"tt0000404", "tt9990404"})
ADDON_ERROR_IDS = frozenset({"tt0000500"})
ART = "https://images.sandbox.invalid"
DAY = 86400.0

# (imdb, name, year, genres) - real ids where a stream exists in the sandbox.
MOVIES: Tuple[Tuple[str, str, int, Tuple[str, ...]], ...] = (
    ("tt0111161", "The Shawshank Redemption", 1994, ("Drama",)),
    ("tt0068646", "The Godfather", 1972, ("Drama", "Thriller")),
    ("tt0211915", "Le Fabuleux Destin d'Amélie Poulain", 2001, ("Comedy",)),
    ("tt0245429", "千と千尋の神隠し", 2001, ("Animation",)),
    ("tt0133093", "The Matrix", 1999, ("Action", "Science Fiction")),
    ("tt0816692", "Interstellar", 2014, ("Science Fiction", "Drama")),
    ("tt1375666", "Inception", 2010, ("Action", "Science Fiction", "Thriller")),
    ("tt0198781", "Monsters, Inc.", 2001, ("Animation", "Comedy")),
) + tuple(
    (f"tt80{n:05d}", f"Sandbox Movie {n:03d}", 1980 + n % 45, (GENRES[n % 6],))
    for n in range(1, 123)
)
SERIES: Tuple[Tuple[str, str, int, Tuple[str, ...]], ...] = (
    ("tt0903747", "Breaking Bad", 2008, ("Drama", "Thriller")),
    ("tt5753856", "Dark", 2017, ("Drama", "Science Fiction")),
    ("tt2560140", "進撃の巨人", 2013, ("Animation", "Action")),
    ("tt9900001", "Sandbox Upcoming", 2025, ("Comedy",)),
    ("tt9900002", "Sandbox Bare", 2020, ("Drama",)),
) + tuple(
    (f"tt81{n:05d}", f"Sandbox Show {n:03d}", 1990 + n % 35, (GENRES[n % 6],)) for n in range(1, 56)
)


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )


def _seed(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)


def manifest_catalogs() -> List[Dict[str, Any]]:
    genre = {"name": "genre", "isRequired": False, "options": list(GENRES)}
    return [
        {
            "type": "movie",
            "id": "c1.top",
            "name": "Popular",
            "extra": [{"name": "search", "isRequired": False}, genre, {"name": "skip"}],
        },
        {
            "type": "series",
            "id": "c1.top",
            "name": "Popular",
            "extra": [{"name": "search", "isRequired": False}, genre, {"name": "skip"}],
        },
        {
            "type": "movie",
            "id": "t2.trending",
            "name": "Trending",
            "extra": [
                {"name": "genre", "isRequired": True, "options": ["None"] + list(GENRES)},
                {"name": "skip"},
            ],
        },
        {
            "type": "movie",
            "id": "t2.search",
            "name": "TMDB Search",
            "extra": [{"name": "search", "isRequired": True}],
        },
        {
            "type": "series",
            "id": "t2.search",
            "name": "TMDB Search",
            "extra": [{"name": "search", "isRequired": True}],
        },
        {"type": "anime", "id": "k3.airing", "name": "Airing Anime", "extra": [{"name": "skip"}]},
        {"type": "movie", "id": "x4.broken", "name": "Broken List", "extra": [{"name": "skip"}]},
    ]


def error_meta(description: str, title: str = "[❌] AIOStreams - Error") -> Dict[str, Any]:
    """AIOStreams' ``createErrorMeta``: the error as an item (HTTP 200)."""
    options = {"errorTitle": title, "errorDescription": description}
    return {
        "id": "aiostreamserror." + urllib.parse.quote(json.dumps(options), safe=""),
        "name": title,
        "description": description,
        "type": "movie",
    }


def _art(imdb: str, kind: str) -> Optional[str]:
    if imdb == "tt9900002" or (imdb.startswith("tt8") and _seed(imdb) % 10 == 0):
        return None  # missing art, as many upstream metas are
    return f"{ART}/{kind}/{imdb}.jpg"


def _preview(imdb: str, name: str, year: int, genres: Tuple[str, ...], kind: str) -> Dict[str, Any]:
    item: Dict[str, Any] = {
        "id": imdb,
        "imdb_id": imdb,
        "type": kind,
        "name": name,
        "releaseInfo": str(year) if kind == "movie" else f"{year}-",
        "description": "{} ({}): a sandbox {} about {}.".format(
            name, year, "film" if kind == "movie" else "show", ", ".join(genres).lower()
        ),
        "genres": list(genres),
        "imdbRating": f"{5 + _seed(imdb) % 45 / 10:.1f}",
        "runtime": "{} min".format(90 + _seed(imdb) % 60 if kind == "movie" else 45),
    }
    for field, art in (("poster", "poster"), ("background", "fanart"), ("logo", "logo")):
        url = _art(imdb, art)
        if url:
            item[field] = url
    return item


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _filtered(pool, kind: str, search: Optional[str], genre: Optional[str]) -> List[Dict[str, Any]]:
    items = []
    for imdb, name, year, genres in pool:
        if search and _fold(search) not in _fold(name):
            continue
        if genre and genre != "None" and genre not in genres:
            continue
        items.append(_preview(imdb, name, year, genres, kind))
    return items


def catalog_metas(media_type: str, catalog_id: str, extras: Dict[str, str]) -> Optional[List[Any]]:
    """The metas of one catalog page, or None for an unknown catalog."""
    search, genre = extras.get("search"), extras.get("genre")
    try:
        skip = max(0, int(extras.get("skip") or 0))
    except ValueError:
        skip = 0
    pool = {"movie": MOVIES, "series": SERIES}.get(media_type)
    if catalog_id == "c1.top" and pool:
        return _filtered(pool, media_type, search, genre)[skip : skip + C1_PAGE]
    if catalog_id == "t2.trending" and media_type == "movie":
        return _filtered(MOVIES[:45], "movie", None, genre)[skip : skip + T2_PAGE]
    if catalog_id == "t2.search" and pool:
        if not search:
            return []
        found = _filtered(pool, media_type, search, genre)
        found.reverse()  # another add-on, another order
        for item in found:
            item["id"] = "tmdb:{}".format(_seed(item["imdb_id"]) % 900000)
        return found[skip : skip + T2_PAGE]
    if catalog_id == "k3.airing" and media_type == "anime":
        items = [
            {
                "id": f"kitsu:{n}",
                "type": "anime",
                "name": f"アニメ {n}",
                "poster": f"{ART}/poster/kitsu{n}.jpg",
            }
            for n in range(1, 31)
        ]
        return items[skip : skip + C1_PAGE]
    if catalog_id == "x4.broken" and media_type == "movie":
        return [] if skip else [error_meta("Request timed out", "[❌] Broken Add-on")]
    return None


def _episode(
    imdb: str,
    season: int,
    number: int,
    title: Optional[str],
    released: Optional[float],
    thumb: bool = True,
) -> Dict[str, Any]:
    video: Dict[str, Any] = {
        "id": f"{imdb}:{season}:{number}",
        "season": season,
        "episode": number,
        "number": number,
    }
    if title is not None:
        video["name"] = title
    if released is not None:
        video["released"] = _iso(released)
    if thumb:
        video["thumbnail"] = f"{ART}/thumb/{imdb}-{season}-{number}.jpg"
    video["overview"] = f"Season {season}, episode {number} of a sandbox show."
    return video


def _videos(imdb: str, now: float) -> List[Dict[str, Any]]:
    base = 1.2e9 + _seed(imdb) % 300 * DAY
    if imdb == "tt0903747":
        titles = (
            "Pilot",
            "Cat's in the Bag...",
            "...And the Bag's in the River",
            "Cancer Man",
            "Gray Matter",
            "Crazy Handful of Nothin'",
            None,
        )
        videos = [_episode(imdb, 0, n, f"Minisode {n}", base + n * DAY) for n in (1, 2)]
        videos += [_episode(imdb, 1, n + 1, t, base + n * 7 * DAY) for n, t in enumerate(titles)]
        return videos + [_episode(imdb, 2, n, None, base + (60 + n * 7) * DAY) for n in range(1, 6)]
    if imdb == "tt5753856":
        titles = ("Geheimnisse", "Lügen", "Vergangenheit und Gegenwart", "Doppelleben")
        return [_episode(imdb, 1, n + 1, t, base + n * DAY) for n, t in enumerate(titles)]
    if imdb == "tt2560140":
        titles = ("二千年後の君へ", "その日", "解散式の夜")
        return [_episode(imdb, 1, n + 1, t, base + n * 7 * DAY) for n, t in enumerate(titles)]
    if imdb == "tt9900001":
        videos = [_episode(imdb, 1, n, f"Old {n}", now - (40 - n) * DAY) for n in range(1, 5)]
        videos += [
            _episode(imdb, 2, 1, "Aired", now - 3 * DAY),
            _episode(imdb, 2, 2, "Aired too", now - DAY),
        ]
        videos += [
            _episode(imdb, 2, 3, "Next week", now + 7 * DAY),
            _episode(imdb, 2, 4, "Later", now + 14 * DAY),
        ]
        return videos + [_episode(imdb, 2, 5, None, None)]
    if imdb == "tt9900002":
        return [_episode(imdb, 1, n, None, base + n * DAY, thumb=False) for n in range(1, 4)]
    seed = _seed(imdb)
    seasons, per_season = 1 + seed % 5, 6 + seed % 8
    return [
        _episode(imdb, s, n, f"Episode {n}", base + ((s - 1) * 40 + n) * 7 * DAY)
        for s in range(1, seasons + 1)
        for n in range(1, per_season + 1)
    ]


def meta_for(media_type: str, stremio_id: str, now: Optional[float] = None) -> Tuple[int, Any]:
    """``(status, payload)`` of the meta route for one id."""
    now = time.time() if now is None else now
    if (
        stremio_id in NOT_FOUND_IDS
        or not stremio_id.startswith("tt")
        or media_type
        not in (
            "movie",
            "series",
        )
    ):
        return 404, {
            "success": False,
            "detail": None,
            "data": None,
            "error": {"code": "NOT_FOUND", "message": "no addon to handle meta resource"},
        }
    if stremio_id in ADDON_ERROR_IDS:
        return 200, {"meta": error_meta("Not found", "[❌] Cinemeta")}
    pool = SERIES if media_type == "series" else MOVIES
    known = next((entry for entry in pool if entry[0] == stremio_id), None)
    seed = _seed(stremio_id)
    if known is None:
        name = "Generated {} {}".format("Show" if media_type == "series" else "Movie", stremio_id)
        known = (stremio_id, name, 1970 + seed % 55, (GENRES[seed % 6], GENRES[(seed // 6) % 6]))
    meta = _preview(known[0], known[1], known[2], known[3], media_type)
    meta["description"] = (meta["description"] + " ") * 3  # a plot of realistic length
    if media_type == "series":
        meta["status"] = "Continuing" if stremio_id == "tt9900001" else "Ended"
        meta["videos"] = _videos(stremio_id, now)
    meta["links"] = [
        {"name": g, "category": "Genres", "url": "stremio:///search"} for g in known[3]
    ]
    meta["behaviorHints"] = {"defaultVideoId": None, "hasScheduledVideos": False}
    return 200, {"meta": meta}


# -- per-sandbox knobs --------------------------------------------------------------------------
class _Knobs:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency = 0.0
        self.fault: Optional[str] = None
        self.fault_count = 0


_KNOBS: weakref.WeakKeyDictionary[Any, _Knobs] = weakref.WeakKeyDictionary()


def _knobs(sandbox: Any) -> _Knobs:
    knobs = _KNOBS.get(sandbox)
    if knobs is None:
        knobs = _KNOBS[sandbox] = _Knobs()
    return knobs


def configure(
    sandbox: Any, latency: Optional[float] = None, fault: Optional[str] = None, count: int = 1
) -> None:
    """Latency (seconds) for every catalog/meta answer, and/or the next ``count`` faults."""
    knobs = _knobs(sandbox)
    with knobs.lock:
        if latency is not None:
            knobs.latency = max(0.0, float(latency))
        if fault is not None:
            knobs.fault, knobs.fault_count = fault, int(count)


def reset(sandbox: Any) -> None:
    _KNOBS.pop(sandbox, None)


def control(sandbox: Any, body: Dict[str, Any]) -> None:
    """``POST /_control/browse {"latency": S, "fault": KIND, "count": N}``."""
    configure(sandbox, body.get("latency"), body.get("fault"), body.get("count", 1))


def _take_fault(sandbox: Any) -> Tuple[float, Optional[str]]:
    knobs = _knobs(sandbox)
    with knobs.lock:
        fault = None
        if knobs.fault and knobs.fault_count > 0:
            fault = knobs.fault
            knobs.fault_count -= 1
        return knobs.latency, fault


def parse_extras(segment: str) -> Dict[str, str]:
    """Like AIOStreams' ``ExtrasParser`` over an Express param (already URL-decoded once)."""
    extras = {}
    for part in segment.split("&"):
        key, _, value = part.partition("=")
        if key:
            extras[key] = value
    return extras


def answer(sandbox: Any, raw_path: str, authorised: bool) -> Tuple[Any, ...]:
    """``(status, payload[, headers])`` for ``/stremio/<uuid>/<password>/{catalog|meta}/...``
    (raw path), the arguments of the server's ``_json``."""
    parts = urllib.parse.urlsplit(raw_path).path.strip("/").split("/")[3:]
    parts = [urllib.parse.unquote(p) for p in parts]
    resource = parts[0] if parts else ""
    latency, fault = _take_fault(sandbox)
    if latency:
        time.sleep(latency)
    wrap = (lambda e: {"meta": e}) if resource == "meta" else (lambda e: {"metas": [e]})
    if not authorised:
        return 200, wrap(error_meta("Invalid password"))
    if fault == "rate_limit":
        return 200, wrap(error_meta("Rate Limit Exceeded"))
    if fault == "unconfigured":
        return 200, wrap(error_meta("Please configure the addon first"))
    if fault == "addon_error":
        return 200, wrap(error_meta("Request timed out", "[❌] Cinemeta"))
    if fault == "http_429":  # express-rate-limit's answer on the REST routes, headers included
        headers = {
            "Retry-After": "1",
            "RateLimit-Limit": "30",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": "1",
        }
        body = {"success": False, "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Slow down"}}
        return 429, body, headers
    if fault == "http_500":
        return 500, {
            "success": False,
            "error": {"code": "INTERNAL_SERVER_ERROR", "message": "Internal Server Error"},
        }
    last = parts[-1] if parts else ""
    if len(parts) not in (3, 4) or not last.endswith(".json"):
        return 404, {"error": "not found"}
    parts[-1] = last[: -len(".json")]
    if resource == "meta" and len(parts) == 3:
        return meta_for(parts[1], parts[2])
    if resource == "catalog":
        extras = parse_extras(parts[3]) if len(parts) == 4 else {}
        metas = catalog_metas(parts[1], parts[2], extras)
        if metas is None:
            return 200, {"metas": [error_meta(f"Addon {parts[2]} not found")]}
        return 200, {"metas": metas}
    return 404, {"error": "not found"}
