"""The memory files' conventions: paths, entries, and the names an agent writes them by.

A memory lives at a path like ``/user/preferences.md`` (:func:`normalise_path`;
:data:`DEFAULT_PATH` when nothing better is known); a markdown memory file
holds one memory per bullet or paragraph (:func:`split_entries`), with an
optional ``<!-- dreaming {...} -->`` comment of metadata.  Agents write
memory through Claude's memory tool (:data:`MEMORY_TOOL_NAMES`, paths under
``/memories``) or by editing a memory file (:data:`MEMORY_FILES`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dreaming.errors import InputError
from dreaming.text.paths import BadPath, memory_path
from dreaming.text.tokens import words

#: where a memory goes when nothing better is known
DEFAULT_PATH = "/notes.md"
#: Claude's memory tool, by the names it is called
MEMORY_TOOL_NAMES = frozenset({"memory", "memory_20250818"})
#: files an agent keeps its memory in (lowercased base names)
MEMORY_FILES = frozenset({"claude.md", "memory.md", "claude.local.md"})

_COMMENT_RE = re.compile(r"<!-- dreaming (\{.*\}) -->\s*$", re.DOTALL)


# --- paths -----------------------------------------------------------------


def normalise_path(raw: str, *, location: str | None = None) -> str:
    """A memory path (:func:`dreaming.text.paths.memory_path`); a bad one raises ``InputError``."""
    if isinstance(raw, str) and raw in _CLEAN_PATHS:
        return raw
    try:
        clean = memory_path(raw)
    except BadPath as err:
        raise InputError(str(err), location=location) from None
    if len(_CLEAN_PATHS) < 10_000:
        _CLEAN_PATHS.add(clean)
    return clean


_CLEAN_PATHS: set[str] = set()  # paths already known to be normalised (imports repeat a few paths many times)


def slug(text: str) -> str:
    """``text`` as a file name: its words joined by dashes, at most 60 characters."""
    return "-".join(words(text))[:60] or "notes"


# --- markdown entries --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Entry:
    text: str
    lineno: int
    meta: dict[str, Any] | None
    section: str | None


#: a bullet ("- ", "* ", "+ ") or a numbered item ("1. ", "2) ")
_BULLET = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")


def split_entries(lines: Sequence[str], *, location_prefix: str) -> Iterator[Entry]:
    """Bullets (``-``/``*``/``+``, continuation lines indented) and paragraphs.

    Headings set the current section; HTML comments on their own line and
    blank lines separate entries.
    """
    section: str | None = None
    buf: list[str] = []
    start = 0
    bullet = False

    def flush() -> Iterator[Entry]:
        nonlocal buf
        if buf:
            text = "\n".join(buf)
            meta = None
            at = text.rfind("<!-- dreaming ")
            match = _COMMENT_RE.match(text, at) if at >= 0 else None
            if match:
                try:
                    meta = json.loads(match.group(1))
                except (json.JSONDecodeError, RecursionError):
                    raise InputError(
                        "malformed <!-- dreaming {...} --> comment (invalid JSON)",
                        location=f"{location_prefix}:{start}",
                    ) from None
                text = text[: match.start()]
            text = text.strip()
            if text:
                yield Entry(text=text, lineno=start, meta=meta, section=section)
        buf = []

    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n").rstrip("\r")
        stripped = line.strip()
        is_bullet = bool(_BULLET.match(line))
        if bullet and buf and line.startswith("  "):
            buf.append(line[2:])  # a continuation line ("  " alone: an empty line in the entry)
            continue
        if stripped.startswith("#") and re.match(r"^#{1,6}\s", stripped):
            yield from flush()
            bullet = False
            section = stripped.lstrip("#").strip()
            continue
        if not stripped or (stripped.startswith("<!--") and stripped.endswith("-->") and not buf):
            yield from flush()
            bullet = False
            continue
        if is_bullet:
            yield from flush()
            bullet = True
            start = lineno
            buf.append(_BULLET.sub("", line, count=1))
            continue
        if bullet:
            yield from flush()
            bullet = False
        if not buf:
            start = lineno
        buf.append(line)
    yield from flush()


def split_markdown(text: str) -> list[str]:
    """The entries (bullets or paragraphs) of a markdown text, headings dropped."""
    return [e.text for e in split_entries(text.split("\n"), location_prefix="<text>")]


def topic_path_of(*, path: str | None, kind: str, key: str | None, content: str, metadata: Mapping[str, Any]) -> str:
    """Where a memory lives in the exported memory directory, from its fields
    (``dreaming.plan.reorganise.topic_path`` for a memory; an importer files
    a memory before building it): its own path when it has one other than
    the default, else a topic file for its kind, key, speaker or project."""
    if path and path != DEFAULT_PATH:
        return path
    meta = metadata or {}
    project = meta.get("project") if isinstance(meta.get("project"), str) else None
    speaker = meta.get("speaker") if isinstance(meta.get("speaker"), str) else None
    key = key or ""
    if kind == "pattern":
        return "/patterns.md"
    if kind == "summary":
        return f"/projects/{slug(project)}/sessions.md" if project else "/sessions/summaries.md"
    if speaker:
        return f"/people/{slug(speaker)}.md"
    if kind == "workaround":
        parts = key.split(".")
        command = parts[2] if len(parts) >= 3 and parts[2] else (parts[1] if len(parts) >= 2 else "tools")
        return f"/tools/{slug(command)}.md"
    if key.startswith("user.") or re.match(r"^(?:User|The user)\b", content):
        return "/user/preferences.md" if kind in ("preference", "procedure") else "/user/profile.md"
    if kind == "procedure":
        return f"/projects/{slug(project)}/conventions.md" if project else "/procedures.md"
    if kind == "preference":
        return "/user/preferences.md"
    if project:
        return f"/projects/{slug(project)}/facts.md"
    return "/facts.md" if kind == "fact" else DEFAULT_PATH
