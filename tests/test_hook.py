"""`dreaming hook claude-code`: ingests the session that ended, starts a
detached dream when the trigger holds, is quick, and never fails the
session (exit 0, problems in the log beside the store)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dreaming.cli import cli
from dreaming.errors import InputError
from dreaming.store.core import Store
from dreaming.unattended import launch
from dreaming.unattended.hook import HookConfig, dream_command, log_path, read_event, start_detached
from dreaming.unattended.triggers import Trigger

from .conftest import REPO

PROJECT = Path(__file__).parent / "fixtures" / "transcripts" / "claude-code" / "-home-ada-proj"
SESSION = PROJECT / "sess-main.jsonl"
REAL = Path("claude_code_transcripts") / "marot_spotter" / "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl"


def _event(path: Path | str | None = SESSION, **extra) -> str:
    return json.dumps({"session_id": "sess-main", "transcript_path": None if path is None else str(path),
                       "cwd": "/home/ada/proj", "hook_event_name": "SessionEnd", "reason": "prompt_input_exit", **extra})


def _hook(store_path: Path, stdin: str | bytes, *args: str):
    result = CliRunner().invoke(cli, ["--store", str(store_path), "hook", "claude-code", *args], input=stdin)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return result


def _log(store_path: Path) -> str:
    return log_path(store_path).read_text()


def test_ingests_the_session_and_its_subagents(store_path):
    _hook(store_path, _event(), "--min-sessions", "2")
    log = _log(store_path)
    assert re.search(r"session sess-main; ingested \d+ new turns from 2 path\(s\) in [\d.]+ s \([\d.]+ s of CPU\); "
                     r"no dream: 1 session pending; waiting for 2 \(--min-sessions\)\n$", log)
    with Store.open(store_path) as store:
        turns = store.turns("sess-main")
        assert turns and any(t.agent_id for t in turns)  # the sub-agent's turns came too
        assert store.head == 0


def test_a_due_dream_is_started_detached(store_path):
    _hook(store_path, _event(), "--min-sessions", "1", "--min-interval", "6h", "--wait", "5")
    log = _log(store_path)
    started = re.search(r"dream started: 1 session pending \(pid (\d+)\)", log)
    assert started, log
    expected = dream_command(HookConfig(store=store_path, trigger=Trigger(min_interval=timedelta(hours=6)), wait=5))
    assert expected[-6:] == ["--wait", "5", "--min-sessions", "1", "--min-interval", "6h"]
    assert f"starting a dream: {shlex.join(expected)}\n" in log
    os.waitpid(int(started.group(1)), 0)  # (in a real hook the child outlives us; here we reap it)


def test_no_dream_flag_only_ingests(store_path):
    _hook(store_path, _event(), "--no-dream")
    assert "dream due: 1 session pending" in _log(store_path) and "starting" not in _log(store_path)


def test_start_detached_returns_at_once_and_logs_the_output(tmp_path):
    log = tmp_path / "memory.db.log"
    began = time.monotonic()
    pid = start_detached([sys.executable, "-c", "import time; time.sleep(1); print('dreamed')"], log=log, cwd=tmp_path)
    assert time.monotonic() - began < 0.5
    assert os.getsid(pid) == pid  # its own session: closing the terminal does not stop it
    os.waitpid(pid, 0)
    assert log.read_text().splitlines()[-1] == "dreamed"


def test_the_dream_command_runs_this_dreaming(tmp_path):
    command = dream_command(HookConfig(store=tmp_path / "m.db", trigger=Trigger(min_sessions=2), llm="off"))
    assert command[:3] == launch.command()
    assert command[3:] == ["--store", str((tmp_path / "m.db").resolve()), "run", "--no-ingest", "--quiet",
                           "--wait", "300", "--min-sessions", "2", "--llm", "off"]
    out = subprocess.run([*launch.command(), "--version"], env=launch.child_environment(), cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("dreaming")  # importable from anywhere


@pytest.mark.parametrize("stdin, message", [
    ("", "no hook input on stdin"),
    ("{not json", "the hook input is not JSON"),
    ("[1, 2]", "the hook input is JSON but not an object: '[1, 2]'"),
    (_event(None), "the hook input has no transcript_path"),
    (_event("/nowhere/x.jsonl"), "/nowhere/x.jsonl: the transcript does not exist"),
])
def test_bad_input_is_logged_and_exits_0(store_path, stdin, message):
    _hook(store_path, stdin)
    log = _log(store_path)
    assert f"hook: {message}" in log and log.count("\n") == 1


def test_a_broken_store_is_logged_and_exits_0(tmp_path):
    store = tmp_path / "not-a-store.db"
    store.write_text("this is not sqlite\n" * 100)
    _hook(store, _event())
    assert "hook: " in _log(store) and "not a dreaming store" in _log(store)


def test_even_an_unwritable_log_exits_0(tmp_path):
    (tmp_path / "file").write_text("a file, not a directory")
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "m.db"), "hook", "claude-code",
                                      "--log", str(tmp_path / "file" / "log")], input="{oops")
    assert result.exit_code == 0 and result.output == ""


def test_a_bad_option_value_is_logged_not_raised(store_path):
    _hook(store_path, _event(), "--min-interval", "soon")
    assert "hook: not a duration: 'soon'" in _log(store_path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200) | st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["session_id", "transcript_path", "cwd", "hook_event_name", "x"]), inner, max_size=4),
    max_leaves=8,
).map(lambda v: json.dumps(v).encode()))
def test_any_input_exits_0(tmp_path, data):
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "m.db"), "hook", "claude-code"], input=data)
    assert result.exit_code == 0 and result.stdout == ""


def test_stdin_left_open_is_not_waited_for():
    """Claude Code may not close the hook's stdin: a whole JSON document is enough."""
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, _event().encode())
        began = time.monotonic()
        with os.fdopen(read_fd, "rb", buffering=0) as stream:
            assert read_event(stream, timeout=5)["session_id"] == "sess-main"
        assert time.monotonic() - began < 1
    finally:
        os.close(write_fd)


def test_silent_open_stdin_times_out():
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as stream, pytest.raises(InputError, match="no hook input"):
            read_event(stream, timeout=0.2)
    finally:
        os.close(write_fd)


def test_print_config_is_the_settings_snippet(store_path):
    result = CliRunner().invoke(cli, ["--store", str(store_path), "hook", "claude-code", "--print-config",
                                      "--min-sessions", "3", "--min-interval", "6h"])
    assert result.exit_code == 0
    snippet = json.loads(result.stdout)
    (entry,) = snippet["hooks"]["SessionEnd"]
    (hook,) = entry["hooks"]
    assert hook["type"] == "command" and hook["timeout"] == 30
    words = shlex.split(hook["command"])
    env = [f"{k}={v}" for k, v in launch.environment().items()]
    assert words == [*(["env", *env] if env else []), *launch.command(), "--store", str(store_path.resolve()),
                     "hook", "claude-code", "--min-sessions", "3", "--min-interval", "6h"]
    assert "settings.json" in result.stderr
    assert not store_path.exists()


@pytest.mark.integration
def test_real_session_as_a_process_under_a_second(shared_data, tmp_path):
    """The hook as Claude Code runs it, on the real 2.7 MB session: the
    ingest (what the hook adds to the session's end) takes under a second of
    CPU (the process's own time: a busy machine makes the wall clock longer,
    not the work), and the whole process ends well inside the 30 s Claude
    Code gives a hook."""
    store = tmp_path / "memory.db"
    event = _event(shared_data / REAL)
    env = {**launch.child_environment(), "DREAMING_STORE": str(store)}
    began = time.monotonic()
    done = subprocess.run([*launch.command(), "hook", "claude-code", "--no-dream"], input=event, text=True, env=env,
                          cwd=REPO, capture_output=True, timeout=60)
    wall = time.monotonic() - began
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    seconds, cpu = map(float, re.search(r"in ([\d.]+) s \(([\d.]+) s of CPU\)", log_path(store).read_text()).groups())
    assert cpu < 1.0, f"ingest took {cpu:.2f} s of CPU ({seconds:.2f} s, process {wall:.2f} s)"
    assert wall < 30, f"the hook process took {wall:.1f} s"
