"""Helpers of the command line (``cli.py``): the settings ``auth`` saves, URL checks, and the one
line an expected failure is reported with.

``cli_config.json`` (mode 0600, at most :data:`CONFIG_MAX_BYTES`) keeps the API URL, OAuth URL,
client id and secret of the last ``auth`` (the tokens are bound to that API host) and the
AIOStreams manifest URL of the last ``connect``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from typing import Any, Dict, Optional

log = logging.getLogger(__name__)

CONFIG_FILENAME = "cli_config.json"
CONFIG_MAX_BYTES = 64 * 1024
CONFIG_KEYS = ("api_url", "oauth_url", "client_id", "client_secret", "aiostreams_manifest_url")


def origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.netloc or '').lower()}"


def check_url(url: str) -> None:
    """Raise ValueError naming what is wrong unless the HTTP layer can use ``url``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise ValueError(f"bad URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"bad URL {url!r}: it must be http(s)://host[:port]")


def load_config(path: str) -> Dict[str, str]:
    """The saved settings; a missing, oversized or unreadable file counts as none saved."""
    try:
        if os.path.getsize(path) > CONFIG_MAX_BYTES:
            log.warning("%s is larger than %d bytes: ignored", path, CONFIG_MAX_BYTES)
            return {}
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("%s is unreadable (%s): ignored", path, type(exc).__name__)
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: data[key] for key in CONFIG_KEYS if isinstance(data.get(key), str)}


def save_config(path: str, values: Dict[str, Any]) -> None:
    """Write ``values`` atomically as a 0600 file (``mkstemp`` creates it 0600)."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=CONFIG_FILENAME + ".", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(values, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def storage_message(code: Optional[str], detail: str) -> Optional[str]:
    """One line for a storage failure (``database.storage`` codes), or None."""
    if code == "disk_full":
        return "the disk is full: free some space and try again (nothing was lost)"
    if code == "read_only":
        return f"the data folder cannot be written ({detail})"
    if code == "foreign_database":
        return f"refusing to use the database: {detail}"
    return None


def storage_reason(records: Any) -> Optional[str]:
    """A storage code among a result's failure records (``{"reason": ...}``), if any."""
    for record in records or ():
        reason = record.get("reason") if isinstance(record, dict) else None
        if reason in ("disk_full", "read_only", "foreign_database"):
            return str(reason)
    return None


def failure_line(exc: BaseException) -> str:
    """The one line an expected failure is reported with."""
    from .database.maintenance import MaintenanceError
    from .database.storage import DatabaseUnavailable, classify
    from .trakt import errors

    if isinstance(exc, errors.TraktError):
        return exc.user_message
    typed = classify(exc) if isinstance(exc, (OSError, DatabaseUnavailable)) else None
    if typed is None and isinstance(exc, MaintenanceError) and exc.__cause__ is not None:
        typed = classify(exc.__cause__)
    if typed is None and isinstance(exc, MaintenanceError) and exc.code:
        return storage_message(exc.code, str(exc)) or str(exc)
    if typed is not None:
        return storage_message(typed.code, str(typed)) or str(typed)
    if isinstance(exc, (MaintenanceError, DatabaseUnavailable)):
        return str(exc)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return f"{type(exc).__name__}: {exc}"


def silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
