"""A memory's file is part of what it means.

``Tier: Pro (annual)`` under ``/clients/harbor-bikes.md`` and under
``/clients/elmwood-dental.md`` are two facts about two clients, however equal
the lines.  A memory store laid out as a folder of entity files (clients,
patients, people, projects, models, constructs) says the entity in the path,
not in the line; the consolidation core compares lines.  This module draws
the line the path draws.

A memory's *scope* is where its path places it among siblings:

* a file under a folder (``/clients/harbor-bikes.md``): the folder and the
  file's stem (``("clients", "harbor-bikes")``);
* the same file name under sibling folders (``/projects/velo/meta.md``,
  ``/projects/gbfs/meta.md``): the scope is the varying folder -- the rule
  below compares the two paths segment by segment, so both shapes are one
  rule.

Two memories are *in different scopes* when their paths have the same depth
(at least two segments), differ in exactly one segment, and neither text
names the other's differing segment (as words: ``harbor-bikes`` -> "harbor
bikes").  Top-level files (``/notes.md``, ``/user.md``), the default path new
memories get, and paths of different shapes are not scoped: a preference in
``/notes.md`` still merges with the same one in ``/user/preferences.md``.

Pairs in different scopes are never merged, superseded, flagged as a conflict
or sent to the judge: :func:`apply` removes such decisions from a
consolidation.  Nothing is decided *into* existence here; the rule only keeps
apart what the core would have joined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from dreaming.consolidate.results import Consolidation, Merge
from dreaming.records import Memory

#: the path a memory gets when nothing says where it belongs (never scoped)
UNPLACED = frozenset({"", "/", "/notes.md"})
_WORD = re.compile(r"[a-z0-9]+")


def _segments(path: str | None) -> tuple[str, ...]:
    if not path or path in UNPLACED:
        return ()
    parts = [p for p in path.strip("/").split("/") if p]
    if parts:
        last = parts[-1]
        parts[-1] = last[:-3] if last.lower().endswith(".md") else last
    return tuple(parts)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def _names(text_words: Sequence[str], segment: str) -> bool:
    """``segment``'s words appear in the text, in order, side by side."""
    want = _words(segment)
    if not want:
        return False
    n = len(want)
    return any(tuple(text_words[i : i + n]) == want for i in range(len(text_words) - n + 1))


def differing_segment(a: str | None, b: str | None) -> tuple[str, str] | None:
    """The one segment in which two scoped paths differ (``None``: not siblings)."""
    sa, sb = _segments(a), _segments(b)
    if len(sa) < 2 or len(sa) != len(sb):
        return None
    diff = [(x, y) for x, y in zip(sa, sb) if x != y]
    return diff[0] if len(diff) == 1 else None


def apart(a: Memory, b: Memory) -> bool:
    """``a`` and ``b`` are about different entities by their paths (see the module doc)."""
    diff = differing_segment(a.path, b.path)
    if diff is None:
        return False
    seg_a, seg_b = diff
    words_a, words_b = _words(a.content), _words(b.content)
    # a text that names the other file's entity is about it, wherever it is filed
    return not (_names(words_a, seg_b) or _names(words_b, seg_a))


def _split_merge(merge: Merge, by_id: Mapping[str, Memory]) -> tuple[Merge | None, list[str]]:
    """The merge restricted to the members its kept memory may join; the others are left out."""
    keep = by_id.get(merge.memory.id)
    if keep is None:
        return merge, []
    members = [i for i in merge.members if i == keep.id or i not in by_id or not apart(keep, by_id[i])]
    left = [i for i in merge.members if i not in members]
    # a member kept must also be compatible with every other kept member
    members = [i for i in members if all(i == j or i not in by_id or j not in by_id or not apart(by_id[i], by_id[j])
                                         for j in members)]
    left = [i for i in merge.members if i not in members]
    if len(members) < 2:
        return None, left
    if not left:
        return merge, []
    return replace(merge, members=tuple(members)), left


def apply(consolidation: Consolidation, memories: Sequence[Memory]) -> tuple[Consolidation, list[tuple[str, str]]]:
    """``consolidation`` without decisions that join memories of different scopes,
    and the pairs it kept apart (for the report)."""
    by_id = {m.id: m for m in memories}
    kept_apart: list[tuple[str, str]] = []
    merges = []
    for merge in consolidation.merges:
        trimmed, left = _split_merge(merge, by_id)
        kept_apart.extend((merge.memory.id, i) for i in left)
        if trimmed is not None:
            merges.append(trimmed)

    def ok(*ids: str) -> bool:
        mems = [by_id[i] for i in ids if i in by_id]
        for x in range(len(mems)):
            for y in range(x + 1, len(mems)):
                if apart(mems[x], mems[y]):
                    kept_apart.append((mems[x].id, mems[y].id))
                    return False
        return True

    # a supersede or conflict names ids after merging; a left-out member keeps its own id
    supersedes = tuple(s for s in consolidation.supersedes if ok(s.old_id, s.new_id))
    conflicts = tuple(c for c in consolidation.conflicts if ok(*c.ids))
    ambiguous = tuple(a for a in consolidation.ambiguous if ok(*a.ids))
    return replace(consolidation, merges=tuple(merges), supersedes=supersedes, conflicts=conflicts,
                   ambiguous=ambiguous), kept_apart


class EntityFiles:
    """Which files of a store are entity files: a folder whose files hold *parallel* facts (two or more of
    its files carry the same label -- "Desk: ..." in /people/sunil.md and in /people/aileen.md -- or the same
    line).  Such a file's entity is its stem ("sunil"); a fact filed there is about that entity, so a memory
    from elsewhere can replace it only if it names the entity."""

    def __init__(self, memories: Sequence[Memory]) -> None:
        from dreaming.consolidate.updates import label_of

        by_folder: dict[str, dict[str, set[str]]] = {}
        for m in memories:
            seg = _segments(m.path)
            if len(seg) < 2:
                continue
            folder, stem = "/".join(seg[:-1]), seg[-1]
            lv = label_of(m.content)
            mark = f"label:{lv[0]}" if lv else f"line:{' '.join(_words(m.content))}"
            by_folder.setdefault(folder, {}).setdefault(mark, set()).add(stem)
        self.collections = {folder for folder, marks in by_folder.items() if any(len(s) >= 2 for s in marks.values())}

    def entity(self, path: str | None) -> str | None:
        seg = _segments(path)
        if len(seg) >= 2 and "/".join(seg[:-1]) in self.collections:
            return seg[-1]
        return None

    def may_replace(self, older: Memory, newer: Memory) -> bool:
        """May ``newer`` retire ``older``?  Not when older sits in an entity file that newer neither shares
        nor names."""
        entity = self.entity(older.path)
        if entity is None or older.path == newer.path:
            return True
        return _names(_words(newer.content), entity)
