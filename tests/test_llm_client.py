"""The Anthropic adapter against the fake server: the real SDK over real HTTP."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dreaming.cost.meter import Usage, worst_case_cost
from dreaming.cost.prices import load_prices
from dreaming.errors import DreamingError
from dreaming.llm.client import LLMClient, LLMConfig
from dreaming.llm.requests import LLMRequest, LLMResult, build_params
from dreaming.llm.tokens import split_request_tokens
from dreaming.testing.fake_server import Dropped, Expired, FakeAnthropicServer, Fault, Malformed, Reply

from .llm_support import SYSTEM, FakeClock, ask, make_client, total_usage, usage_of

GOOD = {"facts": [{"text": "prefers vim", "turn": "t1"}]}


@pytest.fixture
def server():
    with FakeAnthropicServer() as fake:
        yield fake


@pytest.fixture
def clock():
    return FakeClock()


def test_sync_end_to_end_validated_data_in_order(server, clock):
    server.responder = lambda request: Reply(tool_input={"facts": [{"text": request.user_text[:12], "turn": "t1"}]})
    with make_client(server, clock) as client:
        results = client.run([ask(i) for i in range(5)])
    assert [r.custom_id for r in results] == [f"req-{i}" for i in range(5)]
    assert all(r.ok and not r.batched for r in results)
    assert [r.data["facts"][0]["text"] for r in results] == [f"Transcript {i}" for i in range(5)]
    # every request forced the tool and carried the cached system block
    for call in server.calls("messages"):
        assert call.body["tool_choice"] == {"type": "tool", "name": "record_facts"}
        assert call.body["system"][0]["cache_control"] == {"type": "ephemeral"}
    # the meter holds exactly the usage the fake returned, per request
    report = client.meter.report()
    assert report.usage == total_usage(server.answered)
    assert sum((r.usage for r in results), Usage()) == report.usage
    assert set(report.by_stage) == {"extract"}


def test_one_cache_write_then_reads_even_when_concurrent(server, clock):
    with make_client(server, clock, concurrency=4) as client:
        results = client.run([ask(i) for i in range(6)])
    prefix = split_request_tokens(server.calls("messages")[0].body).prefix
    usage = client.meter.report().usage
    assert usage.cache_write_5m_tokens == prefix and usage.cache_read_tokens == 5 * prefix
    assert sum(r.usage.cache_write_5m_tokens > 0 for r in results) == 1


def test_one_hour_ttl_is_sent_and_metered_as_1h(server, clock):
    with make_client(server, clock) as client:
        client.run([ask(i, cache_ttl="1h") for i in range(2)])
    assert server.calls("messages")[0].body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    usage = client.meter.report().usage
    assert usage.cache_write_1h_tokens > 0 and usage.cache_write_5m_tokens == 0
    assert usage.cache_read_tokens == usage.cache_write_1h_tokens


def test_retries_429_529_500_then_success_honouring_retry_after(server, clock):
    server.push(Fault(status=429, retry_after=7), Fault(status=529), Fault(status=500), Reply(tool_input=GOOD))
    with make_client(server, clock, max_retries=4, backoff_base=1.0) as client:
        (result,) = client.run([ask(0)])
    assert result.ok and result.data == GOOD and result.attempts == 4
    assert clock.sleeps == [7.0, 2.0, 4.0]
    assert len(server.calls("messages")) == 4
    assert client.meter.report().usage.requests == 1  # failed attempts are not billed


def test_persistent_failure_is_an_error_result_not_an_exception(server, clock):
    server.push(*[Fault(status=500, message="database on fire")] * 3, Reply(tool_input=GOOD))
    with make_client(server, clock, max_retries=2) as client:
        failed, after = client.run([ask(0), ask(1)])
    assert not failed.ok and failed.error_kind == "server" and failed.data is None
    assert failed.error == "Anthropic API error (500): database on fire (gave up after 3 attempts)"
    assert failed.attempts == 3 and clock.sleeps == [1.0, 2.0]
    assert after.ok  # the run goes on


def test_backoff_is_capped(server, clock):
    server.push(*[Fault(status=529)] * 5)
    with make_client(server, clock, max_retries=4, backoff_base=10.0, backoff_max=25.0) as client:
        (result,) = client.run([ask(0)])
    assert result.error_kind == "overloaded" and clock.sleeps == [10.0, 20.0, 25.0, 25.0]


def test_client_errors_are_not_retried_and_auth_stops_the_run(server, clock):
    server.push(Fault(status=400, message="prompt is too long"), Fault(status=401, message="invalid x-api-key"))
    with make_client(server, clock, concurrency=1) as client:
        rejected, unauthorised, never_sent = client.run([ask(0, cache_ttl=None), ask(1, cache_ttl=None), ask(2, cache_ttl=None)])
    assert rejected.error == "the Anthropic API rejected the request (400): prompt is too long"
    assert unauthorised.error_kind == never_sent.error_kind == "auth"
    assert "check ANTHROPIC_API_KEY" in unauthorised.error
    assert len(server.calls("messages")) == 2 and clock.sleeps == []


def test_timeout_is_retried_then_reported(server, clock):
    server.push(Reply(tool_input=GOOD, delay=2.0), Reply(tool_input=GOOD))
    with make_client(server, clock, timeout=0.2, max_retries=1) as client:
        (result,) = client.run([ask(0)])
        assert result.ok and result.attempts == 2
        server.push(Reply(tool_input=GOOD, delay=2.0), Reply(tool_input=GOOD, delay=2.0))
        (slow,) = client.run([ask(1)])
    assert slow.error_kind == "timeout" and slow.error == "no reply from the Anthropic API within 0.2s (gave up after 2 attempts)"


def test_malformed_body_is_retried_then_reported(server, clock):
    server.push(Malformed(), Reply(tool_input=GOOD), Malformed(), Malformed())
    with make_client(server, clock, max_retries=1, concurrency=1) as client:
        fixed, broken = client.run([ask(0, cache_ttl=None), ask(1, cache_ttl=None)])
    assert fixed.ok and fixed.attempts == 2
    assert broken.error_kind == "malformed" and broken.error.startswith("unreadable reply from the Anthropic API")


def test_dropped_connection_is_retried_in_sync_and_while_reading_batch_results(server, clock):
    server.push(Dropped(), Reply(tool_input=GOOD))
    with make_client(server, clock) as client:
        (result,) = client.run([ask(0)])
    assert result.ok and result.attempts == 2
    server.fail_next("batches.results", Dropped())
    with make_client(server, clock, mode="batch") as client:
        (batched,) = client.run([ask(1)])
    assert batched.ok and batched.batched
    assert len(server.calls("batches.results")) == 2


def test_schema_violation_is_re_asked_once_with_the_problem(server, clock):
    server.push(Reply(tool_input={"facts": [{"text": "", "turn": 3}]}), Reply(tool_input=GOOD))
    with make_client(server, clock) as client:
        (result,) = client.run([ask(0)])
    assert result.ok and result.data == GOOD
    first, second = server.calls("messages")
    feedback = second.body["messages"][-1]["content"][0]
    assert feedback["type"] == "tool_result" and feedback["is_error"] is True
    assert "$.facts[0].text: shorter than 1" in feedback["content"] and "$.facts[0].turn: expected string" in feedback["content"]
    assert second.body["messages"][-2]["content"][0]["type"] == "tool_use"
    assert result.usage == usage_of(server.answered[0]) + usage_of(server.answered[1])  # both attempts billed


def test_invalid_twice_is_dropped_with_a_reason(server, clock):
    server.push(Reply(text="I think the user likes vim."), Reply(tool_input={"facts": "many"}))
    with make_client(server, clock) as client:
        (result,) = client.run([ask(0)])
    assert result.error_kind == "invalid" and result.data is None
    assert result.error == "tool input does not match the schema: $.facts: expected array, got str"
    assert server.calls("messages")[1].body["messages"][-1]["content"][0]["type"] == "text"  # no tool call to answer


def test_stage_validator_rejects_ids_that_do_not_exist(server, clock):
    server.push(Reply(tool_input={"facts": [{"text": "x", "turn": "t99"}]}), Reply(tool_input=GOOD))

    def known_turns(request: LLMRequest, data):
        missing = [f["turn"] for f in data["facts"] if f["turn"] not in {"t1", "t2"}]
        return f"unknown turn id(s) {', '.join(missing)}" if missing else None

    with make_client(server, clock) as client:
        (result,) = client.run([ask(0)], validate=known_turns)
    assert result.ok and result.data == GOOD
    assert "unknown turn id(s) t99" in server.calls("messages")[1].body["messages"][-1]["content"][0]["content"]


def test_refusal_is_final(server, clock):
    server.push(Reply(text="No.", stop_reason="refusal"))
    with make_client(server, clock) as client:
        (result,) = client.run([ask(0)])
    assert result.error_kind == "refused" and len(server.calls("messages")) == 1


def test_results_carry_no_sdk_types(server, clock):
    with make_client(server, clock) as client:
        results = client.run([ask(0)]) + client.run([ask(1, tool=None)])

    def walk(value):
        assert not type(value).__module__.startswith("anthropic"), type(value)
        if dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key), walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(results)
    assert isinstance(results[0], LLMResult) and results[1].text == "ok"


def test_no_key_is_a_clear_error():
    with pytest.raises(DreamingError, match="ANTHROPIC_API_KEY"):
        LLMClient(LLMConfig(), make_meter())


@pytest.mark.parametrize("bad", [{"mode": "turbo"}, {"concurrency": 0}, {"timeout": 0}, {"count_tokens": "guess"}])
def test_bad_config_is_a_clear_error(bad):
    with pytest.raises(DreamingError):
        LLMConfig(**bad)


def make_meter():
    from dreaming.cost.meter import CostMeter

    return CostMeter(load_prices(env={}), clock=FakeClock())


# -- cost against the usage the fake returned ---------------------------------------------


def test_cost_report_to_the_cent_for_the_published_examples(server, clock):
    server.push(
        Reply(text="done", usage={"input_tokens": 50_000, "output_tokens": 5_000}),
        Reply(text="done", usage={"input_tokens": 10_000, "cache_read_input_tokens": 40_000, "output_tokens": 15_000,
                                  "cache_creation_input_tokens": 0, "cache_creation": None}, web_search_requests=3),
    )
    with make_client(server, clock) as client:
        client.meter.start()
        client.run([LLMRequest.ask(custom_id="a", stage="extract", model="claude-sonnet-4-6", system="", user="x")])
        client.run([LLMRequest.ask(custom_id="b", stage="patterns", model="claude-opus-4-7", system="", user="y")])
        clock.now += 30 * 60
        client.meter.stop()
    report = client.meter.report()
    assert report.by_stage["extract"].usd.tokens == Decimal("0.225")
    assert report.by_stage["patterns"].usd.tokens == Decimal("0.445")
    assert report.usd.web_search == Decimal("0.03")
    assert report.usd.runtime == Decimal("0.04")
    assert report.total == Decimal("0.225") + Decimal("0.445") + Decimal("0.03") + Decimal("0.04")
    assert report.to_json()["usd"]["total"] == 0.74


# -- budget -----------------------------------------------------------------------------


def worst_of(request: LLMRequest, *, batched: bool = False) -> Decimal:
    params = build_params(request)
    return worst_case_cost(load_prices(env={}), request.model, input_tokens=split_request_tokens(params).total,
                           max_tokens=request.max_tokens, cache_ttl=request.cache_ttl, batched=batched)


def test_budget_refuses_a_request_whose_worst_case_does_not_fit(server, clock):
    requests = [ask(i, max_tokens=4000) for i in range(3)]
    cap = worst_of(requests[0]) + Decimal("0.0001")
    with make_client(server, clock, max_cost=cap, concurrency=1) as client:
        results = client.run(requests)
    assert [r.error_kind for r in results] == [None, "budget", "budget"]
    assert results[1].error.startswith("not sent: its worst case $")
    assert len(server.calls("messages")) == 1
    assert len(server.calls("count_tokens")) >= 1  # counted with the endpoint
    report = client.meter.report()
    assert report.total <= cap and report.refused_requests == 2


def test_budget_falls_back_to_the_approximation_when_counting_fails(server, clock):
    server.fail_next("count_tokens", Fault(status=404, message="not here"))
    with make_client(server, clock, max_cost="1.00", concurrency=1) as client:
        results = client.run([ask(i, cache_ttl=None) for i in range(3)])
        assert client.count_tokens(ask(9)) == (split_request_tokens(build_params(ask(9))).total, "approx")
    assert all(r.ok for r in results)
    assert len(server.calls("count_tokens")) == 1  # not asked again after it failed


def test_budget_with_the_approximation_does_not_call_count_tokens(server, clock):
    with make_client(server, clock, max_cost="0.000001", count_tokens="approx") as client:
        (result,) = client.run([ask(0)])
    assert result.error_kind == "budget"
    assert server.calls("count_tokens") == [] and server.calls("messages") == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cap=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("0.05"), places=4), concurrency=st.integers(1, 4))
def test_spend_never_passes_the_cap(server, cap, concurrency):
    server.clear_cache()
    server.responder = lambda request: Reply(tool_input={"facts": [{"text": "y" * 300, "turn": "t1"}] * 5})
    with make_client(server, FakeClock(), max_cost=cap, concurrency=concurrency, runtime_rate=0) as client:
        results = client.run([ask(i, model="claude-opus-4-8", max_tokens=1500) for i in range(8)])
    assert client.meter.report().total <= cap
    assert all(r.ok or r.error_kind == "budget" for r in results)


# -- batch ----------------------------------------------------------------------------


def test_batch_end_to_end_half_price_and_waiting_not_active(server, clock):
    server.batch_polls = 3
    with make_client(server, clock, mode="batch", poll_interval=2.0, poll_backoff=2.0, poll_max_interval=5.0) as client:
        client.meter.start()
        results = client.run([ask(i) for i in range(4)])
        client.meter.stop()
    assert all(r.ok and r.batched and r.attempts == 1 for r in results)
    assert server.calls("messages") == [] and len(server.calls("batches.create")) == 1
    items = server.calls("batches.create")[0].body["requests"]
    assert [i["custom_id"] for i in items] == [f"req-{i}" for i in range(4)]
    assert all(i["params"]["system"][0]["cache_control"] == {"type": "ephemeral"} for i in items)
    assert clock.sleeps == [2.0, 4.0, 5.0, 5.0]  # growing poll interval, capped
    report = client.meter.report()
    assert report.active_seconds == 0  # all of the fake time was spent waiting on the batch
    assert report.usage == total_usage(server.answered)
    assert (
        report.usd.batch_discount
        == -(report.usd.input + report.usd.output + report.usd.cache_write + report.usd.cache_read) / 2
    )


def test_batch_per_request_outcomes_and_a_second_round(server, clock):
    server.push(
        Reply(tool_input=GOOD),                          # req-0 succeeds
        Fault(status=500),                               # req-1 errored (api_error): next round
        Expired(),                                       # req-2 expired
        Fault(status=400, message="bad params"),         # req-3 errored for good
        Reply(tool_input={"facts": 1}),                  # req-4 invalid: re-asked next round
        Reply(tool_input=GOOD), Reply(tool_input=GOOD),  # round two: req-1, req-4
    )
    with make_client(server, clock, mode="batch") as client:
        results = client.run([ask(i) for i in range(5)])
    kinds = [r.error_kind for r in results]
    assert kinds == [None, None, "expired", "rejected", None]
    assert [r.attempts for r in results] == [1, 2, 1, 1, 2]
    assert "bad params" in results[3].error
    second = server.calls("batches.create")[1].body["requests"]
    assert [i["custom_id"] for i in second] == ["req-1", "req-4"]
    assert second[1]["params"]["messages"][-1]["content"][0]["is_error"] is True
    assert results[4].usage.requests == 2


def test_batch_create_retried_then_persistent_failure(server, clock):
    server.fail_next("batches.create", Fault(status=429, retry_after=1))
    with make_client(server, clock, mode="batch") as client:
        assert all(r.ok for r in client.run([ask(0)]))
        server.fail_next("batches.create", Fault(status=529), times=10)
        results = client.run([ask(1), ask(2)])
    assert [r.error_kind for r in results] == ["overloaded", "overloaded"]
    assert clock.sleeps[0] == 1.0


def test_batch_polling_survives_a_transient_retrieve_error(server, clock):
    server.batch_polls = 1
    server.fail_next("batches.retrieve", Fault(status=503))
    with make_client(server, clock, mode="batch") as client:
        (result,) = client.run([ask(0)])
    assert result.ok


def test_batch_canceled_after_max_wait(server, clock):
    server.batch_polls = 1000
    with make_client(server, clock, mode="batch", poll_interval=10.0, poll_backoff=1.0, batch_max_wait=30.0) as client:
        results = client.run([ask(0), ask(1)])
    assert [r.error_kind for r in results] == ["canceled", "canceled"]
    assert len(server.calls("batches.cancel")) == 1


def test_batch_budget_uses_batch_prices(server, clock):
    requests = [ask(i, max_tokens=4000) for i in range(3)]
    cap = worst_of(requests[0], batched=True) * Decimal("1.5")
    assert cap < worst_of(requests[0])  # a single sync request would not even fit
    with make_client(server, clock, mode="batch", max_cost=cap) as client:
        results = client.run(requests)
    assert [r.error_kind for r in results] == [None, "budget", "budget"]
    assert len(server.calls("batches.create")[0].body["requests"]) == 1
    assert client.meter.report().total <= cap


def test_duplicate_custom_ids_are_a_programming_error(server, clock):
    with make_client(server, clock) as client, pytest.raises(ValueError, match="duplicate custom_id"):
        client.run([ask(0), ask(0)])


def test_count_tokens_uses_the_endpoint(server, clock):
    with make_client(server, clock) as client:
        counts = client.count_many([ask(0), ask(1, tool=None)])
    assert counts == [(split_request_tokens(build_params(r)).total, "api") for r in (ask(0), ask(1, tool=None))]
    assert len(server.calls("count_tokens")) == 2
    assert SYSTEM in server.calls("count_tokens")[0].body["system"][0]["text"]
