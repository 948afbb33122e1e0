"""The bill of a dream: what it would cost (estimate), what it cost (report), next to the naive design.

The **naive design** is what a whole-store dream does: send every memory of
the store plus every new transcript to the model, with instructions for all
three jobs.  Its input is counted with the same rules and the same prompt
rendering as this engine's requests (``dreaming.llm.tokens``,
``dreaming.pipeline.prompts``), in one request (a lower bound: a store that does
not fit a context window would need several, each repeating the
transcripts).  Its output is taken to be the same as this run's (it would
have to give at least the same answers), so the comparison is about what is
*sent*, which is where the two designs differ.

:func:`estimate_dream` projects a run without sending anything: it runs the
dream dry (nothing written) with a :class:`~dreaming.llm.runtime.RecordingClient`
in place of Claude, so the stages build exactly the requests they would
send; judgement cases and pattern communities are those the offline
extraction leads to (Claude's own candidates are not known before it runs).
Tokens are counted by the token-counting endpoint when a key is set, else
approximated; output is projected at ``output_ratio`` x ``max_tokens``.
Runtime is not projected (it depends on the API's latency): the estimate's
runtime line is zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dreaming.cost.estimate import Estimate, estimate_run
from dreaming.cost.meter import CostMeter, NaiveComparison, naive_cost
from dreaming.cost.prices import PriceTable
from dreaming.llm.runtime import RecordingClient, counting
from dreaming.llm.tokens import FRAMING_TOKENS, approx_tokens
from dreaming.pipeline.claude import model_for
from dreaming.pipeline.prompts import (
    EXTRACT_SYSTEM,
    JUDGE_SYSTEM,
    PATTERNS_SYSTEM,
    json_line,
    memory_record,
    turn_alias,
    turn_record,
)
from dreaming.pipeline.stages import StageContext
from dreaming.records import Memory, PendingSession

#: The naive comparison is priced at the model of this stage (the strongest a run uses by default).
NAIVE_STAGE = "patterns"
NAIVE_SYSTEM = "\n".join((EXTRACT_SYSTEM, JUDGE_SYSTEM, PATTERNS_SYSTEM))


def naive_input_tokens(memories: Iterable[Memory], sessions: Sequence[PendingSession]) -> int:
    """Input tokens of the naive request: instructions, the whole store, every new transcript."""
    tokens = approx_tokens(NAIVE_SYSTEM) + FRAMING_TOKENS
    for i, memory in enumerate(memories):
        tokens += approx_tokens(json_line(memory_record(memory, f"m{i + 1}"))) + 1
    for s in sessions:
        for position, turn in enumerate(s.turns):
            tokens += approx_tokens(json_line(turn_record(turn, turn_alias(position)))) + 1
    return tokens


def naive_for(prices: PriceTable, model: str, memories: Iterable[Memory], sessions: Sequence[PendingSession],
              *, output_tokens: int) -> NaiveComparison:
    return naive_cost(prices, model=model, input_tokens=naive_input_tokens(memories, sessions), output_tokens=output_tokens)


def run_cost(ctx: StageContext, store: Any, head: int, pending: Sequence[PendingSession]) -> dict[str, Any]:
    """The run's cost report as stored in ``runs.cost`` (empty when no model was used).

    Stops the meter: the run's active time ends here.
    """
    if ctx.meter is None:
        return {}
    ctx.meter.stop()
    report = ctx.meter.report()
    naive = naive_for(ctx.meter.prices, model_for(ctx, NAIVE_STAGE), store.iter_snapshot(head), pending,
                      output_tokens=report.usage.output_tokens)
    return report.with_naive(naive).to_json()


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
    from dreaming.pipeline.run import dream

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
