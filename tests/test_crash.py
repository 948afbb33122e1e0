"""Crash safety, proved by killing: a child ``python -m dreaming run`` is
SIGKILLed at random points - during start-up, ingest, every dream stage, and
inside the version write - and after each kill the store must be intact:

* ``PRAGMA integrity_check`` is ok;
* every version that existed before reads exactly as before;
* no turn is marked consumed by a version that does not exist;
* a new dream (taking over the dead child's lock) completes and gives exactly
  what an uninterrupted run gives.

The suite starts ``DREAMING_CRASH_KILLS`` children (default 12, about 12 s
on two cores) plus a third as many ``--llm batch`` children killed while
they poll the (fake) Batches API; ``DREAMING_CRASH_KILLS=64 pytest -s
tests/test_crash.py`` is the full proof (at least 50 real kills plus 21
during batch polling; a child that finished before its kill point is not
counted).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dreaming import DreamConfig, Store, dream, import_file
from dreaming.records import Memory
from dreaming.unattended import launch
from dreaming.unattended.lock import dream_lock

from .conftest import REPO

KILLS = int(os.environ.get("DREAMING_CRASH_KILLS", "12"))
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _write_sessions(folder: Path, first: int, count: int, statements: int) -> None:
    """Chat sessions whose user turns each state a distinct fact (one new memory each)."""
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(first, first + count):
        lines = []
        for t in range(statements):
            at = T0 + timedelta(days=s, minutes=2 * t)
            text = f"We upgraded the svc{s}x{t} database to PostgreSQL {14 + t % 3} yesterday."
            lines.append(json.dumps({"session_id": f"s{s:03d}", "role": "user", "content": text,
                                     "timestamp": at.isoformat()}))
            lines.append(json.dumps({"session_id": f"s{s:03d}", "role": "assistant", "content": "Noted.",
                                     "timestamp": (at + timedelta(minutes=1)).isoformat()}))
        (folder / f"s{s:03d}.jsonl").write_text("\n".join(lines) + "\n")


@dataclass(frozen=True)
class World:
    base: Path
    inbox: Path
    #: every version of the base store, as it reads before any kill
    versions: dict[int, list[Memory]]
    #: HEAD after an uninterrupted run, and how long that run's dream took
    expected: list[Memory]
    expected_versions: int
    dream_seconds: float


def _run_args(store: Path, inbox: Path) -> list[str]:
    return [*launch.command(), "--store", str(store), "run", "--transcripts", str(inbox), "--llm", "off", "--quiet"]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("crash")
    _write_sessions(root / "old", 0, 6, 10)
    _write_sessions(root / "inbox", 100, 24, 12)
    base = root / "base.db"
    with Store.open(base) as store:
        import_file(store, REPO / "tests" / "fixtures" / "dream" / "memories.jsonl")
        dream(store, DreamConfig(transcripts=(root / "old",), llm="off"))
        versions = {v.number: store.snapshot(v.number) for v in store.versions()}
    assert sorted(versions) == [1, 2]
    reference = root / "reference.db"
    shutil.copy(base, reference)
    done = subprocess.run([*_run_args(reference, root / "inbox"), "--json"], capture_output=True, text=True,
                          env=launch.child_environment(), cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["version"] == 3 and report["counts"]["added"] >= 280
    with Store.open(reference) as store:
        expected, count = store.snapshot(), len(store.versions())
    return World(base=base, inbox=root / "inbox", versions=versions, expected=expected, expected_versions=count,
                 dream_seconds=sum(report["timings"].values()))


def _poll(store: Path, sql: str, child: subprocess.Popen, *, busy_probe: bool = False) -> bool:
    """Wait until ``sql`` returns a row (or, with ``busy_probe``, until the
    child holds the write lock); False if the child ended first."""
    conn = sqlite3.connect(str(store), timeout=0)
    try:
        while child.poll() is None:
            try:
                if busy_probe:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("ROLLBACK")
                elif conn.execute(sql).fetchone():
                    return True
            except sqlite3.OperationalError as err:
                if busy_probe and "locked" in str(err):
                    return True
                if "no such table" not in str(err) and "locked" not in str(err):
                    raise
            time.sleep(0.0005)
        return False
    finally:
        conn.close()


def _where(store: Path, inbox_files: int) -> str:
    """Where the kill landed, read from what the store holds afterwards."""
    with Store.open(store) as s:
        conn = s.db.conn
        runs = conn.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        ingested = conn.execute("SELECT count(*) FROM sources").fetchone()[0] - 6
        locked = s.lock_holder() is not None
        head = s.head
    if head == 3:
        return "after the version commit" if runs and runs[0] == "running" else "after the run finished"
    if runs and runs[0] == "running":
        return "in a dream stage"
    if ingested == 0:
        return "holding the lock, before a file was stored" if locked else "during start-up"
    return "during ingest" if ingested < inbox_files else "between ingest and the dream"


def _check_intact(store: Path, world: World) -> None:
    with Store.open(store) as s:
        conn = s.db.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for number, memories in world.versions.items():
            assert s.snapshot(number) == memories, f"version {number} changed"
        orphans = conn.execute(
            "SELECT count(*) FROM turns WHERE consumed_by IS NOT NULL AND consumed_by NOT IN "
            "(SELECT number FROM versions WHERE status != 'rejected')"
        ).fetchone()[0]
        assert orphans == 0, "turns consumed by no version"
        assert s.head in (2, 3) and [v.number for v in s.versions()] == list(range(1, s.head + 1))


def _rerun(store: Path, world: World) -> None:
    """A new dream takes over the dead child's lock and finishes the job."""
    with Store.open(store) as s:
        with dream_lock(s):
            dream(s, DreamConfig(transcripts=(world.inbox,), llm="off"))
        assert s.snapshot() == world.expected
        assert len(s.versions()) == world.expected_versions and s.pending_count() == (0, 0)
        assert s.lock_holder() is None
        assert [r.status for r in s.runs() if r.status == "running"] == []  # the killed run is marked failed


def test_sigkill_at_random_points_leaves_the_store_intact(world, tmp_path):
    rng = random.Random(8)
    inbox_files = len(list(world.inbox.iterdir()))
    landed: Counter[str] = Counter()
    probed_writes = 0
    started = time.monotonic()
    for i in range(KILLS):
        store = tmp_path / f"kill{i}.db"
        shutil.copy(world.base, store)
        mode = ("write", "start-up", "dream", "dream", "dream")[i % 5]
        child = subprocess.Popen(_run_args(store, world.inbox), env=launch.child_environment(), cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if mode == "start-up":
                time.sleep(rng.uniform(0.0, 0.4))
            elif mode == "dream":  # from the moment the child holds the store's dream lock
                if _poll(store, "SELECT 1 FROM dream_lock", child):
                    time.sleep(rng.uniform(0.0, world.dream_seconds))
            elif _poll(store, "SELECT 1 FROM runs WHERE status = 'running'", child):
                probed_writes += _poll(store, "", child, busy_probe=True)
            killed = child.poll() is None
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait()
        landed[_where(store, inbox_files) if killed else "(finished before the kill)"] += 1
        _check_intact(store, world)
        _rerun(store, world)
    seconds = time.monotonic() - started
    kills = KILLS - landed["(finished before the kill)"]
    print(f"\n{kills} kills ({KILLS} runs) in {seconds:.1f} s; {probed_writes} inside a write transaction after "
          f"the run began; landed: {dict(landed)}")
    if KILLS >= 10:  # the kills reached the dream itself, not only start-up
        assert kills >= KILLS * 0.6 and landed["in a dream stage"] >= 1 and probed_writes >= 1


# --- kills while a batch is being polled -----------------------------------------

BATCH_KILLS = max(3, KILLS // 3)


def test_sigkill_while_polling_a_batch_leaves_the_store_intact(world, tmp_path):
    """``--llm batch`` against the fake server, whose batches stay in progress
    for many polls: each child is killed after its first poll, while it waits.
    The store is intact, and a new batch dream gives what an uninterrupted one does."""
    from dreaming.testing import responders as fake_claude
    from dreaming.testing.fake_server import FakeAnthropicServer

    def batch_args(store: Path) -> list[str]:
        return [*launch.command(), "--store", str(store), "run", "--transcripts", str(world.inbox), "--llm", "batch",
                "--poll-interval", "0.02", "--quiet", "--json"]

    with FakeAnthropicServer(responder=fake_claude.respond, batch_polls=60) as server:
        env = {**launch.child_environment(), "ANTHROPIC_API_KEY": "test", "ANTHROPIC_BASE_URL": server.base_url}
        reference = tmp_path / "reference.db"
        shutil.copy(world.base, reference)
        server.batch_polls = 2
        done = subprocess.run(batch_args(reference), capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=180)
        assert done.returncode == 0, done.stderr
        with Store.open(reference) as s:
            expected = s.snapshot()
        server.batch_polls = 60
        killed_while_polling = 0
        for i in range(BATCH_KILLS):
            store = tmp_path / f"batch{i}.db"
            shutil.copy(world.base, store)
            polls_before = len(server.calls("batches.retrieve"))
            child = subprocess.Popen(batch_args(store), env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 60
                while child.poll() is None and time.monotonic() < deadline:
                    if len(server.calls("batches.retrieve")) > polls_before:
                        break
                    time.sleep(0.005)
                time.sleep(0.01 * i)
                killed_while_polling += child.poll() is None
                child.send_signal(signal.SIGKILL)
            finally:
                child.wait()
            _check_intact(store, world)
            with Store.open(store) as s:
                assert s.head == 2  # a dream killed while polling never wrote its version
            server.batch_polls = 2
            for batch in server.batches.values():  # the rerun collects the killed run's batch (issue 16, item 9)
                batch.polls_left = min(batch.polls_left, 2)
            rerun = subprocess.run(batch_args(store), capture_output=True, text=True, env=env, cwd=tmp_path,
                                   timeout=180)
            server.batch_polls = 60
            assert rerun.returncode == 0, rerun.stderr
            with Store.open(store) as s:
                assert s.snapshot() == expected and s.pending_count() == (0, 0)
    assert killed_while_polling == BATCH_KILLS
