"""`dreaming run` for schedulers: trigger conditions (say why, exit 0,
write no version), the lock (--wait, the holder named), and the hook's
background dream finishing on its own."""

from __future__ import annotations

import json
import os
import re
import time
from datetime import timedelta

from click.testing import CliRunner

from dreaming import Store, import_file
from dreaming.cli import cli
from dreaming.records import Session, Turn, utcnow
from dreaming.store.core import LockHolder, SourceState
from dreaming.unattended.hook import log_path

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "dream"
TRANSCRIPTS = FIXTURE / "transcripts"  # two sessions


def _run(store_path, *args: str, code: int = 0):
    result = CliRunner().invoke(cli, ["--store", str(store_path), "run", "--transcripts", str(TRANSCRIPTS), *args])
    assert result.exit_code == code, result.output
    return result


def _seed(store_path) -> None:
    with Store.open(store_path) as store:
        import_file(store, FIXTURE / "memories.jsonl")


def test_too_few_sessions_says_why_and_writes_no_version(store_path):
    _seed(store_path)
    result = _run(store_path, "--min-sessions", "3")
    assert result.stdout == "Not dreaming: 2 sessions pending; waiting for 3 (--min-sessions).\n"
    with Store.open(store_path) as store:
        assert store.head == 1 and store.pending_count()[0] == 2  # ingested (to count them), not dreamed
    as_json = json.loads(_run(store_path, "--min-sessions", "3", "--json").stdout)
    assert as_json["status"] == "skipped" and as_json["pending_sessions"] == 2 and not as_json["ready"]
    dreamed = json.loads(_run(store_path, "--min-sessions", "2", "--json").stdout)
    assert dreamed["status"] == "completed" and dreamed["version"] == 2 and dreamed["ingest"]["files"] == 0


def test_min_interval_counts_from_the_last_dream(store_path):
    _seed(store_path)
    _run(store_path)  # a dream: version 2
    with Store.open(store_path) as store:
        store.record_ingest(SourceState(path="/x.jsonl", format="chat-jsonl", size=1, mtime=0, sha256="x"), [
            Turn(id="t1", session_id="later", seq=1, role="user", text="I moved to Lisbon."),
            Session(id="later", source="x.jsonl", format="chat-jsonl", started_at=utcnow(), ended_at=utcnow()),
        ])
    result = _run(store_path, "--min-interval", "6h")
    assert re.fullmatch(r"Not dreaming: the last dream \(version 2\) ran \d+s ago; the next may run in (5h59m\d+s|6h) "
                        r"\(--min-interval 6h\)\.\n", result.stdout), result.stdout
    time.sleep(1.1)
    assert json.loads(_run(store_path, "--min-interval", "1s", "--json").stdout)["version"] == 3


def test_a_held_lock_is_named_and_waited_for(store_path):
    _seed(store_path)
    now = utcnow()
    with Store.open(store_path) as store:
        store.try_lock(LockHolder(token="lock_other", pid=4242, host="night-box", started_at=now - timedelta(minutes=5),
                                  heartbeat_at=now, command="dreaming run"), stale=lambda h: True)
    began = time.monotonic()
    result = _run(store_path, "--wait", "0.5", code=1)
    assert time.monotonic() - began >= 0.5
    assert result.output.count("\n") == 1
    assert re.search(r"another dream holds the store's lock after waiting 0.5 s: pid 4242 \(dreaming run\) on host "
                     r"night-box since .* UTC, last heartbeat \d s ago; wait longer with --wait SECONDS", result.output)
    with Store.open(store_path) as store:
        assert store.head == 1 and store.release_lock("lock_other")
    assert json.loads(_run(store_path, "--json").stdout)["version"] == 2
    with Store.open(store_path) as store:
        assert store.lock_holder() is None  # released after the dream


def test_the_hook_dream_runs_to_the_end_in_the_background(store_path):
    _seed(store_path)
    event = json.dumps({"session_id": "s", "transcript_path": str(TRANSCRIPTS / "session-a.jsonl")})
    result = CliRunner().invoke(cli, ["--store", str(store_path), "hook", "claude-code", "--llm", "off"], input=event)
    assert result.exit_code == 0 and result.stdout == ""
    pid = int(re.search(r"\(pid (\d+)\)", log_path(store_path).read_text()).group(1))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, log_path(store_path).read_text()
    with Store.open(store_path) as store:
        assert store.head == 2 and store.last_dream().number == 2 and store.pending_count() == (0, 0)
    assert "completed, wrote version 2 (accepted)" in log_path(store_path).read_text()
