"""Suite (b): LoCoMo (Maharana et al., ACL 2024), one store per conversation.

For each conversation of a LoCoMo-format file:

- **before**: what a naive memory system holds — each session's
  ``observation`` facts appended session after session, one import version
  per session.  Each fact is a memory observed (and created) at its
  session's date, on ``/people/<speaker>.md``, citing its ``dia_id``\\ s as
  turn ids of session ``<sample_id>:session_N`` (the ids the LoCoMo
  transcript reader gives the same turns).
- **after**: a dream (offline unless ``llm`` says otherwise) over that store
  plus the conversation's sessions as transcripts.
- **tasks**: the QA items.  Categories 1-4 are answerable (gold ``answer``);
  category 5 (adversarial) must not be answered: its ``adversarial_answer``
  is the misleading answer the offline answerer must not find.

The data is never copied: the conversation is written to the work directory
as a one-conversation LoCoMo file for the dream to ingest, and removed with
it unless a work directory was given.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.progress import Progress

from dreaming.errors import InputError
from dreaming.evals.answerer import Answerer
from dreaming.evals.dreamer import DreamSettings, dream_once
from dreaming.evals.engine import EvalConfig, ask_pair, build_report
from dreaming.evals.progress import bar
from dreaming.evals.report import CaseResult, SuiteReport, TargetCheck, UnitSizes
from dreaming.evals.tasks import Task
from dreaming.ids import new_id
from dreaming.ingest.locomo import parse_date
from dreaming.records import Evidence, Memory
from dreaming.store.core import Store

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
ADVERSARIAL = 5
_SESSION_KEY = re.compile(r"session_(\d+)")
_EVIDENCE_SPLIT = re.compile(r"[;,\s]+")


@dataclass(frozen=True, kw_only=True)
class Observation:
    speaker: str
    text: str
    turn_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LocomoSession:
    number: int
    id: str
    """``<sample_id>:session_N``, as the LoCoMo transcript reader names it."""
    date: datetime
    observations: tuple[Observation, ...]


@dataclass(frozen=True, kw_only=True)
class Conversation:
    sample_id: str
    sessions: tuple[LocomoSession, ...]
    tasks: tuple[Task, ...]
    raw: Mapping[str, Any]
    """The conversation object as read (written back out for the dream to ingest)."""
    skipped: int = 0
    """QA items that could not be used (no answer)."""


def _fail(path: Path, what: str) -> InputError:
    return InputError(what, location=str(path))


def _session(path: Path, sample_id: str, body: Mapping[str, Any], key: str, facts: Any) -> LocomoSession:
    match = re.fullmatch(r"session_(\d+)_observation", key)
    if match is None:
        raise _fail(path, f"{sample_id}: unexpected observation key {key!r}")
    number = int(match.group(1))
    date_text = body.get(f"session_{number}_date_time")
    if not isinstance(date_text, str):
        raise _fail(path, f"{sample_id}: session_{number} has observations but no session_{number}_date_time")
    try:
        date = parse_date(date_text)
    except ValueError as err:
        raise _fail(path, f"{sample_id}: session_{number}: {err}") from None
    if not isinstance(facts, Mapping):
        raise _fail(path, f"{sample_id}: {key} must map speakers to facts")
    observations = []
    for speaker, items in facts.items():
        if not isinstance(items, list):
            raise _fail(path, f"{sample_id}: {key}.{speaker} must be a list of [fact, dia_id] pairs")
        for item in items:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise _fail(path, f"{sample_id}: {key}.{speaker}: expected [fact, dia_id], got {json.dumps(item)[:60]}")
            ids = item[1] if isinstance(item[1], list) else [item[1]]
            turn_ids = tuple(i for raw in ids if isinstance(raw, str) for i in _EVIDENCE_SPLIT.split(raw) if i)
            observations.append(Observation(speaker=str(speaker), text=item[0].strip(), turn_ids=turn_ids))
    return LocomoSession(number=number, id=f"{sample_id}:session_{number}", date=date, observations=tuple(observations))


def _tasks(path: Path, sample_id: str, qa: Any) -> tuple[tuple[Task, ...], int]:
    if not isinstance(qa, list):
        raise _fail(path, f"{sample_id}: 'qa' must be a list")
    tasks = []
    skipped = 0
    for index, item in enumerate(qa, start=1):
        if not isinstance(item, Mapping) or not isinstance(item.get("question"), str):
            raise _fail(path, f"{sample_id}: qa item {index} has no question")
        category = item.get("category")
        if category not in CATEGORIES:
            raise _fail(path, f"{sample_id}: qa item {index} has category {category!r}, not one of 1-5")
        evidence = tuple(
            i for raw in item.get("evidence") or [] if isinstance(raw, str) for i in _EVIDENCE_SPLIT.split(raw) if i
        )
        common = dict(
            id=f"{sample_id}:qa{index}", question=item["question"], evidence=evidence,
            category=CATEGORIES[category], unit=sample_id,
        )
        if category == ADVERSARIAL:
            trap = item.get("adversarial_answer")
            if trap is None or not str(trap).strip():
                skipped += 1
                continue
            tasks.append(Task(answer=None, wrong=(str(trap),), **common))
        else:
            answer = item.get("answer")
            if answer is None or not str(answer).strip():
                skipped += 1
                continue
            tasks.append(Task(answer=str(answer), **common))
    return tuple(tasks), skipped


def read_locomo(path: Path) -> list[Conversation]:
    """The conversations of a LoCoMo-format file (a list of conversations, or one)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no such LoCoMo file: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _fail(path, f"not a LoCoMo JSON file ({getattr(err, 'msg', err)})") from None
    items = doc if isinstance(doc, list) else [doc]
    conversations = []
    for number, conv in enumerate(items, start=1):
        if not (isinstance(conv, Mapping) and isinstance(conv.get("conversation"), Mapping)):
            raise _fail(path, f"item {number} is not a LoCoMo conversation (no 'conversation' object)")
        sample_id = str(conv.get("sample_id") or f"conv{number}")
        body = conv["conversation"]
        observations = conv.get("observation")
        if not isinstance(observations, Mapping) or not observations:
            raise _fail(path, f"{sample_id}: no 'observation' facts to build the before store from")
        sessions = sorted(
            (_session(path, sample_id, body, key, facts) for key, facts in observations.items()),
            key=lambda s: s.number,
        )
        tasks, skipped = _tasks(path, sample_id, conv.get("qa"))
        conversations.append(
            Conversation(sample_id=sample_id, sessions=tuple(sessions), tasks=tasks, raw=conv, skipped=skipped)
        )
    if not conversations:
        raise _fail(path, "no conversations in the file")
    return conversations


def observation_memories(conv: Conversation, session: LocomoSession) -> list[Memory]:
    """The before-store memories one session adds (ids reproducible from the data)."""
    out = []
    for index, obs in enumerate(session.observations):
        out.append(
            Memory(
                id=new_id("mem", at=session.date, seed=f"locomo:{conv.sample_id}:{session.number}:{index}"),
                content=obs.text,
                path=f"/people/{re.sub(r'[^a-z0-9]+', '-', obs.speaker.lower()).strip('-') or 'unknown'}.md",
                kind="fact",
                observed_at=session.date,
                created_at=session.date,
                first_seen=session.date,
                last_seen=session.date,
                provenance=(Evidence(session_id=session.id, turn_ids=obs.turn_ids),),
            )
        )
    return out


def build_before(store: Store, conv: Conversation) -> int:
    """Append each session's observations as one import version; returns the last version."""
    for session in conv.sessions:
        memories = observation_memories(conv, session)
        if memories:
            store.import_memories(
                memories, message=f"{conv.sample_id} session {session.number} observations",
                explicit_created=[m.id for m in memories],
            )
    return store.head


def locomo_targets(report: SuiteReport) -> tuple[TargetCheck, ...]:
    """The issue's LoCoMo targets (offline answerer, k=10), measured."""
    checks = []
    for name in report.categories:
        c = report.completion(name)
        checks.append(
            TargetCheck(
                name=f"{name}: after >= before",
                passed=c.delta is not None and c.delta >= 0,
                measured=f"{_pct(c.before)} -> {_pct(c.after)}",
            )
        )
    overall = report.completion()
    checks.append(
        TargetCheck(
            name="overall: +10 pts or more",
            passed=overall.delta is not None and overall.delta >= 0.10 - 1e-9,
            measured=f"{_pts(overall.delta)}",
        )
    )
    temporal = report.completion(CATEGORIES[2])
    checks.append(
        TargetCheck(
            name="temporal: +15 pts or more",
            passed=temporal.delta is not None and temporal.delta >= 0.15 - 1e-9,
            measured=f"{_pts(temporal.delta)}",
        )
    )
    b, a = report.size_before.tokens, report.size_after.tokens
    checks.append(
        TargetCheck(
            name="tokens after <= 1.5x before",
            passed=a <= 1.5 * b,
            measured=f"{a / b:.2f}x" if b else "—",
        )
    )
    return tuple(checks)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _pts(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.1f} pts"


def eval_locomo(
    path: Path,
    *,
    answerer: Answerer,
    config: EvalConfig | None = None,
    dream: DreamSettings | None = None,
    conversations: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> SuiteReport:
    """The LoCoMo suite over every conversation in ``path`` (or the named ones)."""
    config = config or EvalConfig()
    dream = dream or DreamSettings()
    convs = read_locomo(path)
    if conversations:
        known = {c.sample_id for c in convs}
        unknown = [c for c in conversations if c not in known]
        if unknown:
            raise InputError(f"no conversation {unknown[0]!r} in the file (it has {', '.join(sorted(known))})",
                             location=str(path))
        convs = [c for c in convs if c.sample_id in conversations]
    cases: list[CaseResult] = []
    units: list[UnitSizes] = []
    notes = []
    with tempfile.TemporaryDirectory(prefix="dreaming-locomo-") as tmp:
        root = config.workdir or Path(tmp)
        with bar(progress, "LoCoMo conversations", len(convs)) as advance:
            for conv in convs:
                unit_dir = root / conv.sample_id
                unit_dir.mkdir(parents=True, exist_ok=True)
                transcript = unit_dir / f"{conv.sample_id}.locomo.json"
                transcript.write_text(json.dumps([conv.raw], ensure_ascii=False), encoding="utf-8")
                with Store.open(unit_dir / "memory.db") as store:
                    if store.head:
                        raise InputError(f"{unit_dir / 'memory.db'} already holds versions; use an empty --workdir")
                    before = build_before(store, conv)
                    outcome = dream_once(store, transcripts=[transcript], settings=dream, progress=progress)
                    after = outcome.version if outcome.version is not None else before
                    if outcome.version is None:
                        notes.append(f"{conv.sample_id}: the dream wrote no new version ({outcome.status})")
                    unit_cases, sizes = ask_pair(
                        store, before=before, after=after, tasks=conv.tasks, answerer=answerer, config=config,
                        unit=conv.sample_id, progress=progress,
                    )
                cases += unit_cases
                units.append(sizes)
                if conv.skipped:
                    notes.append(f"{conv.sample_id}: {conv.skipped} QA item(s) without an answer were left out")
                advance()
    notes.append(
        f"dream: llm={dream.llm}; before = observations appended per session, after = a dream over them "
        f"plus the sessions as transcripts"
    )
    notes.append(
        "adversarial (category 5) must not be answered: its rate is the share abstained, outside overall"
        + (" (no top-k memory holds the misleading answer)" if answerer.name == "offline" else "")
    )
    report = build_report(
        suite="locomo",
        dataset=path.name,
        answerer=answerer,
        config=config,
        cases=cases,
        units=units,
        categories=[CATEGORIES[n] for n in sorted(CATEGORIES) if any(c.task.category == CATEGORIES[n] for c in cases)],
        notes=notes,
    )
    return report.with_targets(locomo_targets(report))
