"""``dreaming compare``: our dream and Anthropic's hosted Dream on the same inputs, side by side.

Each engine dreams over its own copy of the store (the same HEAD, the same
pending sessions), so the store itself is left as it was.  For each: the
memories before and after, what changed (merges, supersedes, additions,
removals), tokens, dollars (the same price table), wall time, and with a
tasks file the completion rate before and after (the offline answerer).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dreaming.cost.prices import PriceTable
from dreaming.hosted.engine import DEFAULT_DREAM_MODEL, DEFAULT_POLICY, Dreams, PollPolicy, pick_sessions, run_hosted
from dreaming.store import hosted as journal
from dreaming.store.core import Store

OPS = ("merge", "supersede", "update", "add", "remove", "pattern", "conflict")


@dataclass(frozen=True, kw_only=True)
class Side:
    engine: str
    version: int | None
    before: int
    after: int
    ops: dict[str, int]
    tokens: int
    usd: float
    seconds: float
    completion: dict[str, Any] | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "version": self.version, "memories": {"before": self.before, "after": self.after},
                "changes": dict(self.ops), "tokens": self.tokens, "usd": self.usd, "seconds": round(self.seconds, 3),
                "completion": self.completion, "note": self.note}


@dataclass(frozen=True, kw_only=True)
class Comparison:
    sessions: tuple[str, ...]
    sides: tuple[Side, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"sessions": list(self.sessions), "engines": [s.to_json() for s in self.sides]}


def _side(store: Store, engine: str, version: int | None, before: int, cost: dict[str, Any], seconds: float,
          tasks: Path | None, note: str = "") -> Side:
    ops: dict[str, int] = {}
    if version:
        for change in store.changes(version):
            ops[change.op] = ops.get(change.op, 0) + 1
    tok = cost.get("tokens", {}) if cost else {}
    tokens = sum(int(tok.get(k, 0)) for k in ("input_tokens", "output_tokens", "cache_write_5m_tokens",
                                              "cache_write_1h_tokens", "cache_read_tokens"))
    usd = float(cost.get("usd", {}).get("total", 0.0)) if cost else 0.0
    completion = _completion(store, before=store.head, after=version, tasks=tasks) if tasks and version else None
    return Side(engine=engine, version=version, before=before, after=store.count(version) if version else before,
                ops=ops, tokens=tokens, usd=usd, seconds=seconds, completion=completion, note=note)


def _completion(store: Store, *, before: int, after: int | None, tasks: Path) -> dict[str, Any]:
    from dreaming.evals.offline import OfflineAnswerer
    from dreaming.evals.tasks import load_tasks
    from dreaming.evals.versions import eval_tasks

    report = eval_tasks(store, load_tasks(tasks), answerer=OfflineAnswerer(), before=before, after=after)
    return report.completion().to_json()


def compare(store: Store, client: Dreams, prices: PriceTable, *, llm: str = "off", store_id: str | None = None,
            session_ids: Sequence[str] = (), instructions: str | None = None, model: str = DEFAULT_DREAM_MODEL,
            policy: PollPolicy = DEFAULT_POLICY, tasks: Path | None = None, workdir: Path | None = None,
            say: Callable[[str], None] = lambda _: None) -> Comparison:
    from dreaming.pipeline.run import DreamConfig, dream

    ids = tuple(pick_sessions(store, session_ids))
    with tempfile.TemporaryDirectory(prefix="dreaming-compare-", dir=workdir) as tmp:
        ours_path, theirs_path = Path(tmp) / "ours.db", Path(tmp) / "hosted.db"
        journal.copy_store(store, ours_path)
        journal.copy_store(store, theirs_path)
        with Store.open(ours_path) as ours:
            before = ours.count(ours.head)
            say(f"our engine (--llm {llm}) on {len(ids)} session(s)...")
            started = time.monotonic()
            report = dream(ours, DreamConfig(transcripts=(), llm=llm, review=True))
            side_ours = _side(ours, f"dreaming (--llm {llm})", report.version, before, dict(report.cost),
                              time.monotonic() - started, tasks)
        with Store.open(theirs_path) as theirs:
            say("the hosted Dream...")
            hosted = run_hosted(theirs, client, prices, store_id=store_id, session_ids=ids, instructions=instructions,
                                model=model, policy=policy, say=say)
            side_hosted = _side(theirs, f"hosted Dream ({model})", hosted.version, before, hosted.cost, hosted.seconds,
                                tasks, note=f"dream {hosted.dream_id}, output store {hosted.output_store_id}")
    return Comparison(sessions=ids, sides=(side_ours, side_hosted))
