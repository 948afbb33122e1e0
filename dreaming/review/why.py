"""``dreaming why MEMORY_ID``: the decision trail of one memory.

Pure: it takes what the store holds about the memory (its states with the
versions each was valid in, every change that names it, the versions'
statuses) and the turns those changes cite, and builds a :class:`WhyReport`:
each change with the rule that fired (its id, one line describing it, its
inputs), the reason, the score and the evidence quotes, and -- for a memory
merged away or superseded -- what replaced it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dreaming.plan.rule_ids import describe
from dreaming.records import Memory, Turn
from dreaming.review.diff import DiffEntry, build_diff
from dreaming.store.core import Decision, StoredChange

#: how a change stands to the memory asked about
CREATED, REWROTE, RETIRED, FOLDED = "created", "rewrote", "retired", "folded"


def relation(change: StoredChange, memory_id: str) -> str:
    """``created`` (it is an output only), ``rewrote`` (input and output: a new
    state, or kept as it was), ``retired`` (an input only: merged away,
    superseded), ``folded`` (a candidate merged into another before it was
    ever written)."""
    was = any(m.id == memory_id for m in change.before)
    now = any(m.id == memory_id for m in change.after)
    if now:
        return REWROTE if was else CREATED
    return RETIRED if was else FOLDED


@dataclass(frozen=True, kw_only=True)
class WhyStep:
    """One change in the memory's trail."""

    entry: DiffEntry
    relation: str
    version_status: str
    #: the person's decision on the candidate this change was in (who, when, via), if one was recorded
    decision: Decision | None = None

    @property
    def verdict(self) -> str | None:
        """``accepted`` / ``rejected`` when a person decided on this change (change by change or whole)."""
        mark = self.entry.change.decision
        if mark:
            return mark
        if self.decision is not None and self.decision.verdict in ("accepted", "rejected"):
            return self.decision.verdict
        return None

    @property
    def replaced_by(self) -> tuple[Memory, ...]:
        """For a retiring or folding change: what stands in the memory's place (nothing, if it was rejected)."""
        if self.relation not in (RETIRED, FOLDED) or self.verdict == "rejected":
            return ()
        return tuple(m for m in self.entry.change.after)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.entry.to_json(),
            "relation": self.relation,
            "version_status": self.version_status,
            "rule_description": describe(self.entry.change.rule),
            "replaced_by": [m.id for m in self.replaced_by],
            "verdict": self.verdict,
            "decision": self.decision.to_json() if self.decision is not None else None,
        }


@dataclass(frozen=True, kw_only=True)
class WhyReport:
    memory_id: str
    #: "current" (in HEAD), "retired" (stored once, not in HEAD), or "folded"
    #: (never stored on its own: merged into another memory as a candidate)
    status: str
    states: tuple[tuple[Memory, tuple[tuple[int, int | None], ...]], ...]
    steps: tuple[WhyStep, ...]

    @property
    def replaced_by(self) -> tuple[Memory, ...]:
        """What replaced the memory, when it is not current: the last retiring change's outputs."""
        if self.status == "current":
            return ()
        for step in reversed(self.steps):
            if step.relation in (RETIRED, FOLDED) and step.version_status != "rejected" and step.replaced_by:
                return step.replaced_by
        return ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.memory_id,
            "status": self.status,
            "states": [
                {"memory": m.to_json(), "ranges": [{"from": a, "to": b} for a, b in ranges]} for m, ranges in self.states
            ],
            "changes": [s.to_json() for s in self.steps],
            "replaced_by": [m.to_json() for m in self.replaced_by],
        }


def build_why(
    memory_id: str,
    *,
    states: Sequence[tuple[Memory, Sequence[tuple[int, int | None]]]],
    changes: Sequence[StoredChange],
    turns: Mapping[tuple[str, str], Turn],
    statuses: Mapping[int, str],
    current: bool,
    quote_chars: int = 400,
    decisions: Mapping[int, Decision] | None = None,
) -> WhyReport:
    """Assemble the trail; ``turns`` maps (session id, turn id) to the cited
    turn, ``statuses`` version numbers to their status, ``current`` says
    whether the memory is in HEAD, ``decisions`` a version's latest recorded
    decision (who accepted or rejected its candidate, when, through what)."""
    diff = build_diff(changes, turns, from_version=0, to_version=0, quote_chars=quote_chars)
    steps = tuple(
        WhyStep(entry=e, relation=relation(e.change, memory_id), version_status=statuses.get(e.change.version, ""),
                decision=(decisions or {}).get(e.change.version))
        for e in diff.entries
    )
    status = "current" if current else ("retired" if states else "folded")
    return WhyReport(
        memory_id=memory_id,
        status=status,
        states=tuple((m, tuple(r)) for m, r in states),
        steps=steps,
    )
