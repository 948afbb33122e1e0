"""--provider bedrock | vertex: the SDK's own AnthropicBedrock / AnthropicVertex clients, with mapped model
ids, against the fake server's Bedrock and Vertex AI paths over HTTP; priced from the same table."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dreaming.cli import cli
from dreaming.cost.meter import CostMeter
from dreaming.cost.prices import load_prices
from dreaming.llm.client import LLMClient, LLMConfig
from dreaming.llm.platforms import load_platform

from .conftest import REPO
from .llm_support import ask


@pytest.fixture
def bedrock_env(server, monkeypatch):
    env = {"DREAMING_PROVIDER": "bedrock", "AWS_REGION": "us-east-1", "AWS_BEARER_TOKEN_BEDROCK": "tok",
           "ANTHROPIC_BEDROCK_BASE_URL": server.base_url}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def vertex_env(server, monkeypatch):
    env = {"DREAMING_PROVIDER": "vertex", "CLOUD_ML_REGION": "us-east5", "ANTHROPIC_VERTEX_PROJECT_ID": "proj",
           "ANTHROPIC_VERTEX_ACCESS_TOKEN": "tok", "ANTHROPIC_VERTEX_BASE_URL": server.base_url}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def client_for(provider: str, mode: str = "sync") -> LLMClient:
    platform = load_platform(provider)
    meter = CostMeter(platform.price_table(load_prices()))
    return LLMClient(LLMConfig(mode=mode, count_tokens="api"), meter, platform=platform)  # type: ignore[arg-type]


def test_bedrock_client_maps_the_model_and_batch_runs_as_sync_with_a_note(server, bedrock_env):
    client = client_for("bedrock", mode="batch")
    assert type(client._sdk).__name__ == "AnthropicBedrock" and client.config.mode == "sync"
    [result] = client.run([ask(1, model="claude-haiku-4-5")])
    assert result.ok, result.error
    [call] = server.calls("messages")
    assert call.path == "/model/global.anthropic.claude-haiku-4-5-20251001-v1:0/invoke"
    assert call.body["anthropic_version"] and "model" not in call.body
    assert call.headers["authorization"] == "Bearer tok"
    assert server.calls("batches.create") == []
    report = client.meter.report()
    assert any("runs as sync on Bedrock" in w for w in report.warnings)
    usage = result.usage  # global endpoint: Haiku 4.5's own prices ($1 / $5 / $1.25 / $0.10 per million)
    expected = (usage.input_tokens * 1 + usage.output_tokens * 5 + usage.cache_write_5m_tokens * 1.25
                + usage.cache_read_tokens * 0.1) / 1e6
    assert float(report.usd.tokens) == pytest.approx(expected)


def test_bedrock_regional_endpoint_costs_ten_percent_more(server, bedrock_env, monkeypatch):
    monkeypatch.setenv("DREAMING_BEDROCK_ENDPOINT", "regional")
    regional = client_for("bedrock")
    [result] = regional.run([ask(1, model="claude-haiku-4-5")])
    assert server.calls("messages")[-1].path == "/model/anthropic.claude-haiku-4-5-20251001-v1:0/invoke"
    base = CostMeter(load_prices())
    base.record(stage="extract", model="claude-haiku-4-5", usage=result.usage, batched=False)
    assert float(regional.meter.report().usd.tokens) == pytest.approx(float(base.report().usd.tokens) * 1.1)


def test_vertex_client_maps_the_model_and_counts_tokens_on_vertex(server, vertex_env):
    client = client_for("vertex")
    assert type(client._sdk).__name__ == "AnthropicVertex"
    tokens, how = client.count_tokens(ask(1, model="claude-sonnet-4-5"))
    assert how == "api" and tokens > 0
    [result] = client.run([ask(1, model="claude-sonnet-4-5")])
    assert result.ok, result.error
    path = server.calls("messages")[0].path
    assert path == "/projects/proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict"
    assert server.calls("count_tokens")[0].path.endswith("/models/count-tokens:rawPredict")
    assert "regional endpoint (us-east5): +10%" in client.meter.prices.source


def test_missing_credentials_are_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("DREAMING_PROVIDER", "bedrock")
    for name in ("AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["run", "--transcripts", str(REPO / "transcripts"), "--llm", "sync"])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    result = CliRunner().invoke(cli, ["run", "--llm", "sync", "--provider", "azure"])
    assert result.exit_code == 2 and "azure" in result.output


def test_dreaming_run_on_bedrock_end_to_end(server, bedrock_env, store_path):
    result = CliRunner().invoke(cli, ["run", "--transcripts", str(REPO / "transcripts"), "--llm", "batch", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["cost"]["usd"]["total"] > 0
    assert any("runs as sync on Bedrock" in w for w in report["cost"]["warnings"])
    assert server.calls("messages") and all(c.path.startswith("/model/global.anthropic.") for c in server.calls("messages"))
