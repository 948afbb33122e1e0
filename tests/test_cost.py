"""The cost model reproduces every worked example in ANTHROPIC_NOTES.md to the cent."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dreaming.cost.meter import (
    CostMeter,
    CostReport,
    Usage,
    naive_cost,
    runtime_cost,
    token_cost,
    worst_case_cost,
)
from dreaming.cost.prices import load_prices

from .llm_support import FakeClock

PRICES = load_prices(env={})


def run_report(model: str, usage: Usage, seconds: float, *, batched: bool = False):
    clock = FakeClock()
    meter = CostMeter(PRICES, clock=clock)
    meter.start()
    meter.record(stage="extract", model=model, usage=usage, batched=batched)
    clock.now += seconds
    meter.stop()
    return meter.report()


def test_daily_research_agent():
    report = run_report("claude-sonnet-4-6", Usage(input_tokens=50_000, output_tokens=5_000), 30 * 60)
    assert (report.usd.input, report.usd.output) == (Decimal("0.15"), Decimal("0.075"))
    assert report.usd.tokens == Decimal("0.225")
    assert report.usd.runtime == Decimal("0.04")
    assert report.total == Decimal("0.265")


def test_one_hour_coding_session():
    report = run_report("claude-opus-4-7", Usage(input_tokens=50_000, output_tokens=15_000), 3600)
    assert (report.usd.input, report.usd.output) == (Decimal("0.25"), Decimal("0.375"))
    assert report.usd.tokens == Decimal("0.625")
    assert report.usd.runtime == Decimal("0.08")
    assert report.total == Decimal("0.705")


def test_same_session_with_40k_read_from_cache():
    usage = Usage(input_tokens=10_000, cache_read_tokens=40_000, output_tokens=15_000)
    report = run_report("claude-opus-4-7", usage, 3600)
    assert (report.usd.input, report.usd.cache_read, report.usd.output) == (Decimal("0.05"), Decimal("0.02"), Decimal("0.375"))
    assert report.usd.tokens == Decimal("0.445")
    assert report.usd.runtime == Decimal("0.08")


def test_business_hours_and_always_on_runtime():
    assert runtime_cost(8 * 3600 * 22, PRICES) == Decimal("14.08")
    assert runtime_cost(24 * 3600 * 30, PRICES) == Decimal("57.60")


def test_web_search_thousand_searches():
    report = run_report("claude-sonnet-4-6", Usage(web_search_requests=1000), 0)
    assert report.usd.web_search == Decimal("10")
    assert report.total == Decimal("10")


def test_batch_is_half_price_with_cache_multipliers_on_top():
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_write_5m_tokens=1_000_000,
                  cache_write_1h_tokens=1_000_000, cache_read_tokens=1_000_000, web_search_requests=10)
    price = PRICES.lookup("claude-sonnet-4-6").price
    lines = token_cost(usage, price, PRICES, batched=True)
    # standard lines stay visible; the discount line takes half of the tokens off
    assert lines.cache_write == Decimal("9.75")
    assert lines.batch_discount == -(Decimal("3") + 15 + Decimal("3.75") + 6 + Decimal("0.30")) / 2
    assert lines.tokens == Decimal("14.025")
    assert lines.web_search == Decimal("0.1")  # web search is not discounted


def test_runtime_rate_is_configurable_and_zero_when_self_hosting():
    free = PRICES.with_runtime_rate(0)
    assert runtime_cost(3600, free) == 0
    assert runtime_cost(3600, PRICES.with_runtime_rate("0.12")) == Decimal("0.12")


def test_waiting_on_a_batch_is_not_active_runtime():
    clock = FakeClock()
    meter = CostMeter(PRICES, clock=clock)
    meter.start()
    clock.now += 10
    with meter.waiting():
        clock.now += 1000
        with meter.waiting():  # nested waits count once
            clock.now += 50
        assert meter.active_seconds == 10
    clock.now += 5
    assert meter.active_seconds == 15
    meter.stop()
    clock.now += 99  # stopped: not active
    meter.start()
    clock.now += 1
    meter.stop()
    assert meter.active_seconds == 16


def test_budget_reserves_and_refuses():
    meter = CostMeter(PRICES, max_cost="1.00", clock=FakeClock())
    first = meter.reserve(Decimal("0.60"))
    assert first is not None
    assert meter.reserve(Decimal("0.50")) is None  # 0.60 held + 0.50 > 1.00
    meter.record(stage="s", model="claude-haiku-4-5", usage=Usage(input_tokens=100_000), batched=False)  # $0.10
    meter.release(first)
    assert meter.headroom() == Decimal("0.90")
    assert meter.reserve(Decimal("0.90")) is not None
    assert meter.report().refused_requests == 1


def test_worst_case_prices_cached_input_at_write_price_and_halves_in_batch():
    sync = worst_case_cost(
        PRICES, "claude-sonnet-4-6", input_tokens=1_000_000, max_tokens=1_000_000, cache_ttl="1h", batched=False
    )
    assert sync == Decimal("6") + Decimal("15")
    batch = worst_case_cost(PRICES, "claude-sonnet-4-6", input_tokens=1_000_000, max_tokens=0, cache_ttl=None, batched=True)
    assert batch == Decimal("1.5")


def test_report_per_stage_and_model_and_json_round_trip():
    meter = CostMeter(PRICES, clock=FakeClock())
    meter.record(
        stage="extract",
        model="claude-haiku-4-5-20251001",
        usage=Usage(input_tokens=2_000_000, requests=2),
        batched=True,
    )
    meter.record(stage="patterns", model="claude-opus-4-8", usage=Usage(output_tokens=40_000, requests=1), batched=False)
    meter.record(stage="judge", model="mystery-model", usage=Usage(input_tokens=1), batched=False)
    report = meter.report().with_naive(naive_cost(PRICES, model="claude-opus-4-8", input_tokens=2_000_000, output_tokens=10_000))
    assert report.by_stage["extract"].usd.tokens == Decimal("1")  # $2 at haiku, half off
    assert report.by_stage["patterns"].usd.output == Decimal("1")
    assert set(report.by_model) == {"claude-haiku-4-5-20251001", "claude-opus-4-8", "mystery-model"}
    assert sum((p.usd.total for p in report.by_stage.values()), Decimal(0)) == report.total
    assert report.usage.requests == 3
    assert len(report.warnings) == 1 and "mystery-model" in report.warnings[0]
    assert report.naive.usd == Decimal("10.25") and report.naive.usd_batch == Decimal("5.125")
    data = report.to_json()
    assert data["usd"]["batch_discount"] == -1.0 and data["usd"]["total"] == float(report.total)
    again = CostReport.from_json(data)
    assert again.usd == report.usd and again.usage == report.usage and again.naive == report.naive
    assert again.by_stage == report.by_stage and again.warnings == report.warnings


counts = st.integers(min_value=0, max_value=10**9)
usages = st.builds(Usage, input_tokens=counts, output_tokens=counts, cache_write_5m_tokens=counts,
                   cache_write_1h_tokens=counts, cache_read_tokens=counts, web_search_requests=st.integers(0, 10**5),
                   requests=st.integers(0, 100))


@given(usages, usages, usages, st.booleans(), st.sampled_from(sorted(PRICES.models)))
def test_usage_and_cost_are_additive(a, b, c, batched, model):
    assert (a + b) + c == a + (b + c) and a + b == b + a and a + Usage() == a
    price = PRICES.models[model]
    # pricing the sum equals summing the prices, exactly (Decimal)
    assert token_cost(a + b, price, PRICES, batched=batched) == token_cost(a, price, PRICES, batched=batched) + token_cost(
        b, price, PRICES, batched=batched
    )
