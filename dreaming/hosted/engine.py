"""``dreaming run --engine hosted``: Anthropic's hosted Dream as a candidate version.

Submit a dream over the pulled store and the given sessions, poll it with
growing intervals, read its output store, and write that as a *candidate*
(HEAD with the output store's files in place of the input store's), so
``diff``, ``why``, ``eval``, ``accept`` and ``reject`` work on Anthropic's result
exactly as on ours.  Its ``usage`` goes on the run's bill, priced with the
same table.

Crash safety: the dream is recorded in the store (``hosted_dreams``) *before*
it is submitted, and its id right after.  A rerun finds the record: with an
id it polls that dream; without one (killed between the request and the
answer) it looks for a dream created since the record with the same inputs
and adopts it, submitting only when there is none.  Nothing is submitted twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from rapidfuzz import fuzz, process

from dreaming.cost.meter import Usage, build_report
from dreaming.cost.prices import PriceTable
from dreaming.errors import DreamingError
from dreaming.hosted.records import MAX_DREAM_SESSIONS, HostedDream, HostedMemory
from dreaming.hosted.sessions import FORMAT
from dreaming.hosted.sync import pull_changeset
from dreaming.hosted.transfer import Hosted, fetch_files
from dreaming.ids import new_id
from dreaming.records import Change, ChangeOp, Changeset, Memory, Run, utcnow
from dreaming.store import hosted as journal
from dreaming.store.core import Store

DEFAULT_DREAM_MODEL = "claude-opus-4-7"
BILL_NOTE = ("hosted dream: tokens from the dream's usage at the price table's rates; runtime is the dream's "
             "wall time at the session-hour rate (Anthropic publishes no separate price per dream)")


class Dreams(Hosted, Protocol):
    def create_dream(self, store_id: str, session_ids: Sequence[str], *, model: str, instructions: str | None) -> HostedDream: ...
    def dream(self, dream_id: str) -> HostedDream: ...
    def dreams_since(self, since: Any) -> list[HostedDream]: ...


@dataclass(frozen=True, kw_only=True)
class PollPolicy:
    first: float = 10.0
    factor: float = 1.5
    most: float = 120.0
    give_up_after: float = 24 * 3600.0


DEFAULT_POLICY = PollPolicy()


@dataclass(frozen=True, kw_only=True)
class HostedRunReport:
    run_id: str
    dream_id: str
    status: str
    version: int | None
    output_store_id: str | None
    memories_before: int = 0
    memories_after: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    cost: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    resumed: bool = False
    polls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "engine": "hosted", "dream_id": self.dream_id, "status": self.status,
                "version": self.version, "output_store_id": self.output_store_id,
                "memories": {"before": self.memories_before, "after": self.memories_after},
                "counts": dict(self.counts), "cost": dict(self.cost), "seconds": round(self.seconds, 3),
                "resumed": self.resumed, "polls": self.polls}


def dream_usage(dream: HostedDream) -> Usage:
    u = dream.usage
    return Usage(input_tokens=u.input_tokens, output_tokens=u.output_tokens,
                 cache_write_5m_tokens=u.cache_creation_input_tokens, cache_read_tokens=u.cache_read_input_tokens,
                 requests=1)


def dream_bill(dream: HostedDream, prices: PriceTable) -> dict[str, Any]:
    """The dream's bill: its cumulative usage at the table's prices (5-minute cache writes assumed)."""
    seconds = 0.0
    if dream.created_at and dream.ended_at:
        seconds = max((dream.ended_at - dream.created_at).total_seconds(), 0.0)
    report = build_report(prices, {("hosted-dream", dream.model, False): dream_usage(dream)}, active_seconds=seconds)
    data = report.to_json()
    data["warnings"] = [*data["warnings"], BILL_NOTE]
    return data


def classify(old: Sequence[Memory], new: Sequence[Memory], dream_id: str, kept: Sequence[Memory] = ()) -> list[Change]:
    """Name what the dream did, from before/after alone: a new memory close to two or more retired
    ones merged them, close to one superseded it; a retired memory all but equal to one the dream
    kept was merged into it; the rest were added or removed."""
    changes: list[Change] = []
    left = {m.id: m for m in old}
    for mem in new:
        pool = list(left.values())
        hits = process.extract(mem.content, [m.content for m in pool], scorer=fuzz.token_set_ratio,
                               processor=None, score_cutoff=75, limit=None)
        inputs = tuple(pool[i].id for _, _, i in hits)
        for mid in inputs:
            left.pop(mid)
        op: ChangeOp = "merge" if len(inputs) > 1 else "supersede" if inputs else "add"
        verb = {"merge": "merged into", "supersede": "rewrote as", "add": "added"}[op]
        score = max((s for _, s, _ in hits), default=None)
        changes.append(Change(op=op, rule=f"hosted-dream:{op}", inputs=inputs, outputs=(mem.id,), score=score,
                              reason=f"hosted dream {dream_id} {verb} this memory", evidence=mem.provenance,
                              rule_inputs={"dream_id": dream_id}))
    for mid, mem in left.items():
        best = process.extractOne(mem.content, [k.content for k in kept], scorer=fuzz.ratio,
                                  processor=lambda t: " ".join(t.lower().split()), score_cutoff=90) if kept else None
        if best is not None:
            into = kept[best[2]]
            changes.append(Change(op="merge", rule="hosted-dream:merge", inputs=(mid, into.id), outputs=(into.id,),
                                  score=best[1], reason=f"hosted dream {dream_id} kept one of these duplicates",
                                  rule_inputs={"dream_id": dream_id}))
        else:
            changes.append(Change(op="remove", rule="hosted-dream:remove", inputs=(mid,),
                                  reason=f"hosted dream {dream_id} left this memory out", rule_inputs={"dream_id": dream_id}))
    return changes


def candidate_changeset(store: Store, dream: HostedDream, files: Sequence[HostedMemory], run_id: str) -> Changeset:
    head = store.snapshot(store.head)
    out = dream.output_store_id or ""
    cs = pull_changeset(out, head, files, (), at=utcnow(), message=f"hosted dream {dream.id}", status="candidate",
                        origin="hosted-dream", run_id=run_id, mirror=True)
    retired = set(cs.retire)
    kept = [m for m in head if m.id not in retired]
    changes = classify([m for m in head if m.id in retired], list(cs.upserts), dream.id, kept)
    local = {p.session.id for p in store.pending()}
    consumed = tuple(s for s in dream.session_ids if s in local)
    return Changeset(upserts=cs.upserts, retire=cs.retire, changes=tuple(changes), message=cs.message,
                     origin=cs.origin, status="candidate", run_id=run_id,
                     consume_through=store.last_turn_pk() if consumed else None, consume_sessions=consumed or None)


def pick_sessions(store: Store, given: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(given)) or [p.session.id for p in store.pending() if p.session.format == FORMAT]
    if not ids:
        raise DreamingError("no sessions to dream over: pass --session SESSION_ID or run "
                            "`dreaming ingest --managed-agents SESSION_ID...` first")
    if len(ids) > MAX_DREAM_SESSIONS:
        raise DreamingError(f"a hosted dream reads at most {MAX_DREAM_SESSIONS} sessions; {len(ids)} given "
                            f"(pass --session to choose)")
    return ids


def _adopt_or_submit(store: Store, client: Dreams, rec: journal.DreamRecord, say: Callable[[str], None],
                     *, resumed: bool) -> HostedDream:
    """The dream of a record with no id yet: after an interruption, one created since the record with its
    inputs (the request went through, the answer was lost); else a new one."""
    claimed = journal.claimed_dream_ids(store)
    since = rec.intent_at - timedelta(seconds=30)  # the server's clock may lag ours a little
    for dream in client.dreams_since(since) if resumed else []:
        if (dream.id not in claimed and dream.store_id == rec.store_id and sorted(dream.session_ids) == sorted(rec.session_ids)
                and dream.model == rec.model and (dream.instructions or None) == (rec.instructions or None)):
            say(f"adopted dream {dream.id}, submitted before an interruption")
            journal.update_dream(store, rec.token, dream_id=dream.id, status=dream.status)
            return dream
    dream = client.create_dream(rec.store_id, rec.session_ids, model=rec.model, instructions=rec.instructions)
    journal.update_dream(store, rec.token, dream_id=dream.id, status=dream.status)
    say(f"submitted dream {dream.id}")
    return dream


def _poll(store: Store, client: Dreams, rec: journal.DreamRecord, dream: HostedDream, policy: PollPolicy,
          sleep: Callable[[float], None], say: Callable[[str], None]) -> tuple[HostedDream, int]:
    interval, waited, polls = policy.first, 0.0, 0
    while not dream.final:
        if waited >= policy.give_up_after:
            raise DreamingError(f"dream {dream.id} still {dream.status} after {waited:.0f}s; "
                                "run the same command again to keep waiting (it will not be submitted again)")
        sleep(interval)
        waited += interval
        dream = client.dream(dream.id)
        polls += 1
        journal.update_dream(store, rec.token, status=dream.status, output_store_id=dream.output_store_id, usage=dream.usage)
        say(f"dream {dream.id}: {dream.status}")
        interval = min(interval * policy.factor, policy.most)
    return dream, polls


def run_hosted(store: Store, client: Dreams, prices: PriceTable, *, store_id: str | None = None,
               session_ids: Sequence[str] = (), instructions: str | None = None, model: str = DEFAULT_DREAM_MODEL,
               policy: PollPolicy = DEFAULT_POLICY, sleep: Callable[[float], None] = time.sleep,
               say: Callable[[str], None] = lambda _: None) -> HostedRunReport:
    started = time.monotonic()
    rec = journal.open_dream(store)
    resumed = rec is not None
    if rec is None:
        pending = store.candidate()
        if pending is not None:
            raise DreamingError(f"version {pending.number} is a candidate awaiting review; accept or reject it first")
        source = store_id or store.get_config("hosted.store")
        if not source:
            raise DreamingError("no hosted store to dream over: pass --hosted-store STORE_ID or `dreaming pull STORE_ID` first")
        ids = pick_sessions(store, session_ids)
        run = Run(id=new_id("run"), started_at=utcnow(), llm="hosted")
        store.save_run(run)
        rec = journal.record_dream_intent(store, token=new_id("hdream"), store_id=source, session_ids=ids, model=model,
                                          instructions=instructions, run_id=run.id)
    else:
        say(f"resuming the hosted dream recorded at {rec.intent_at.isoformat()}")
    dream = client.dream(rec.dream_id) if rec.dream_id else _adopt_or_submit(store, client, rec, say, resumed=resumed)
    dream, polls = _poll(store, client, rec, dream, policy, sleep, say)
    return _finish(store, client, prices, rec, dream, started, resumed, polls)


def _finish(store: Store, client: Dreams, prices: PriceTable, rec: journal.DreamRecord, dream: HostedDream,
            started: float, resumed: bool, polls: int) -> HostedRunReport:
    run_id = rec.run_id or new_id("run")
    bill = dream_bill(dream, prices)
    run = store.run(run_id) or Run(id=run_id, started_at=utcnow(), llm="hosted")
    if dream.status != "completed":
        journal.update_dream(store, rec.token, status=dream.status, error=dream.error)
        store.save_run(Run(id=run_id, started_at=run.started_at, finished_at=utcnow(), status="failed", llm="hosted",
                           cost=bill, error=dream.error or dream.status))
        raise DreamingError(f"hosted dream {dream.id} {dream.status}: {dream.error or 'no result'}; nothing was written")
    listing = client.memories(dream.output_store_id or "")
    files = fetch_files(client, dream.output_store_id or "", listing)
    before = store.count(store.head)
    cs = candidate_changeset(store, dream, files, run_id)
    version = journal.write_dream_version(store, rec.token, cs, dream.usage)
    counts: dict[str, int] = {}
    for change in cs.changes:
        counts[change.op] = counts.get(change.op, 0) + 1
    after = store.count(version.number) if version else before
    store.save_run(Run(id=run_id, started_at=run.started_at, finished_at=utcnow(), status="completed", llm="hosted",
                       version=version.number if version else None, counts={**counts, "sessions": len(dream.session_ids)},
                       cost=bill, timings={"total": time.monotonic() - started}))
    return HostedRunReport(run_id=run_id, dream_id=dream.id, status="completed", version=version.number if version else None,
                           output_store_id=dream.output_store_id, memories_before=before, memories_after=after,
                           counts=counts, cost=bill, seconds=time.monotonic() - started, resumed=resumed, polls=polls)
