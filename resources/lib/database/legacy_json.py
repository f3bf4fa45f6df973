"""Streaming read of one 2.7.x cache file: ``{"timestamp": ..., "cache_type": ..., "data": [...]}``.

A watched-shows cache at Trakt's 100K-play cap is a 60 MB file. ``json.load`` holds its bytes,
its text and the whole decoded tree at once (hundreds of MB, more than a TV box has). Here the
file is read in chunks and each element of the ``data`` list is decoded on its own
(``JSONDecoder.raw_decode``) and handed to a callback, so memory stays at one chunk plus one
element. The other members of the wrapper are small and decoded whole.

Errors are ``json.JSONDecodeError`` (same messages as ``json.loads``), ``UnicodeDecodeError``,
:class:`EmptyFile`, :class:`EntryTooLarge`, or ``RecursionError`` for absurd nesting.
"""

from __future__ import annotations

import codecs
import json
from typing import Any, BinaryIO, Callable, Dict, Optional

CHUNK = 256 * 1024
# One element of ``data`` (one show with its seasons) is a few KB, a show with thousands of
# episodes a few hundred KB; an element larger than this is not one the old add-on wrote.
MAX_ENTRY_CHARS = 16 * 1024 * 1024
WHITESPACE = " \t\n\r"
DELIMITERS = ",:]}"
SPLIT_TOKEN_SLACK = 64
# Stands in the returned members for a ``data`` list whose elements went to the callback.
STREAMED = object()


class EntryTooLarge(ValueError):
    """An element (or the text before it ends) exceeds :data:`MAX_ENTRY_CHARS`."""


class EmptyFile(ValueError):
    """The file holds nothing but white space."""


class _Reader:
    """A window of decoded text over the file; ``pos`` indexes into ``buf``."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.chunk = CHUNK

    def fill(self) -> None:
        """Drop what was consumed and read one more chunk (the next one twice as large while a
        single element does not fit)."""
        raw = self.handle.read(self.chunk)
        text = self.decoder.decode(raw, final=not raw)
        self.eof = not raw
        self.buf = self.buf[self.pos :] + text
        self.pos = 0

    def peek(self) -> str:
        """The next non-blank character ("" at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos] if self.pos < len(self.buf) else ""
            self.fill()

    def expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            raise json.JSONDecodeError(message, self.buf, self.pos)
        self.pos += 1

    def value(self, decoder: json.JSONDecoder) -> Any:
        """Decode the next JSON value, reading on until it and the character after it are in."""
        self.peek()
        while True:
            try:
                obj, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self.eof:
                    raise
                self._more()
                continue
            after = end
            while after < len(self.buf) and self.buf[after] in WHITESPACE:
                after += 1
            # "12" may be "123", and "1." or "1e" the start of "1.5" or "1e3", in the next
            # chunk: a value counts as complete once a delimiter follows it.
            cut = after >= len(self.buf) or (
                self.buf[after] not in DELIMITERS and len(self.buf) - after < SPLIT_TOKEN_SLACK
            )
            if cut and not self.eof:
                self._more()
                continue
            self.pos = end
            self.chunk = CHUNK
            return obj

    def _more(self) -> None:
        if len(self.buf) - self.pos > MAX_ENTRY_CHARS:
            raise EntryTooLarge("an entry larger than %d characters" % MAX_ENTRY_CHARS)
        self.chunk = min(self.chunk * 2, MAX_ENTRY_CHARS)
        self.fill()


def read_wrapper(
    handle: BinaryIO, on_item: Optional[Callable[[Any], None]] = None
) -> Optional[Dict[str, Any]]:
    """The wrapper object's members, or None when the file's top-level value is not an object.

    When ``data`` is a list, each element goes to ``on_item`` (if given) and ``members["data"]``
    is :data:`STREAMED`. The whole file is checked: trailing text raises like ``json.loads``.
    """
    decoder = json.JSONDecoder()
    reader = _Reader(handle)
    first = reader.peek()
    if first == "":
        raise EmptyFile("empty file")
    if first != "{":
        if first == "[":
            return None  # the pre-wrapper format: a bare list
        reader.value(decoder)  # a scalar: valid JSON (not a wrapper) or a decode error
        _expect_end(reader)
        return None
    reader.pos += 1
    members: Dict[str, Any] = {}
    if reader.peek() == "}":
        reader.pos += 1
        _expect_end(reader)
        return members
    while True:
        if reader.peek() != '"':
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", reader.buf, reader.pos
            )
        key = reader.value(decoder)
        reader.expect(":", "Expecting ':' delimiter")
        if key == "data" and reader.peek() == "[":
            reader.pos += 1
            _stream_list(reader, decoder, on_item)
            members[key] = STREAMED
        else:
            members[key] = reader.value(decoder)
        following = reader.peek()
        reader.pos += 1
        if following == "}":
            break
        if following != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", reader.buf, reader.pos - 1)
    _expect_end(reader)
    return members


def _stream_list(
    reader: _Reader, decoder: json.JSONDecoder, on_item: Optional[Callable[[Any], None]]
) -> None:
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        item = reader.value(decoder)
        if on_item is not None:
            on_item(item)
        following = reader.peek()
        reader.pos += 1
        if following == "]":
            return
        if following != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", reader.buf, reader.pos - 1)


def _expect_end(reader: _Reader) -> None:
    if reader.peek() != "":
        raise json.JSONDecodeError("Extra data", reader.buf, reader.pos)
