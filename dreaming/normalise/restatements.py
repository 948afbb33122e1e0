"""Restatements: a candidate drawn from the very turn a stored memory cites.

When the store already holds a memory whose provenance cites a turn, and
extraction finds a candidate in that same turn saying much the same thing,
both come from one utterance: it is one fact, not two.  The candidate is not
added.  If it carries something the stored memory lacks - an absolute date
made from "yesterday" or "last week" - that date is added to the stored
memory (an ``update`` change citing the turn), which is what makes "when did
...?" answerable from memory.

Same evidence is required, not just similar words: two different turns that
say similar things are for the consolidation core to judge.

A candidate marked ``needs_context`` in its metadata ("Mel made it in pottery
class on 24 August 2023": the turn points at a photo or at what was said
before) is not a memory on its own.  It may still restate a memory citing
its turn that names the thing, and give it its date; otherwise it is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dreaming.records import NEEDS_CONTEXT, Candidate, Memory, merge_provenance
from dreaming.text.tokens import terms
from dreaming.text.words import RESTATEMENT_STOP_WORDS

_ANCHOR = re.compile(r"\((as of [^()]+)\)$")
_DATE = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}\b|\bin [A-Z][a-z]+ \d{4}\b|\bin \d{4}\b")


@dataclass(frozen=True, kw_only=True)
class Fold:
    """``candidate`` restates ``target``; ``memory`` is the target as it should now read."""

    target: Memory
    candidate: Candidate
    memory: Memory
    overlap: float
    added: tuple[str, ...]


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in terms(text) if w not in RESTATEMENT_STOP_WORDS}


def overlap(a: str, b: str) -> tuple[float, int]:
    """Overlap coefficient of the content words, and how many are shared."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0, 0
    shared = len(wa & wb)
    return shared / min(len(wa), len(wb)), shared


def _dates(candidate: Candidate) -> list[str]:
    notes = candidate.memory.metadata.get("normalised", []) if candidate.memory.metadata else []
    out = []
    for note in notes:
        replacement = note.split(" -> ", 1)[-1]
        anchor = _ANCHOR.search(replacement)  # "just got back (as of 2 May 2026)": the anchor is the news
        if anchor:
            replacement = anchor.group(1)
        if _DATE.search(replacement) and replacement not in out:
            out.append(replacement)
    return out


def fold_restatements(
    candidates: Sequence[Candidate], memories: Sequence[Memory], *, min_overlap: float = 0.3, min_shared: int = 2
) -> tuple[list[Candidate], list[Fold]]:
    """Split ``candidates`` into those still new and those that restate a memory
    citing the same turn (a ``needs_context`` candidate restating none is in
    neither).  Deterministic: the best match (overlap, then id) wins."""
    by_turn: dict[tuple[str, str], list[Memory]] = {}
    for m in memories:
        for e in m.provenance:
            if e.session_id:
                for t in e.turn_ids:
                    by_turn.setdefault((e.session_id, t), []).append(m)
    remaining: list[Candidate] = []
    folds: list[Fold] = []
    enriched: dict[str, Memory] = {}
    for c in candidates:
        targets = {
            m.id: enriched.get(m.id, m)
            for e in c.memory.provenance if e.session_id
            for t in e.turn_ids
            for m in by_turn.get((e.session_id, t), [])
        }
        best: tuple[float, str] | None = None
        for mid, m in targets.items():
            score, shared = overlap(c.memory.content, m.content)
            if score >= min_overlap and shared >= min_shared and (best is None or (score, mid) > best):
                best = (score, mid)
        if best is None:
            if not (c.memory.metadata or {}).get(NEEDS_CONTEXT):
                remaining.append(c)
            continue
        target = targets[best[1]]
        added = tuple(d for d in _dates(c) if d not in target.content)
        content = target.content
        if added:
            content = content.rstrip(". ") + f" ({'; '.join(added)})."
        memory = target.replace(content=content, provenance=merge_provenance(target.provenance, c.memory.provenance))
        enriched[target.id] = memory
        folds.append(Fold(target=target, candidate=c, memory=memory, overlap=best[0], added=added))
    return remaining, folds
