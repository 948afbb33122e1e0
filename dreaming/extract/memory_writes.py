"""Explicit memory writes found in transcripts.

* Claude's memory tool (``memory``, ``memory_20250818``): ``create``,
  ``str_replace``, ``insert``, ``delete`` and ``rename`` on paths under
  ``/memories``.
* Edits to ``CLAUDE.md`` / ``MEMORY.md`` through the agent's Write, Edit and
  MultiEdit tools.

An edit is read entry by entry (:func:`entry_diff`): a line the edit changed
*replaces* the line it was, a line it removed is *retracted*, a new line is
*added*.  The consolidation step (:mod:`dreaming.consolidate.edits`) replays
them in order against the store's memories, so the old text leaves the store
with the tool call as evidence.

The agent (or the user through it) chose to remember these, so they are the
most trustworthy candidates.  A call whose result was an error wrote nothing
and is skipped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, utils

from dreaming.records import ToolCall
from dreaming.text.memory_files import MEMORY_FILES, MEMORY_TOOL_NAMES, split_markdown
from dreaming.text.paths import BadPath, memory_path

#: what a write does to the store's memories
#: ``add`` (new entries), ``replace`` (``replaces`` -> ``content``), ``retract`` (``content`` leaves the store),
#: ``delete-file`` / ``rename-file`` (every memory at ``path`` leaves / moves to ``new_path``),
#: ``write-file`` (the file now holds exactly its entries: the others at ``path`` leave)
WRITE_OPS = ("add", "replace", "retract", "delete-file", "rename-file", "write-file")


@dataclass(frozen=True, kw_only=True)
class MemoryWrite:
    content: str
    path: str | None
    rule: str
    #: see :data:`WRITE_OPS`
    op: str = "add"
    #: the entries this one replaces (``op == "replace"``)
    replaces: tuple[str, ...] = ()
    #: the new path of a renamed file (``op == "rename-file"``)
    new_path: str | None = None
    #: every entry of the file after a ``write-file``
    file_entries: tuple[str, ...] = ()


def _memory_path(raw: str) -> str | None:
    """The memory path a memory-tool path names; ``None`` for a path outside
    ``/memories`` or one :func:`dreaming.text.paths.memory_path` refuses
    (``/memories/../../home/me/.bashrc``): such a write is not remembered."""
    if raw != "/memories" and not raw.startswith("/memories/"):
        return None
    try:
        return memory_path(raw)
    except BadPath:
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _fold(entry: str) -> str:
    return " ".join(entry.lower().split())


def entry_diff(old: str, new: str, *, path: str | None, rule: str) -> Iterator[MemoryWrite]:
    """An edit (``old`` text -> ``new`` text) as entry-level writes: an entry
    only in ``new`` replaces the most similar entry only in ``old`` (a changed
    line), or is added; an entry only in ``old`` with no counterpart leaves."""
    old_entries = [e for e in split_markdown(old) if e.strip()]
    new_entries = [e for e in split_markdown(new) if e.strip()]
    old_keys = {_fold(e) for e in old_entries}
    new_keys = {_fold(e) for e in new_entries}
    removed = [e for e in old_entries if _fold(e) not in new_keys]
    added = [e for e in new_entries if _fold(e) not in old_keys]
    pairs: dict[int, int] = {}  # added index -> removed index
    free = set(range(len(removed)))
    for i, entry in enumerate(added):
        if not free:
            break
        # an edit keeps its line's position; among the removed lines, the most similar one is the one edited
        best = max(sorted(free), key=lambda j: fuzz.token_set_ratio(entry, removed[j], processor=utils.default_process))
        if len(added) == len(removed) or fuzz.token_set_ratio(entry, removed[best], processor=utils.default_process) >= 40:
            pairs[i] = best
            free.discard(best)
    for i, entry in enumerate(added):
        if i in pairs:
            yield MemoryWrite(content=entry, path=path, rule=rule, op="replace", replaces=(removed[pairs[i]],))
        else:
            yield MemoryWrite(content=entry, path=path, rule=rule, op="add")
    for j in sorted(free):
        yield MemoryWrite(content=removed[j], path=path, rule=rule, op="retract")


def memory_writes(call: ToolCall) -> Iterator[MemoryWrite]:
    """What a tool call did to memory, if it was a memory write, entry by entry."""
    if call.is_error:
        return
    data: Mapping[str, Any] = call.input or {}
    name = call.name.lower()
    if name in MEMORY_TOOL_NAMES:
        command = _text(data.get("command"))
        rule = f"memory-tool:{command}"
        if command == "rename":
            old_path = _memory_path(_text(data.get("old_path")) or _text(data.get("path")))
            new_path = _memory_path(_text(data.get("new_path")))
            if old_path and new_path:
                yield MemoryWrite(content=old_path, path=old_path, rule=rule, op="rename-file", new_path=new_path)
            return
        path = _memory_path(_text(data.get("path")))
        if path is None:
            return
        if command == "create":
            entries = tuple(e for e in split_markdown(_text(data.get("file_text"))) if e.strip())
            for entry in entries:
                yield MemoryWrite(content=entry, path=path, rule=rule, op="add")
            yield MemoryWrite(content=path, path=path, rule=rule, op="write-file", file_entries=entries)
        elif command == "str_replace":
            yield from entry_diff(_text(data.get("old_str")), _text(data.get("new_str")), path=path, rule=rule)
        elif command == "insert":
            for entry in split_markdown(_text(data.get("insert_text"))):
                yield MemoryWrite(content=entry, path=path, rule=rule, op="add")
        elif command == "delete":
            yield MemoryWrite(content=path, path=path, rule=rule, op="delete-file")
        return
    if name not in ("write", "edit", "multiedit"):
        return
    file_path = _text(data.get("file_path"))
    base = posixpath.basename(file_path)
    if base.lower() not in MEMORY_FILES:
        return
    rule = f"{base}:{name}"
    if name == "write":
        for entry in split_markdown(_text(data.get("content"))):
            yield MemoryWrite(content=entry, path=None, rule=rule, op="add")
    elif name == "edit":
        yield from entry_diff(_text(data.get("old_string")), _text(data.get("new_string")), path=None, rule=rule)
    else:
        edits = data.get("edits")
        for e in edits if isinstance(edits, list) else []:
            if isinstance(e, dict):
                yield from entry_diff(_text(e.get("old_string")), _text(e.get("new_string")), path=None, rule=rule)
