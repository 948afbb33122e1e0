"""SIGKILL during `dreaming push` at random points: the rerun completes and nothing is sent twice."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter

import pytest

from dreaming.testing.fake_server import FakeAnthropicServer

from .hosted_support import run, run_json, spawn


@pytest.fixture
def api():
    with FakeAnthropicServer() as fake:
        yield fake


def _created_paths(api, store_id):
    return Counter(v["path"] for v in api.hosted.stores[store_id].versions if v["operation"] == "created")


def _kill_after(api, proc, route, writes):
    deadline = time.monotonic() + 30
    while api.hosted.count(route) < writes and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("seed", [7])
def test_push_killed_mid_way_resumes_without_sending_twice(api, store_path, tmp_path, seed):
    rng = random.Random(seed)
    sid = api.hosted.add_store("crash")
    for i in range(10):
        api.hosted.add_memory(sid, f"/old/{i}.md", f"- old fact {i}\n")
    run_json(api, store_path, "pull", sid)
    rows = [f'{{"content": "new fact {i}", "path": "/new/{i}.md"}}' for i in range(30)]
    rows += [f'{{"content": "more about {i}", "path": "/old/{i}.md"}}' for i in range(10)]
    (tmp_path / "m.jsonl").write_text("\n".join(rows) + "\n")
    assert run(api, store_path, "import", str(tmp_path / "m.jsonl")).exit_code == 0
    api.hosted.delay = 0.01
    for attempt in range(2):  # killed twice, at random points
        proc = spawn(api, store_path, "push", "--to", sid)
        _kill_after(api, proc, "memories.update" if attempt == 0 else "memories.create", rng.randint(1, 8))
    api.hosted.delay = 0.0
    report = run_json(api, store_path, "push", "--to", sid)
    assert report["resumed"]
    files = api.hosted.files(sid)
    assert sorted(files) == sorted([f"/new/{i}.md" for i in range(30)] + [f"/old/{i}.md" for i in range(10)])
    assert all("- more about" in files[f"/old/{i}.md"] for i in range(10))
    assert set(_created_paths(api, sid).values()) == {1}  # each path created exactly once
    modified = Counter(v["path"] for v in api.hosted.stores[sid].versions if v["operation"] == "modified")
    assert set(modified.values()) == {1}  # each update sent once
    assert run_json(api, store_path, "push", "--to", sid)["sent"] == 0


def test_new_store_push_killed_creates_one_store(api, store_path, tmp_path):
    rows = [f'{{"content": "fact {i}", "path": "/f/{i}.md"}}' for i in range(25)]
    (tmp_path / "m.jsonl").write_text("\n".join(rows) + "\n")
    run(api, store_path, "import", str(tmp_path / "m.jsonl"))
    api.hosted.delay = 0.01
    proc = spawn(api, store_path, "push", "--new-store", "copy")
    _kill_after(api, proc, "memories.create", 5)
    api.hosted.delay = 0.0
    report = run_json(api, store_path, "push", "--new-store", "copy")
    copies = [s for s in api.hosted.stores.values() if s.name == "copy"]
    assert len(copies) == 1 and copies[0].id == report["store_id"]
    assert len(api.hosted.files(report["store_id"])) == 25
    assert set(_created_paths(api, report["store_id"]).values()) == {1}
