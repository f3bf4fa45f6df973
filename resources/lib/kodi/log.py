"""One logging path into Kodi's log.

Core modules log with ``logging.getLogger(__name__)``; :func:`setup_logging` installs one handler
on the root logger that maps Python levels to ``xbmc.log`` levels and prefixes every line with
``[AIOStreams Service]`` (service interpreter) or ``[AIOStreams]`` (plugin and script calls).
Every line passes through :func:`redact` first: the core never logs secrets, and this is the
second line of defence if it ever does.
"""

from __future__ import annotations

import logging
import re
from typing import Optional

import xbmc

SERVICE_PREFIX = "[AIOStreams Service]"
PLUGIN_PREFIX = "[AIOStreams]"
MASK = "***"

_LEVELS = (
    (logging.CRITICAL, xbmc.LOGFATAL),
    (logging.ERROR, xbmc.LOGERROR),
    (logging.WARNING, xbmc.LOGWARNING),
    (logging.INFO, xbmc.LOGINFO),
)

_SECRET_KEYS = (
    "access_token|refresh_token|client_secret|device_code|user_code|token|password|secret"
    "|api_key|trakt-api-key|authorization"
)
_PATTERNS = (
    # "Bearer <token>" in headers or messages.
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + MASK),
    # key=value, key: value, "key": "value" for the keys above, as whole words only.
    (
        re.compile(
            r"(?i)(?<![A-Za-z0-9_])(['\"]?(?:" + _SECRET_KEYS + r")['\"]?\s*[:=]\s*['\"]?)"
            r"([^'\"\s,&;}\]]+)"
        ),
        r"\1" + MASK,
    ),
    # Bare long hex strings: Trakt access/refresh tokens, device codes and client ids look so.
    (re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])"), MASK),
)


def redact(text: str) -> str:
    """Mask anything that looks like a token, a secret or a device code."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def kodi_level(levelno: int) -> int:
    """The xbmc log level for a Python logging level."""
    for python_level, kodi in _LEVELS:
        if levelno >= python_level:
            return kodi
    return xbmc.LOGDEBUG


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (arguments merged) and traceback with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class KodiLogHandler(logging.Handler):
    """Writes records to ``xbmc.log`` with the interpreter's prefix."""

    def __init__(self, prefix: str = PLUGIN_PREFIX) -> None:
        super().__init__(level=logging.DEBUG)
        self.prefix = prefix
        self.addFilter(RedactingFilter())
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = redact(self.format(record))
            xbmc.log(f"{self.prefix} {text}", kodi_level(record.levelno))
        except Exception:
            self.handleError(record)


def setup_logging(service: bool = False, level: int = logging.DEBUG) -> KodiLogHandler:
    """Route the root logger to Kodi's log (idempotent: an earlier Kodi handler is replaced).

    Kodi decides itself whether LOGDEBUG lines are written, so everything is passed on.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, KodiLogHandler):
            root.removeHandler(handler)
    handler = KodiLogHandler(SERVICE_PREFIX if service else PLUGIN_PREFIX)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def get_logger(name: Optional[str] = None) -> logging.Logger:
    """A module logger (a thin alias so callers need not import logging for one line)."""
    return logging.getLogger(name)
