"""`dreaming ingest --managed-agents`: session events as sessions and turns, redacted, incremental."""

from __future__ import annotations

import pytest

from dreaming.store.core import Store
from dreaming.testing.fake_server import FakeAnthropicServer

from .hosted_support import run, run_json


@pytest.fixture
def api():
    with FakeAnthropicServer() as fake:
        yield fake


def test_events_become_turns_with_tool_calls_and_secrets_redacted(api, store_path):
    sid = api.hosted.add_session([
        {"type": "user.message", "text": "deploy with key sk-ant-api03-" + "a" * 80},
        {"type": "agent.thinking"},
        {"type": "agent.message", "text": "Deploying."},
        {"type": "agent.tool_use", "id": "sevt_call", "name": "bash", "input": {"command": "make deploy"}},
        {"type": "agent.tool_result", "tool_use_id": "sevt_call", "text": "done", "is_error": False},
        {"type": "agent.thread_context_compacted"},
        {"type": "user.message", "text": "thanks"},
    ], title="deploy")
    report = run_json(api, store_path, "ingest", "--managed-agents", sid)
    assert (report["sessions"], report["new_sessions"], report["turns"]) == (1, 1, 3)
    assert report["redacted"] == 1
    with Store.open(store_path) as store:
        turns = store.turns(sid)
        session = store.session(sid)
    assert [t.role for t in turns] == ["user", "assistant", "user"]
    assert "sk-ant-api03" not in turns[0].text and "[REDACTED" in turns[0].text
    call = turns[1].tool_calls[0]
    assert (call.name, call.input_summary, call.result_excerpt, call.is_error) == ("bash", "make deploy", "done", False)
    assert session.format == "managed-agents" and session.metadata["compactions"] == 1


def test_second_read_adds_only_new_events_and_since_finds_sessions(api, store_path):
    sid = api.hosted.add_session([{"type": "user.message", "text": "hello"}])
    assert run_json(api, store_path, "ingest", "--managed-agents", sid)["turns"] == 1
    assert run_json(api, store_path, "ingest", "--managed-agents", sid)["unchanged"] == 1
    api.hosted.add_events(sid, [{"type": "agent.message", "text": "hi"}, {"type": "user.message", "text": "bye"}])
    assert run_json(api, store_path, "ingest", "--managed-agents", sid)["turns"] == 2
    other = api.hosted.add_session([{"type": "user.message", "text": "later"}])
    report = run_json(api, store_path, "ingest", "--managed-agents", "--since", "1h")
    assert set(report["session_ids"]) == {sid, other} and report["turns"] == 1


def test_unknown_session_is_one_line(api, store_path):
    result = run(api, store_path, "ingest", "--managed-agents", "sesn_missing")
    assert result.exit_code == 1 and "session sesn_missing: not found (404)" in result.output
    assert result.output.count("\n") == 1
