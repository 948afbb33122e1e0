"""`dreaming run --engine hosted`: Anthropic's hosted Dream as a reviewed candidate, billed with our table."""

from __future__ import annotations

import json
import signal
import time

import pytest

from dreaming.store.core import Store
from dreaming.testing.fake_hosted import seed_demo
from dreaming.testing.fake_server import FakeAnthropicServer

from .hosted_support import run, run_json, spawn


@pytest.fixture
def api():
    with FakeAnthropicServer() as fake:
        yield fake


@pytest.fixture
def demo(api, store_path):
    sid, session = seed_demo(api.hosted)
    run_json(api, store_path, "pull", sid)
    run_json(api, store_path, "ingest", "--managed-agents", session)
    return sid, session


def test_hosted_dream_becomes_a_candidate_with_its_usage_on_the_bill(api, demo, store_path):
    sid, session = demo
    report = run_json(api, store_path, "run", "--engine", "hosted", "--poll-interval", "0.01",
                      "--instructions", "Keep user preferences together")
    assert report["status"] == "completed" and report["version"] == 2 and report["polls"] >= 3
    created = api.hosted.calls[[r for r, _ in api.hosted.calls].index("dreams.create")]
    assert api.hosted.count("dreams.create") == 1 and created
    dream = api.hosted.dreams[report["dream_id"]]
    assert dream.session_ids == [session] and dream.instructions == "Keep user preferences together"
    with Store.open(store_path) as store:
        candidate = store.candidate()
        assert candidate is not None and candidate.number == 2 and candidate.origin == "hosted-dream"
        contents = sorted(m.content for m in store.snapshot(2))
        assert "The Atlas deploy moved to Thursdays." in contents  # from the session
        assert contents.count("Prefers short answers") == 1  # the duplicate bullet is gone
        ops = {c.op for c in store.changes(2)}
        assert "add" in ops and ({"remove", "supersede", "merge"} & ops)
        assert store.pending() == []  # the dream consumed the session it read
    # priced with the same table: opus 4.7 at $5 / $25 / $6.25 cache write / $0.50 cache read per million
    u = dream.usage
    expected = (u["input_tokens"] * 5 + u["output_tokens"] * 25 + u["cache_creation_input_tokens"] * 6.25
                + u["cache_read_input_tokens"] * 0.5) / 1e6
    assert report["cost"]["usd"]["tokens"] == pytest.approx(expected, abs=1e-6)
    assert report["cost"]["tokens"]["cache_read_tokens"] == u["cache_read_input_tokens"]
    bill = json.loads(run(api, store_path, "cost", "--json").stdout)
    assert bill["llm"] == "hosted" and bill["cost"]["usd"]["tokens"] == pytest.approx(expected, abs=1e-6)
    assert "Atlas deploy moved to Thursdays" in run(api, store_path, "diff").stdout
    assert run(api, store_path, "accept").exit_code == 0
    pushed = run_json(api, store_path, "push", "--to", sid)
    assert pushed["sent"] >= 1 and "/dream/from-sessions.md" in api.hosted.files(sid)


def test_a_failed_dream_is_one_line_and_writes_nothing(api, demo, store_path):
    api.hosted.dream_outcome = "failed"
    result = run(api, store_path, "run", "--engine", "hosted", "--poll-interval", "0.01")
    assert result.exit_code == 1 and "failed: internal_error" in result.output and "nothing was written" in result.output
    with Store.open(store_path) as store:
        assert store.candidate() is None and store.head == 1


def test_unsupported_model_and_missing_sessions(api, store_path):
    sid = api.hosted.add_store("empty")
    run_json(api, store_path, "pull", sid)
    result = run(api, store_path, "run", "--engine", "hosted")
    assert result.exit_code == 1 and "no sessions to dream over" in result.output
    session = api.hosted.add_session([{"type": "user.message", "text": "hi"}])
    result = run(api, store_path, "run", "--engine", "hosted", "--session", session, "--dream-model", "claude-haiku-4-5")
    assert result.exit_code == 1 and "is not supported for dreams" in result.output


def _wait_for(api, route, n, proc):
    deadline = time.monotonic() + 60
    while api.hosted.count(route) < n and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize("kill_at", ["create-in-flight", "polling"])
def test_killed_while_submitting_or_polling_never_submits_twice(api, demo, store_path, kill_at):
    api.hosted.dream_polls = 30
    if kill_at == "create-in-flight":
        api.hosted.route_delays["dreams.create"] = 30.0  # the dream exists; the answer never reaches the client
    proc = spawn(api, store_path, "run", "--engine", "hosted", "--poll-interval", "0.02")
    _wait_for(api, "dreams.create" if kill_at == "create-in-flight" else "dreams.retrieve",
              1 if kill_at == "create-in-flight" else 4, proc)
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(api.hosted.dreams) == 1
    api.hosted.route_delays.clear()
    for dream in api.hosted.dreams.values():
        dream.polls_left = 1  # let it finish now
    report = run_json(api, store_path, "run", "--engine", "hosted", "--poll-interval", "0.01")
    assert report["resumed"] and report["status"] == "completed"
    assert api.hosted.count("dreams.create") == 1 and len(api.hosted.dreams) == 1
    assert report["dream_id"] == next(iter(api.hosted.dreams))


def test_compare_runs_both_engines_on_copies_side_by_side(api, demo, store_path, tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"question": "Which day does the Atlas deploy run?", "answer": "Thursdays"}\n'
                     '{"question": "How long should answers be?", "answer": "short"}\n')
    result = run_json(api, store_path, "compare", "--poll-interval", "0.01", "--tasks", str(tasks))
    ours, hosted = result["engines"]
    assert ours["engine"].startswith("dreaming") and hosted["engine"].startswith("hosted Dream")
    assert ours["memories"]["before"] == hosted["memories"]["before"] == 4
    assert hosted["changes"].get("add", 0) >= 1 and hosted["usd"] > 0 and hosted["tokens"] > 0
    assert ours["usd"] == 0  # offline
    assert hosted["completion"]["after"] >= hosted["completion"]["before"]
    assert result["sessions"] == ["sesn_demo"]
    with Store.open(store_path) as store:  # the store itself is untouched
        assert store.head == 1 and store.candidate() is None and len(store.pending()) == 1
    table = run(api, store_path, "compare", "--poll-interval", "0.01").stdout
    assert "merges" in table and "supersedes" in table and "dollars" in table and "hosted Dream" in table
