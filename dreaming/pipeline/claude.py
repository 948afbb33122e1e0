"""What the three Claude stages share: models, sending, and falling back.

The stages themselves live beside their offline implementations, each with
its system prompt: :mod:`dreaming.extract.claude` (``ClaudeExtractor``),
:mod:`dreaming.judge.claude` (``ClaudeJudge``) and
:mod:`dreaming.patterns.claude` (``ClaudePatternWriter``);
``dreaming.pipeline.stages`` registers them as ``"claude"`` (by name, so an
offline run never imports them).  The models per stage are
``dreaming.llm.runtime.DEFAULT_MODELS``.

Each stage builds its ``LLMRequest``s with a pure ``requests(...)`` method
(``dreaming estimate`` prices exactly those), sends them all in one
``LLMClient.run`` call (one Message Batch in batch mode), and turns every
result it cannot use into the offline result for that part, with a warning
and the stage named in ``ctx.partial``.  A stage never raises for an API
problem and never writes anything: it returns records the plan validates
again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dreaming.errors import DreamingError
from dreaming.llm.replies import Validator
from dreaming.llm.requests import LLMRequest, LLMResult
from dreaming.llm.runtime import DEFAULT_MODELS
from dreaming.pipeline.stages import StageContext


def model_for(ctx: StageContext, stage: str) -> str:
    """The model the run chose for ``stage`` (``--model STAGE=MODEL``), else the default."""
    return ctx.models.get(stage) or DEFAULT_MODELS[stage]


def send(ctx: StageContext, stage: str, requests: Sequence[LLMRequest], validate: Validator) -> list[LLMResult]:
    """All of a stage's requests in one client call (one batch in batch mode)."""
    client = ctx.client
    if client is None:
        raise DreamingError(
            f"the claude {stage} stage needs an Anthropic client: run with --llm sync or batch and ANTHROPIC_API_KEY set"
        )
    if not requests:
        return []
    return client.run(requests, validate=validate)


def fell_back(ctx: StageContext, stage: str, failures: Sequence[tuple[LLMResult, str]], instead: str) -> None:
    """Say which requests gave nothing usable and what was used instead; mark the stage partial.

    ``failures`` pairs each failed result with what it was about (``"session
    abc part 2/3"``).  Invalid replies get one line each (a reviewer wants to
    know what Claude got wrong); API failures and budget refusals are grouped
    by kind, so a run that lost its key does not print a hundred lines.
    """
    if not failures:
        return
    if stage not in ctx.partial:
        ctx.partial.append(stage)
    grouped: dict[str, list[tuple[LLMResult, str]]] = {}
    for result, what in failures:
        if result.error_kind in ("invalid", "refused"):
            ctx.warn(f"{stage}: {what}: Claude's reply was dropped ({result.error}); {instead}")
        else:
            grouped.setdefault(result.error_kind or "server", []).append((result, what))
    for kind, items in grouped.items():
        first, what = items[0]
        count = f"{len(items)} request{'s' if len(items) != 1 else ''}"
        if kind == "budget":
            why = (first.error or "").removeprefix("not sent: ")
            ctx.warn(f"{stage}: {count} not sent, to stay within the --max-cost budget ({why}); {instead}")
        else:
            ctx.warn(f"{stage}: {count} failed ({what}: {first.error}); {instead}")


def checked(check: Callable[[Any, Any], str | None], items: dict[str, Any]) -> Validator:
    """A client validator from a pure ``check(item, data)``: the request's ``custom_id`` picks the item."""

    def validate(request: LLMRequest, data: Any) -> str | None:
        item = items.get(request.custom_id)
        if item is None:
            return f"reply to an unknown request {request.custom_id!r}"
        return check(item, data)

    return validate
