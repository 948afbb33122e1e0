from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from dreaming.cost.estimate import estimate_run, project_usage
from dreaming.cost.meter import Usage, naive_cost
from dreaming.cost.prices import load_prices
from dreaming.testing.fake_server import FakeAnthropicServer

from .llm_support import FakeClock, ask, make_client, usage_of

PRICES = load_prices(env={})


def mixed_requests():
    return [
        ask(0),
        ask(1),
        ask(2, stage="judge", model="claude-sonnet-4-6"),
        ask(3, cache_ttl="1h"),
        ask(4, tool=None, cache_ttl=None),
    ]


def test_projected_input_matches_what_the_fake_meters():
    """Differential: the estimator's cache/input split against the usage the server reports."""
    requests = mixed_requests()
    with FakeAnthropicServer() as server:
        with make_client(server, FakeClock()) as client:
            results = client.run(requests)
        assert sum((usage_of(m) for m in server.answered), Usage()) == sum((r.usage for r in results), Usage())
    projected = project_usage(requests, None, output_ratio=1.0)
    for result, expected in zip(results, projected):
        assert replace(result.usage, output_tokens=0) == replace(expected, output_tokens=0)


def test_estimate_sync_and_batch_with_counted_tokens_and_naive_comparison():
    requests = mixed_requests()
    with FakeAnthropicServer() as server, make_client(server, FakeClock()) as client:
        counts = client.count_many(requests)
    naive = naive_cost(PRICES, model="claude-opus-4-8", input_tokens=2_000_000, output_tokens=20_000)
    estimate = estimate_run(requests, PRICES, counts=counts, output_ratio=0.5, naive=naive)
    assert estimate.counted_by == "api"
    assert estimate.sync.estimate and estimate.sync.naive == naive
    assert estimate.sync.usage.output_tokens == sum(r.max_tokens // 2 for r in requests)
    assert set(estimate.sync.by_stage) == {"extract", "judge"}
    # batch: same tokens, half the token price
    assert estimate.batch.usage == estimate.sync.usage
    assert estimate.batch.usd.tokens * 2 == estimate.sync.usd.tokens
    assert estimate.to_json()["batch"]["usd"]["batch_discount"] < 0
    # counted totals equal the approximation here because the fake counts with it
    assert estimate_run(requests, PRICES, output_ratio=0.5, naive=naive).sync.usage == estimate.sync.usage


def test_counts_from_the_api_rescale_the_cached_prefix():
    (request,) = [ask(0)]
    approx = project_usage([request], None, output_ratio=0)[0]
    doubled = project_usage([request], [2 * approx.total_input_tokens], output_ratio=0)[0]
    assert doubled.total_input_tokens == 2 * approx.total_input_tokens
    assert abs(doubled.cache_write_5m_tokens - 2 * approx.cache_write_5m_tokens) <= 1
    assert doubled == Usage(input_tokens=doubled.input_tokens, cache_write_5m_tokens=doubled.cache_write_5m_tokens, requests=1)
    assert Decimal(doubled.cache_write_5m_tokens) > 0
