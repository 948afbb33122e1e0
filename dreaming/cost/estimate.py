"""Project a run's bill before spending anything (``dreaming estimate``).

Why a projection and not a guess per stage: the stages can build their
requests without sending them, so the estimate prices exactly the prompts
the run would send.  Input tokens come from the token-counting endpoint when
a key is set (``LLMClient.count_many``) or from the documented approximation
(``dreaming.llm.tokens``).  Assumptions, stated in the report's ``estimate``
flag and here: the first request of each cache group (same model, system
prompt, tool and ttl) writes the cache and the others read it (also in batch
mode, where cache hits are in fact best-effort); the prompt is long enough
to be cached; every request produces ``output_ratio`` x ``max_tokens`` output
tokens (1.0 = the ceiling); there are no re-asks.

:func:`estimate_dream` projects a whole dream without sending anything: it
runs the dream dry (nothing written) with a
:class:`~dreaming.llm.runtime.RecordingClient` in place of Claude, so the
stages build exactly the requests they would send; judgement cases and
pattern communities are those the offline extraction leads to (Claude's own
candidates are not known before it runs).  Runtime is not projected (it
depends on the API's latency): the estimate's runtime line is zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dreaming.cost.bill import NAIVE_STAGE, naive_for
from dreaming.cost.meter import CostMeter, CostReport, NaiveComparison, Usage, build_report
from dreaming.cost.prices import PriceTable
from dreaming.llm.requests import LLMRequest, build_params, cache_group
from dreaming.llm.runtime import RecordingClient, counting
from dreaming.llm.tokens import split_request_tokens
from dreaming.pipeline.run import dream
from dreaming.pipeline.stages import StageContext


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """The same requests priced through ``sync`` and through ``batch``."""

    sync: CostReport
    batch: CostReport
    counted_by: str
    """``api`` (token-counting endpoint), ``approx`` or ``mixed``."""

    def to_json(self) -> dict[str, Any]:
        return {"counted_by": self.counted_by, "sync": self.sync.to_json(), "batch": self.batch.to_json()}


def project_usage(requests: Sequence[LLMRequest], counts: Sequence[int] | None, *, output_ratio: float) -> list[Usage]:
    """The usage each request would report, under the assumptions in the module docstring."""
    seen: set[tuple[Any, ...]] = set()
    usages = []
    for index, request in enumerate(requests):
        split = split_request_tokens(build_params(request))
        total = counts[index] if counts is not None else split.total
        prefix = round(split.prefix * total / split.total) if split.total else 0
        group = cache_group(request)
        write = read = 0
        if group is not None and prefix:
            if group in seen:
                read = prefix
            else:
                write = prefix
                seen.add(group)
        else:
            prefix = 0
        usages.append(
            Usage(
                input_tokens=total - prefix,
                output_tokens=math.ceil(request.max_tokens * output_ratio),
                cache_write_5m_tokens=write if request.cache_ttl == "5m" else 0,
                cache_write_1h_tokens=write if request.cache_ttl == "1h" else 0,
                cache_read_tokens=read,
                requests=1,
            )
        )
    return usages


def estimate_run(
    requests: Sequence[LLMRequest],
    prices: PriceTable,
    *,
    counts: Sequence[tuple[int, str]] | None = None,
    output_ratio: float = 1.0,
    active_seconds: float = 0.0,
    naive: NaiveComparison | None = None,
) -> Estimate:
    """Price ``requests`` for sync and batch.  ``counts`` from ``LLMClient.count_many`` (None: approximate)."""
    usages = project_usage(requests, [c for c, _ in counts] if counts is not None else None, output_ratio=output_ratio)
    reports = []
    for batched in (False, True):
        records: dict[tuple[str, str, bool], Usage] = {}
        for request, usage in zip(requests, usages):
            key = (request.stage, request.model, batched)
            records[key] = records.get(key, Usage()) + usage
        report = build_report(prices, records, active_seconds=active_seconds, estimate=True)
        reports.append(report.with_naive(naive))
    methods = {method for _, method in counts} if counts is not None else {"approx"}
    counted_by = methods.pop() if len(methods) == 1 else ("mixed" if methods else "approx")
    return Estimate(sync=reports[0], batch=reports[1], counted_by=counted_by)


@dataclass(frozen=True, kw_only=True)
class DreamEstimate:
    """``dreaming estimate``: the projected bill (requests and tokens per stage are in its ``by_stage``)."""

    estimate: Estimate
    sessions: int
    turns: int
    memories: int
    output_ratio: float

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "turns": self.turns,
            "memories": self.memories,
            "output_ratio": self.output_ratio,
            **self.estimate.to_json(),
        }


def estimate_dream(store: Any, config: Any, *, env: Mapping[str, str] | None = None, output_ratio: float = 1.0) -> DreamEstimate:
    """Project the bill of ``dream(store, config)`` with Claude, sending nothing but token counts."""
    if not 0 < output_ratio <= 1:
        raise ValueError("output_ratio must be in (0, 1]")
    claude = config.claude
    prices = claude.price_table(env)
    recorder = RecordingClient(CostMeter(prices))
    ctx = StageContext(client=recorder, meter=recorder.meter, models=dict(claude.models))
    report = dream(store, replace(config, llm="sync", dry_run=True), env=env, context=ctx)
    requests = recorder.requests
    counter = counting(claude, env)
    counts = counter(requests) if counter is not None and requests else None
    pending = store.pending(limit_sessions=config.max_sessions)
    output = sum(math.ceil(r.max_tokens * output_ratio) for r in requests)
    naive = naive_for(prices, claude.model(NAIVE_STAGE), store.iter_snapshot(), pending, output_tokens=output)
    estimate = estimate_run(requests, prices, counts=counts, output_ratio=output_ratio, naive=naive)
    return DreamEstimate(estimate=estimate, sessions=report.sessions, turns=report.turns,
                         memories=report.memories_before, output_ratio=output_ratio)
