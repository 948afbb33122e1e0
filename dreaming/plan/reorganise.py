"""Topic paths: where each memory lives in the exported memory directory.

The aim is a small, well-kept wiki: ``/user/preferences.md``,
``/user/profile.md``, ``/projects/<project>/conventions.md``,
``/tools/<command>.md``, ``/people/<speaker>.md``, ``/patterns.md``,
``/sessions/summaries.md``.  A path someone chose (an imported file's path,
a memory-tool path) is kept; only memories at the default ``/notes.md`` (or
with no better place) get a topic path.
"""

from __future__ import annotations

from dreaming.records import Memory
from dreaming.text.memory_files import DEFAULT_PATH, topic_path_of
from dreaming.text.paths import PathSet


def topic_path(memory: Memory) -> str:
    """The topic path for ``memory`` (its own path when it already has one)."""
    return topic_path_of(path=memory.path, kind=memory.kind, key=memory.key, content=memory.content,
                         metadata=memory.metadata)


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


def settle_path_clashes(upserts: tuple[Memory, ...], kept_paths: set[str]) -> tuple[Memory, ...]:
    """``upserts`` with every memory whose path would be both a file and a
    folder beside ``kept_paths`` (the store's paths) or another upsert's
    (``/a.md`` and ``/a.md/b.md``) moved to its topic path; the store's own
    paths win.  A memory directory could not hold both."""
    taken = PathSet(kept_paths)
    moved: dict[str, Memory] = {}
    for memory in sorted(upserts, key=lambda m: (m.path not in kept_paths, m.path)):
        path = memory.path
        if path not in taken.files and taken.clashes(path):
            path = topic_path(memory.replace(path=DEFAULT_PATH))
            if taken.clashes(path):
                path = DEFAULT_PATH
            moved[memory.id] = memory.replace(path=path)
        taken.add(path)
    return tuple(moved.get(m.id, m) for m in upserts) if moved else upserts
