"""``dreaming run``: the whole dream, as named stages run in order (:data:`STAGES`).

    ingest -> load -> extract -> normalise -> consolidate -> judge -> patterns -> plan -> write

Each stage is a small function over a :class:`DreamState` and is timed under
its name (the report's ``timings``).  ``judge`` puts the pairs the offline
core could not settle to the judge; ``plan`` turns every decision into a
changeset and, as its last step, files memories without a path under a topic
(reorganise).  The work of each stage is a pure function over typed records
in its own folder; this module is the only one here that does I/O (the store, the transcript inbox, progress on
stderr).  Nothing is written until the last stage, and that writes one
version in one transaction: a crash or an error anywhere before leaves HEAD
and every version exactly as they were.

Incremental: a dream looks at the pending turns, the memories imported since
the last dream, and - found through the store's full-text index - the store
memories they could duplicate or update.  Only when that new work is a large
share of the store does it read the whole store.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from dreaming.consolidate import Consolidation, ConsolidationConfig, consolidate, edits, meaning, scope
from dreaming.consolidate.edits import EditReplay
from dreaming.consolidate.meaning import MeaningConfig
from dreaming.consolidate.quiet import quiet_gc
from dreaming.consolidate.results import Supersede
from dreaming.consolidate.vectors import StoredEmbedder
from dreaming.cost.bill import run_cost
from dreaming.errors import CandidatePending, DreamingError
from dreaming.extract import EDIT_KIND
from dreaming.ids import new_id
from dreaming.llm.runtime import ClaudeConfig
from dreaming.normalise import normalise
from dreaming.normalise.restatements import Fold, fold_restatements
from dreaming.patterns.communities import PatternConfig, find_communities
from dreaming.pipeline import stages
from dreaming.pipeline.progress import NullProgress, Progress
from dreaming.pipeline.stages import JudgeCase, JudgeVerdict, StageContext
from dreaming.plan.changes import Plan, plan_changes
from dreaming.plan.guard import DEFAULT_SHARE, GuardInput, guard_reason, instruction_to_the_system
from dreaming.plan.reorganise import settle_path_clashes
from dreaming.records import Candidate, Changeset, Memory, PendingSession, Run, Version, utcnow
from dreaming.store.core import Store
from dreaming.store.files import MAX_MEMORY_BYTES
from dreaming.text.redact import has_marker

LLM_MODES = ("off", "auto", "sync", "batch")


@dataclass(frozen=True, kw_only=True)
class DreamConfig:
    """What a dream reads and how it decides."""

    #: transcript files or folders ingested before dreaming (missing ones are skipped)
    transcripts: tuple[Path, ...] = (Path("transcripts"),)
    #: ``dreaming.ingest.IngestConfig`` (None: defaults)
    ingest: Any = None
    #: off | auto | sync | batch (auto: sync with ANTHROPIC_API_KEY, off without)
    llm: str = "off"
    #: write a candidate for review instead of accepting (None: the store's ``review`` setting)
    review: bool | None = None
    #: stage implementations by name, and options for each
    extractor: str | None = None
    judge: str | None = None
    pattern_writer: str | None = None
    stage_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    consolidation: ConsolidationConfig = field(default_factory=ConsolidationConfig)
    #: the second pass by meaning (sentence vectors and the pair model)
    meaning: MeaningConfig = field(default_factory=MeaningConfig)
    patterns: PatternConfig = field(default_factory=PatternConfig)
    #: dream over at most this many pending sessions (oldest first); the rest wait
    max_sessions: int | None = None
    #: models, budget and concurrency of the Claude stages (when ``llm`` is not off)
    claude: ClaudeConfig = field(default_factory=ClaudeConfig)
    #: run every stage but write nothing (no version, no run row): ``dreaming estimate`` projects with it
    dry_run: bool = False
    #: read the whole store when fresh work is at least this share of it
    full_load_ratio: float = 0.2
    #: ... or when the store holds fewer memories than this
    full_load_below: int = 200
    #: a dream that would retire or rewrite more than this share of the store (a
    #: replacement counting twice: what is retired and the new memory in its place) is
    #: not accepted automatically but left as a candidate (None: the store's
    #: ``guard`` setting, default 0.15; 1.0 turns the guard off) ...
    guard_share: float | None = None
    #: ... once it touches at least this many memories (tiny stores are noisy)
    guard_min: int = 10
    #: says whether a new memory reads as an instruction to the assistant or the memory
    #: system (such a dream always waits for review); see ``dreaming.plan.guard``
    instruction: Callable[[str], bool] = instruction_to_the_system
    message: str | None = None


@dataclass(frozen=True, kw_only=True)
class DreamReport:
    """What a dream did (also stored in the run's row)."""

    run_id: str
    status: str  # completed | partial | nothing | failed
    version: int | None = None
    version_status: str | None = None
    parent: int | None = None
    sessions: int = 0
    turns: int = 0
    memories_before: int = 0
    memories_after: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    ingest: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    message: str = ""
    llm: str = "off"
    cost: Mapping[str, Any] = field(default_factory=dict)
    #: model-backed stages that fell back to the offline result for some of their work
    partial: tuple[str, ...] = ()
    #: look-alike pairs the core handed to the judge and nobody settled (offline:
    #: all of them): both memories stay; a reviewer sees them here
    unsettled: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "version": self.version,
            "version_status": self.version_status,
            "parent": self.parent,
            "sessions": self.sessions,
            "turns": self.turns,
            "memories": {"before": self.memories_before, "after": self.memories_after},
            "counts": dict(self.counts),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "ingest": dict(self.ingest),
            "warnings": list(self.warnings),
            "message": self.message,
            "llm": self.llm,
            "cost": dict(self.cost),
            "partial": list(self.partial),
            "unsettled": [dict(u) for u in self.unsettled],
        }


def resolve_llm(mode: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    if mode not in LLM_MODES:
        raise DreamingError(f"--llm must be one of {', '.join(LLM_MODES)}, not {mode!r}")
    if mode == "auto":
        from dreaming.llm.platforms import has_credentials

        return "sync" if has_credentials(env) else "off"
    return mode


class _Clock:
    def __init__(self, progress: Progress, now: Callable[[], float]):
        self.progress = progress
        self.now = now
        self.timings: dict[str, float] = {}
        self._stage: str | None = None
        self._start = 0.0

    def stage(self, name: str, total: int | None = None) -> None:
        self.stop()
        self._stage, self._start = name, self.now()
        self.progress.stage(name, total)

    def stop(self) -> None:
        if self._stage is not None:
            self.timings[self._stage] = self.timings.get(self._stage, 0.0) + self.now() - self._start
            self._stage = None


def _working_set(store: Store, candidates: Sequence[Candidate], fresh: Sequence[str], config: DreamConfig) -> list[Memory]:
    """The store memories this dream must look at."""
    head_count = store.count()
    work = len(candidates) + len(fresh)
    if head_count < config.full_load_below or work >= config.full_load_ratio * head_count:
        return store.snapshot()
    by_id: dict[str, Memory] = dict(store.current(fresh, version=store.head))
    texts = [c.memory.content for c in candidates] + [m.content for m in by_id.values()]
    keys = [c.memory.key for c in candidates if c.memory.key] + [m.key for m in by_id.values() if m.key]
    for m in store.related(texts, version=store.head):
        by_id.setdefault(m.id, m)
    for m in store.with_keys(keys):
        by_id.setdefault(m.id, m)
    for m in store.with_keys([m.key for m in by_id.values() if m.kind == "pattern" and m.key]):
        by_id.setdefault(m.id, m)
    return sorted(by_id.values(), key=lambda m: m.id)


def _admissible(candidates: list[Candidate], ctx: StageContext) -> list[Candidate]:
    """Candidates that may become memories: not one holding a redaction marker
    ("the Slack token is [REDACTED:slack-token]" is noise), not one over
    MAX_MEMORY_BYTES (the hosted stores refuse those too); a warning counts each."""
    marked = [c for c in candidates if has_marker(c.memory.content)]
    huge = [c for c in candidates if len(c.memory.content.encode("utf-8", "surrogatepass")) > MAX_MEMORY_BYTES]
    if marked:
        ctx.warn(f"{len(marked)} candidate memories held a redacted secret and were dropped")
    if huge:
        ctx.warn(f"{len(huge)} candidate memories were over {MAX_MEMORY_BYTES:,} bytes and were dropped")
    dropped = {id(c) for c in (*marked, *huge)}
    return [c for c in candidates if id(c) not in dropped] if dropped else candidates


class RunBatches:
    """The batch log of one run (``dreaming.llm.client.BatchLog``): batches
    are recorded in the run's row before they are polled, and a batch that a
    run which never finished submitted for the same requests is found again."""

    def __init__(self, store: Store, run_id: str, while_waiting: Callable[[], AbstractContextManager[None]] | None):
        self.store = store
        self.run_id = run_id
        self.known = store.unfinished_batches()
        self._waiting = while_waiting

    def find(self, digest: str) -> str | None:
        return self.known.get(digest)

    def record(self, digest: str, batch_id: str) -> None:
        self.store.record_batch(self.run_id, digest, batch_id)

    def waiting(self) -> AbstractContextManager[None]:
        return self._waiting() if self._waiting is not None else contextlib.nullcontext()


DEFAULT_GUARD = DEFAULT_SHARE


def _not_instructions(candidates: Sequence[Candidate], ctx: StageContext) -> list[Candidate]:
    """Candidates that read as instructions to the assistant or the memory system are never memories,
    whoever proposed them (the offline rules or Claude); each one dropped is said in a warning."""
    from dreaming.extract.injection import aimed_at_memory

    kept = []
    for c in candidates:
        why = aimed_at_memory(c.memory.content) if c.memory.kind != "edit" else None
        if why is None:
            kept.append(c)
        else:
            ctx.warn(f"not stored: {c.memory.content[:80]!r} {why}")
    return kept


def _people(store: Store) -> set[str]:
    """The accounts the store's sessions ran under (``/home/mei/...`` -> ``mei``)."""
    from dreaming.extract.declaratives import account_of

    return {a for s in store.sessions() if (a := account_of((s.metadata or {}).get("cwd")))}


def guard_verdict(plan: Any, working: Sequence[Memory], before: int, config: DreamConfig, stored: Any,
                  before_chars: int = 0) -> str | None:
    """Why this dream must wait for review, or ``None`` (:mod:`dreaming.plan.guard`): a
    change too large for the store's size (retired, rewritten and added memories
    weighed by length), or a new memory that reads as an instruction."""
    share = config.guard_share if config.guard_share is not None else float(stored)
    data = GuardInput(upserts=plan.upserts, retire=plan.retire, head={m.id: m for m in working}, before=before,
                      before_chars=before_chars, links=[(c.inputs, c.outputs) for c in plan.changes])
    return guard_reason(data, share=share, min_touched=config.guard_min, instruction=config.instruction)


def _stage_names(config: DreamConfig, llm: str) -> dict[str, str]:
    model = "claude" if llm != "off" else "offline"
    return {
        "extract": config.extractor or model,
        "judge": config.judge or model,
        "patterns": config.pattern_writer or model,
    }


def _connect(llm: str, config: DreamConfig, ctx: StageContext, env: Mapping[str, str] | None) -> bool:
    """Give a model-backed run its client and meter (unless the caller did); True when this run opened it."""
    if llm == "off":
        return False
    for stage, model in config.claude.models.items():
        ctx.models.setdefault(stage, model)
    client = ctx.client
    opened = client is None
    if client is None:
        from dreaming.llm.runtime import open_client

        client = ctx.client = open_client(llm, config.claude, env)
    ctx.meter = client.meter
    ctx.meter.start()
    return opened


# --- the stages ------------------------------------------------------------


@dataclass(kw_only=True)
class DreamState:
    """What the stages of one dream hand each other.

    Each stage reads what earlier stages left here and adds its own part;
    only ``ingest``, ``load`` (and the look-up of related stored memories at
    the start of ``consolidate``) read the store, and only ``write`` writes.
    """

    store: Store
    config: DreamConfig
    ctx: StageContext
    progress: Progress
    llm: str
    run_id: str
    started: datetime
    #: the stage implementations chosen by name (extract, judge, patterns)
    extractor: Any
    judge: Any
    writer: Any
    ingest: dict[str, Any] = field(default_factory=dict)
    # load
    through: int = 0
    pending: list[PendingSession] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    head: int = 0
    before: int = 0
    # extract, normalise
    candidates: list[Candidate] = field(default_factory=list)
    # consolidate
    working: list[Memory] = field(default_factory=list)
    folds: list[Fold] = field(default_factory=list)
    all_memories: list[Memory] = field(default_factory=list)
    #: the agent's own memory edits, replayed against the store
    replayed: EditReplay = field(default_factory=EditReplay)
    fresh_ids: set[str] = field(default_factory=set)
    decisions: Consolidation = field(default_factory=Consolidation)
    # judge
    verdicts: list[JudgeVerdict] = field(default_factory=list)
    #: judge case id -> the pair of memory ids it is about
    pairs: dict[str, tuple[str, str]] = field(default_factory=dict)
    unsettled: tuple[Mapping[str, Any], ...] = ()
    # patterns
    pattern_candidates: list[Candidate] = field(default_factory=list)
    # plan
    plan: Plan | None = None
    # write
    message: str = ""
    version: Version | None = None

    @property
    def turns(self) -> int:
        return sum(len(p.turns) for p in self.pending)

    @property
    def nothing(self) -> bool:
        """No new sessions or memories: the dream stops after ``load``."""
        return not self.pending and not self.fresh


def ingest(s: DreamState) -> None:
    """Read the transcript inbox into the store (missing paths are skipped)."""
    paths = [p for p in s.config.transcripts if Path(p).exists()]
    if paths:
        from dreaming.ingest import ingest_paths

        ingested = ingest_paths(s.store, paths, config=s.config.ingest)
        s.ingest = ingested.to_json()
        s.ctx.warnings.extend(ingested.warnings)


def load(s: DreamState) -> None:
    """The pending turns and the memories imported since the last dream."""
    store = s.store
    s.through = store.last_turn_pk()
    s.pending = store.pending(through=s.through, limit_sessions=s.config.max_sessions)
    s.fresh = store.fresh_ids()
    s.head = store.head
    s.before = store.count()


def extract(s: DreamState) -> None:
    """Candidate memories from the pending sessions (one session at a time, or
    all at once for a model-backed extractor that sends one batch); only
    admissible ones are kept (:func:`_admissible`)."""
    if getattr(s.extractor, "whole_run", False):
        s.candidates.extend(s.extractor.extract(s.pending, s.ctx))
        s.progress.advance(len(s.pending))
    else:
        for session in s.pending:
            s.candidates.extend(s.extractor.extract([session], s.ctx))
            s.progress.advance()
    finish = getattr(s.extractor, "finish", None)
    if finish is not None:  # what only the sessions together show (the offline extractor's repeated corrections)
        s.candidates = finish(s.pending, s.ctx, s.candidates)
    s.candidates = _admissible(_not_instructions(s.candidates, s.ctx), s.ctx)


def normalise_stage(s: DreamState) -> None:
    """Relative times made absolute (see :mod:`dreaming.normalise`)."""
    s.candidates = normalise(s.candidates)
    s.progress.advance(len(s.candidates))


def consolidate_stage(s: DreamState) -> None:
    """The stored memories the new work could touch, restatements folded into
    them, then the offline core's decisions over both."""
    s.working = _working_set(s.store, s.candidates, s.fresh, s.config)
    known = {m.id for m in s.working}
    candidates = [c for c in s.candidates if c.memory.id not in known]
    candidates, s.folds = fold_restatements(candidates, s.working)
    enriched = {f.target.id: f.memory for f in s.folds}  # the last fold of a target holds all it gained
    all_memories = [enriched.get(m.id, m) for m in s.working] + [c.memory for c in candidates]
    s.candidates, s.all_memories = _replay_edits(s, candidates, all_memories)
    s.fresh_ids = set(s.fresh) | {c.memory.id for c in s.candidates}
    decisions = consolidate(s.all_memories, fresh=s.fresh_ids, config=s.config.consolidation)
    # pairs of different scopes are kept apart before the second pass, so a memory the core had wrongly
    # merged across files is still there for it to look at
    decisions, _ = scope.apply(decisions, s.all_memories)
    decisions = meaning.refine(decisions, s.all_memories, fresh=s.fresh_ids, config=s.config.meaning,
                               embedder=StoredEmbedder(s.store.vectors))  # stored vectors, only new texts embedded
    decisions, _ = scope.apply(decisions, s.all_memories)
    s.decisions = replace(decisions, supersedes=decisions.supersedes + tuple(
        Supersede(old_id=r.old_id, new_id=r.new_id, subject="", old_value=r.old_text, new_value=r.new_text,
                  score=r.score, reason=r.reason, rule=r.rule, slot="edit")
        for r in s.replayed.replacements
    ))


def _replay_edits(
    s: DreamState, candidates: list[Candidate], all_memories: list[Memory]
) -> tuple[list[Candidate], list[Memory]]:
    """The agent's own memory edits first: exact, and what they retire is not
    consolidated again (:mod:`dreaming.consolidate.edits`)."""
    edit_candidates = [c.memory for c in candidates if edits.edit_of(c.memory) is not None]
    s.replayed = edits.replay(all_memories, edit_candidates, new_ids={c.memory.id for c in candidates})
    s.ctx.warnings.extend(s.replayed.unmatched)
    candidates = [c for c in candidates if c.memory.kind != EDIT_KIND]
    moved = {m.memory_id: m.path for m in s.replayed.moves}
    all_memories = [m.replace(path=moved[m.id]) if m.id in moved else m
                    for m in all_memories if m.kind != EDIT_KIND and m.id not in s.replayed.retired]
    return candidates, all_memories


def judge_stage(s: DreamState) -> None:
    """The pairs the core could not settle, put to the judge; the ones nobody
    settled stay as they were and are listed in the report."""
    by_id = {m.id: m for m in s.all_memories}
    cases = []
    for i, amb in enumerate(s.decisions.ambiguous):
        a, b = amb.ids
        if a in by_id and b in by_id:
            case_id = f"case{i + 1}"
            s.pairs[case_id] = (a, b)
            cases.append(JudgeCase(case_id=case_id, a=by_id[a], b=by_id[b], score=amb.score / 100, why=amb.why))
    s.verdicts = s.judge.judge(cases, s.ctx) if cases else []
    settled = {v.case_id for v in s.verdicts if v.decision != "undecided"}
    s.unsettled = tuple(
        {"ids": [case.a.id, case.b.id], "texts": [case.a.content, case.b.content],
         "score": round(case.score, 4), "why": case.why}
        for case in cases
        if case.case_id not in settled
    )


def patterns_stage(s: DreamState) -> None:
    """Communities of surviving memories that recur across sessions, worded as patterns."""
    retired = s.decisions.retired
    survivors = [m for m in s.all_memories if m.id not in retired and m.kind != "pattern"]
    merged = {mg.memory.id: mg.memory for mg in s.decisions.merges}
    survivors = [merged.get(m.id, m) for m in survivors]
    communities = find_communities(survivors, s.config.patterns, focus=s.fresh_ids)
    s.pattern_candidates = s.writer.write(communities, s.ctx)


def plan_stage(s: DreamState) -> None:
    """Every decision turned into a changeset; reorganising (topic paths for
    memories without one, then no path both a file and a folder beside the
    store's) is the plan's last step (:mod:`dreaming.plan`)."""
    s.plan = plan_changes(
        store_memories=s.working,
        candidates=s.candidates,
        consolidation=s.decisions,
        verdicts=s.verdicts,
        verdict_pairs=s.pairs,
        patterns=s.pattern_candidates,
        fresh=s.fresh,
        folds=s.folds,
        edits=s.replayed,
        judge=s.judge.name,
    )
    s.plan = replace(s.plan, upserts=settle_path_clashes(s.plan.upserts, s.store.paths()))


def write(s: DreamState) -> None:
    """One version in one transaction: accepted, or a candidate for review
    (asked for, or because the guard says the dream touches too much)."""
    config, store, plan = s.config, s.store, s.plan
    assert plan is not None
    review = config.review if config.review is not None else bool(store.get_config("review", False))
    guard = guard_verdict(plan, s.working, s.before, config, store.get_config("guard", DEFAULT_GUARD),
                          store.content_chars())
    if guard and not review:
        review = True
        s.ctx.warn(guard)
    n = len(s.pending)
    s.message = config.message or (
        f"dream over {n} session{'s' if n != 1 else ''}" + (f" and {len(s.fresh)} imported memories" if s.fresh else "")
    )
    changeset = Changeset(
        upserts=plan.upserts,
        retire=plan.retire,
        changes=plan.changes,
        message=s.message,
        origin="dream",
        status="candidate" if review else "accepted",
        run_id=s.run_id,
        consume_through=s.through if s.pending else None,
        consume_sessions=tuple(p.session.id for p in s.pending) if config.max_sessions is not None else None,
        expected_parent=s.head,  # an import or rollback since the load: refused, not overwritten
    )
    s.version = None if config.dry_run else store.write_version(changeset)


@dataclass(frozen=True)
class Stage:
    """A named step of the dream; ``total`` sizes its progress bar."""

    name: str
    run: Callable[[DreamState], None]
    total: Callable[[DreamState], int] | None = None


#: The dream, in order.  ``dream`` times each stage under its name (the
#: report's ``timings``); a dream with nothing new stops after ``load``.
STAGES: tuple[Stage, ...] = (
    Stage("ingest", ingest),
    Stage("load", load),
    Stage("extract", extract, total=lambda s: max(1, len(s.pending))),
    Stage("normalise", normalise_stage, total=lambda s: max(1, len(s.candidates))),
    Stage("consolidate", consolidate_stage),
    Stage("judge", judge_stage),
    Stage("patterns", patterns_stage),
    Stage("plan", plan_stage),
    Stage("write", write),
)
STAGE_ORDER = tuple(stage.name for stage in STAGES)
_READ = 2  # ingest and load: what runs before the dream knows there is work


def _run_stages(stages_: Sequence[Stage], s: DreamState, clock: _Clock) -> None:
    for stage in stages_:
        clock.stage(stage.name, total=stage.total(s) if stage.total else None)
        stage.run(s)


def _prepare(store: Store, config: DreamConfig, env: Mapping[str, str] | None, progress: Progress,
             context: StageContext | None) -> DreamState:
    """Check the dream may run and choose its stage implementations."""
    llm = resolve_llm(config.llm, env)
    names = _stage_names(config, llm)
    ctx = context or StageContext()
    from dreaming.llm.platforms import has_credentials

    if llm != "off" and ctx.client is None and not has_credentials(env):
        raise DreamingError(f"--llm {llm} needs an Anthropic API key: set ANTHROPIC_API_KEY, or run with --llm off")
    pending_candidate = store.candidate()
    if pending_candidate is not None:
        raise CandidatePending(
            f"version {pending_candidate.number} is a candidate awaiting review; "
            f"run `dreaming diff` to read it, then `dreaming accept` or `dreaming reject` before dreaming again"
        )
    options = config.stage_options
    return DreamState(
        store=store, config=config, ctx=ctx, progress=progress, llm=llm, run_id=new_id("run"), started=utcnow(),
        extractor=stages.create("extract", names["extract"], **options.get("extract", {})),
        judge=stages.create("judge", names["judge"], **options.get("judge", {})),
        writer=stages.create("patterns", names["patterns"], **options.get("patterns", {})),
    )


@quiet_gc()  # the whole dream: it holds every record it builds until it writes
def dream(
    store: Store,
    config: DreamConfig = DreamConfig(),
    *,
    progress: Progress | None = None,
    now: Callable[[], float] = time.perf_counter,
    env: Mapping[str, str] | None = None,
    context: StageContext | None = None,
    while_waiting: Callable[[], AbstractContextManager[None]] | None = None,
) -> DreamReport:
    """Run one dream over ``store``: the :data:`STAGES` in order (see the
    module docstring).  ``while_waiting``: entered around each wait for a
    Message Batch (the CLI lets go of the store's dream lock there)."""
    progress = progress or NullProgress()
    clock = _Clock(progress, now)
    s = _prepare(store, config, env, progress, context)
    _run_stages(STAGES[:_READ], s, clock)
    if s.nothing:
        clock.stop()
        progress.close()
        return DreamReport(
            run_id=s.run_id, status="nothing", parent=s.head, memories_before=s.before, memories_after=s.before,
            timings=clock.timings, ingest=s.ingest, message="nothing to dream: no new sessions or memories",
            llm=s.llm, warnings=tuple(s.ctx.warnings),
        )
    owned_client = _connect(s.llm, config, s.ctx, env)
    if not config.dry_run:
        client = s.ctx.client
        if client is not None and hasattr(client, "batch_log"):  # a real client (batch mode needs a log)
            client.batch_log = RunBatches(store, s.run_id, while_waiting)
        store.save_run(Run(id=s.run_id, started_at=s.started, status="running", llm=s.llm))
    try:
        s.ctx.people |= _people(store)
        _run_stages(STAGES[_READ:], s, clock)
        clock.stop()
        return _finish(s, clock)
    except BaseException as err:
        clock.stop()
        _record_failure(s, clock, err)
        raise
    finally:
        if owned_client and s.ctx.client is not None:
            s.ctx.client.close()
        progress.close()


def _finish(s: DreamState, clock: _Clock) -> DreamReport:
    """The report of a dream that ran every stage, saved in its run's row."""
    config, store, plan, version = s.config, s.store, s.plan, s.version
    assert plan is not None
    cost = {} if config.dry_run else run_cost(s.ctx, store, s.head, s.pending)
    after = store.count(version.number) if version else s.before
    counts = {
        "candidates": len(s.candidates),
        **plan.counts,
        "ambiguous": len(s.decisions.ambiguous),
        "unsettled": len(s.unsettled),
        "changes": len(plan.changes),
    }
    if version is not None:  # the store's own count of the version (what `dreaming log` shows)
        counts.update({f"version_{k}": version.counts.get(k, 0) for k in ("added", "updated", "retired")})
    status = "partial" if s.ctx.partial else "completed"
    report = DreamReport(
        run_id=s.run_id,
        status=status,
        version=version.number if version else None,
        version_status=version.status if version else None,
        parent=s.head,
        sessions=len(s.pending),
        turns=s.turns,
        memories_before=s.before,
        memories_after=after,
        counts=counts,
        timings=clock.timings,
        ingest=s.ingest,
        warnings=tuple(s.ctx.warnings),
        message=s.message if version else "the dream changed nothing",
        llm=s.llm,
        cost=cost,
        partial=tuple(s.ctx.partial),
        unsettled=s.unsettled,
    )
    if not config.dry_run:
        store.save_run(
            Run(id=s.run_id, started_at=s.started, finished_at=utcnow(), status=status,
                version=report.version, llm=s.llm, timings=report.timings, counts=counts,
                cost=report.cost, error=None)
        )
    return report


def _record_failure(s: DreamState, clock: _Clock, err: BaseException) -> None:
    """Mark the run failed (with its cost so far); the original error matters more than this bookkeeping."""
    try:
        if not s.config.dry_run:
            s.store.save_run(
                Run(id=s.run_id, started_at=s.started, finished_at=utcnow(), status="failed", llm=s.llm,
                    timings=clock.timings, cost=run_cost(s.ctx, s.store, s.head, s.pending),
                    error=f"{type(err).__name__}: {err}")
            )
    except Exception:
        pass
