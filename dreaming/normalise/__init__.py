"""Normalise: candidate memories made comparable before consolidation.

Relative dates become absolute against each candidate's own time
(:mod:`.times`), text is tidied, and a candidate drawn from the very turn a
stored memory cites folds into that memory (:mod:`.restatements`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from dreaming.normalise.times import absolutize, tidy
from dreaming.records import Candidate


def normalise(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Relative dates made absolute against each candidate's own time; text tidied."""
    out = []
    for c in candidates:
        memory = c.memory
        content = memory.content
        notes: list[str] = []
        if memory.observed_at is not None and memory.kind != "summary":
            content, rewrites = absolutize(content, memory.observed_at)
            notes = [f"{r.original} -> {r.replacement}" for r in rewrites]
        content = tidy(content)
        if content != memory.content:
            metadata = dict(memory.metadata)
            if notes:
                metadata["normalised"] = notes
            memory = memory.replace(content=content, metadata=metadata)
            c = replace(c, memory=memory)
        out.append(c)
    return out
