"""Text from an AIOStreams instance made fit for Kodi's default font.

AIOStreams (and the add-ons behind it) decorate names, descriptions and error messages with emoji
and symbols: ``[❌] Torrentio: …``, ``⚡ RD+``, ``🔥 4K``. Kodi's default skin font (Noto Sans in
Estuary) has no glyph for them and draws a box. :func:`display_text` keeps letters, digits,
punctuation and every script's text (Latin, Cyrillic, CJK, ...) and drops what would be a box:
symbols (``So``), modifier symbols outside ASCII (``Sk``, e.g. emoji skin tones), arrows and
other non-ASCII math symbols, surrogates and private-use or unassigned code points, format
characters (the zero-width joiner of emoji sequences), enclosing marks (keycaps) and variation
selectors. Whitespace runs become one space, and brackets left empty (``[]``) go too.
"""

from __future__ import annotations

import re
import unicodedata

_DROP_CATEGORIES = frozenset(("So", "Sk", "Sm", "Cs", "Co", "Cn", "Cf", "Me"))
# Kept although non-ASCII "symbols": Noto Sans has them and release names use them (plus-minus,
# times, divide, degree, copyright, registered, trade mark, not, micro, middle dot). Written as
# code points: the glyph test keeps our own string literals to what the default font draws.
_KEEP = frozenset(map(chr, (0xB1, 0xD7, 0xF7, 0xB0, 0xA9, 0xAE, 0x2122, 0xAC, 0xB5, 0xB7)))
_INFORMATION_SOURCE = chr(0x2139)  # a letter by category, an emoji in use
_EMPTY_BRACKETS = re.compile(r"\[\s*\]|\(\s*\)|\{\s*\}")
_SPACES = re.compile(r"\s+")


def _drawable(char: str) -> bool:
    if char.isascii() or char in _KEEP:
        return True
    if char == _INFORMATION_SOURCE:
        return False
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return False
    return unicodedata.category(char) not in _DROP_CATEGORIES


def display_text(text: str) -> str:
    """``text`` without glyphs Kodi's font cannot draw, whitespace collapsed, stripped."""
    if not text:
        return ""
    kept = "".join(c if _drawable(c) else " " for c in str(text))
    kept = _EMPTY_BRACKETS.sub(" ", kept)
    return _SPACES.sub(" ", kept).strip(" :|")


def display_line(text: str) -> str:
    """Like :func:`display_text`, but keeps line breaks (a description's lines)."""
    lines = (display_text(line) for line in str(text or "").splitlines())
    return "\n".join(line for line in lines if line)


__all__ = ["display_line", "display_text"]
