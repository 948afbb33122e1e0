"""The dream lock: one holder at a time, across real processes; stale locks
(dead pid, reused pid, old heartbeat) taken over; a taken-over holder's
version write is refused."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from dreaming.errors import StoreError
from dreaming.records import Changeset, Memory, utcnow
from dreaming.store.core import LockHolder, Store
from dreaming.unattended.lock import LockConfig, LockHeld, acquire, dream_lock, is_stale, process_start

from .conftest import REPO

FAST = LockConfig(heartbeat=0.05, stale_after=30, poll=0.01)

CONTENDER = """
import json, os, sys, time
from dreaming.unattended.lock import LockConfig, LockHeld, acquire
store, go, hold, wait = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
open(f"{go}.ready-{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
try:
    lock = acquire(store, wait=wait, config=LockConfig(heartbeat=0.05, stale_after=30, poll=0.01))
except LockHeld as err:
    print(json.dumps({"won": False, "error": str(err), "holder": err.holder.pid}))
else:
    start = time.time()
    print(json.dumps({"won": True, "start": start}), flush=True)
    if hold.startswith("until:"):  # hold until the test says so (a file appears), 120 s at most
        deadline = time.monotonic() + 120
        while not os.path.exists(hold[len("until:"):]) and time.monotonic() < deadline:
            time.sleep(0.01)
    else:
        time.sleep(float(hold))
    end = time.time()
    lock.release()
    print(json.dumps({"won": True, "start": start, "end": end}))
"""


def _holder(**fields) -> LockHolder:
    now = utcnow()
    base = dict(token="lock_planted", pid=4242, host="elsewhere", started_at=now, heartbeat_at=now)
    return LockHolder(**{**base, **fields})


def _plant(store_path: Path, holder: LockHolder) -> None:
    with Store.open(store_path) as store:
        assert store.try_lock(holder, stale=lambda h: True) is None


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _contender(store_path: Path, go: Path, *, hold: float | str, wait: float, **kwargs) -> subprocess.Popen:
    """A child ``python -c CONTENDER`` (run from the repository, so it imports this checkout); ``hold`` is
    seconds, or ``until:PATH`` to hold the lock until PATH exists."""
    return subprocess.Popen([sys.executable, "-c", CONTENDER, str(store_path), str(go), str(hold), str(wait)],
                            cwd=REPO, stdout=subprocess.PIPE, text=True, **kwargs)


def _wait_for(condition, *, what: str, timeout: float = 60) -> None:
    """Poll ``condition`` until it holds; a generous deadline, for a machine that is busy."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not after {timeout:.0f} s"
        time.sleep(0.01)


def _contenders(tmp_path: Path, store_path: Path, n: int, *, hold: float | str, wait: float,
                release: Path | None = None) -> list[dict]:
    """``n`` contenders let go at once (each has started and reached the barrier first).  With ``release``,
    the winner holds the lock until every loser has given up, then the test lets it go."""
    Store.open(store_path).close()  # (the race under test is the lock's, not the store's creation)
    go = tmp_path / "go"
    procs = [_contender(store_path, go, hold=hold, wait=wait, stderr=subprocess.PIPE) for _ in range(n)]
    _wait_for(lambda: len(list(tmp_path.glob("go.ready-*"))) == n or any(p.poll() is not None for p in procs),
              what="contenders starting")
    go.touch()
    if release is not None:
        _wait_for(lambda: sum(p.poll() is not None for p in procs) >= n - 1, what="losers giving up")
        release.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append({**json.loads(out.strip().splitlines()[-1]), "pid": p.pid})
    return results


def test_one_winner_among_simultaneous_processes_taking_over_a_stale_lock(tmp_path, store_path):
    _plant(store_path, _holder(pid=_dead_pid(), host=socket.gethostname()))
    release = tmp_path / "release"
    # the winner holds the lock until every loser has tried (however slow the machine) and given up
    results = _contenders(tmp_path, store_path, 6, hold=f"until:{release}", wait=0, release=release)
    winners = [r for r in results if r["won"]]
    assert len(winners) == 1
    for loser in (r for r in results if not r["won"]):
        assert loser["holder"] == winners[0]["pid"]
        assert f"pid {winners[0]['pid']}" in loser["error"] and "--wait" in loser["error"]
    with Store.open(store_path) as store:
        assert store.lock_holder() is None  # the winner released it


def test_waiting_processes_take_turns_without_overlap(tmp_path, store_path):
    results = _contenders(tmp_path, store_path, 4, hold=0.2, wait=30)
    assert all(r["won"] for r in results)
    spans = sorted((r["start"], r["end"]) for r in results)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end


def test_a_killed_holder_is_taken_over_at_once(tmp_path, store_path):
    (tmp_path / "go").touch()
    child = _contender(store_path, tmp_path / "go", hold=600, wait=0)
    assert json.loads(child.stdout.readline())["won"]
    with pytest.raises(LockHeld, match=f"pid {child.pid} "):
        acquire(store_path, config=FAST)
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    with acquire(store_path, config=FAST) as lock, Store.open(store_path) as store:
        assert store.lock_holder().pid == os.getpid() == lock.holder.pid


def test_live_holder_elsewhere_is_named_and_waited_for(store_path):
    began = time.monotonic()
    planted = _holder(heartbeat_at=utcnow() - timedelta(seconds=3))
    _plant(store_path, planted)
    started = time.monotonic()
    with pytest.raises(LockHeld) as caught:
        acquire(store_path, wait=0.3, config=FAST)
    ended = time.monotonic()
    assert ended - started >= 0.3
    message = str(caught.value)
    assert "pid 4242 on host elsewhere since" in message
    assert "after waiting 0.3 s" in message and "--wait" in message
    # the heartbeat's age when the error was written: 3 s, plus the wait, plus however long a busy machine took
    age = int(re.search(r"last heartbeat (\d+) s ago", message).group(1))
    assert 3 <= age <= round(3 + (ended - began)), message


def test_old_heartbeat_is_stale_on_any_host(store_path):
    _plant(store_path, _holder(heartbeat_at=utcnow() - timedelta(seconds=31)))
    with acquire(store_path, config=FAST) as lock:
        assert lock.holder.pid == os.getpid()


@pytest.mark.skipif(process_start(os.getpid()) is None, reason="no /proc here: process start times are unknown")
def test_a_reused_pid_is_not_the_holder():
    me = os.getpid()
    now = utcnow()
    holder = _holder(pid=me, host="h", proc_start=process_start(me))
    assert not is_stale(holder, now=now, config=FAST, host="h")
    assert is_stale(_holder(pid=me, host="h", proc_start="1"), now=now, config=FAST, host="h")
    assert is_stale(_holder(pid=_dead_pid(), host="h"), now=now, config=FAST, host="h")
    assert not is_stale(_holder(pid=_dead_pid(), host="other"), now=now, config=FAST, host="h")


def test_heartbeat_advances_and_release_frees(store_path):
    with acquire(store_path, config=FAST) as lock:
        with Store.open(store_path) as store:
            first = store.lock_holder().heartbeat_at
            time.sleep(0.3)
            assert store.lock_holder().heartbeat_at > first
        assert not lock.lost.is_set()
    with Store.open(store_path) as store:
        assert store.lock_holder() is None


def test_a_taken_over_dream_writes_nothing(store_path):
    with Store.open(store_path) as store, dream_lock(store, config=FAST) as lock:
        with Store.open(store_path) as other:
            assert other.try_lock(_holder(token="lock_thief"), stale=lambda h: True) is None
        assert lock.lost.wait(2)
        with pytest.raises(StoreError, match="lost the store's dream lock.*pid 4242 on elsewhere"):
            store.write_version(Changeset(upserts=(Memory(id="mem_1", content="x"),), origin="dream"))
        assert store.head == 0
    with Store.open(store_path) as store:
        assert store.lock_holder().token == "lock_thief"  # releasing a lost lock leaves the thief's alone


def test_fenced_write_goes_through_while_held(store_path):
    with Store.open(store_path) as store, dream_lock(store, config=FAST):
        version = store.write_version(Changeset(upserts=(Memory(id="mem_1", content="x"),), origin="dream"))
        assert version is not None and store.head == version.number
        assert store.fence is not None
    assert store.fence is None


def test_processes_creating_one_store_at_once_all_open_it(tmp_path):
    """A session hook and a scheduled dream may create a fresh store at the
    same moment: every one of them opens the same store."""
    target = tmp_path / "fresh" / "memory.db"
    code = (
        "import sys\nfrom dreaming.store.core import Store\n"
        "with Store.open(sys.argv[1]) as s:\n"
        "    print(s.db.conn.execute(\"SELECT value FROM meta WHERE key = 'store_id'\").fetchone()[0])\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(target)], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in outs]
    assert len({out.strip() for out, _ in outs}) == 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["memory.db"]


def test_runs_left_running_by_a_dead_process_are_marked_failed(store_path):
    from dreaming.records import Run

    with Store.open(store_path) as store:
        store.save_run(Run(id="run_dead", started_at=utcnow(), status="running"))
        with dream_lock(store, config=FAST):
            pass
        (run,) = store.runs()
        assert run.status == "failed" and run.error.startswith("interrupted") and run.finished_at is not None
