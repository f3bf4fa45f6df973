"""The AIOStreams sandbox server: Stremio routes, playback redirects, real video, control API.

Routes (``<cfg>`` is ``stremio/<uuid>/<password>``):
    GET  /<cfg>/manifest.json               the manifest (wrong password: 401 JSON error)
    GET  /<cfg>/stream/{movie|series}/{id}.json
         streamData only when the User-Agent contains "AIOStreams/"; an unknown id or a wrong
         password gives one error stream with HTTP 200, as AIOStreams does
    GET  /<cfg>/{catalog,meta}/...           catalogs and metas (aiostreams_sandbox/metas.py)
    GET  /playback/<name>                   307 to /media/clip.mp4 or /media/placeholder.mp4
    GET  /media/{clip,placeholder}.mp4      the real files, with Range support
    GET  /subs/<name>.srt                   subtitles
    HEAD on /playback and /media: 405, like debrid playback URLs
    GET  /api/v1/user (Basic auth), /stremio/u/<alias>/..., /v/<variant>/ and ?v= (userapi.py)
Control (JSON bodies), under /_control/:
    POST slow {"delay": S, "count": N}                 next N stream answers wait S seconds
    POST rate_limit {"count": N, "retry_after": S, "mode": "429"|"error_stream"}
    POST limit {"limit": 10, "window": 15}             a real per-window stream limit (0: off)
    GET  requests -> {"total", "log": [{method, path, status, time, user_agent, range}]}
         (control calls themselves are not logged)
    POST browse {"latency": S, "fault": KIND, "count": N}  catalog/meta latency and faults
    POST requests/reset · POST reset (everything)
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

from . import catalog, metas, userapi
from .media import CLIPS, MediaUnavailable, default_cache_dir, ensure_clip, parse_range

log = logging.getLogger(__name__)

DEFAULT_UUID = "5f0c3a9e-1b7d-4c2a-9e8f-0a1b2c3d4e5f"
DEFAULT_PASSWORD = "c2FuZGJveC1wYXNzd29yZA"


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.log: List[Dict[str, Any]] = []
        self.slow_delay = 0.0
        self.slow_count = 0
        self.rl_count = 0
        self.rl_retry_after = 2.0
        self.rl_mode = "429"
        self.limit = 0
        self.window = 15.0
        self.stream_times: List[float] = []
        self.gateway_count = 0
        self.gateway_status = 502


class AIOStreamsSandbox:
    """In-process sandbox bound to 127.0.0.1. ``url``/``manifest_url`` are valid after start()."""

    def __init__(
        self,
        port: int = 0,
        uuid: str = DEFAULT_UUID,
        password: str = DEFAULT_PASSWORD,
        cache_dir: Optional[str] = None,
    ) -> None:
        self.port = port
        self.uuid = uuid
        self.password = password
        self.cache_dir = cache_dir or default_cache_dir()
        self.state = _State()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> AIOStreamsSandbox:
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="aiostreams-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> AIOStreamsSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def manifest_url(self) -> str:
        return f"{self.url}/stremio/{self.uuid}/{self.password}/manifest.json"

    def manifest_url_with(self, password: str) -> str:
        return f"{self.url}/stremio/{self.uuid}/{password}/manifest.json"

    # -- in-process control (same as the HTTP control API) ----------------------------------
    def ensure_media(self) -> Dict[str, str]:
        """Generate the clips now (raises MediaUnavailable with a clear message)."""
        return {name: ensure_clip(self.cache_dir, name) for name in CLIPS}

    def set_slow(self, delay: float, count: int = 1) -> None:
        with self.state.lock:
            self.state.slow_delay, self.state.slow_count = float(delay), int(count)

    def set_rate_limit(self, count: int = 1, retry_after: float = 2.0, mode: str = "429") -> None:
        with self.state.lock:
            self.state.rl_count, self.state.rl_retry_after = int(count), float(retry_after)
            self.state.rl_mode = mode

    def set_gateway_error(self, count: int = 1, status: int = 502) -> None:
        """The next ``count`` stream requests get the HTML error page of a reverse proxy (the
        instance behind it restarting): ``502 Bad Gateway`` by default."""
        with self.state.lock:
            self.state.gateway_count, self.state.gateway_status = int(count), int(status)

    def set_limit(self, limit: int, window: float = 15.0) -> None:
        with self.state.lock:
            self.state.limit, self.state.window = int(limit), float(window)
            self.state.stream_times = []

    def requests(self) -> List[Dict[str, Any]]:
        with self.state.lock:
            return list(self.state.log)

    def reset(self) -> None:
        with self.state.lock:
            self.state.reset()
        metas.reset(self)


class _Handler(BaseHTTPRequestHandler):
    sandbox: AIOStreamsSandbox
    protocol_version = "HTTP/1.1"
    server_version = "AIOStreamsSandbox/1.0"

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s " + fmt, self.address_string(), *args)

    # -- plumbing -----------------------------------------------------------------------------
    def _record(self, status: int) -> None:
        if self.path.startswith("/_control/"):
            return  # the log shows the client's traffic only
        with self.sandbox.state.lock:
            self.sandbox.state.log.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "status": status,
                    "time": time.time(),
                    "user_agent": self.headers.get("User-Agent", ""),
                    "range": self.headers.get("Range"),
                }
            )

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json; charset=utf-8",
        headers: Optional[Dict[str, str]] = None,
    ) -> None:
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: Optional[Dict[str, str]] = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=headers)

    def _body(self) -> Dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        try:
            data = json.loads(self.rfile.read(length).decode("utf-8"))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    # -- verbs --------------------------------------------------------------------------------
    def do_HEAD(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith(("/playback/", "/media/")):
            self._send(405, b"", "text/plain", {"Allow": "GET"})
        else:
            self._send(404, b"", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        body = self._body()
        sandbox = self.sandbox
        if path == "/_control/slow":
            sandbox.set_slow(body.get("delay", 5.0), body.get("count", 1))
        elif path == "/_control/rate_limit":
            sandbox.set_rate_limit(
                body.get("count", 1), body.get("retry_after", 2.0), body.get("mode", "429")
            )
        elif path == "/_control/limit":
            sandbox.set_limit(body.get("limit", 0), body.get("window", 15.0))
        elif path == "/_control/requests/reset":
            with sandbox.state.lock:
                sandbox.state.log = []
        elif path == "/_control/reset":
            sandbox.reset()
        elif path == "/_control/browse":
            metas.control(sandbox, body)
        else:
            self._json(404, {"error": "unknown control"})
            return
        self._json(200, {"ok": True})

    def do_GET(self) -> None:  # noqa: N802
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path == "/_control/requests":
            entries = self.sandbox.requests()
            self._json(200, {"total": len(entries), "log": entries})
            return
        parts = path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "user"] and len(parts) == 3:
            self._json(*userapi.user_route(self.sandbox, self.headers))
        elif parts[0] == "stremio" and len(parts) >= 4 and parts[1] == "u":
            target = userapi.alias_target(self.sandbox, self.path)
            if target is None:
                self._json(
                    400, userapi.api_error("USER_INVALID_DETAILS", "Invalid UUID or password")
                )
            else:
                self._send(302, b"", "text/plain", {"Location": target})
        elif parts[0] == "stremio" and len(parts) >= 4:
            raw, variant = userapi.split_variant(self.path)
            parts = urllib.parse.unquote(urllib.parse.urlsplit(raw).path).strip("/").split("/")
            self._stremio(parts[1], parts[2], parts[3:], raw, variant)
        elif parts[0] == "playback" and len(parts) == 2:
            target = catalog.REDIRECTS.get(parts[1])
            if target is None:
                self._send(404, b"no such playback", "text/plain")
            else:
                self._send(307, b"", "text/plain", {"Location": "/media/" + target})
        elif parts[0] == "media" and len(parts) == 2 and parts[1] in CLIPS:
            self._media(parts[1])
        elif parts[0] == "subs" and len(parts) == 2 and parts[1] in catalog.SUBTITLES:
            text = catalog.SUBTITLES[parts[1]].encode("utf-8")
            self._send(200, text, "application/x-subrip; charset=utf-8")
        else:
            self._json(404, {"error": "not found"})

    # -- routes -------------------------------------------------------------------------------
    def _stremio(
        self, uuid: str, password: str, rest: List[str], raw: str, variant: Optional[str]
    ) -> None:
        sandbox = self.sandbox
        authorised = uuid == sandbox.uuid and password == sandbox.password
        if userapi.unknown_variant(variant) and authorised:
            message = "Unknown variant: %s" % variant
            if rest == ["manifest.json"]:
                self._json(400, userapi.api_error("USER_INVALID_CONFIG", message))
            elif rest[0] == "stream":
                self._json(200, {"streams": [catalog.error_stream("Invalid variant", message)]})
            else:
                wrap = (lambda e: {"meta": e}) if rest[0] == "meta" else (lambda e: {"metas": [e]})
                self._json(200, wrap(metas.error_meta(message)))
            return
        if rest == ["manifest.json"]:
            if not authorised:
                self._json(
                    401,
                    {
                        "success": False,
                        "error": {"code": "USER_INVALID_DETAILS", "message": "Invalid password"},
                    },
                )
            else:
                self._json(200, catalog.manifest())
            return
        if rest[0] in ("catalog", "meta"):  # aiostreams_sandbox/metas.py
            self._json(*metas.answer(sandbox, raw, authorised))
            return
        if len(rest) != 3 or rest[0] != "stream" or not rest[2].endswith(".json"):
            self._json(404, {"error": "not found"})
            return
        media_type, stremio_id = rest[1], rest[2][: -len(".json")]
        if self._gateway_error():
            return
        limited = self._rate_limited()
        if limited is not None:
            return
        self._maybe_slow()
        if not authorised:
            streams = [catalog.error_stream("Invalid password", "Invalid password")]
        else:
            base = sandbox.url
            found = catalog.streams_for(media_type, stremio_id, base)
            if found is None:
                streams = [
                    catalog.error_stream(
                        "No streams", f"No streams found for {media_type} {stremio_id}"
                    )
                ]
            else:
                streams = found
        if "AIOStreams/" not in self.headers.get("User-Agent", ""):
            streams = [
                {k: v for k, v in s.items() if k != "streamData"}
                for s in streams
                if (s.get("streamData") or {}).get("type") not in ("statistic",)
            ]
        self._json(200, {"streams": streams}, headers=self._limit_headers())

    def _gateway_error(self) -> bool:
        state = self.sandbox.state
        with state.lock:
            if state.gateway_count <= 0:
                return False
            state.gateway_count -= 1
            status = state.gateway_status
        page = (
            "<html>\r\n<head><title>%d Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>%d Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n" % (status, status)
        )
        self._send(status, page.encode("ascii"), "text/html")
        return True

    def _rate_limited(self) -> Optional[bool]:
        state = self.sandbox.state
        now = time.monotonic()
        with state.lock:
            if state.rl_count > 0:
                state.rl_count -= 1
                retry, mode = state.rl_retry_after, state.rl_mode
            elif state.limit:
                state.stream_times = [t for t in state.stream_times if now - t < state.window]
                if len(state.stream_times) >= state.limit:
                    retry = state.window - (now - state.stream_times[0])
                    mode = "429"
                else:
                    state.stream_times.append(now)
                    return None
            else:
                return None
        if mode == "error_stream":
            stream = catalog.error_stream(
                "Rate Limit Exceeded", "Too many requests: you are being rate limited."
            )
            self._json(200, {"streams": [stream]})
        else:
            headers = {
                "Retry-After": str(max(1, int(round(retry)))),
                "RateLimit-Limit": str(state.limit or 10),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(max(1, int(round(retry)))),
            }
            self._json(
                429,
                {
                    "success": False,
                    "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Slow down"},
                },
                headers=headers,
            )
        return True

    def _limit_headers(self) -> Dict[str, str]:
        state = self.sandbox.state
        with state.lock:
            if not state.limit:
                return {}
            remaining = max(0, state.limit - len(state.stream_times))
            return {
                "RateLimit-Limit": str(state.limit),
                "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(int(state.window)),
            }

    def _maybe_slow(self) -> None:
        state = self.sandbox.state
        with state.lock:
            delay = state.slow_delay if state.slow_count > 0 else 0.0
            if state.slow_count > 0:
                state.slow_count -= 1
        if delay:
            time.sleep(delay)

    def _media(self, name: str) -> None:
        try:
            path = ensure_clip(self.sandbox.cache_dir, name)
        except MediaUnavailable as exc:
            self._send(503, str(exc).encode("utf-8"), "text/plain; charset=utf-8")
            return
        size = os.path.getsize(path)
        try:
            wanted = parse_range(self.headers.get("Range"), size)
        except ValueError:
            self._send(416, b"", "text/plain", {"Content-Range": f"bytes */{size}"})
            return
        first, last = wanted if wanted else (0, size - 1)
        length = last - first + 1
        status = 206 if wanted else 200
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        if wanted:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.end_headers()
        try:
            with open(path, "rb") as handle:
                handle.seek(first)
                remaining = length
                while remaining > 0:
                    chunk = handle.read(min(65536, remaining))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # players drop connections when they seek
