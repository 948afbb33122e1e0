"""The agent's own memory edits, replayed against the store.

When the agent calls the memory tool (``str_replace``, ``delete``,
``rename``, ``create`` over an existing file) or edits CLAUDE.md / MEMORY.md,
the transcript says exactly which text left the store and what replaced it:
the most reliable evidence a transcript holds.  The extractor turns each call
into entry-level writes (:mod:`dreaming.extract.memory_writes`); this module
replays them in time order against the memories the dream holds (the store's
and the candidates extracted before the edit), and says which memory each
one retires, replaces or moves.  Nothing here guesses beyond the edit: an old
line is matched to a memory by its text (exactly, or at a high similarity
within the same file), and an edit whose old text matches nothing only adds
its new text (with a warning).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, utils

from dreaming.records import Evidence, Memory

#: an old line matches a stored memory at this similarity (rapidfuzz ``ratio``, 0-100) or above
MATCH_AT = 85.0


@dataclass(frozen=True, kw_only=True)
class Replacement:
    """``old_id`` is retired by ``new_id``: the edit replaced its line."""

    old_id: str
    new_id: str
    old_text: str
    new_text: str
    rule: str
    score: float
    reason: str


@dataclass(frozen=True, kw_only=True)
class Removal:
    """``memory_id`` leaves the store: the edit removed its line or its file."""

    memory_id: str
    rule: str
    reason: str
    evidence: tuple[Evidence, ...]
    score: float = 100.0


@dataclass(frozen=True, kw_only=True)
class PathMove:
    """``memory_id`` moves to ``path``: its file was renamed."""

    memory_id: str
    path: str
    rule: str
    reason: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, kw_only=True)
class EditReplay:
    replacements: tuple[Replacement, ...] = ()
    removals: tuple[Removal, ...] = ()
    moves: tuple[PathMove, ...] = ()
    #: edits whose old text matched no memory (said as warnings; nothing is retired)
    unmatched: tuple[str, ...] = field(default=())

    @property
    def retired(self) -> set[str]:
        return {r.old_id for r in self.replacements} | {r.memory_id for r in self.removals}


def fold(text: str) -> str:
    """An entry as compared: list markers and case dropped, whitespace collapsed."""
    text = text.strip()
    while text[:2] in ("- ", "* ", "+ "):
        text = text[2:].lstrip()
    return " ".join(text.lower().split())


def edit_of(memory: Memory) -> dict[str, Any] | None:
    edit = memory.metadata.get("edit") if memory.metadata else None
    return edit if isinstance(edit, dict) else None


def _when(memory: Memory) -> tuple[str, str]:
    at = memory.observed_at or memory.created_at
    return (at.isoformat() if at else "", memory.id)


def find_target(text: str, path: str | None, live: Sequence[Memory]) -> tuple[Memory, float] | None:
    """The live memory holding ``text``: the same entry (folded), else the most
    similar at ``MATCH_AT`` or above -- within ``path`` when memories live there."""
    wanted = fold(text)
    if not wanted:
        return None
    at_path = [m for m in live if path is not None and m.path == path]
    for pool in ([at_path, live] if at_path else [live]):
        exact = [m for m in pool if fold(m.content) == wanted]
        if exact:
            return max(exact, key=_when), 100.0
    pool = at_path or live
    best: tuple[Memory, float] | None = None
    for m in pool:
        score = fuzz.ratio(wanted, fold(m.content), processor=utils.default_process, score_cutoff=MATCH_AT)
        if score and (best is None or (score, _when(m)) > (best[1], _when(best[0]))):
            best = (m, score)
    return best


def replay(memories: Sequence[Memory], edits: Sequence[Memory], *, new_ids: Collection[str] | None = None) -> EditReplay:
    """Replay ``edits`` (candidates carrying ``metadata["edit"]``) in time order
    against ``memories`` (the store's, and candidates that are not edits).

    A memory can be the target of an edit only if it existed when the edit
    was made: a store memory always (whatever time it carries), a candidate of
    this dream (``new_ids``; by default, memories citing a session) only if
    observed no later than the edit;
    a replacing candidate is itself live from its own time on, so a later
    edit of the same line in the same dream finds it.
    """
    timeline = sorted(edits, key=_when)
    new = set(new_ids) if new_ids is not None else {m.id for m in memories if m.provenance and any(
        e.session_id for e in m.provenance)}
    # the store's memories were there before any edit of this dream, whatever time they carry
    live: dict[str, Memory] = {m.id: m for m in memories if edit_of(m) is None and m.id not in new}
    pending = sorted((m for m in memories if edit_of(m) is None and m.id in new), key=_when)
    replacements: list[Replacement] = []
    removals: list[Removal] = []
    moves: list[PathMove] = []
    unmatched: list[str] = []
    cursor = 0
    for edit_memory in timeline:
        while cursor < len(pending) and _when(pending[cursor]) <= _when(edit_memory):
            live[pending[cursor].id] = pending[cursor]
            cursor += 1
        edit = edit_of(edit_memory) or {}
        op = edit.get("op")
        path = edit.get("path") if isinstance(edit.get("path"), str) else None
        rule = edit_memory.metadata.get("rule") or "memory-tool"
        rule = str(rule)
        evidence = edit_memory.provenance
        pool = [m for m in live.values() if m.id != edit_memory.id]
        if op == "replace":
            for old in edit.get("replaces") or []:
                hit = find_target(str(old), path, pool)
                if hit is None:
                    unmatched.append(f"{rule}: the replaced line {str(old)[:80]!r} is not in the store; the new line is added")
                    continue
                target, score = hit
                live.pop(target.id, None)
                replacements.append(Replacement(
                    old_id=target.id, new_id=edit_memory.id, old_text=target.content, new_text=edit_memory.content,
                    rule=rule, score=score,
                    reason=f"the agent's memory edit ({rule}) replaced {target.content!r} with {edit_memory.content!r}",
                ))
            live[edit_memory.id] = edit_memory
        elif op == "retract":
            hit = find_target(edit_memory.content, path, pool)
            if hit is None:
                unmatched.append(f"{rule}: the removed line {edit_memory.content[:80]!r} is not in the store")
                continue
            target, score = hit
            live.pop(target.id, None)
            removals.append(Removal(memory_id=target.id, rule=rule, evidence=evidence, score=score,
                                    reason=f"the agent's memory edit ({rule}) removed this line"))
        elif op == "delete-file" and path:
            gone = [m for m in pool if m.path == path]
            if not gone:
                unmatched.append(f"{rule}: no memory lives at {path}")
            for m in gone:
                live.pop(m.id, None)
                removals.append(Removal(memory_id=m.id, rule=rule, evidence=evidence,
                                        reason=f"the agent deleted the memory file {path}"))
        elif op == "write-file" and path:
            keep = {fold(str(e)) for e in edit.get("entries") or []}
            for m in pool:
                if m.path == path and fold(m.content) not in keep and edit_of(m) is None:
                    live.pop(m.id, None)
                    removals.append(Removal(memory_id=m.id, rule=rule, evidence=evidence,
                                            reason=f"the agent rewrote the memory file {path} without this line"))
        elif op == "rename-file" and path and isinstance(edit.get("new_path"), str):
            new_path = str(edit["new_path"])
            for m in pool:
                if m.path == path:
                    moved = m.replace(path=new_path)
                    live[m.id] = moved
                    moves.append(PathMove(memory_id=m.id, path=new_path, rule=rule, evidence=evidence,
                                          reason=f"the agent renamed the memory file {path} to {new_path}"))
        elif op == "add":
            live[edit_memory.id] = edit_memory
    return EditReplay(replacements=tuple(replacements), removals=tuple(removals), moves=tuple(moves),
                      unmatched=tuple(unmatched))
