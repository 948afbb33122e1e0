#!/usr/bin/env python3
"""Build scenario folders from their hand-written ``script.txt``.

    python3 evals/scenarios/build.py                 # every scenario under evals/scenarios/
    python3 evals/scenarios/build.py PATH...         # the given scenario folders

A scenario folder holds ``script.txt`` (what a person wrote, in a compact
form), ``store.jsonl`` (the memory store before the dream, in dreaming's JSONL
import format) and ``truth.json`` (what a careful reviewer expects after it).
This script writes ``sessions/<session-id>.jsonl``: the script's sessions as
real Claude Code session logs (the schema of
``../shared/data/claude_code_transcripts/README.md``), so the eval reads them
exactly as it would read ``~/.claude/projects/...``.

The script format, line by line::

    # a comment
    ## session 2026-03-02T09:14:00Z cwd=/home/sam/src/shop
    user: i switched from pycharm to neovim last week
    assistant: Noted.
    tool Edit {"file_path": "/home/sam/src/shop/CLAUDE.md", "old_string": "a", "new_string": "b"}
    result: The file /home/sam/src/shop/CLAUDE.md has been updated successfully.
    result!: Exit code 1 ...          (a failed tool call: is_error true)
    +5m                               (advance the clock: +30s, +5m, +2h)

Every line advances the clock by 20 seconds; ``tool`` lines belong to the
preceding assistant message; each ``result`` answers the earliest unanswered
``tool`` (first in, first out, as parallel tool calls are answered).  ``cwd=`` defaults to the previous session's.  Text after
``user:``/``assistant:``/``result:`` may continue on following lines that
start with two spaces.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
_SESSION = re.compile(r"^## session (\S+)(.*)$")
_STEP = re.compile(r"^\+(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ScriptError(Exception):
    pass


def _uid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]))


def _stamp(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse(script: str, where: str) -> list[dict]:
    """The script as sessions: {start, cwd, lines: [(kind, payload, lineno)]}."""
    sessions: list[dict] = []
    cwd = "/home/user/project"
    last: tuple[str, list[str], int] | None = None
    for lineno, raw in enumerate(script.splitlines(), 1):
        if raw.startswith("  ") and last is not None and last[0] in ("user", "assistant", "result", "result!"):
            last[1].append(raw[2:])
            continue
        line = raw.rstrip()
        if not line or (line.startswith("#") and not line.startswith("## session")):
            continue
        m = _SESSION.match(line)
        if m:
            opts = dict(kv.split("=", 1) for kv in m.group(2).split() if "=" in kv)
            cwd = opts.get("cwd", cwd)
            try:
                start = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
            except ValueError:
                raise ScriptError(f"{where}:{lineno}: bad session time {m.group(1)!r}") from None
            if start.tzinfo is None:
                start = start.replace(tzinfo=timezone.utc)
            sessions.append({"start": start, "cwd": cwd, "lines": []})
            last = None
            continue
        if not sessions:
            raise ScriptError(f"{where}:{lineno}: text before the first '## session' line")
        if _STEP.match(line):
            sessions[-1]["lines"].append(("step", line, lineno))
            last = None
            continue
        if line.startswith("tool "):
            name, _, payload = line[5:].partition(" ")
            try:
                args = json.loads(payload) if payload.strip() else {}
            except json.JSONDecodeError as err:
                raise ScriptError(f"{where}:{lineno}: tool input is not JSON: {err}") from None
            sessions[-1]["lines"].append(("tool", (name, args), lineno))
            last = None
            continue
        kind, sep, text = line.partition(":")
        if not sep or kind not in ("user", "assistant", "result", "result!"):
            raise ScriptError(f"{where}:{lineno}: expected user:, assistant:, tool, result:, result!: or +5m")
        last = (kind, [text.strip()], lineno)
        sessions[-1]["lines"].append(last)
    return sessions


def render(session: dict, name: str, index: int) -> tuple[str, list[dict]]:
    """One session as Claude Code records."""
    sid = _uid(name, "session", str(index))
    t = session["start"]
    records: list[dict] = []
    parent: str | None = None
    pending_tools: list[str] = []
    msg_n = 0
    current_msg: str | None = None
    base = {
        "isSidechain": False,
        "userType": "external",
        "cwd": session["cwd"],
        "sessionId": sid,
        "version": "2.1.40",
        "gitBranch": "main",
    }

    def add(record: dict) -> None:
        nonlocal parent
        rid = _uid(name, str(index), str(len(records)))
        records.append({**base, "parentUuid": parent, **record, "uuid": rid, "timestamp": _stamp(t)})
        parent = rid

    def assistant_block(block: dict, new_message: bool) -> None:
        nonlocal msg_n, current_msg
        if new_message or current_msg is None:
            msg_n += 1
            current_msg = f"msg_{_uid(name, str(index), 'm', str(msg_n)).replace('-', '')[:24]}"
        add(
            {
                "type": "assistant",
                "requestId": "req_" + current_msg[4:],
                "message": {
                    "model": "claude-sonnet-4-6",
                    "id": current_msg,
                    "type": "message",
                    "role": "assistant",
                    "content": [block],
                    "stop_reason": None,
                    "usage": {"input_tokens": 10, "output_tokens": 30,
                              "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
                },
            }
        )

    prev = None
    for kind, payload, lineno in session["lines"]:
        if kind == "step":
            m = _STEP.match(payload)
            assert m
            t += timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
            continue
        t += timedelta(seconds=20)
        if kind == "user":
            add({"type": "user", "message": {"role": "user", "content": "\n".join(payload)}})
            current_msg = None
        elif kind == "assistant":
            assistant_block({"type": "text", "text": "\n".join(payload)}, new_message=True)
        elif kind == "tool":
            tool_name, args = payload
            tid = "toolu_" + _uid(name, str(index), "t", str(lineno)).replace("-", "")[:24]
            pending_tools.append(tid)
            block = {"type": "tool_use", "id": tid, "name": tool_name, "input": args}
            assistant_block(block, new_message=prev not in ("assistant", "tool"))
        else:
            if not pending_tools:
                raise ScriptError(f"{name}:{lineno}: a result with no tool call before it")
            tid = pending_tools.pop(0)
            block = {"type": "tool_result", "tool_use_id": tid, "content": "\n".join(payload)}
            if kind == "result!":
                block["is_error"] = True
            add({"type": "user", "message": {"role": "user", "content": [block]}})
            current_msg = None
        prev = kind
    return sid, records


def build(folder: Path) -> list[Path]:
    script = folder / "script.txt"
    sessions = parse(script.read_text(encoding="utf-8"), str(script))
    out = folder / "sessions"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.jsonl"):
        old.unlink()
    written = []
    for i, session in enumerate(sessions):
        sid, records = render(session, folder.name, i)
        path = out / f"{sid}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or sorted(p.parent for p in HERE.glob("*/*/script.txt"))
    for folder in folders:
        try:
            paths = build(folder)
        except ScriptError as err:
            print(f"Error: {err}", file=sys.stderr)
            return 1
        print(f"{folder}: {len(paths)} sessions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
