"""The Claude Code post-session hook: ingest the session that just ended,
and start a dream in the background when the trigger conditions hold.

Claude Code runs ``dreaming hook claude-code`` at ``SessionEnd`` with a JSON
event on stdin (``session_id``, ``transcript_path``, ``cwd``,
``hook_event_name``, ``reason``).  The hook must be quick and must never
fail the user's session, so:

* it ingests only that transcript (and its ``<session>/subagents/`` files),
  which takes well under a second for a normal session;
* a dream, when :mod:`dreaming.unattended.triggers` says one is due, runs as a detached
  ``dreaming run`` process whose output goes to the log beside the store
  (``<store>.log``); the hook does not wait for it;
* every problem - bad input, an unreadable store, anything - is written to
  that log and the hook still exits 0.

Stdin is read with a deadline: some Claude Code versions leave it open.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import subprocess
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dreaming.errors import DreamingError, InputError
from dreaming.ingest import IngestReport, ingest_paths
from dreaming.records import format_time, utcnow
from dreaming.store.core import Store
from dreaming.unattended import launch
from dreaming.unattended.triggers import Trigger, TriggerCheck, check

#: the log is rotated (to ``.1``) when it grows past this
LOG_MAX_BYTES = 5 << 20
#: the hook's JSON input is at most this big
MAX_EVENT_BYTES = 1 << 20


@dataclass(frozen=True, kw_only=True)
class HookConfig:
    """What the hook does after ingesting the session."""

    store: Path
    trigger: Trigger = field(default_factory=Trigger)
    #: start a dream when the trigger holds (False: only ingest)
    dream: bool = True
    #: the background ``dreaming run`` waits this long for another dream's lock
    wait: float = 300.0
    #: passed to ``dreaming run --llm`` (None: its default)
    llm: str | None = None
    #: where the hook and the background dream write (default: beside the store)
    log: Path | None = None
    #: dream the project's Claude Code auto memory (~/.claude/projects/<project>/memory) in place:
    #: it is imported, the dream waits for review, and `dreaming accept` writes it back
    write_back: bool = False

    @property
    def log_path(self) -> Path:
        return self.log or log_path(self.store)


@dataclass(frozen=True, kw_only=True)
class HookResult:
    """What one hook call did."""

    session_id: str | None = None
    transcripts: tuple[Path, ...] = ()
    ingest: IngestReport | None = None
    check: TriggerCheck | None = None
    #: the pid of the dream started in the background
    started: int | None = None
    #: seconds spent ingesting and checking
    seconds: float = 0.0
    #: ... of which this process ran on a CPU (what a busy machine does not inflate)
    cpu_seconds: float = 0.0


def log_path(store: Path) -> Path:
    """``memory_store/memory.db`` -> ``memory_store/memory.db.log``."""
    return store.with_name(store.name + ".log")


def read_event(stream: IO[bytes], *, timeout: float = 2.0) -> dict[str, Any]:
    """The hook's JSON object from ``stream``, read until it parses, the
    stream ends, or ``timeout`` seconds pass.  Raises :class:`InputError`."""
    raw = _read(stream, timeout)
    if not raw.strip():
        raise InputError("no hook input on stdin (expected Claude Code's SessionEnd JSON)")
    try:
        event = json.loads(raw)
    except (ValueError, RecursionError):
        raise InputError(f"the hook input is not JSON: {_preview(raw)}") from None
    if not isinstance(event, dict):
        raise InputError(f"the hook input is JSON but not an object: {_preview(raw)}")
    return event


def _preview(raw: bytes) -> str:
    return repr(raw[:80].decode("utf-8", "replace"))


def _read(stream: IO[bytes], timeout: float) -> bytes:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's BytesIO)
        return stream.read(MAX_EVENT_BYTES + 1)[: MAX_EVENT_BYTES + 1]
    buf = b""
    deadline = time.monotonic() + timeout
    while len(buf) <= MAX_EVENT_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            break  # stdin left open with nothing more to read
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        buf += chunk
        try:
            json.loads(buf)
            break  # a whole document: do not wait for an end of file that may never come
        except (ValueError, RecursionError):
            continue
    if len(buf) > MAX_EVENT_BYTES:
        raise InputError(f"the hook input is larger than {MAX_EVENT_BYTES} bytes")
    return buf


def transcripts_of(event: Mapping[str, Any]) -> tuple[Path, ...]:
    """The session's transcript, and its sub-agents' (``<session>/subagents/``)."""
    raw = event.get("transcript_path")
    if not isinstance(raw, str) or not raw.strip():
        raise InputError("the hook input has no transcript_path (is this a Claude Code SessionEnd hook?)")
    path = Path(raw).expanduser()
    if not path.is_file():
        raise InputError("the transcript does not exist", location=str(path))
    subagents = path.with_suffix("") / "subagents"
    return (path, subagents) if subagents.is_dir() else (path,)


def dream_command(config: HookConfig) -> list[str]:
    """The background ``dreaming run``: over what is ingested (it reads no
    transcripts folder), re-checking the trigger under the store's lock."""
    command = [
        *launch.command(), "--store", str(config.store.resolve()), "run", "--no-ingest", "--quiet",
        "--wait", f"{config.wait:g}", *config.trigger.options(),
    ]
    command += ["--review"] if config.write_back else []
    return command + (["--llm", config.llm] if config.llm else [])


def run_hook(event: Mapping[str, Any], config: HookConfig) -> HookResult:
    """Ingest the event's transcript; start a dream if the trigger holds."""
    started, cpu = time.perf_counter(), time.process_time()
    session_id = event.get("session_id") if isinstance(event.get("session_id"), str) else None
    paths = transcripts_of(event)
    with Store.open(config.store) as store:
        report = ingest_paths(store, paths)
        if config.write_back and isinstance(event.get("cwd"), str):
            from dreaming.store.claude_code import auto_memory_dir
            from dreaming.store.files import start_write_back

            folder = auto_memory_dir(Path(event["cwd"]))
            if folder.is_dir() and store.candidate() is None:
                start_write_back(store, folder)
        verdict = check(store, config.trigger)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    pid = None
    if config.dream and verdict.ready:
        pid = start_detached(dream_command(config), log=config.log_path, cwd=config.store.resolve().parent)
    return HookResult(
        session_id=session_id, transcripts=paths, ingest=report, check=verdict, started=pid, seconds=seconds,
        cpu_seconds=cpu,
    )


def start_detached(command: Sequence[str], *, log: Path, cwd: Path) -> int:
    """Start ``command`` in its own session, output appended to ``log``,
    and return its pid without waiting for it."""
    write_log(log, f"starting a dream: {shlex.join(command)}")
    log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _open_private(log, binary=True) as out:
        child = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
            env=launch.child_environment(), close_fds=True, start_new_session=True,
        )
    return child.pid


def _open_private(log: Path, *, binary: bool = False) -> Any:
    """``log`` opened for appending, created 0600 (it names sessions and stores)."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    return os.fdopen(fd, "ab") if binary else os.fdopen(fd, "a", encoding="utf-8")


def write_log(log: Path, message: str) -> None:
    """Append one timestamped entry to ``log`` (rotated past LOG_MAX_BYTES)."""
    log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if log.stat().st_size > LOG_MAX_BYTES:
            os.replace(log, log.with_name(log.name + ".1"))
    except FileNotFoundError:
        pass
    with _open_private(log) as fh:
        fh.write(f"{format_time(utcnow())} [pid {os.getpid()}] {message.rstrip()}\n")


def describe(result: HookResult) -> str:
    """One log line: what the hook did."""
    parts = [f"session {result.session_id or '?'}"]
    if result.ingest is not None:
        ingest = result.ingest
        parts.append(f"ingested {ingest.turns} new turns from {len(result.transcripts)} path(s) in {result.seconds:.2f} s "
                     f"({result.cpu_seconds:.2f} s of CPU)")
        if ingest.redacted:
            parts.append(f"{ingest.redacted} secrets redacted")
        if ingest.skipped:
            parts.append(f"{ingest.skipped} skipped ({'; '.join(ingest.warnings[:3])})")
    if result.check is not None:
        verb = "dream started" if result.started else ("dream due" if result.check.ready else "no dream")
        parts.append(f"{verb}: {result.check.reason}" + (f" (pid {result.started})" if result.started else ""))
    return "; ".join(parts)


def safely(config: HookConfig, stream: IO[bytes]) -> HookResult | None:
    """The whole hook, never raising: every problem goes to the log."""
    try:
        result = run_hook(read_event(stream), config)
        write_log(config.log_path, describe(result))
        return result
    except DreamingError as err:
        log_quietly(config.log_path, f"hook: {err}")
    except Exception as err:  # whatever it is, the user's session must not fail
        detail = "".join(traceback.format_exception(type(err), err, err.__traceback__))
        log_quietly(config.log_path, f"hook failed: {type(err).__name__}: {err}\n{detail}")
    return None


def log_quietly(log: Path, message: str) -> None:
    """:func:`write_log`, unless even the log cannot be written."""
    with contextlib.suppress(OSError, ValueError):  # not even the log is writable: nothing left to tell
        write_log(log, message)


def settings_snippet(arguments: Sequence[str], *, timeout: int = 30) -> dict[str, Any]:
    """The Claude Code ``settings.json`` fragment that runs ``dreaming
    ARGUMENTS...`` at SessionEnd."""
    env = [f"{k}={v}" for k, v in launch.environment().items()]
    line = shlex.join([*(["env", *env] if env else []), *launch.command(), *arguments])
    return {"hooks": {"SessionEnd": [{"hooks": [{"type": "command", "command": line, "timeout": timeout}]}]}}

