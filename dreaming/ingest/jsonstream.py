"""Reading a JSON document that is one big array, one element at a time.

LoCoMo files and Anthropic Messages conversations are JSON documents, not
JSONL; when the top level is an array we decode its elements one by one
from a sliding buffer (``json.JSONDecoder.raw_decode``), so memory holds one
element, not the file.  ``json.loads`` of the whole file is the reference
this is tested against.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any

from dreaming.ingest.common import Skip, Source

_CHUNK = 1 << 20
#: the largest JSON document read whole (a top-level object), and the largest
#: element of a top-level array: parsed, such a document takes several times
#: its size in memory, and a single input must stay well under 512 MB
MAX_DOCUMENT_BYTES = 32 << 20


class TooLarge(ValueError):
    """A JSON document or element over :data:`MAX_DOCUMENT_BYTES`."""
_WS = " \t\r\n"
#: a decode error this close to the end of the buffer may just need more data
_TAIL = 16


def first_char(source: Source) -> str | None:
    """The first non-whitespace character of the file (BOM skipped)."""
    with open(source.path, "rb") as fh:
        head = fh.read(min(source.size, 4096))
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff" + _WS)
    return text[0] if text else None


class _Buffer:
    """Decoded text of the file, read on demand, with line counting."""

    def __init__(self, source: Source, chunk: int) -> None:
        self.fh = open(source.path, "rb")  # noqa: SIM115 (read on demand; closed by close())
        self.remaining = source.size
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.chunk = chunk
        self.text = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def close(self) -> None:
        self.fh.close()

    def more(self, at_least: int = 0) -> bool:
        """Read more; False at the end of the file.  Raises UnicodeDecodeError."""
        if self.eof:
            return False
        size = min(max(self.chunk, at_least), self.remaining)
        data = self.fh.read(size) if size > 0 else b""
        self.remaining -= len(data)
        final = not data or self.remaining <= 0
        piece = self.decoder.decode(data, final=final)
        if final:
            self.eof = True
        if self.pos > len(self.text) // 2:
            self.text = self.text[self.pos :]
            self.pos = 0
        self.text += piece
        return bool(piece) or not self.eof

    def advance(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def skip_ws(self) -> str | None:
        """The next non-whitespace character (not consumed), None at EOF."""
        while True:
            n = len(self.text)
            pos = self.pos
            while pos < n and self.text[pos] in _WS:
                pos += 1
            self.advance(pos)
            if pos < n:
                return self.text[pos]
            if not self.more():
                return None


def iter_json_array(source: Source, *, chunk: int = _CHUNK) -> Iterator[tuple[int, Any] | Skip]:
    """``(line, element)`` for each element of a top-level JSON array.

    A problem ends the reading with one ``Skip`` (a damaged JSON document
    cannot be resynchronised): elements before it are kept.
    """
    decoder = json.JSONDecoder()
    buf = _Buffer(source, chunk)
    try:
        yield from _elements(buf, decoder, source)
    except UnicodeDecodeError as err:
        yield Skip(location=source.at(buf.line), reason=f"invalid UTF-8 (byte {err.start} of a chunk); stopped reading")
    finally:
        buf.close()


_DELIMITERS = ",]" + _WS
#: how far past a number we look for its end before calling it malformed
_SCALAR_TAIL = 32


def _elements(buf: _Buffer, decoder: json.JSONDecoder, source: Source) -> Iterator[tuple[int, Any] | Skip]:
    truncated = "truncated JSON document (the file may still be being written)"
    if buf.skip_ws() != "[":
        yield Skip(location=source.at(buf.line), reason="not a JSON array")
        return
    buf.advance(buf.pos + 1)
    ch = buf.skip_ws()
    if ch == "]":
        return
    while True:
        if ch is None:
            yield Skip(location=source.at(buf.line), reason=truncated)
            return
        while True:
            try:
                value, end = decoder.raw_decode(buf.text, buf.pos)
            except RecursionError:
                yield Skip(location=source.at(buf.line), reason="malformed JSON (nested too deeply)")
                return
            except json.JSONDecodeError as err:
                incomplete = err.msg.startswith("Unterminated string") or err.pos >= len(buf.text) - _TAIL
                if incomplete and len(buf.text) - buf.pos > MAX_DOCUMENT_BYTES:
                    yield Skip(location=source.at(buf.line),
                               reason=f"an element over {MAX_DOCUMENT_BYTES >> 20} MB; stopped reading")
                    return
                if incomplete and buf.more(len(buf.text) - buf.pos):
                    continue
                yield Skip(location=source.at(buf.line), reason=truncated if incomplete else f"malformed JSON ({err.msg})")
                return
            except ValueError as err:  # e.g. an integer too long to convert
                yield Skip(location=source.at(buf.line), reason=f"malformed JSON ({err})")
                return
            # a number or literal may go on in the next chunk ("1" of "12", "0" of "0.5")
            scalar = buf.text[buf.pos] not in '{["'
            unfinished = end >= len(buf.text) or (
                buf.text[end] not in _DELIMITERS and len(buf.text) - end < _SCALAR_TAIL
            )
            if scalar and unfinished and buf.more():
                continue
            break
        line = buf.line
        buf.advance(end)
        ch = buf.skip_ws()
        # an element counts only when a ',' or ']' follows it: "1" may be the start of "1e5"
        if ch is None:
            yield Skip(location=source.at(buf.line), reason=truncated)
            return
        if ch not in ",]":
            yield Skip(location=source.at(buf.line), reason=f"malformed JSON: expected ',' or ']', got {ch!r}")
            return
        yield line, value
        buf.advance(buf.pos + 1)
        if ch == "]":
            return
        ch = buf.skip_ws()


def load_document(source: Source) -> Any:
    """The whole JSON document (used only for top-level objects, whose size
    the caller has bounded).  Raises ``ValueError`` with a reason
    (:class:`TooLarge` over :data:`MAX_DOCUMENT_BYTES`)."""
    if source.size > MAX_DOCUMENT_BYTES:
        raise TooLarge(
            f"refused: one JSON object of {source.size:,} bytes, over the {MAX_DOCUMENT_BYTES >> 20} MB a document "
            f"is read whole (write it as a JSON array or JSONL, which are read one element at a time)"
        )
    with open(source.path, "rb") as fh:
        data = fh.read(source.size)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"invalid UTF-8 (byte {err.start})") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("malformed JSON (nested too deeply)") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"malformed JSON at line {err.lineno}: {err.msg}") from None
    except ValueError as err:
        raise ValueError(f"malformed JSON: {err}") from None
