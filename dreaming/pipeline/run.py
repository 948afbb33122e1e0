"""``dreaming run``: the whole dream.

    ingest -> load -> extract -> normalise -> consolidate -> patterns -> reorganise -> write

Every stage is a pure function over typed records; this module is the only
one here that does I/O (the store, the transcript inbox, progress on
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
from pathlib import Path
from typing import Any

from dreaming.consolidate import ConsolidationConfig, consolidate, edits, meaning, scope
from dreaming.consolidate.meaning import MeaningConfig
from dreaming.consolidate.quiet import quiet_gc
from dreaming.consolidate.results import Supersede
from dreaming.cost.bill import run_cost
from dreaming.errors import CandidatePending, DreamingError
from dreaming.extract import EDIT_KIND
from dreaming.ids import new_id
from dreaming.llm.runtime import ClaudeConfig
from dreaming.normalise import normalise
from dreaming.normalise.restatements import fold_restatements
from dreaming.patterns.communities import PatternConfig, find_communities
from dreaming.pipeline import stages
from dreaming.pipeline.progress import NullProgress, Progress
from dreaming.pipeline.stages import JudgeCase, StageContext
from dreaming.plan.changes import plan_changes
from dreaming.plan.guard import GuardInput, guard_reason, reads_as_instruction
from dreaming.plan.reorganise import settle_path_clashes
from dreaming.records import Candidate, Changeset, Memory, PendingSession, Run, utcnow
from dreaming.store.core import Store
from dreaming.store.files import MAX_MEMORY_BYTES
from dreaming.text.redact import has_marker

LLM_MODES = ("off", "auto", "sync", "batch")
STAGE_ORDER = ("ingest", "load", "extract", "normalise", "consolidate", "patterns", "reorganise", "write")


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
    #: a dream that would retire or rewrite more than this share of the store is
    #: not accepted automatically but left as a candidate (None: the store's
    #: ``guard`` setting, default 0.2; 1.0 turns the guard off) ...
    guard_share: float | None = None
    #: ... once it touches at least this many memories (tiny stores are noisy)
    guard_min: int = 10
    #: says whether a new memory reads as an instruction to the assistant or the memory
    #: system (such a dream always waits for review); see ``dreaming.plan.guard``
    instruction: Callable[[str], bool] = reads_as_instruction
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


DEFAULT_GUARD = 0.2


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
                      before_chars=before_chars)
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
    """Run one dream over ``store``; see the module docstring.  ``while_waiting``:
    entered around each wait for a Message Batch (the CLI lets go of the
    store's dream lock there)."""
    progress = progress or NullProgress()
    clock = _Clock(progress, now)
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
    extractor = stages.create("extract", names["extract"], **config.stage_options.get("extract", {}))
    judge = stages.create("judge", names["judge"], **config.stage_options.get("judge", {}))
    writer = stages.create("patterns", names["patterns"], **config.stage_options.get("patterns", {}))
    run_id = new_id("run")
    started = utcnow()

    ingest_summary: dict[str, Any] = {}
    clock.stage("ingest")
    paths = [p for p in config.transcripts if Path(p).exists()]
    if paths:
        from dreaming.ingest import ingest_paths

        ingested = ingest_paths(store, paths, config=config.ingest)
        ingest_summary = ingested.to_json()
        ctx.warnings.extend(ingested.warnings)

    clock.stage("load")
    through = store.last_turn_pk()
    pending: list[PendingSession] = store.pending(through=through, limit_sessions=config.max_sessions)
    fresh = store.fresh_ids()
    head = store.head
    before = store.count()
    turns = sum(len(p.turns) for p in pending)
    if not pending and not fresh:
        clock.stop()
        progress.close()
        return DreamReport(
            run_id=run_id, status="nothing", parent=head, memories_before=before, memories_after=before,
            timings=clock.timings, ingest=ingest_summary, message="nothing to dream: no new sessions or memories",
            llm=llm, warnings=tuple(ctx.warnings),
        )
    owned_client = _connect(llm, config, ctx, env)
    if not config.dry_run:
        client = ctx.client
        if client is not None and hasattr(client, "batch_log"):  # a real client (batch mode needs a log)
            client.batch_log = RunBatches(store, run_id, while_waiting)
        store.save_run(Run(id=run_id, started_at=started, status="running", llm=llm))
    try:
        ctx.people |= _people(store)
        clock.stage("extract", total=max(1, len(pending)))
        candidates: list[Candidate] = []
        if getattr(extractor, "whole_run", False):  # a model-backed extractor sends every session at once (one batch)
            candidates.extend(extractor.extract(pending, ctx))
            progress.advance(len(pending))
        else:
            for session in pending:
                candidates.extend(extractor.extract([session], ctx))
                progress.advance()
        candidates = _not_instructions(candidates, ctx)

        candidates = _admissible(candidates, ctx)

        clock.stage("normalise", total=max(1, len(candidates)))
        candidates = normalise(candidates)
        progress.advance(len(candidates))

        clock.stage("consolidate")
        working = _working_set(store, candidates, fresh, config)
        known = {m.id for m in working}
        candidates = [c for c in candidates if c.memory.id not in known]
        candidates, folds = fold_restatements(candidates, working)
        enriched = {f.target.id: f.memory for f in folds}  # the last fold of a target holds all it gained
        all_memories = [enriched.get(m.id, m) for m in working] + [c.memory for c in candidates]
        # the agent's own memory edits first: exact, and what they retire is not consolidated again
        edit_candidates = [c.memory for c in candidates if edits.edit_of(c.memory) is not None]
        replayed = edits.replay(all_memories, edit_candidates, new_ids={c.memory.id for c in candidates})
        ctx.warnings.extend(replayed.unmatched)
        candidates = [c for c in candidates if c.memory.kind != EDIT_KIND]
        moved = {m.memory_id: m.path for m in replayed.moves}
        all_memories = [m.replace(path=moved[m.id]) if m.id in moved else m
                        for m in all_memories if m.kind != EDIT_KIND and m.id not in replayed.retired]
        fresh_ids = set(fresh) | {c.memory.id for c in candidates}
        decisions = consolidate(all_memories, fresh=fresh_ids, config=config.consolidation)
        decisions = meaning.refine(decisions, all_memories, fresh=fresh_ids, config=config.meaning)
        decisions, _ = scope.apply(decisions, all_memories)
        decisions = replace(decisions, supersedes=decisions.supersedes + tuple(
            Supersede(old_id=r.old_id, new_id=r.new_id, subject="", old_value=r.old_text, new_value=r.new_text,
                      score=r.score, reason=r.reason, rule=r.rule)
            for r in replayed.replacements
        ))
        by_id = {m.id: m for m in all_memories}
        cases = []
        pairs: dict[str, tuple[str, str]] = {}
        for i, amb in enumerate(decisions.ambiguous):
            a, b = amb.ids
            if a in by_id and b in by_id:
                case_id = f"case{i + 1}"
                pairs[case_id] = (a, b)
                cases.append(JudgeCase(case_id=case_id, a=by_id[a], b=by_id[b], score=amb.score / 100, why=amb.why))
        verdicts = judge.judge(cases, ctx) if cases else []
        settled = {v.case_id for v in verdicts if v.decision != "undecided"}
        unsettled = tuple(
            {"ids": [case.a.id, case.b.id], "texts": [case.a.content, case.b.content],
             "score": round(case.score, 4), "why": case.why}
            for case in cases
            if case.case_id not in settled
        )

        clock.stage("patterns")
        retired = decisions.retired
        survivors = [m for m in all_memories if m.id not in retired and m.kind != "pattern"]
        merged = {mg.memory.id: mg.memory for mg in decisions.merges}
        survivors = [merged.get(m.id, m) for m in survivors]
        communities = find_communities(survivors, config.patterns, focus=fresh_ids)
        pattern_candidates = writer.write(communities, ctx)

        clock.stage("reorganise")
        plan = plan_changes(
            store_memories=working,
            candidates=candidates,
            consolidation=decisions,
            verdicts=verdicts,
            verdict_pairs=pairs,
            patterns=pattern_candidates,
            fresh=fresh,
            folds=folds,
            edits=replayed,
        )
        plan = replace(plan, upserts=settle_path_clashes(plan.upserts, store.paths()))

        clock.stage("write")
        review = config.review if config.review is not None else bool(store.get_config("review", False))
        guard = guard_verdict(plan, working, before, config, store.get_config("guard", DEFAULT_GUARD),
                              store.content_chars())
        if guard and not review:
            review = True
            ctx.warn(guard)
        sessions = tuple(p.session.id for p in pending)
        message = config.message or (
            f"dream over {len(pending)} session{'s' if len(pending) != 1 else ''}"
            + (f" and {len(fresh)} imported memories" if fresh else "")
        )
        changeset = Changeset(
            upserts=plan.upserts,
            retire=plan.retire,
            changes=plan.changes,
            message=message,
            origin="dream",
            status="candidate" if review else "accepted",
            run_id=run_id,
            consume_through=through if pending else None,
            consume_sessions=sessions if config.max_sessions is not None else None,
            expected_parent=head,  # an import or rollback since the load: refused, not overwritten
        )
        version = None if config.dry_run else store.write_version(changeset)
        clock.stop()
        cost = {} if config.dry_run else run_cost(ctx, store, head, pending)
        after = store.count(version.number) if version else before
        counts = {
            "candidates": len(candidates),
            **plan.counts,
            "ambiguous": len(decisions.ambiguous),
            "unsettled": len(unsettled),
            "changes": len(plan.changes),
        }
        if version is not None:  # the store's own count of the version (what `dreaming log` shows)
            counts.update({f"version_{k}": version.counts.get(k, 0) for k in ("added", "updated", "retired")})
        status = "partial" if ctx.partial else "completed"
        report = DreamReport(
            run_id=run_id,
            status=status,
            version=version.number if version else None,
            version_status=version.status if version else None,
            parent=head,
            sessions=len(pending),
            turns=turns,
            memories_before=before,
            memories_after=after,
            counts=counts,
            timings=clock.timings,
            ingest=ingest_summary,
            warnings=tuple(ctx.warnings),
            message=message if version else "the dream changed nothing",
            llm=llm,
            cost=cost,
            partial=tuple(ctx.partial),
            unsettled=unsettled,
        )
        if not config.dry_run:
            store.save_run(
                Run(id=run_id, started_at=started, finished_at=utcnow(), status=status,
                    version=report.version, llm=llm, timings=report.timings, counts=counts,
                    cost=report.cost, error=None)
            )
        return report
    except BaseException as err:
        clock.stop()
        try:
            if not config.dry_run:
                store.save_run(
                    Run(id=run_id, started_at=started, finished_at=utcnow(), status="failed", llm=llm,
                        timings=clock.timings, cost=run_cost(ctx, store, head, pending),
                        error=f"{type(err).__name__}: {err}")
                )
        except Exception:  # the original error matters more than the bookkeeping
            pass
        raise
    finally:
        if owned_client and ctx.client is not None:
            ctx.client.close()
        progress.close()
