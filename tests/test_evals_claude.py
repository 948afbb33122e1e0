"""The Claude answerer against the project's fake Anthropic server (the real SDK over HTTP)."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from dreaming.cli import cli
from dreaming.cost.meter import CostReport
from dreaming.testing.fake_server import FakeAnthropicServer, FakeRequest, Reply

from .llm_support import total_usage
from .test_evals_versions import dreamed_store, tasks_file  # noqa: F401  (fixtures)


def responder(request: FakeRequest) -> Reply:
    """A scripted Claude: answers from the memories in the prompt; grades by plain comparison."""
    tool = (request.forced_tool or {}).get("name")
    text = request.user_text
    if tool == "give_answer":
        memories = text.split("Question:")[0].lower()
        for value in ("helix", "postgres 15", "fridays"):
            if value in memories:
                return Reply(tool_input={"answer": value, "known": True})
        if "vim" in memories:
            return Reply(tool_input={"answer": "vim", "known": True})
        return Reply(tool_input={"answer": "", "known": False})
    assert tool == "grade", tool
    given = re.search(r"Answer given: (.*)", text).group(1).lower()
    reference = re.search(r"Reference answer: (.*)", text)
    if "does not know" in given:
        verdict = "abstained"
    elif reference and given and given in reference.group(1).lower():
        verdict = "correct"
    else:
        verdict = "incorrect"
    return Reply(tool_input={"verdict": verdict, "reason": "scripted"})


@pytest.fixture
def server(monkeypatch):
    with FakeAnthropicServer(responder=responder) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        yield fake


def test_claude_answers_judge_grades_and_the_cost_is_metered(server, dreamed_store, tasks_file, tmp_path):
    out = tmp_path / "results"
    result = CliRunner().invoke(cli, ["eval", "--tasks", str(tasks_file), "--answerer", "claude", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["answerer"] == "claude" and summary["k"] == 10
    # before: vim (wrong), "since" unknown, database unknown, Fridays right; after: all four answered
    assert summary["overall"]["n"] == 4 and summary["overall"]["before"] == 0.25
    assert summary["overall"]["after"] == 0.75  # "since" gets "helix", which the judge marks incorrect
    answers = [c for c in server.processed if c.forced_tool["name"] == "give_answer"]
    grades = [c for c in server.processed if c.forced_tool["name"] == "grade"]
    assert len(answers) == len(grades) == 8
    assert all(c.body["model"] == "claude-haiku-4-5" for c in server.processed)
    saved = json.loads((out / "tasks-mytasks-claude.json").read_text())
    assert saved["ks"] == [10]
    cost = CostReport.from_json(saved["cost"])
    assert cost.usage == total_usage(server.answered) and cost.usage.requests == 16
    assert set(cost.by_stage) == {"eval-answer", "eval-judge"}
    assert cost.total > 0


def test_budget_refusals_count_as_not_completed_and_are_noted(server, dreamed_store, tasks_file):
    result = CliRunner().invoke(
        cli, ["eval", "--tasks", str(tasks_file), "--answerer", "claude", "--max-cost", "0.000001", "--no-write"]
    )
    assert result.exit_code == 0, result.output
    assert "answer(s) failed (API error or budget)" in result.stdout
    assert "Answerer cost (metered)" in result.stdout
    assert server.calls("messages") == []


def test_claude_without_a_key_is_one_line(monkeypatch, dreamed_store, tasks_file):
    result = CliRunner().invoke(cli, ["eval", "--tasks", str(tasks_file), "--answerer", "claude", "--no-write"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no Anthropic API key: set ANTHROPIC_API_KEY, or run with --llm off"
