"""`dreaming pull` / `push` against the fake Managed Agents API, through the real SDK."""

from __future__ import annotations

import pytest

from dreaming.records import Changeset, Memory, sha256_text
from dreaming.store.core import Store
from dreaming.testing.fake_server import FakeAnthropicServer, Fault

from .hosted_support import run, run_json


@pytest.fixture
def api():
    with FakeAnthropicServer() as fake:
        yield fake


@pytest.fixture
def agent_store(api):
    sid = api.hosted.add_store("support agent")
    api.hosted.add_memory(sid, "/user/preferences.md", "- Prefers short answers\n- Uses tabs over spaces\n")
    api.hosted.add_memory(sid, "/projects/atlas.md", "# Atlas\n\nThe deploy runs on Fridays.\n")
    return sid


def test_pull_makes_a_version_keeping_path_id_and_hash(api, agent_store, store_path):
    report = run_json(api, store_path, "pull", agent_store)
    assert (report["files"], report["changed"], report["added"], report["version"]) == (2, 2, 3, 1)
    with Store.open(store_path) as store:
        mems = {m.content: m for m in store.snapshot()}
        assert store.version(1).origin == "pull"
    tabs = mems["Uses tabs over spaces"]
    assert tabs.path == "/user/preferences.md"
    hosted = tabs.metadata["hosted"]
    assert hosted["store_id"] == agent_store and hosted["memory_id"].startswith("mem_")
    assert hosted["content_sha256"] == sha256_text("- Prefers short answers\n- Uses tabs over spaces\n")
    assert mems["The deploy runs on Fridays."].path == "/projects/atlas.md"


def test_pull_again_reads_only_what_changed_and_retires_deleted(api, agent_store, store_path):
    run_json(api, store_path, "pull", agent_store)
    assert run_json(api, store_path, "pull", agent_store)["version"] is None  # nothing changed
    before = api.hosted.count("memories.retrieve")
    api.hosted.agent_write(agent_store, "/user/preferences.md", "- Prefers short answers\n- Uses spaces now\n")
    api.hosted.agent_delete(agent_store, "/projects/atlas.md")
    report = run_json(api, store_path, "pull", agent_store)
    assert api.hosted.count("memories.retrieve") - before == 1  # only the changed file was read
    assert (report["changed"], report["deleted"], report["added"], report["retired"]) == (1, 1, 1, 2)
    with Store.open(store_path) as store:
        assert sorted(m.content for m in store.snapshot()) == ["Prefers short answers", "Uses spaces now"]


def test_push_after_pull_sends_nothing_and_a_local_change_is_one_update(api, agent_store, store_path, tmp_path):
    run_json(api, store_path, "pull", agent_store)
    plan = run_json(api, store_path, "push", "--to", agent_store, "--dry-run")
    assert plan["plan"]["ops"] == [] and plan["plan"]["conflicts"] == []
    notes = tmp_path / "more.jsonl"
    notes.write_text('{"content": "Answers in French", "path": "/user/preferences.md"}\n')
    assert run(api, store_path, "import", str(notes)).exit_code == 0
    writes = api.hosted.count("memories.update")
    report = run_json(api, store_path, "push", "--to", agent_store)
    assert report["sent"] == 1 and api.hosted.count("memories.update") == writes + 1
    text = api.hosted.files(agent_store)["/user/preferences.md"]
    assert "- Answers in French" in text and "- Uses tabs over spaces" in text
    assert run_json(api, store_path, "push", "--to", agent_store)["sent"] == 0  # idempotent


def test_push_stops_on_an_unseen_hosted_change_and_sends_nothing(api, agent_store, store_path, tmp_path):
    run_json(api, store_path, "pull", agent_store)
    notes = tmp_path / "more.jsonl"
    notes.write_text('{"content": "Answers in French", "path": "/user/preferences.md"}\n'
                     '{"content": "New fact", "path": "/new.md"}\n')
    run(api, store_path, "import", str(notes))
    api.hosted.agent_write(agent_store, "/user/preferences.md", "- The agent wrote this\n")
    writes = [api.hosted.count(r) for r in ("memories.create", "memories.update", "memories.delete")]
    result = run(api, store_path, "push", "--to", agent_store)
    assert result.exit_code == 1
    assert "/user/preferences.md (changed in the hosted store since the last pull)" in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert [api.hosted.count(r) for r in ("memories.create", "memories.update", "memories.delete")] == writes
    assert api.hosted.files(agent_store)["/user/preferences.md"] == "- The agent wrote this\n"


def test_new_store_holds_the_version_and_later_pushes_update_it(api, agent_store, store_path):
    run_json(api, store_path, "pull", agent_store)
    report = run_json(api, store_path, "push", "--new-store", "reviewed copy")
    new_id = report["store_id"]
    assert new_id != agent_store and report["created_store"]
    assert api.hosted.files(new_id) == api.hosted.files(agent_store)  # unchanged memories keep their bytes
    assert run_json(api, store_path, "push", "--to", new_id)["sent"] == 0


def test_a_big_path_is_split_and_a_huge_memory_refused_before_sending(api, store_path, tmp_path):
    sid = api.hosted.add_store("empty")
    run_json(api, store_path, "pull", sid)
    rows = [f'{{"content": "fact {i}: {"x" * 2000}", "path": "/big.md"}}' for i in range(80)]
    (tmp_path / "big.jsonl").write_text("\n".join(rows) + "\n")
    run(api, store_path, "import", str(tmp_path / "big.jsonl"))
    report = run_json(api, store_path, "push", "--to", sid)
    files = api.hosted.files(sid)
    assert sorted(files) == ["/big-part2.md", "/big.md"]
    assert all(len(t.encode()) <= 102_400 for t in files.values())
    assert sum(t.count("\n- ") + 1 for t in files.values()) == 80
    assert any("split into 2 files" in n for n in report["plan"]["notes"])
    with Store.open(store_path) as store:  # imports refuse it; a store may still hold one (an old store, a merge)
        store.write_version(Changeset(upserts=(Memory(id="mem_huge", content="y" * 103_000, path="/huge.md"),),
                                      message="huge"))
    creates = api.hosted.count("memories.create")
    result = run(api, store_path, "push", "--to", sid)
    assert result.exit_code == 1 and "above the hosted limit of 102,400 bytes" in result.output
    assert api.hosted.count("memories.create") == creates and "/huge.md" not in api.hosted.files(sid)


def test_unknown_store_revoked_key_and_500_mid_page(api, agent_store, store_path):
    result = run(api, store_path, "pull", "memstore_nope")
    assert result.exit_code == 1 and "not found (404)" in result.output and result.output.count("\n") == 1
    api.hosted.revoked_keys.add("sk-revoked")
    result = run(api, store_path, "pull", agent_store, ANTHROPIC_API_KEY="sk-revoked")
    assert result.exit_code == 1 and "refused the key (401)" in result.output
    for i in range(150):
        api.hosted.add_memory(agent_store, f"/many/{i:03}.md", f"- fact {i}")
    api.hosted.fail("memories.list", Fault(status=500), after=1, times=10)  # the second page fails, again and again
    result = run(api, store_path, "pull", agent_store)
    assert result.exit_code == 1 and "Anthropic API error (500)" in result.output and "gave up after 5 attempts" in result.output
    with Store.open(store_path) as store:
        assert store.head == 0  # nothing half-written locally


def test_429_is_retried_after_retry_after(api, agent_store, store_path):
    api.hosted.fail("memories.list", Fault(status=429, retry_after=0.01), times=2)
    assert run_json(api, store_path, "pull", agent_store)["added"] == 3
    assert api.hosted.count("memories.list") == 3


def test_a_path_the_api_refuses_mid_push_is_rolled_back(api, store_path, tmp_path):
    sid = api.hosted.add_store("strict")
    api.hosted.add_memory(sid, "/a.md", "- alpha\n")
    run_json(api, store_path, "pull", sid)
    (tmp_path / "m.jsonl").write_text('{"content": "beta", "path": "/a.md"}\n{"content": "secret", "path": "/zz/blocked.md"}\n')
    run(api, store_path, "import", str(tmp_path / "m.jsonl"))
    api.hosted.refuse_paths.add("blocked")
    result = run(api, store_path, "push", "--to", sid)
    assert result.exit_code == 1 and "refused by the hosted API" in result.output and "put back the 1 write" in result.output
    assert api.hosted.files(sid) == {"/a.md": "- alpha\n"}  # the update to /a.md was undone
    api.hosted.refuse_paths.clear()
    assert run_json(api, store_path, "push", "--to", sid)["sent"] == 2  # and a later push still works


def test_a_path_the_api_would_refuse_is_refused_before_sending(api, store_path, tmp_path):
    sid = api.hosted.add_store("x")
    run_json(api, store_path, "pull", sid)
    deep = "/" + "/".join(f"d{i}" for i in range(21)) + ".md"  # fine locally; the hosted API allows 20 segments
    (tmp_path / "m.jsonl").write_text(f'{{"content": "beta", "path": "{deep}"}}\n')
    assert run(api, store_path, "import", str(tmp_path / "m.jsonl")).exit_code == 0
    result = run(api, store_path, "push", "--to", sid)
    assert result.exit_code == 1 and "has 21 segments" in result.output and "nothing was sent" in result.output
    assert api.hosted.count("memories.create") == 0


def test_the_pace_spaces_requests(api, agent_store):
    from dreaming.llm.hosted import HostedClient, HostedConfig

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with HostedClient(api_key="k", base_url=api.base_url, config=HostedConfig(requests_per_minute=30),
                      sleep=sleep, clock=lambda: now[0]) as client:
        for _ in range(3):
            client.store(agent_store)
    assert slept == [2.0, 2.0]  # 30 a minute: one every 2 seconds
