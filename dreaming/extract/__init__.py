"""Offline extraction: candidate memories from the new turns of pending sessions.

Rules (each in its own module): explicit memory writes
(:mod:`.memory_writes`), user statements and speaker statements
(:mod:`.statements`, :mod:`.declaratives`; a statement the assistant said
back whole replaces the typed one: :mod:`.acknowledged`), tool workarounds
(:mod:`.workarounds`), summaries, and -- once the run's sessions are all
read -- the corrections users keep making (:mod:`.corrections`).
Every candidate carries ``observed_at`` (the turn's time) and provenance (the
session and turn ids it came from).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from dreaming.extract.acknowledged import covered, reply_to, restatements
from dreaming.extract.corrections import repeated_corrections
from dreaming.extract.declaratives import account_of, as_memory, declaratives, speaker_of, typed_i
from dreaming.extract.memory_writes import MemoryWrite, memory_writes
from dreaming.extract.statements import Statement, is_noise, speaker_statements, user_statements
from dreaming.extract.workarounds import describe, find_workarounds
from dreaming.ids import new_id
from dreaming.records import NEEDS_CONTEXT, Candidate, Evidence, Memory, PendingSession, Turn, merge_provenance

SUMMARY_LIMIT = 8000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ASSISTANT_ROLES = {"assistant", "system", "tool"}


@dataclass(frozen=True, kw_only=True)
class ExtractConfig:
    #: extract first-person statements of named speakers (conversations)
    speakers: bool = True
    #: keep summary and compact-summary records as summary memories
    summaries: bool = True
    #: keep candidates at or above this confidence
    min_confidence: float = 0.5
    #: keep the other statements users make in passing (:mod:`.declaratives`)
    statements: bool = True


def project_of(session: PendingSession) -> str | None:
    cwd = session.session.metadata.get("cwd") if session.session.metadata else None
    if isinstance(cwd, str) and cwd.strip("/"):
        return posixpath.basename(cwd.rstrip("/"))
    return None


def _candidate(
    session: PendingSession, turns: Sequence[Turn], content: str, *, kind: str, rule: str, confidence: float,
    key: str | None = None, path: str | None = None, standalone: bool = True, speaker: str | None = None,
) -> Candidate:
    when = next((t.timestamp for t in turns if t.timestamp), None) or session.session.started_at
    sid = session.session.id
    turn_ids = tuple(dict.fromkeys(t.id for t in turns))
    metadata = {"rule": rule, "confidence": confidence}
    project = project_of(session)
    if project:
        metadata["project"] = project
    speaker = turns[0].speaker or speaker
    if speaker:
        metadata["speaker"] = speaker
    if not standalone:
        metadata[NEEDS_CONTEXT] = True
    # deterministic: a re-run over the same turns gives the same memory
    stamp = when or _EPOCH
    memory = Memory(
        id=new_id("mem", at=stamp, seed=f"{sid}:{','.join(turn_ids)}:{rule}:{content}"),
        content=content,
        path=path or "/notes.md",
        kind=kind,
        key=key,
        observed_at=when,
        created_at=stamp,
        first_seen=when,
        last_seen=when,
        metadata=metadata,
        provenance=(Evidence(session_id=sid, turn_ids=turn_ids),),
    )
    return Candidate(memory=memory, rule=rule, confidence=confidence)


#: the kind of a candidate that only edits the store (retract, delete or rename a file, overwrite a file):
#: it is replayed against the store's memories (:mod:`dreaming.consolidate.edits`) and never stored itself
EDIT_KIND = "edit"


def _write_candidate(session: PendingSession, turn: Turn, write: MemoryWrite) -> Candidate:
    """A memory write as a candidate: an added or replacing entry is a memory
    (CLAUDE.md / MEMORY.md hold how to work on the project; memory-tool files
    keep their path); the other ops are edits that carry what they do."""
    edit: dict[str, Any] = {"op": write.op, "path": write.path}
    if write.replaces:
        edit["replaces"] = list(write.replaces)
    if write.new_path:
        edit["new_path"] = write.new_path
    if write.op == "write-file":
        edit["entries"] = list(write.file_entries)
    kind = ("note" if write.path else "procedure") if write.op in ("add", "replace") else EDIT_KIND
    candidate = _candidate(session, [turn], write.content, kind=kind, rule=write.rule, confidence=0.95, path=write.path)
    if write.op == "add":
        return candidate
    memory = candidate.memory.replace(metadata={**candidate.memory.metadata, "edit": edit})
    return Candidate(memory=memory, rule=candidate.rule, confidence=candidate.confidence)


def memory_edit_candidates(session: PendingSession) -> list[Candidate]:
    """The session's memory edits that change what is stored (replace, retract, delete, rename, overwrite):
    replayed exactly in every mode, so a model-backed extractor adds these to what the model proposes."""
    out = []
    for turn in session.turns:
        for call in turn.tool_calls:
            for write in memory_writes(call):
                if write.op != "add":
                    out.append(_write_candidate(session, turn, write))
    return out


class OfflineExtractor:
    """The default extractor: rules, no model."""

    name = "offline"

    def __init__(self, config: ExtractConfig | None = None):
        self.config = config or ExtractConfig()
        self._people: set[str] = set()
        self._team = False

    def extract(self, sessions: Sequence[PendingSession], ctx: object = None, *, people: Iterable[str] = ()) -> list[Candidate]:
        """Candidates from ``sessions``.  ``ctx``, the stage context, may carry ``people``: the names the store
        already knows (its sessions' accounts); ``people`` adds to them."""
        # the people of these sessions: home folders, and names people give ("pedro here");
        # with two or more, statements are about a named person, not "the user"
        known = set(people) | set(getattr(ctx, "people", ()) or ())
        self._people = known | {a for s in sessions if (a := account_of((s.session.metadata or {}).get("cwd")))}
        for s in sessions:
            for turn in s.turns:
                if turn.role == "user" and turn.text and (name := speaker_of(turn.text, self._people)):
                    self._people.add(name)
        self._team = len(self._people) >= 2
        out: list[Candidate] = []
        for session in sessions:
            out.extend(self.extract_session(session))
        return [c for c in out if c.confidence >= self.config.min_confidence]

    def finish(self, sessions: Sequence[PendingSession], ctx: object, candidates: list[Candidate]) -> list[Candidate]:
        """``candidates`` (each session's) with what only the run's sessions together show: the corrections
        users keep making (:mod:`.corrections`), one rule each, standing for the statements extracted from
        the correcting messages themselves."""
        rules = [c for c in _correction_rules(sessions) if c.confidence >= self.config.min_confidence]
        said = {(e.session_id, t) for r in rules for e in r.memory.provenance for t in e.turn_ids}
        kept = [c for c in candidates if c.rule not in _STATEMENT_RULES or not {
            (e.session_id, t) for e in c.memory.provenance for t in e.turn_ids[:1]} <= said]
        return kept + rules

    def _statements(self, session: PendingSession, index: int, subject: str) -> list[tuple[list[Turn], Statement]]:
        return _user_statements(session.turns, index, subject, self._people)

    def extract_session(self, session: PendingSession) -> Iterable[Candidate]:
        speakers = [s for s in (session.session.metadata or {}).get("speakers", []) if isinstance(s, str)]
        person = account_of((session.session.metadata or {}).get("cwd"))
        seen: set[tuple[str, str]] = set()

        def emit(c: Candidate) -> Iterable[Candidate]:
            marker = (c.memory.content.lower(), c.memory.key or "")
            if marker not in seen:
                seen.add(marker)
                yield c

        for index, turn in enumerate(session.turns):
            if turn.kind in ("summary", "compact_summary"):
                if self.config.summaries and turn.text.strip():
                    text = turn.text.strip()
                    if len(text) > SUMMARY_LIMIT:
                        text = text[: SUMMARY_LIMIT - 1] + "…"
                    label = "Compact summary" if turn.kind == "compact_summary" else "Session summary"
                    yield from emit(_candidate(session, [turn], f"{label}: {text}", kind="summary",
                                               rule=turn.kind.replace("_", "-"), confidence=0.9))
                continue
            for call in turn.tool_calls:
                for write in memory_writes(call):
                    yield from emit(_write_candidate(session, turn, write))
            if not turn.text or is_noise(turn.text):
                continue
            if turn.speaker and turn.role not in ASSISTANT_ROLES and turn.role != "user":
                if not self.config.speakers:
                    continue
                others = [s for s in speakers if s != turn.speaker]
                listener = others[0] if others else "the other speaker"
                for st in speaker_statements(turn.text, turn.speaker, listener=listener):
                    yield from emit(_candidate(session, [turn], st.content, kind=st.kind, rule=st.rule,
                                               confidence=st.confidence, key=st.key, standalone=st.standalone))
            elif turn.role == "user" and turn.agent_id is None:  # a sub-agent's "user" is the main agent
                person = speaker_of(turn.text, self._people) or person
                subject = person.capitalize() if person and self._team else "User"
                said = False
                for st in user_statements(typed_i(turn.text)):
                    said = True
                    content = st.content if subject == "User" else re.sub(r"^User\b", subject, st.content)
                    yield from emit(_candidate(session, [turn], content, kind=st.kind, rule=st.rule,
                                               confidence=st.confidence, key=st.key, speaker=person))
                if said or not self.config.statements:
                    continue
                yield from (c for st in self._statements(session, index, subject) for c in emit(
                    _candidate(session, st[0], st[1].content, kind=st[1].kind, rule=st[1].rule,
                               confidence=st[1].confidence, speaker=person)))
        # workarounds, per agent stream (the main agent and each sub-agent)
        streams: dict[str | None, list[tuple[Turn, int]]] = {}
        for turn in session.turns:
            for index, _ in enumerate(turn.tool_calls):
                streams.setdefault(turn.agent_id, []).append((turn, index))
        for stream in streams.values():
            calls = [t.tool_calls[i] for t, i in stream]
            owner = {id(t.tool_calls[i]): t for t, i in stream}
            for w in find_workarounds(calls):
                turns = [owner[id(w.failed)], owner[id(w.fixed)]]
                yield from emit(_candidate(session, turns, describe(w), kind="workaround", rule="workaround",
                                           confidence=round(0.6 + 0.3 * w.score, 2),
                                           key=f"workaround.{w.tool.lower()}.{w.command.lower()}"))


def _user_statements(
    turns: Sequence[Turn], index: int, subject: str, people: Collection[str],
) -> list[tuple[list[Turn], Statement]]:
    """The statements of the user's message ``turns[index]``: its sentences, those the assistant said back
    (:mod:`.acknowledged`) replaced by the assistant's restatement, cited with both turns."""
    turn = turns[index]
    mine = [as_memory(sentence, subject) for sentence in declaratives(turn.text)]
    reply = reply_to(turns, index)
    said = restatements(turn.text, "\n".join(t.text for t in reply), subject=subject, people=people) if reply else []
    if mine:
        said = [r for r in said if not r.report]
    if not said:
        return [([turn], st) for st in mine]
    kept = [([turn], st) for st in mine if not covered(st.content, said)]
    if len(kept) == len(mine) and mine:
        return kept  # the reply restates nothing the user's sentences say: it is the assistant's own talk
    back = [([turn, *reply], Statement(content=r.text, kind="fact", rule="acknowledged-statement", confidence=0.6))
            for r in said]
    return back + kept


#: rules of statements a correction rule stands for when they come from the correcting message
_STATEMENT_RULES = frozenset({"user-statement", "acknowledged-statement"})


def _correction_rules(sessions: Sequence[PendingSession]) -> list[Candidate]:
    """The corrections users keep making (:mod:`.corrections`), one rule each, citing every turn."""
    out = []
    for rule in repeated_corrections(sessions):
        last_session, _ = rule.turns[-1]
        turns = [t for s, t in rule.turns if s is last_session]
        candidate = _candidate(last_session, turns, rule.content, kind="procedure", rule="repeated-correction",
                               confidence=0.7)
        cited = merge_provenance(*((Evidence(session_id=s.session.id, turn_ids=(t.id,)),) for s, t in rule.turns))
        memory = candidate.memory.replace(provenance=cited, metadata={**candidate.memory.metadata,
                                                                     "corrections": rule.times})
        out.append(Candidate(memory=memory, rule=candidate.rule, confidence=candidate.confidence))
    return out


def offline_stage(**options: Any) -> OfflineExtractor:
    """The ``offline`` extract stage of a dream: :class:`OfflineExtractor` with ``ExtractConfig(**options)``."""
    return OfflineExtractor(ExtractConfig(**options))


__all__ = ["EDIT_KIND", "ExtractConfig", "OfflineExtractor", "memory_edit_candidates", "project_of"]
