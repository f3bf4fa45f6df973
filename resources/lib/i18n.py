"""English text from strings.po without Kodi: the command line's words for the codes of the core.

The Kodi front end uses ``kodi.localize`` (Kodi's own translation); the CLI has no Kodi, so it
reads the same English source file here, once. ``localize`` has the same signature and
placeholder rules as ``kodi.localize.localize``, so core helpers that take a ``localize``
function (``service.failure_text``) serve both front ends.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any, Dict

STRINGS_PO = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "resources",
    "language",
    "resource.language.en_gb",
    "strings.po",
)
_ENTRY = re.compile(r'msgctxt\s+"#(\d+)"\s*\nmsgid\s+"((?:[^"\\]|\\.)*)"')


def _unescape(text: str) -> str:
    return re.sub(
        r"\\(.)", lambda match: {"n": "\n", "t": "\t"}.get(match.group(1), match.group(1)), text
    )


@functools.lru_cache(maxsize=None)
def strings(path: str = STRINGS_PO) -> Dict[int, str]:
    """string id -> English text of every ``msgctxt "#NNNNN"`` entry; {} if the file is gone."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return {}
    return {int(match.group(1)): _unescape(match.group(2)) for match in _ENTRY.finditer(text)}


def localize(string_id: int, **kwargs: Any) -> str:
    """The English text of ``string_id`` with ``{name}`` placeholders filled from ``kwargs``
    (a missing placeholder leaves the text as written, like the Kodi front end)."""
    text = strings().get(int(string_id), "")
    if not kwargs:
        return text
    try:
        return text.format(**kwargs)
    except (KeyError, IndexError, ValueError):
        return text
