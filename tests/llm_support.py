"""Helpers shared by the LLM tests: a fake clock and a client wired to the fake server."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dreaming.cost.meter import CostMeter, Usage
from dreaming.cost.prices import load_prices
from dreaming.llm.client import LLMClient, LLMConfig
from dreaming.llm.requests import LLMRequest, ToolSpec

SYSTEM = "You consolidate an agent's memories. Follow the rules below exactly.\n" + "Rule: be precise. " * 60

FACTS_TOOL = ToolSpec(
    name="record_facts",
    description="Record the facts found in the transcript.",
    input_schema={
        "type": "object",
        "properties": {
            "facts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"text": {"type": "string", "minLength": 1}, "turn": {"type": "string"}},
                    "required": ["text", "turn"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["facts"],
        "additionalProperties": False,
    },
)


class FakeClock:
    """Monotonic seconds that move only when a test (or an injected sleep) moves them."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(server: Any, clock: FakeClock, *, max_cost: Any = None, runtime_rate: Any = None, **config: Any) -> LLMClient:
    prices = load_prices()
    if runtime_rate is not None:
        prices = prices.with_runtime_rate(runtime_rate)
    settings = {"poll_interval": 1.0, "backoff_base": 1.0, **config}
    meter = CostMeter(prices, max_cost=max_cost, clock=clock)
    return LLMClient(LLMConfig(**settings), meter, api_key="test", base_url=server.base_url, sleep=clock.sleep)


def ask(
    n: int,
    *,
    stage: str = "extract",
    model: str = "claude-haiku-4-5",
    tool: ToolSpec | None = FACTS_TOOL,
    **options: Any,
) -> LLMRequest:
    return LLMRequest.ask(custom_id=f"req-{n}", stage=stage, model=model, system=SYSTEM,
                          user=f"Transcript {n}: the user prefers vim and tabs.", tool=tool, **options)


def usage_of(message: dict[str, Any]) -> Usage:
    """Our Usage from a message the fake server returned (independent of the client's conversion)."""
    usage = message["usage"]
    creation = usage.get("cache_creation") or {}
    web = (usage.get("server_tool_use") or {}).get("web_search_requests", 0)
    return Usage(
        input_tokens=usage["input_tokens"],
        output_tokens=usage["output_tokens"],
        cache_write_5m_tokens=creation.get("ephemeral_5m_input_tokens", 0),
        cache_write_1h_tokens=creation.get("ephemeral_1h_input_tokens", 0),
        cache_read_tokens=usage.get("cache_read_input_tokens", 0),
        web_search_requests=web,
        requests=1,
    )


def total_usage(messages: list[dict[str, Any]]) -> Usage:
    total = Usage()
    for message in messages:
        total += usage_of(message)
    return total


CENT = Decimal("0.01")
