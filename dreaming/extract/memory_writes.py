"""Explicit memory writes found in transcripts.

* Claude's memory tool (``memory``, ``memory_20250818``): ``create``,
  ``str_replace`` and ``insert`` on paths under ``/memories``.
* Edits to ``CLAUDE.md`` / ``MEMORY.md`` through the agent's Write, Edit and
  MultiEdit tools: the lines the edit added.

The agent (or the user through it) chose to remember these, so they are the
most trustworthy candidates.  A call whose result was an error wrote nothing
and is skipped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dreaming.records import ToolCall
from dreaming.store.files import split_markdown

MEMORY_TOOL_NAMES = {"memory", "memory_20250818"}
MEMORY_FILES = {"claude.md", "memory.md", "claude.local.md"}


@dataclass(frozen=True, kw_only=True)
class MemoryWrite:
    content: str
    path: str | None
    rule: str


def _memory_path(raw: str) -> str | None:
    if not raw.startswith("/memories"):
        return None
    rest = raw[len("/memories"):].strip("/")
    return "/" + rest if rest else None


def _added_lines(old: str, new: str) -> str:
    old_lines = set(old.splitlines())
    return "\n".join(line for line in new.splitlines() if line not in old_lines)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def memory_writes(call: ToolCall) -> Iterator[MemoryWrite]:
    """The entries a tool call wrote into memory, if it was a memory write."""
    if call.is_error:
        return
    data: Mapping[str, Any] = call.input or {}
    name = call.name.lower()
    if name in MEMORY_TOOL_NAMES:
        command = data.get("command")
        path = _memory_path(_text(data.get("path")))
        if path is None:
            return
        if command == "create":
            body = _text(data.get("file_text"))
        elif command == "str_replace":
            body = _text(data.get("new_str"))
        elif command == "insert":
            body = _text(data.get("insert_text"))
        else:
            return
        for entry in split_markdown(body):
            yield MemoryWrite(content=entry, path=path, rule=f"memory-tool-{command}")
        return
    if name not in ("write", "edit", "multiedit"):
        return
    file_path = _text(data.get("file_path"))
    if posixpath.basename(file_path).lower() not in MEMORY_FILES:
        return
    if name == "write":
        body = _text(data.get("content"))
    elif name == "edit":
        body = _added_lines(_text(data.get("old_string")), _text(data.get("new_string")))
    else:
        edits = data.get("edits") if isinstance(data.get("edits"), list) else []
        body = "\n".join(
            _added_lines(_text(e.get("old_string")), _text(e.get("new_string"))) for e in edits if isinstance(e, dict)
        )
    for entry in split_markdown(body):
        yield MemoryWrite(content=entry, path=None, rule=f"{posixpath.basename(file_path)}-edit")
