"""Writers that meet (issue 16, items 3 and 9): every command that writes a
version is serialised with dreams, a version computed from an older tip is
refused, and a Message Batch survives the death of the process waiting on it
(its id is in the run row; a rerun collects it instead of paying twice),
with the store's lock let go while the batch is processed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dreaming.cli import cli
from dreaming.errors import StaleParent
from dreaming.llm.runtime import ClaudeConfig
from dreaming.pipeline.run import DreamConfig, dream
from dreaming.records import Changeset, Memory
from dreaming.store.core import Store
from dreaming.store.files import import_file
from dreaming.testing import responders as fake_claude
from dreaming.testing.fake_server import FakeAnthropicServer
from dreaming.unattended.lock import LockConfig, acquire

REPO = Path(__file__).resolve().parent.parent
FAST = LockConfig(heartbeat=0.05, stale_after=30, poll=0.02)


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    said = [("user", "I prefer dark mode in every editor."), ("assistant", "Noted."),
            ("user", "Our staging database is PostgreSQL 16.")]
    rows = [{"session_id": "s1", "role": role, "content": text, "timestamp": f"2026-11-23T08:0{i}:00Z"}
            for i, (role, text) in enumerate(said)]
    (inbox / "s1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return inbox


def _memories(tmp_path: Path, *texts: str, name: str = "m.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps({"content": t}) + "\n" for t in texts))
    return path


# --- item 3 ----------------------------------------------------------------------------


def test_a_version_computed_from_an_older_tip_is_refused(tmp_path, store_path):
    with Store.open(store_path) as store:
        store.write_version(Changeset(upserts=(Memory(id="m1", content="Dana likes tea."),)))
        parent = store.head
        import_file(store, _memories(tmp_path, "The deploy runs on Fridays."))  # a writer that got there first
        stale = Changeset(upserts=(Memory(id="m2", content="x"),), origin="dream", expected_parent=parent)
        with pytest.raises(StaleParent, match="HEAD moved from version 1 to 2 while this dream ran.*nothing was written"):
            store.write_version(stale)
        assert store.head == 2 and {m.content for m in store.snapshot()} == {"Dana likes tea.", "The deploy runs on Fridays."}
        assert store.write_version(Changeset(upserts=(Memory(id="m2", content="x"),), expected_parent=2)).number == 3


@pytest.mark.parametrize("args", [["import", "{file}"], ["rollback", "1"], ["accept"], ["reject"]])
def test_version_writing_commands_wait_for_the_dream_lock(tmp_path, store_path, args):
    with Store.open(store_path) as store:
        import_file(store, _memories(tmp_path, "Dana likes tea."))
        import_file(store, _memories(tmp_path, "Ada likes coffee.", name="n.jsonl"))
        if args[0] in ("accept", "reject"):
            store.write_version(Changeset(upserts=(Memory(id="c", content="Io is a cat."),), status="candidate"))
    argv = [a.replace("{file}", str(_memories(tmp_path, "Bo likes jazz.", name="o.jsonl"))) for a in args]
    lock = acquire(store_path, config=FAST, command="dreaming run")
    try:
        refused = CliRunner().invoke(cli, ["--store", str(store_path), *argv])
        assert refused.exit_code == 1 and "another dream holds the store's lock" in refused.output
        assert "dreaming run" in refused.output and "--wait" in refused.output
        with Store.open(store_path) as store:
            before = [(v.number, v.status) for v in store.versions()]
        threading.Timer(0.3, lock.release).start()
        waited = CliRunner().invoke(cli, ["--store", str(store_path), *argv, "--wait", "20"])
        assert waited.exit_code == 0, waited.output
    finally:
        lock.release()
    with Store.open(store_path) as store:
        assert [(v.number, v.status) for v in store.versions()] != before


# --- item 9 ----------------------------------------------------------------------------


def _run_row_batches(store_path: Path) -> dict[str, dict[str, str]]:
    conn = sqlite3.connect(store_path, timeout=30)
    try:
        return {rid: json.loads(b) for rid, b in conn.execute("SELECT id, batches FROM runs")}
    except sqlite3.OperationalError:  # the store is still being created
        return {}
    finally:
        conn.close()


def test_a_killed_batch_dream_is_resumed_not_paid_twice(tmp_path, store_path):
    inbox = _inbox(tmp_path)
    Store.open(store_path).close()
    with FakeAnthropicServer(responder=fake_claude.respond, batch_polls=10**9) as server:
        env = {**os.environ, "ANTHROPIC_API_KEY": "test", "ANTHROPIC_BASE_URL": server.base_url,
               "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "dreaming", "--store", str(store_path), "run", "--transcripts", str(inbox),
                   "--llm", "batch", "--poll-interval", "0.05", "--json", "-q"]
        first = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not any(_run_row_batches(store_path).values()):  # the batch id is in the run row before any poll
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.05)
        ((killed_run, recorded),) = [(r, b) for r, b in _run_row_batches(store_path).items() if b]
        time.sleep(0.3)  # let it poll a few times
        first.send_signal(signal.SIGKILL)
        first.wait()
        (batch_id,) = recorded.values()
        assert len(server.calls("batches.create")) == 1
        for batch in server.batches.values():
            batch.polls_left = 0  # the API finishes the batch while nobody is waiting
        server.batch_polls = 0
        rerun = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        report = json.loads(rerun.stdout)
        assert report["status"] == "completed" and report["version"] is not None
        rows = _run_row_batches(store_path)
        assert batch_id not in rows[report["run_id"]].values()  # not sent again ...
        collected = [c.path for c in server.calls("batches.results")]
        assert any(batch_id in p for p in collected)  # ... but collected
        # one create for the killed run's batch, one for each later stage the rerun sent
        assert len(server.calls("batches.create")) == 1 + len(rows[report["run_id"]])
        with Store.open(store_path) as store:
            assert store.run(killed_run).status == "failed"


def test_the_lock_is_let_go_while_a_batch_waits_and_head_is_checked_again(tmp_path, store_path):
    """While the batch is processed another command can write; the dream then
    refuses to write over it (its parent is no longer the tip)."""
    inbox = _inbox(tmp_path)
    from dreaming.unattended.lock import dream_lock

    seen: list[str] = []
    with FakeAnthropicServer(responder=fake_claude.respond, batch_polls=1) as server, Store.open(store_path) as store:
        import_file(store, _memories(tmp_path, "Dana likes tea."))
        env = {"ANTHROPIC_API_KEY": "test", "ANTHROPIC_BASE_URL": server.base_url}
        config = DreamConfig(transcripts=(inbox,), llm="batch", claude=ClaudeConfig(poll_interval=0.01))
        with dream_lock(store, config=FAST) as lock:
            from contextlib import contextmanager

            @contextmanager
            def waiting():
                with lock.paused():
                    with Store.open(store_path) as other:
                        seen.append("free" if other.lock_holder() is None else "held")
                        if len(seen) == 1:  # an import lands while the first batch is processed
                            import_file(other, _memories(tmp_path, "Bo likes jazz.", name="late.jsonl"))
                    yield

            with pytest.raises(StaleParent, match="HEAD moved from version 1 to 2"):
                dream(store, config, env=env, while_waiting=waiting)
            assert store.lock_holder() is not None and store.lock_holder().token == lock.token
        assert seen and set(seen) == {"free"}
        assert store.head == 2 and "Bo likes jazz." in {m.content for m in store.snapshot()}
