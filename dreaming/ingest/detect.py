"""Which reader a file needs, and which files are refused outright.

Detection looks only at the head of a file: the first character, then the
first few JSON lines (JSONL formats) or the first array element / the
object (JSON documents).  A file is refused with one line when it is binary
(NUL bytes or mostly control characters in its first 8 KiB), larger than
the size limit, or in no known format (the message lists them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dreaming.errors import InputError
from dreaming.ingest import anthropic_messages, chat_jsonl, claude_code, locomo
from dreaming.ingest.common import Item, ReadOptions, Skip, Source, decode_json_line, is_blank, iter_raw_lines
from dreaming.ingest.jsonstream import TooLarge, first_char, iter_json_array, load_document

Reader = Callable[[Source, ReadOptions], Iterator[Item]]

#: format name -> reader, in the order detection tries them
FORMATS: dict[str, Reader] = {
    claude_code.FORMAT: claude_code.read,
    anthropic_messages.FORMAT: anthropic_messages.read,
    chat_jsonl.FORMAT: chat_jsonl.read,
    locomo.FORMAT: locomo.read,
}

#: files a directory walk considers (a named file is read whatever its name)
TRANSCRIPT_SUFFIXES = (".jsonl", ".ndjson", ".json")

_SNIFF_BYTES = 8192
_SNIFF_LINES = 5


def known_formats() -> str:
    return ", ".join(FORMATS)


def check_format(name: str) -> str:
    """``name`` if it is a known format, else an error listing them."""
    if name not in FORMATS:
        raise InputError(f"unknown format {name!r}; known formats: {known_formats()}")
    return name


def check_file(source: Source, *, max_bytes: int) -> None:
    """Refuse files over the size limit and binary files (one line each)."""
    if source.size > max_bytes:
        raise InputError(
            f"refused: {source.size:,} bytes is over the size limit of {max_bytes:,} bytes (raise it with --max-bytes)",
            location=source.display,
        )
    with open(source.path, "rb") as fh:
        head = fh.read(min(source.size, _SNIFF_BYTES))
    if b"\0" in head:
        raise InputError("refused: a binary file (it contains NUL bytes), not a transcript", location=source.display)
    text = head.decode("utf-8", errors="replace")
    odd = sum(1 for ch in text if (ch < " " and ch not in "\t\n\r\f\b") or ch == "\ufffd")
    if text and odd > len(text) // 10:
        raise InputError("refused: a binary file (mostly control bytes), not a transcript", location=source.display)


def _classify_line(obj: Any) -> str | None:
    if claude_code.looks_like(obj):
        return claude_code.FORMAT
    if chat_jsonl.looks_like(obj):
        return chat_jsonl.FORMAT
    return _classify_document(obj)


def _classify_document(obj: Any) -> str | None:
    if anthropic_messages.looks_like_document(obj):
        return anthropic_messages.FORMAT
    if locomo.looks_like(obj):
        return locomo.FORMAT
    return None


def detect(source: Source, options: ReadOptions) -> str | None:
    """The format of a file, ``None`` for an empty one; ``InputError``
    (listing the known formats) when it is in none of them."""
    start = first_char(source)
    if start is None:
        return None
    found: str | None = None
    if start == "[":
        for item in iter_json_array(source):
            if not isinstance(item, Skip):
                element = item[1]
                if anthropic_messages.looks_like_message(element):
                    found = anthropic_messages.FORMAT
                elif locomo.looks_like(element):
                    found = locomo.FORMAT
            break
    elif start == "{":
        lines = parsed = 0
        for line_no, raw in iter_raw_lines(source, options.max_line_bytes):
            if is_blank(raw):
                continue
            lines += 1
            obj, problem = decode_json_line(raw, line_no=line_no, max_line_bytes=options.max_line_bytes)
            if problem is None:
                parsed += 1
                found = _classify_line(obj)
            if found or lines >= _SNIFF_LINES:
                break
        if found is None and not parsed:  # perhaps one pretty-printed object
            try:
                found = _classify_document(load_document(source))
            except TooLarge as err:
                raise InputError(str(err), location=source.display) from None
            except ValueError:
                found = None
    if found is None:
        raise InputError(
            f"not a transcript in any known format (known formats: {known_formats()}; force one with --format)",
            location=source.display,
        )
    return found


def read_transcript(
    path: str | os.PathLike[str], *, format: str | None = None, options: ReadOptions | None = None
) -> Iterator[Item]:
    """Read one file: detect its format (unless forced) and stream its
    turns, sessions and skips.  An empty file yields nothing."""
    source = Source.of(path)
    options = options or ReadOptions()
    name = check_format(format) if format else detect(source, options)
    if name is None:
        return iter(())
    return FORMATS[name](source, options)


def iter_files(root: Path, *, _seen: set[Path] | None = None) -> Iterator[Path]:
    """Transcript files (by suffix) under a directory, recursively, in name
    order; hidden files and directories are left out, symlink loops cut."""
    seen = _seen if _seen is not None else set()
    real = root.resolve()
    if real in seen:
        return
    seen.add(real)
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from iter_files(entry, _seen=seen)
        elif entry.is_file() and entry.suffix.lower() in TRANSCRIPT_SUFFIXES:
            yield entry
