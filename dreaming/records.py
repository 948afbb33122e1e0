"""Typed records shared by every part of dreaming.

These are plain, frozen dataclasses: the pure core (parsers, consolidation,
pipeline stages) takes and returns them, and only ``dreaming.store.core`` turns them
into SQL rows and back.  Nothing here does I/O.

Times are always timezone-aware ``datetime`` objects (UTC when the source did
not say otherwise).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal, get_args, overload

#: Kinds of memory the engine knows.  Importers accept any other string too
#: (stores written by other tools may use their own), but the engine only
#: produces these.
MEMORY_KINDS = ("fact", "preference", "procedure", "workaround", "pattern", "summary", "note")

#: Operations recorded in the changes table.
ChangeOp = Literal["add", "merge", "supersede", "update", "remove", "pattern", "conflict", "move", "rollback", "import"]
CHANGE_OPS: tuple[ChangeOp, ...] = get_args(ChangeOp)

#: A version awaiting review is a ``candidate``; ``accept`` and ``reject`` decide it.
VersionStatus = Literal["candidate", "accepted", "rejected"]
VERSION_STATUSES: tuple[VersionStatus, ...] = get_args(VersionStatus)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@overload
def ensure_aware(value: datetime) -> datetime: ...
@overload
def ensure_aware(value: None) -> None: ...
def ensure_aware(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken to be UTC; aware ones are kept as they are."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def format_time(value: datetime | None) -> str | None:
    """ISO 8601 with offset, millisecond precision dropped when zero."""
    if value is None:
        return None
    return ensure_aware(value).isoformat()


def parse_time(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp (``Z`` accepted); naive means UTC.

    Raises ``ValueError`` with a readable message on anything else.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    return ensure_aware(parsed)


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """Where a memory, or a change, came from.

    Either a transcript (``session_id`` plus the ids of the turns that support
    it) or an imported file (``source``, e.g. ``"notes.jsonl:12"``).
    """

    session_id: str | None = None
    turn_ids: tuple[str, ...] = ()
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.session_id is not None:
            out["session_id"] = self.session_id
        if self.turn_ids:
            out["turn_ids"] = list(self.turn_ids)
        if self.source is not None:
            out["source"] = self.source
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evidence:
        unknown = set(data) - {"session_id", "turn_ids", "source"}
        if unknown:
            raise ValueError(f"unknown evidence field(s): {', '.join(repr(k) for k in sorted(unknown))}")
        turn_ids = data.get("turn_ids") or ()
        if not isinstance(turn_ids, (list, tuple)) or not all(isinstance(t, str) for t in turn_ids):
            raise ValueError("evidence turn_ids must be a list of strings")
        session_id = data.get("session_id")
        source = data.get("source")
        for name, val in (("session_id", session_id), ("source", source)):
            if val is not None and not isinstance(val, str):
                raise ValueError(f"evidence {name} must be a string")
        return cls(session_id=session_id, turn_ids=tuple(turn_ids), source=source)


def merge_provenance(*groups: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """Union of provenance, deterministic order, turn ids merged per session."""
    by_session: dict[str, list[str]] = {}
    sources: set[str] = set()
    for group in groups:
        for ev in group:
            if ev.session_id is not None:
                turns = by_session.setdefault(ev.session_id, [])
                for t in ev.turn_ids:
                    if t not in turns:
                        turns.append(t)
            if ev.source is not None and ev.session_id is None:
                sources.add(ev.source)
    out = [Evidence(session_id=sid, turn_ids=tuple(sorted(turns))) for sid, turns in sorted(by_session.items())]
    out.extend(Evidence(source=s) for s in sorted(sources))
    return tuple(out)


@dataclass(frozen=True, kw_only=True, slots=True)
class Memory:
    """One memory as it stands in one version of the store.

    ``id`` is stable across versions: a memory whose wording, path or
    provenance changes keeps its id and gets a new *state* (``rid``, the
    storage row).  A memory that replaces another (a newer value of a fact)
    has its own id and the old one is retired with a ``supersede`` change.
    """

    id: str
    content: str
    path: str = "/notes.md"
    kind: str = "fact"
    key: str | None = None
    observed_at: datetime | None = None
    created_at: datetime = field(default_factory=utcnow)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    mentions: int = 1
    metadata: Mapping[str, Any] = field(default_factory=dict)
    provenance: tuple[Evidence, ...] = ()
    #: storage row of this state; ``None`` until the store has written it.
    rid: int | None = field(default=None, compare=False)

    @property
    def content_sha256(self) -> str:
        return sha256_text(self.content)

    def replace(self, **changes: Any) -> Memory:
        """A copy with ``changes`` applied and no storage row (a new state)."""
        changes.setdefault("rid", None)
        return replace(self, **changes)

    def same_state(self, other: Memory) -> bool:
        """True when ``other`` holds exactly the same data (ignoring ``rid``)."""
        return self.to_json() == other.to_json()

    def to_json(self) -> dict[str, Any]:
        """The memory as JSON-ready data (the JSONL export format)."""
        return {
            "id": self.id,
            "path": self.path,
            "kind": self.kind,
            "key": self.key,
            "content": self.content,
            "observed_at": format_time(self.observed_at),
            "created_at": format_time(self.created_at),
            "first_seen": format_time(self.first_seen),
            "last_seen": format_time(self.last_seen),
            "mentions": self.mentions,
            "content_sha256": self.content_sha256,
            "metadata": dict(self.metadata),
            "provenance": [ev.to_json() for ev in self.provenance],
        }


@dataclass(frozen=True, kw_only=True)
class Change:
    """One operation a version made, as a reviewer reads it.

    ``inputs`` are memory ids as they stood in the parent version, ``outputs``
    memory ids as they stand in the new version.  ``rule`` is the stable id
    of the rule that fired (``keyed-update``, ``same-words``,
    ``judge:claude``, ``import`` ...; every id is described in
    ``dreaming.plan.rule_ids``) and ``rule_inputs`` what it decided on (the
    pair's ids, the subject, the values, the scores).  A change without a
    rule id is refused: every change says which rule made it.
    """

    op: ChangeOp
    rule: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    reason: str = ""
    score: float | None = None
    evidence: tuple[Evidence, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    rule_inputs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.rule, str) or not self.rule.strip():
            raise ValueError(
                f"a {self.op!r} change needs the id of the rule that fired (reason: {self.reason!r}); "
                f"rule ids are listed in dreaming/plan/rule_ids.py"
            )


@dataclass(frozen=True, kw_only=True)
class Changeset:
    """Everything one new version does, before it is written.

    ``upserts`` are new memories or new states of existing ones (same id);
    ``retire`` are ids of memories that leave the snapshot.  The store writes a
    changeset in one transaction or not at all.
    """

    upserts: tuple[Memory, ...] = ()
    retire: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    message: str = ""
    origin: str = "import"  # import | dream | rollback
    status: VersionStatus = "accepted"  # accepted | candidate
    run_id: str | None = None
    #: mark pending turns with ``pk <= consume_through`` as consumed by this
    #: version (``None``: consume nothing) ...
    consume_through: int | None = None
    #: ... restricted to these sessions (``None``: every pending session)
    consume_sessions: tuple[str, ...] | None = None
    #: the version this changeset was computed from: the store refuses it
    #: when the tip has moved since (``None``: written on top of whatever is there)
    expected_parent: int | None = None

    @property
    def is_empty(self) -> bool:
        return not self.upserts and not self.retire


@dataclass(frozen=True, kw_only=True)
class Version:
    number: int
    parent: int | None
    status: VersionStatus
    created_at: datetime
    message: str = ""
    origin: str = "import"
    run_id: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    decided_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.number,
            "parent": self.parent,
            "status": self.status,
            "origin": self.origin,
            "created_at": format_time(self.created_at),
            "decided_at": format_time(self.decided_at),
            "message": self.message,
            "run_id": self.run_id,
            "counts": dict(self.counts),
        }


# --- transcripts ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """A tool the agent called during a turn, and how it went."""

    name: str
    input_summary: str = ""
    is_error: bool | None = None
    id: str | None = None
    #: a short excerpt of the tool's result (cut to the configured size)
    result_excerpt: str = ""
    #: the full input, kept only for calls worth mining for memories (Claude's
    #: memory tool, Write/Edit of CLAUDE.md or MEMORY.md); empty otherwise
    input: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "input_summary": self.input_summary,
            "is_error": self.is_error,
            "id": self.id,
            "result_excerpt": self.result_excerpt,
        }
        if self.input:
            out["input"] = dict(self.input)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToolCall:
        return cls(
            name=data["name"],
            input_summary=data.get("input_summary", ""),
            is_error=data.get("is_error"),
            id=data.get("id"),
            result_excerpt=data.get("result_excerpt", ""),
            input=data.get("input") or {},
        )


@dataclass(frozen=True, kw_only=True)
class Turn:
    """One turn of a session: a message from the user, the assistant, a
    named speaker, or a summary.

    ``id`` is unique within its session and is what evidence cites (for
    LoCoMo it is the ``dia_id``; for Claude Code the record's ``uuid``).
    ``kind`` is ``message`` for ordinary turns, ``summary`` for summary
    records and ``compact_summary`` for the summary a /compact wrote.
    """

    id: str
    session_id: str
    seq: int
    role: str
    text: str = ""
    timestamp: datetime | None = None
    speaker: str | None = None
    kind: str = "message"
    tool_calls: tuple[ToolCall, ...] = ()
    #: the sub-agent transcript this turn came from, when it did
    agent_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def evidence_id(self) -> str:
        return f"{self.session_id}#{self.id}"


@dataclass(frozen=True, kw_only=True)
class Session:
    """One agent session read from a transcript.

    ``time_source`` says where ``started_at``/``ended_at`` came from:
    ``transcript`` (the turns' own timestamps), ``session_date`` (a
    conversation-level date, as LoCoMo has) or ``file_mtime`` (the file
    carried no time at all).
    """

    id: str
    source: str
    format: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    time_source: str = "transcript"
    parent_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PendingSession:
    """A session with the turns no dream has consumed yet."""

    session: Session
    turns: tuple[Turn, ...]


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A memory proposed by a stage (extraction, patterns) before consolidation.

    ``rule`` names what produced it (e.g. ``user-preference``,
    ``memory-tool``, ``workaround``) and ``confidence`` how sure that rule is;
    both reach the changes table so a reviewer sees why it was added.
    """

    memory: Memory
    rule: str
    confidence: float


#: candidate metadata flag: the candidate does not say what it is about on its own
#: (set by extraction, read by :mod:`dreaming.normalise.restatements`)
NEEDS_CONTEXT = "needs_context"


@dataclass(frozen=True, kw_only=True)
class Run:
    """A consolidation run, as recorded in the ``runs`` table."""

    id: str
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"  # running | completed | partial | failed | nothing
    version: int | None = None
    llm: str = "off"
    timings: Mapping[str, float] = field(default_factory=dict)
    counts: Mapping[str, Any] = field(default_factory=dict)
    cost: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": format_time(self.started_at),
            "finished_at": format_time(self.finished_at),
            "status": self.status,
            "version": self.version,
            "llm": self.llm,
            "timings": dict(self.timings),
            "counts": dict(self.counts),
            "cost": dict(self.cost),
            "error": self.error,
        }


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def dumps(data: Any) -> str:
    """Canonical compact JSON used for every JSON column."""
    if not data and isinstance(data, (list, tuple, dict)):
        return "[]" if not isinstance(data, dict) else "{}"
    return _ENCODER.encode(data)
