"""The CLI's browse commands over the same core as the Kodi views (``browse.browser``):
``connect``, ``catalogs``, ``catalog``, ``search``, ``show``, ``streams``.

``connect URL`` (or ``connect INSTANCE --uuid U`` with the password on stdin) saves the manifest
URL in ``cli_config.json`` (0600) as ``sync`` saves Trakt's settings; ``--manifest-url`` overrides
it for one command. Pages come from ``<data>/meta_cache.db`` when fresh (no request) and carry the
mirror's marks when ``trakt_sync.db`` exists. ``--json`` prints one JSON document instead of text.
A page that failed is one line on stderr, with AIOStreams' own text where it sent one.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
from typing import Any, Dict, List

from . import cli_support as support

CONFIG_KEY = "aiostreams_manifest_url"
ENV_PASSWORD = "AIOSTREAMS_PASSWORD"
MAX_PAGES = 1000  # ``catalog --page N`` follows at most this many pages

# Page statuses that are a normal answer (printed, exit 0); the others are errors.
_FINE = ("ok", "empty", "end", "no_results")
_WORDS = {
    "empty": "nothing here",
    "end": "no more items",
    "no_results": "no results",
    "no_manifest": "no AIOStreams manifest URL: run `connect` (or pass --manifest-url)",
    "no_search_catalogs": "the manifest has no catalog that can search",
    "unknown_catalog": "the manifest has no such catalog",
    "not_found": "AIOStreams has no details for this id",
    "unreachable": "AIOStreams could not be reached",
    "rate_limited": "AIOStreams is limiting requests: try again shortly",
    "instance_error": "AIOStreams answered with an error",
    "bad_response": "AIOStreams sent an answer that could not be read",
    "aborted": "interrupted",
}
_SIGN_IN_WORDS = {
    "missing": "the instance address, --uuid and a password (on stdin) are needed",
    "invalid_url": "the instance address must start with http:// or https://",
    "wrong_credentials": "wrong UUID or password",
    "refused": "the instance refused the sign-in",
    "not_aiostreams": "this address does not answer like AIOStreams",
    "unreachable": "the instance could not be reached",
    "timeout": "the instance did not answer in time",
    "rate_limited": "the instance is limiting requests: try again shortly",
    "aborted": "interrupted",
}


class BrowseError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _plain(value: Any) -> Any:
    """Records as JSON-ready values (dataclasses as dicts, enums as their value)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _catalog_fields(catalog: Any) -> Dict[str, Any]:
    flags = {"search": catalog.supports_search, "search_only": catalog.search_only}
    return dict(_plain(catalog), genres=list(catalog.genres), **flags)


def emit_json(document: Any) -> None:
    json.dump(_plain(document), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")


# ---- settings ---------------------------------------------------------------------------------


def manifest_url(ctx: Any) -> str:
    """``--manifest-url``, else what ``connect`` saved, else empty."""
    given = getattr(ctx.args, "manifest_url", None)
    if given:
        return given
    return support.load_config(ctx.config_path).get(CONFIG_KEY, "")


def save_manifest_url(ctx: Any, url: str) -> None:
    ctx.make_data_dir()
    saved = support.load_config(ctx.config_path)
    saved[CONFIG_KEY] = url
    support.save_config(ctx.config_path, saved)


def _read_password() -> str:
    if os.environ.get(ENV_PASSWORD):
        return os.environ[ENV_PASSWORD]
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("AIOStreams password: ")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_connect(ctx: Any) -> int:
    """Save the manifest URL: given as is, or from a UUID + password sign-in."""
    from .aiostreams import errors
    from .aiostreams.connection import test_connection
    from .aiostreams.credentials import CredentialStore, Login
    from .aiostreams.manifest import parse_manifest_url
    from .aiostreams.signin import sign_in

    ctx.require_writable("connect")
    target = ctx.args.url
    if ctx.args.uuid:
        password = _read_password()
        result = sign_in(target, ctx.args.uuid, password, should_abort=ctx.interrupt)
        if not result.ok:
            words = _SIGN_IN_WORDS.get(result.code, result.code)
            detail = f" ({result.detail})" if result.detail else ""
            raise BrowseError(f"sign-in failed: {words}{detail}", 1)
        url = result.manifest_url
        ctx.make_data_dir()
        CredentialStore.in_folder(ctx.data_dir).save(
            Login(target.strip(), ctx.args.uuid.strip(), password, url)
        )
    else:
        try:
            url = parse_manifest_url(target).manifest_url
        except errors.InvalidManifestUrl as exc:
            raise BrowseError(exc.user_message, 2) from exc
    parsed = parse_manifest_url(url)
    if not ctx.args.no_check:
        report = test_connection(url, should_abort=ctx.interrupt)
        if not report.ok:
            from . import i18n
            from .aiostreams.connection_text import report_text

            raise BrowseError(f"not saved: {report_text(report, i18n.localize)}", 1)
    save_manifest_url(ctx, url)
    print(f"Connected to AIOStreams at {parsed.redacted}")
    return 0


# ---- pages ------------------------------------------------------------------------------------


def _browser(ctx: Any) -> Any:
    from .browse.browser import open_browser

    mirror = None
    if os.path.exists(ctx.db_path):
        mirror = ctx.database()
        ctx.opened.append(mirror)
    ctx.make_data_dir()
    return open_browser(ctx.data_dir, manifest_url(ctx) or None, mirror, ctx.interrupt)


def _check(page: Any) -> None:
    status = page.status.value
    if status in _FINE:
        return
    words = _WORDS.get(status, status)
    message = getattr(page, "message", "")
    text = f"{words}: {message}" if message else words
    code = 2 if status == "no_manifest" else (130 if status == "aborted" else 1)
    raise BrowseError(text, code)


def _mark_text(mark: Any) -> str:
    words = []
    if mark.watched:
        words.append("watched")
    if mark.playcount > 1:
        words.append(f"{mark.playcount} plays")
    if mark.resume_percent:
        words.append(f"resume {mark.resume_percent:.0f}%")
    if mark.next_up:
        words.append("next up")
    if mark.in_watchlist:
        words.append("watchlist")
    return f"  [{', '.join(words)}]" if words else ""


def _item_line(item: Any) -> str:
    year = f" ({item.year})" if item.year else ""
    return f"  {item.stremio_id:<12} {item.media_type:<7} {item.title}{year}{_mark_text(item.mark)}"


def cmd_catalogs(ctx: Any) -> int:
    menu = _browser(ctx).catalogs()
    _check(menu)
    if ctx.args.json:
        catalogs = [_catalog_fields(c) for c in menu.catalogs]
        emit_json({"status": menu.status, "catalogs": catalogs})
        return 0
    for media_type, catalogs in menu.groups:
        print(f"{media_type}:")
        for catalog in catalogs:
            genres = f"  genres: {', '.join(catalog.genres)}" if catalog.genres else ""
            print(f"  {catalog.id:<20} {catalog.name}{genres}")
    searchable = [f"{c.type}/{c.id}" for c in menu.search_catalogs]
    if searchable:
        print("search: " + ", ".join(searchable))
    return 0


def cmd_catalog(ctx: Any) -> int:
    browser = _browser(ctx)
    wanted = max(1, ctx.args.page)
    page = browser.catalog_page(ctx.args.type, ctx.args.id, genre=ctx.args.genre)
    number = 1
    while number < min(wanted, MAX_PAGES) and page.status.value == "ok" and page.next_skip:
        more = {"skip": page.next_skip, "page_size": page.page_size}
        page = browser.catalog_page(ctx.args.type, ctx.args.id, genre=ctx.args.genre, **more)
        number += 1
    if number < wanted and page.status.value == "ok":
        page = dataclasses.replace(page, status=type(page.status)("end"), items=())
    _check(page)
    if ctx.args.json:
        emit_json(dict(_plain(page), page=number))
        return 0
    name = page.catalog.name if page.catalog else ctx.args.id
    genre = f", {page.genre}" if page.genre else ""
    print(f"{name} ({ctx.args.type}{genre}), page {number}:")
    for item in page.items:
        print(_item_line(item))
    if page.status.value != "ok":
        print("  (" + _WORDS[page.status.value] + ")")
    elif page.next_skip is not None:
        print(f"  more: --page {number + 1}")
    for error in page.errors:
        print(f"  note: {error}", file=sys.stderr)
    return 0


def cmd_search(ctx: Any) -> int:
    results = _browser(ctx).search(ctx.args.query, media_type=ctx.args.type or "all")
    _check(results)
    if ctx.args.json:
        emit_json(results)
        return 0
    print(f"Search {results.query!r} ({results.media_type}): {len(results.items)} result(s)")
    for item in results.items:
        print(_item_line(item))
    for name in results.failed:
        print(f"  note: the catalog {name} did not answer", file=sys.stderr)
    return 0


def cmd_show(ctx: Any) -> int:
    browser = _browser(ctx)
    page = browser.show_page(ctx.args.id, media_type=ctx.args.type)
    _check(page)
    seasons: List[Dict[str, Any]] = []
    for season in page.seasons:
        season_page = browser.season_page(ctx.args.id, season.number, media_type=ctx.args.type)
        _check(season_page)
        seasons.append({"season": season, "episodes": list(season_page.episodes)})
    if ctx.args.json:
        show = {"status": page.status, "show": page.show, "next_up": page.next_up}
        emit_json(dict(show, seasons=seasons))
        return 0
    show = page.show
    print(f"{show.title}{f' ({show.year})' if show.year else ''}{_mark_text(show.mark)}")
    for entry in seasons:
        season = entry["season"]
        label = "Specials" if season.is_specials else f"Season {season.number}"
        print(f"{label}: {season.watched_count}/{season.aired_count} watched")
        for episode in entry["episodes"]:
            state = "x" if episode.mark.watched else (" " if episode.aired else "-")
            unaired = "" if episode.aired else "  (not aired)"
            label = f"{episode.season}x{episode.number:02d} {episode.title or ''}"
            print(f"  [{state}] {label}{_mark_text(episode.mark)}{unaired}")
    return 0


def _stream_fields(stream: Any) -> Dict[str, Any]:
    return {
        "name": stream.name,
        "description": stream.description,
        "resolution": stream.resolution,
        "quality": stream.quality,
        "size": stream.size,
        "service": stream.service_id,
        "cached": stream.cached,
        "filename": stream.filename,
        "languages": stream.languages,
        "url": bool(stream.url),  # whether it has one: the URL itself may carry a token
    }


def cmd_streams(ctx: Any) -> int:
    """What the play route would offer, ranked the same way (error and statistic streams are
    never offered; with nothing playable left, the instance's error text)."""
    from .aiostreams import errors
    from .aiostreams.client import AIOStreamsClient
    from .aiostreams.ranking import StreamPreferences, offered_streams

    url = manifest_url(ctx)
    if not url:
        raise BrowseError(_WORDS["no_manifest"], 2)
    media_type = ctx.args.type or ("series" if ":" in ctx.args.id else "movie")
    args = ctx.args
    prefs = StreamPreferences(max_resolution=args.max_resolution, hide_uncached=args.hide_uncached)
    try:
        client = AIOStreamsClient(url, should_abort=ctx.interrupt)
        found = client.streams(media_type, ctx.args.id)
    except errors.InvalidManifestUrl as exc:
        raise BrowseError(exc.user_message, 2) from exc
    except errors.Aborted as exc:
        raise BrowseError("interrupted", 130) from exc
    except ValueError as exc:
        raise BrowseError(str(exc), 2) from exc
    except errors.AIOStreamsError as exc:
        raise BrowseError(exc.user_message, 1) from exc
    offered = offered_streams(found.streams, prefs)
    if ctx.args.json:
        streams = [_stream_fields(s) for s in offered]
        texts = found.error_messages
        emit_json({"id": ctx.args.id, "type": media_type, "streams": streams, "errors": texts})
        return 0
    print(f"{len(offered)} stream(s) for {ctx.args.id}:")
    for number, stream in enumerate(offered, 1):
        size = f" {stream.size / 1e9:.1f} GB" if stream.size else ""
        cached = {True: " cached", False: " not cached"}.get(stream.cached, "")
        service = f" {stream.service_id}" if stream.service_id else ""
        label = " ".join((stream.name or stream.filename or "stream").split())
        print(f"  {number:>3}. {stream.resolution or '?':<6}{size}{service}{cached}  {label}")
    for text in found.error_messages:
        print(f"  note: {text}", file=sys.stderr)
    return 0


COMMANDS = {
    "connect": cmd_connect,
    "catalogs": cmd_catalogs,
    "catalog": cmd_catalog,
    "search": cmd_search,
    "show": cmd_show,
    "streams": cmd_streams,
}
HELP = {
    "connect": "save the AIOStreams manifest URL (or sign in with --uuid, password on stdin)",
    "catalogs": "list the catalogs the manifest declares",
    "catalog": "one page of a catalog (TYPE ID [--genre G] [--page N])",
    "search": "search movies and shows (QUERY [--type movie|series])",
    "show": "a show's seasons and episodes with the mirror's watched marks",
    "streams": "the streams playing an id would offer, ranked",
}


def add_arguments(name: str, sub: Any) -> None:
    """The command's own arguments; every browse command takes ``--json`` and
    ``--manifest-url``."""
    sub.add_argument("--manifest-url", default=None, help="AIOStreams manifest URL (this once)")
    if name == "connect":
        sub.add_argument("url", help="manifest URL, or the instance address with --uuid")
        sub.add_argument("--uuid", default=None, help="sign in with this UUID (or alias)")
        sub.add_argument("--no-check", action="store_true", help="save without a connection test")
        return
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    if name == "catalog":
        sub.add_argument("type", help="catalog type (movie, series, ...)")
        sub.add_argument("id", help="catalog id")
        sub.add_argument("--genre", default=None)
        sub.add_argument("--page", type=int, default=1)
    elif name == "search":
        sub.add_argument("query")
        sub.add_argument("--type", choices=("movie", "series"), default=None)
    elif name == "show":
        sub.add_argument("id", help="IMDb id (tt...)")
        sub.add_argument("--type", default="series")
    elif name == "streams":
        sub.add_argument("id", help="tt... for a movie, tt...:S:E for an episode")
        sub.add_argument("--type", choices=("movie", "series"), default=None)
        sub.add_argument("--max-resolution", type=int, default=0)
        sub.add_argument("--hide-uncached", action="store_true")


__all__ = ["COMMANDS", "HELP", "BrowseError", "add_arguments", "manifest_url"]
