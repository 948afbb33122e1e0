"""How a run talks to Claude: its settings, and the client and meter built from them.

``ClaudeConfig`` is what ``dreaming run`` and ``dreaming estimate`` accept
(models per stage, ``--max-cost``, concurrency, the runtime rate, batch
polling); ``open_client`` turns it into an ``LLMClient`` sharing one
``CostMeter``.  ``RecordingClient`` stands in for the client when a dream is
projected rather than run: it sends nothing and records the requests the
stages would have sent, so ``dreaming estimate`` prices exactly those.
Nothing here imports ``anthropic`` until a real client is opened.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dreaming.cost.meter import CostMeter
from dreaming.cost.prices import PriceTable, load_prices
from dreaming.errors import DreamingError
from dreaming.llm.replies import Validator
from dreaming.llm.requests import LLMRequest, LLMResult

if TYPE_CHECKING:
    from dreaming.llm.client import LLMClient

#: Models per stage: a cheap one reads every transcript, a stronger one judges and words insights.
DEFAULT_MODELS = {"extract": "claude-haiku-4-5", "judge": "claude-sonnet-4-6", "patterns": "claude-sonnet-4-6"}
#: the stages that may use Claude
STAGES = tuple(DEFAULT_MODELS)


@dataclass(frozen=True, kw_only=True)
class ClaudeConfig:
    """Settings of the Claude stages for one run (``--llm sync|batch``)."""

    #: stage -> model id; stages not named use ``DEFAULT_MODELS``
    models: Mapping[str, str] = field(default_factory=dict)
    #: USD the run may spend at most (``--max-cost``); None: no cap
    max_cost: Decimal | None = None
    #: requests in flight at once (sync mode)
    concurrency: int = 4
    #: USD per active hour on the runtime line (None: the price table's, $0.08 by default)
    runtime_per_hour: Decimal | None = None
    #: a prices file merged over the defaults (None: ``$DREAMING_PRICES`` or none)
    prices: Path | None = None
    #: seconds before the first poll of a batch (then growing)
    poll_interval: float = 10.0
    #: anthropic | bedrock | vertex (None: $DREAMING_PROVIDER, else anthropic)
    provider: str | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.models) - set(STAGES))
        if unknown:
            raise DreamingError(f"--model: unknown stage(s) {', '.join(unknown)}; stages are {', '.join(STAGES)}")
        if self.max_cost is not None and self.max_cost < 0:
            raise DreamingError(f"--max-cost must not be negative, got {self.max_cost}")
        if self.concurrency < 1:
            raise DreamingError(f"--concurrency must be at least 1, got {self.concurrency}")
        if self.runtime_per_hour is not None and self.runtime_per_hour < 0:
            raise DreamingError(f"--runtime-rate must not be negative, got {self.runtime_per_hour}")

    def model(self, stage: str) -> str:
        return self.models.get(stage) or DEFAULT_MODELS[stage]

    def price_table(self, env: Mapping[str, str] | None = None) -> PriceTable:
        from dreaming.llm.platforms import load_platform

        prices = load_platform(self.provider, env).price_table(load_prices(self.prices, env=env))
        return prices if self.runtime_per_hour is None else prices.with_runtime_rate(self.runtime_per_hour)


def parse_models(values: Sequence[str]) -> dict[str, str]:
    """``--model STAGE=MODEL`` (repeatable), or ``--model MODEL`` for every stage."""
    models: dict[str, str] = {}
    for value in values:
        stage, sep, model = value.partition("=")
        if not sep:
            stage, model = "", value
        stage, model = stage.strip(), model.strip()
        if not model:
            raise DreamingError(f"--model {value!r}: expected STAGE=MODEL or MODEL")
        if not stage:
            models.update({s: model for s in STAGES})
        elif stage not in STAGES:
            raise DreamingError(f"--model {value!r}: unknown stage {stage!r}; stages are {', '.join(STAGES)}")
        else:
            models[stage] = model
    return models


def parse_usd(value: str | None, option: str) -> Decimal | None:
    """A dollar amount from the command line (``0.50``, ``$2``)."""
    if value is None:
        return None
    try:
        amount = Decimal(value.strip().lstrip("$"))
    except InvalidOperation:
        raise DreamingError(f"{option}: expected an amount in USD such as 0.50, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise DreamingError(f"{option}: expected a non-negative amount in USD, got {value!r}")
    return amount


def open_client(
    mode: str, config: ClaudeConfig, env: Mapping[str, str] | None = None, **client_options: Any
) -> LLMClient:
    """An ``LLMClient`` for ``mode`` (sync or batch) with a fresh meter; the key and base URL come from ``env``."""
    from dreaming.llm.client import LLMClient, LLMConfig

    env = os.environ if env is None else env
    meter = CostMeter(config.price_table(env), max_cost=config.max_cost)
    # mode is sync or batch: the CLI's choice and DreamConfig's check allow nothing else
    settings = LLMConfig(mode=mode, concurrency=config.concurrency, poll_interval=config.poll_interval)  # type: ignore[arg-type]
    from dreaming.llm.platforms import load_platform

    return LLMClient(settings, meter, api_key=env.get("ANTHROPIC_API_KEY"), base_url=env.get("ANTHROPIC_BASE_URL") or None,
                     platform=load_platform(config.provider, env), **client_options)


class RecordingClient:
    """Sends nothing: records each request and answers it with a ``refused`` result (stages fall back offline)."""

    def __init__(self, meter: CostMeter) -> None:
        self.meter = meter
        self.requests: list[LLMRequest] = []
        self._lock = threading.Lock()

    def run(self, requests: Sequence[LLMRequest], *, validate: Validator | None = None) -> list[LLMResult]:
        with self._lock:
            self.requests.extend(requests)
        return [
            LLMResult(custom_id=r.custom_id, stage=r.stage, model=r.model, error_kind="refused",
                      error="not sent: projecting the run for an estimate")
            for r in requests
        ]

    def close(self) -> None:
        pass


def counting(
    config: ClaudeConfig, env: Mapping[str, str] | None = None
) -> Callable[[Sequence[LLMRequest]], list[tuple[int, str]]] | None:
    """``count_many`` of a real client when a key is set (the token-counting endpoint), else None (approximate)."""
    env = os.environ if env is None else env
    if not env.get("ANTHROPIC_API_KEY"):
        return None

    def count(requests: Sequence[LLMRequest]) -> list[tuple[int, str]]:
        with open_client("sync", config, env) as client:
            return client.count_many(requests)

    return count
