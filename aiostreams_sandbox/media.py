"""The sandbox's real video files, generated once with ffmpeg, and Range-aware serving."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from typing import Dict, Optional, Tuple

CLIPS: Dict[str, int] = {"clip.mp4": 20, "placeholder.mp4": 3}
_LOCK = threading.Lock()


class MediaUnavailable(RuntimeError):
    """ffmpeg is missing or failed: the sandbox cannot serve video."""


def default_cache_dir() -> str:
    return os.environ.get("AIOSTREAMS_SANDBOX_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "aiostreams_sandbox"
    )


def ensure_clip(cache_dir: str, name: str) -> str:
    """Path of clip ``name``, generating it with ffmpeg the first time."""
    if name not in CLIPS:
        raise KeyError(name)
    path = os.path.join(cache_dir, name)
    with _LOCK:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return path
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise MediaUnavailable(
                "ffmpeg is not installed: the AIOStreams sandbox needs it to generate its test "
                "video (Debian: apt-get install ffmpeg)"
            )
        os.makedirs(cache_dir, exist_ok=True)
        seconds = CLIPS[name]
        fd, tmp = tempfile.mkstemp(prefix=".gen-", suffix=".mp4", dir=cache_dir)
        os.close(fd)
        video = f"testsrc=duration={seconds}:size=320x240:rate=25"
        audio = f"sine=duration={seconds}"
        command = [ffmpeg, "-y", "-loglevel", "error"]
        command += ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio]
        command += "-c:v libx264 -preset ultrafast -c:a aac -shortest -movflags +faststart".split()
        command.append(tmp)
        try:
            done = subprocess.run(command, capture_output=True, timeout=120, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            os.unlink(tmp)
            raise MediaUnavailable(f"ffmpeg could not run: {exc}") from exc
        if done.returncode != 0 or os.path.getsize(tmp) == 0:
            os.unlink(tmp)
            message = done.stderr.decode("utf-8", "replace").strip()[-500:]
            raise MediaUnavailable(f"ffmpeg failed to generate {name}: {message}")
        os.replace(tmp, path)
        return path


def parse_range(header: Optional[str], size: int) -> Optional[Tuple[int, int]]:
    """``(first, last)`` for a single ``bytes=`` range; None for no/ignored range.

    Raises ValueError for an unsatisfiable range (the caller answers 416).
    """
    if not header:
        return None
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if match is None:
        return None  # multi-range or garbage: serve the whole file, as servers may
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        length = int(last_text)
        if length == 0:
            raise ValueError("empty suffix range")
        return max(0, size - length), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        raise ValueError("unsatisfiable range")
    return first, min(last, size - 1)
