"""The fake Anthropic server, driven by the real SDK over HTTP."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import anthropic
import pytest

from dreaming.llm.tokens import split_request_tokens
from dreaming.testing.fake_server import Dropped, Expired, FakeAnthropicServer, Fault, Malformed, Reply

MODEL = "claude-haiku-4-5"
SYSTEM = [{"type": "text", "text": "You are careful. " * 40, "cache_control": {"type": "ephemeral"}}]
USER = [{"role": "user", "content": "hello there"}]
TOOL = {
    "name": "emit",
    "description": "d",
    "input_schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
}


@pytest.fixture
def server():
    with FakeAnthropicServer() as fake:
        yield fake


@pytest.fixture
def sdk(server):
    client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0, timeout=5)
    yield client
    client.close()


def test_forced_tool_reply_and_usage_shape(server, sdk):
    message = sdk.messages.create(model=MODEL, max_tokens=50, system=SYSTEM, messages=USER, tools=[TOOL],
                                  tool_choice={"type": "tool", "name": "emit"})
    assert message.stop_reason == "tool_use"
    (block,) = message.content
    assert (block.type, block.name, block.input) == ("tool_use", "emit", {"n": 0})
    split = split_request_tokens(server.calls("messages")[0].body)
    assert message.usage.cache_creation_input_tokens == split.prefix > 0
    assert message.usage.cache_creation.ephemeral_5m_input_tokens == split.prefix
    assert message.usage.input_tokens == split.rest
    assert message.usage.service_tier == "standard"
    headers = server.calls("messages")[0].headers
    assert headers.get("x-api-key") == "test" or headers.get("authorization") == "Bearer test"


def test_cache_write_then_reads_split_by_ttl(sdk):
    hour = [{**SYSTEM[0], "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    first = sdk.messages.create(model=MODEL, max_tokens=5, system=hour, messages=USER).usage
    second = sdk.messages.create(model=MODEL, max_tokens=5, system=hour, messages=[{"role": "user", "content": "other"}]).usage
    assert first.cache_creation.ephemeral_1h_input_tokens > 0 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens and second.cache_creation_input_tokens == 0
    other_model = sdk.messages.create(model="claude-sonnet-4-6", max_tokens=5, system=hour, messages=USER).usage
    assert other_model.cache_creation_input_tokens > 0  # caches are per model
    plain = sdk.messages.create(model=MODEL, max_tokens=5, system="no cache here", messages=USER).usage
    assert plain.cache_creation_input_tokens == plain.cache_read_input_tokens == 0


def test_count_tokens_equals_the_input_a_message_reports(sdk):
    counted = sdk.messages.count_tokens(model=MODEL, system=SYSTEM, messages=USER, tools=[TOOL]).input_tokens
    usage = sdk.messages.create(model=MODEL, max_tokens=5, system=SYSTEM, messages=USER, tools=[TOOL]).usage
    assert counted == usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens


def test_scripted_queue_then_responder(server, sdk):
    server.responder = lambda request: Reply(text=f"echo {request.user_text}", web_search_requests=2)
    server.push(Reply(text="queued", usage={"input_tokens": 50_000, "output_tokens": 5_000}))
    first = sdk.messages.create(model=MODEL, max_tokens=5, messages=USER)
    second = sdk.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert first.content[0].text == "queued" and (first.usage.input_tokens, first.usage.output_tokens) == (50_000, 5_000)
    assert second.content[0].text == "echo hello there"
    assert second.usage.server_tool_use.web_search_requests == 2
    assert [m["usage"]["input_tokens"] for m in server.answered][0] == 50_000


@pytest.mark.parametrize(
    "status, error_class, error_type",
    [(429, anthropic.RateLimitError, "rate_limit_error"), (529, anthropic.OverloadedError, "overloaded_error"),
     (500, anthropic.InternalServerError, "api_error"), (400, anthropic.BadRequestError, "invalid_request_error")],
)
def test_faults_become_the_sdk_error_classes(server, sdk, status, error_class, error_type):
    server.push(Fault(status=status, retry_after=3))
    with pytest.raises(error_class) as info:
        sdk.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert info.value.body["error"]["type"] == error_type
    assert info.value.response.headers["retry-after"] == "3"


def test_malformed_body_and_slow_reply(server, sdk):
    server.push(Malformed(), Reply(text="late", delay=2.0))
    with pytest.raises(ValueError):
        sdk.messages.create(model=MODEL, max_tokens=5, messages=USER)
    with pytest.raises(anthropic.APITimeoutError):
        sdk.messages.create(model=MODEL, max_tokens=5, messages=USER, timeout=0.2)


def test_dropped_connection(server, sdk):
    server.push(Dropped())
    with pytest.raises(anthropic.APIConnectionError):
        sdk.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert sdk.messages.create(model=MODEL, max_tokens=5, messages=USER).content[0].text == "ok"


def test_bad_requests_are_rejected_like_the_api(server, sdk):
    with pytest.raises(anthropic.BadRequestError, match="tool_choice.name"):
        sdk.messages.create(model=MODEL, max_tokens=5, messages=USER, tools=[TOOL], tool_choice={"type": "tool", "name": "nope"})
    with pytest.raises(anthropic.BadRequestError, match="custom_id"):
        sdk.messages.batches.create(
            requests=[{"custom_id": "bad id!", "params": {"model": MODEL, "max_tokens": 5, "messages": USER}}]
        )
    request = urllib.request.Request(server.base_url + "/v1/messages", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:  # no key
        urllib.request.urlopen(request)
    assert info.value.code == 401
    with pytest.raises(anthropic.NotFoundError):
        sdk.messages.batches.retrieve("msgbatch_missing")


def test_batch_lifecycle_with_every_result_type(server, sdk):
    server.batch_polls = 2
    params = {"model": MODEL, "max_tokens": 5, "system": SYSTEM, "messages": USER}
    batch = sdk.messages.batches.create(requests=[{"custom_id": f"r{i}", "params": params} for i in range(4)])
    server.push(Reply(text="fine"), Fault(status=500, message="boom"), Expired(), Reply(tool_input={"n": 1}))
    statuses = [sdk.messages.batches.retrieve(batch.id).processing_status for _ in range(3)]
    assert statuses == ["in_progress", "in_progress", "ended"]
    ended = sdk.messages.batches.retrieve(batch.id)
    assert (ended.request_counts.succeeded, ended.request_counts.errored, ended.request_counts.expired) == (2, 1, 1)
    assert ended.results_url.startswith(server.base_url)
    results = {r.custom_id: r.result for r in sdk.messages.batches.results(batch.id)}
    assert results["r0"].type == "succeeded" and results["r0"].message.usage.service_tier == "batch"
    assert results["r0"].message.usage.cache_creation_input_tokens > 0
    assert results["r3"].message.usage.cache_read_input_tokens > 0  # batch items share the cache
    assert results["r1"].type == "errored" and results["r1"].error.error.type == "api_error"
    assert results["r2"].type == "expired"
    assert [b.id for b in sdk.messages.batches.list()] == [batch.id]
    assert sdk.messages.batches.delete(batch.id).type == "message_batch_deleted"
    assert len(server.calls("batches.results")) == 1


def test_batch_cancel_and_injected_endpoint_faults(server, sdk):
    server.batch_polls = 5
    server.fail_next("batches.create", Fault(status=529))
    params = {"model": MODEL, "max_tokens": 5, "messages": USER}
    with pytest.raises(anthropic.OverloadedError):
        sdk.messages.batches.create(requests=[{"custom_id": "a", "params": params}])
    batch = sdk.messages.batches.create(requests=[{"custom_id": "a", "params": params}])
    assert sdk.messages.batches.cancel(batch.id).processing_status == "canceling"
    assert sdk.messages.batches.retrieve(batch.id).processing_status == "ended"
    assert [r.result.type for r in sdk.messages.batches.results(batch.id)] == ["canceled"]
    assert server.processed == []  # a canceled batch never reached the model


def test_runs_as_a_module_for_the_demo(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "dreaming.testing.fake_server", "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        base_url = line.split()[4]
        assert base_url.startswith("http://127.0.0.1:")
        client = anthropic.Anthropic(base_url=base_url, api_key="demo", max_retries=0, timeout=5)
        reply = client.messages.create(model=MODEL, max_tokens=5, messages=USER, tools=[TOOL],
                                       tool_choice={"type": "tool", "name": "emit"})
        assert reply.content[0].input == {"n": 0}
        client.close()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
