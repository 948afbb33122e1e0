"""The bill of a dream: what it cost (the meter's report), next to the naive design.

The **naive design** is what a whole-store dream does: send every memory of
the store plus every new transcript to the model, with instructions for all
three jobs.  Its input is counted with the same rules and the same prompt
rendering as this engine's requests (``dreaming.llm.tokens``,
``dreaming.pipeline.prompts`` and the three stages' system prompts), in one request (a lower bound: a store that does
not fit a context window would need several, each repeating the
transcripts).  Its output is taken to be the same as this run's (it would
have to give at least the same answers), so the comparison is about what is
*sent*, which is where the two designs differ.

What a run would cost before it runs is :func:`dreaming.cost.estimate.estimate_dream`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dreaming.cost.meter import NaiveComparison, naive_cost
from dreaming.cost.prices import PriceTable
from dreaming.llm.tokens import FRAMING_TOKENS, approx_tokens
from dreaming.pipeline.claude import model_for
from dreaming.pipeline.prompts import json_line, memory_record, turn_alias, turn_record
from dreaming.pipeline.stages import StageContext
from dreaming.records import Memory, PendingSession

#: The naive comparison is priced at the model of this stage (the strongest a run uses by default).
NAIVE_STAGE = "patterns"


def naive_system() -> str:
    """The naive request's instructions: the three stages' system prompts in one.

    Imported when a bill is made, not with this module: the pipeline imports
    the bill, and an offline run never loads the Claude stages.
    """
    from dreaming.extract.claude import EXTRACT_SYSTEM
    from dreaming.judge.claude import JUDGE_SYSTEM
    from dreaming.patterns.claude import PATTERNS_SYSTEM

    return "\n".join((EXTRACT_SYSTEM, JUDGE_SYSTEM, PATTERNS_SYSTEM))


def naive_input_tokens(memories: Iterable[Memory], sessions: Sequence[PendingSession]) -> int:
    """Input tokens of the naive request: instructions, the whole store, every new transcript."""
    tokens = approx_tokens(naive_system()) + FRAMING_TOKENS
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
