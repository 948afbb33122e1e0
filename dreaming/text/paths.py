"""Memory paths: the one validator every way in uses.

A memory's path (``/user/preferences.md``) becomes a file name when a store
is exported as a memory directory, so a path is checked where it enters
(ingest of a memory-tool call, import, a model's reply) and refused when it
could name anything but a file inside the export folder:

* normalised: ``/``-rooted, a leading ``/memories`` dropped, empty and ``.``
  segments dropped;
* refused: a ``..`` segment, NUL or any control character (newlines
  included), a backslash, a lone surrogate, more than :data:`MAX_BYTES`
  UTF-8 bytes (the hosted memory stores' limit) or a segment over
  :data:`MAX_SEGMENT_BYTES` (a file name's limit).

:func:`folder_conflict` finds a path that would be both a file and a folder
(``/a.md`` and ``/a.md/b.md``), which no directory can hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: longest path, in UTF-8 bytes
MAX_BYTES = 1024
#: longest segment (one file or folder name), in UTF-8 bytes
MAX_SEGMENT_BYTES = 255

_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\\ud800-\udfff]")
_NAMES = {"\x00": "a NUL byte", "\n": "a newline", "\r": "a carriage return", "\\": "a backslash"}


class BadPath(ValueError):
    """A memory path that must not be stored (the message says why)."""


def memory_path(raw: object) -> str:
    """``raw`` as a normalised memory path; raises :class:`BadPath`."""
    if not isinstance(raw, str) or not raw.strip():
        raise BadPath("path must be a non-empty string such as /user/preferences.md")
    bad = _FORBIDDEN.search(raw)
    if bad:
        char = bad.group()
        what = _NAMES.get(char) or (
            "a lone surrogate" if "\ud800" <= char <= "\udfff" else f"the control character U+{ord(char):04X}"
        )
        raise BadPath(f"invalid memory path {raw[:80]!r}: it holds {what}")
    text = raw.strip()
    if text == "/memories" or text.startswith("/memories/"):
        text = text[len("/memories"):]
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise BadPath(f"invalid memory path {raw[:80]!r}: use a path like /user/preferences.md (no '..')")
    clean = "/" + "/".join(parts)
    if len(clean.encode("utf-8")) > MAX_BYTES:
        raise BadPath(f"memory path is longer than {MAX_BYTES} bytes: {raw[:60]!r}...")
    if any(len(p.encode("utf-8")) > MAX_SEGMENT_BYTES for p in parts):
        raise BadPath(f"invalid memory path {raw[:60]!r}...: a name in it is longer than {MAX_SEGMENT_BYTES} bytes")
    return clean


def is_memory_path(raw: object) -> bool:
    """Whether ``raw`` is already a normalised, valid memory path."""
    try:
        return memory_path(raw) == raw
    except BadPath:
        return False


def folders_of(path: str) -> list[str]:
    """The folders a normalised path lies in: ``/a/b/c.md`` -> ``/a``, ``/a/b``."""
    return [path[:i] for i, c in enumerate(path) if c == "/" and i > 0]


def folder_conflict(paths: Iterable[str]) -> tuple[str, str] | None:
    """A pair ``(file, path inside it)`` of normalised paths that cannot both
    exist in one directory (``/a.md`` and ``/a.md/b.md``), or ``None``."""
    known = set(paths)
    for path in sorted(known):
        for folder in folders_of(path):
            if folder in known:
                return folder, path
    return None


class PathSet:
    """Paths taken so far, answering whether one more would clash."""

    def __init__(self, paths: Iterable[str] = ()):
        self.files: set[str] = set()
        self.folders: set[str] = set()
        for path in paths:
            self.add(path)

    def clashes(self, path: str) -> bool:
        return path in self.folders or any(f in self.files for f in folders_of(path))

    def add(self, path: str) -> None:
        self.files.add(path)
        self.folders.update(folders_of(path))
