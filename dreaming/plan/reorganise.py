"""Topic paths: where each memory lives in the exported memory directory.

The aim is a small, well-kept wiki: ``/user/preferences.md``,
``/user/profile.md``, ``/projects/<project>/conventions.md``,
``/tools/<command>.md``, ``/people/<speaker>.md``, ``/patterns.md``,
``/sessions/summaries.md``.  A path someone chose (an imported file's path,
a memory-tool path) is kept; only memories at the default ``/notes.md`` (or
with no better place) get a topic path.
"""

from __future__ import annotations

import re

from dreaming.records import Memory
from dreaming.store.files import DEFAULT_PATH, slug


def topic_path(memory: Memory) -> str:
    """The topic path for ``memory`` (its own path when it already has one)."""
    if memory.path and memory.path != DEFAULT_PATH:
        return memory.path
    meta = memory.metadata or {}
    project = meta.get("project")
    speaker = meta.get("speaker")
    key = memory.key or ""
    if memory.kind == "pattern":
        return "/patterns.md"
    if memory.kind == "summary":
        return f"/projects/{slug(project)}/sessions.md" if project else "/sessions/summaries.md"
    if speaker:
        return f"/people/{slug(speaker)}.md"
    if memory.kind == "workaround":
        parts = key.split(".")
        command = parts[2] if len(parts) >= 3 and parts[2] else (parts[1] if len(parts) >= 2 else "tools")
        return f"/tools/{slug(command)}.md"
    if key.startswith("user.") or re.match(r"^(?:User|The user)\b", memory.content):
        return "/user/preferences.md" if memory.kind in ("preference", "procedure") else "/user/profile.md"
    if memory.kind == "procedure":
        return f"/projects/{slug(project)}/conventions.md" if project else "/procedures.md"
    if memory.kind == "preference":
        return "/user/preferences.md"
    if project:
        return f"/projects/{slug(project)}/facts.md"
    return "/facts.md" if memory.kind == "fact" else DEFAULT_PATH


def best_path(memories: list[Memory]) -> str:
    """The path a merged group keeps: the most common specific path among
    members (ties: the earliest member's), else a topic path."""
    specific = [m.path for m in memories if m.path and m.path != DEFAULT_PATH]
    if specific:
        counts: dict[str, int] = {}
        for p in specific:
            counts[p] = counts.get(p, 0) + 1
        top = max(counts.values())
        return next(p for p in specific if counts[p] == top)
    return topic_path(memories[0])
