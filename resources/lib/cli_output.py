"""What the command line writes: the sync progress bar on stderr and the text of each listing.

The formatting is shared with ``tools/demo.py`` (through the names ``cli.py`` re-exports).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence, TextIO

from . import i18n
from .service.progress_text import step_text


class ProgressBar:
    """``on_progress(percent, label)`` drawn on stderr (one line per step when not a terminal)."""

    WIDTH = 30

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_label: Optional[str] = None
        self.drawn = False

    def __call__(self, percent: int, step: Any) -> None:
        label = step_text(step, i18n.localize)  # the engine reports a step code
        percent = max(0, min(100, int(percent)))
        if self.tty:
            filled = self.WIDTH * percent // 100
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {percent:3d}% {label[:40]:<40}")
            self.drawn = True
        elif label != self.last_label:
            self.stream.write(f"{percent:3d}% {label}\n")
        self.last_label = label
        self.stream.flush()

    def done(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


# ---- formatting (shared with tools/demo.py) ---------------------------------------------------


def _episode_code(item: Dict[str, Any]) -> str:
    season, number = item.get("season"), item.get("number")
    if isinstance(season, int) and isinstance(number, int):
        return f"S{season:02d}E{number:02d}"
    return ""


def _title_year(title: Any, year: Any) -> str:
    text = str(title) if title else "(untitled)"
    return f"{text} ({year})" if year else text


def _when(stamp: Optional[float]) -> str:
    if not stamp:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def _local(iso: Any) -> str:
    """A stored UTC time (``2026-03-01T10:00:00Z``) in this machine's local time."""
    from .database.trakt_sync.items import parse_time

    parsed = parse_time(iso)
    return _when(parsed.timestamp()) if parsed else "?"


def format_info(info: Dict[str, Any]) -> List[str]:
    lines = [f"database: {info['path']}"]
    for table, count in info["counts"].items():
        label = "watched episodes" if table == "episodes" else table
        lines.append(f"  {label + ':':<18}{count}")
    user = info.get("trakt_user")
    if user:
        lines.append(f"  {'trakt user:':<18}{user}")
    lines.append(f"  {'last sync:':<18}{_when(info['last_sync_ts'])}")
    lines.append(f"  {'size:':<18}{info['size_bytes'] / 1024:.1f} KB")
    lines.append(f"  {'schema version:':<18}{info['schema_version']}")
    if info.get("sync_running"):
        lines.append("  a sync is running now")
    return lines


def format_next_up(items: Sequence[Dict[str, Any]]) -> List[str]:
    if not items:
        return ["Next Up: nothing to watch next"]
    lines = [f"Next Up ({len(items)}):"]
    for item in items:
        show = _title_year(item.get("show_title"), item.get("show_year"))
        episode = item.get("title") or ""
        aired = item.get("aired_episodes")
        done = item.get("completed_episodes")
        progress = f"  [{done}/{aired}]" if aired else ""
        lines.append(f"  {show}  {_episode_code(item)}  {episode}{progress}".rstrip())
    return lines


def episode_name(item: Dict[str, Any]) -> str:
    """``Show  S01E02  Title`` (the title left out when there is none), as the lists name an
    episode."""
    name = f"{item.get('show_title') or '(show)'}  {_episode_code(item)}  "
    return (name + str(item.get("title") or "")).rstrip()


def format_in_progress(items: Sequence[Dict[str, Any]]) -> List[str]:
    if not items:
        return ["In progress: nothing"]
    lines = [f"In progress ({len(items)}):"]
    for item in items:
        if item.get("type") == "episode":
            name = episode_name(item)
        else:
            name = _title_year(item.get("title"), item.get("year"))
        lines.append(f"  {float(item.get('progress') or 0):5.1f}%  {name}".rstrip())
    return lines


def format_watchlist(kind: str, items: Sequence[Dict[str, Any]]) -> List[str]:
    lines = [f"Watchlist {kind}s ({len(items)}):"]
    for item in items:
        rank = item.get("rank")
        prefix = f"{rank:>4}. " if isinstance(rank, int) else "      "
        lines.append("  " + prefix + _title_year(item.get("title"), item.get("year")))
    return lines


def format_history(runs: Sequence[Dict[str, Any]], stats: Any) -> List[str]:
    """The last runs, newest first (time, trigger, result or error, duration, requests, and
    added/changed/removed per category), then the totals of the last STATS_DAYS days."""
    from .service import history

    lines = [f"Last {len(runs)} sync run(s):"]
    for run in runs:
        fields = history.run_fields(run)
        lines.append(
            f"  {_local(run.get('started_at'))}  {fields['trigger']:<8} {fields['status']:<12}"
            f" {fields['duration']:>6.1f}s {fields['requests']:>4} req  {fields['details']}"
        )
        words = _failure_words(run.get("failures"))
        if words:
            lines.extend(f"      {line}" for line in words)
        elif run.get("error") and run.get("status") not in ("ok", "aborted"):
            # a run recorded before failures were kept as codes (2.8.0): its error text
            lines.append(f"      error: {run['error']}")
    totals = history.stats_fields(stats)
    lines.append(f"Last {totals['days']} days:")
    lines.append(
        f"  {totals['runs']} sync(s), {totals['failed']} failed, {totals['requests']} request(s),"
        f" {totals['duration']:.1f}s syncing"
    )
    lines.append(
        f"  {totals['added']} added, {totals['changed']} changed, {totals['removed']} removed:"
        f" {totals['details']}"
    )
    if isinstance(stats, dict):
        by_trigger = stats.get("by_trigger") or {}
        if by_trigger:
            lines.append(
                "  by trigger: "
                + ", ".join(f"{name} {count}" for name, count in sorted(by_trigger.items()))
            )
        last_error = stats.get("last_error")
        if isinstance(last_error, dict) and last_error.get("error"):
            words = _failure_words(last_error.get("failures"), include_notices=False)
            text = "; ".join(words) if words else last_error["error"]
            lines.append(f"  last error: {_local(last_error.get('started_at'))}  {text}")
    return lines


def _local(stamp: Any) -> str:
    """An ISO UTC time of the database as local time (the README's promise for ``history``)."""
    from .service.timeutil import to_epoch

    epoch = to_epoch(stamp)
    return _when(epoch) if epoch else str(stamp or "?")


def _failure_words(records: Any, include_notices: bool = True) -> List[str]:
    """Failure records in the English words of strings.po (as the Kodi dialogs say them)."""
    from .i18n import localize
    from .service.failure_text import failure_lines

    if isinstance(records, str):
        from .database.trakt_sync.lease import parse_failures

        records = parse_failures(records)
    return failure_lines(records, localize, include_notices=include_notices)


def format_sync_result(result: Any) -> str:
    changes = sum(
        sum(v for v in c.values() if isinstance(v, int))
        for c in (result.changes or {}).values()
        if isinstance(c, dict)
    )
    text = (
        f"sync {result.status}: {changes} change(s), {result.requests} request(s) "
        f"in {result.duration:.1f}s"
    )
    if result.status == "throttled" and result.next_allowed_at:
        text += f"; next sync allowed at {_when(result.next_allowed_at)} (use --force)"
    elif getattr(result, "failures", None):
        text += "; " + "; ".join(_failure_words(result.failures))
    elif result.error and result.status not in ("ok", "aborted"):
        text += f"; {result.error}"
    return text


def print_lines(lines: Iterable[str]) -> None:
    for line in lines:
        print(line)
