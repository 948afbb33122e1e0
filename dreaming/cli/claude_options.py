"""Options shared by `dreaming run` and `dreaming estimate`: models, budget, concurrency, runtime rate."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from dreaming.llm.platforms import ENV_VAR, PROVIDERS
from dreaming.llm.runtime import DEFAULT_MODELS, ClaudeConfig, parse_models, parse_usd

_DEFAULTS = ", ".join(f"{stage}={model}" for stage, model in DEFAULT_MODELS.items())


def claude_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --model, --runtime-rate and --concurrency (read back with :func:`claude_config`)."""
    for decorator in reversed((
        click.option("--model", "models", multiple=True, metavar="STAGE=MODEL",
                     help=f"Model for a stage (extract, judge, patterns), repeatable; MODEL alone sets all three. "
                          f"Defaults: {_DEFAULTS}."),
        click.option("--runtime-rate", metavar="USD", default=None,
                     help="USD per hour of active runtime on the bill (default: the price table's $0.08, the Managed "
                          "Agents rate; 0 for pure self-hosting)."),
        click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
                     help="Requests in flight at once (sync mode; token counting)."),
        click.option("--provider", type=click.Choice(PROVIDERS), default=None, expose_value=False,
                     callback=_set_provider, is_eager=True,
                     help=f"Where Claude runs: the Anthropic API, Amazon Bedrock or Google Vertex AI (env {ENV_VAR}; "
                          "default anthropic). Model ids are mapped; prices from the same table."),
    )):
        command = decorator(command)
    return command


def _set_provider(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """--provider is the environment variable's value for this process (and the dreams it starts)."""
    if value is not None:
        os.environ[ENV_VAR] = value


def claude_config(models: tuple[str, ...], runtime_rate: str | None, concurrency: int, *,
                  max_cost: str | None = None, poll_interval: float = 10.0) -> ClaudeConfig:
    return ClaudeConfig(
        models=parse_models(models),
        max_cost=parse_usd(max_cost, "--max-cost"),
        runtime_per_hour=parse_usd(runtime_rate, "--runtime-rate"),
        concurrency=concurrency,
        poll_interval=poll_interval,
    )
