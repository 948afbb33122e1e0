"""The review diff: what changed between two versions, why, and on which evidence.

Pure: it takes the changes the store resolved and the turns their evidence
cites, and builds a :class:`DiffReport` that renderers (terminal, JSON) read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dreaming.records import Evidence, Turn, format_time
from dreaming.store.core import StoredChange


@dataclass(frozen=True, kw_only=True)
class Quote:
    """The text of a turn that a change cites as evidence."""

    session_id: str
    turn_id: str
    role: str
    speaker: str | None
    timestamp: str | None
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "turn_id": self.turn_id,
            "role": self.role,
            "speaker": self.speaker,
            "timestamp": self.timestamp,
            "text": self.text,
        }


@dataclass(frozen=True, kw_only=True)
class DiffEntry:
    """A recorded change, with the evidence it rests on and the quotes of it."""

    change: StoredChange
    evidence: tuple[Evidence, ...]
    quotes: tuple[Quote, ...] = ()

    def to_json(self) -> dict[str, Any]:
        ch = self.change
        return {
            "version": ch.version,
            "op": ch.op,
            "before": [m.to_json() for m in ch.before],
            "after": [m.to_json() for m in ch.after],
            "reason": ch.reason,
            "score": ch.score,
            "evidence": [e.to_json() for e in self.evidence],
            "quotes": [q.to_json() for q in self.quotes],
            "details": dict(ch.details),
            "rule": ch.rule,
            "rule_inputs": dict(ch.rule_inputs),
        }


@dataclass(frozen=True, kw_only=True)
class DiffReport:
    from_version: int
    to_version: int
    entries: tuple[DiffEntry, ...]

    @property
    def op_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(e.change.op for e in self.entries).items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.from_version,
            "to": self.to_version,
            "summary": self.op_counts,
            "changes": [e.to_json() for e in self.entries],
        }


def cited_evidence(changes: Sequence[StoredChange]) -> list[Evidence]:
    """All evidence the changes cite: their own and their output memories'
    provenance (a memory added from a transcript cites the turns it came from)."""
    out: list[Evidence] = []
    for ch in changes:
        out.extend(_entry_evidence(ch))
    return out


def _entry_evidence(ch: StoredChange) -> tuple[Evidence, ...]:
    if ch.evidence:
        return ch.evidence
    return tuple(e for m in ch.after for e in m.provenance)


def build_diff(
    changes: Sequence[StoredChange],
    turns: Mapping[tuple[str, str], Turn],
    *,
    from_version: int,
    to_version: int,
    quote_chars: int = 400,
) -> DiffReport:
    """Assemble the report; ``turns`` maps (session id, turn id) to the cited turn."""
    entries = []
    for ch in changes:
        evidence = _entry_evidence(ch)
        quotes = []
        for ev in evidence:
            for tid in ev.turn_ids:
                turn = turns.get((ev.session_id or "", tid))
                if turn is None:
                    continue
                text = turn.text if len(turn.text) <= quote_chars else turn.text[: quote_chars - 1] + "…"
                quotes.append(
                    Quote(
                        session_id=turn.session_id,
                        turn_id=turn.id,
                        role=turn.role,
                        speaker=turn.speaker,
                        timestamp=format_time(turn.timestamp),
                        text=text,
                    )
                )
        entries.append(DiffEntry(change=ch, evidence=evidence, quotes=tuple(quotes)))
    return DiffReport(from_version=from_version, to_version=to_version, entries=tuple(entries))
