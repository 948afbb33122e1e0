"""Transcript ingest benchmark: the real 2.7 MB Claude Code session, and a
synthetic Claude Code JSONL of 1 GB (streamed: peak memory stays flat).

    python -m benchmarks.ingest [--quick] [--size-mb 1000] [--keep DIR]

Targets (2-core machine): the real session (``marot_spotter/ae4a77f8-...``,
from ../shared/data or $DREAMING_SHARED_DATA) ingested in under 1 s (also
measured without secret redaction, to show what redaction costs); the 1 GB
file with peak RSS under 300 MB.  ``--quick`` uses ~100 MB.  Each synthetic run happens in a child
process so its peak RSS is its own.

The synthetic session is shaped like the real one: per exchange a prompt, an
assistant message split over three records (thinking, text, tool_use), three
hook progress records, a ~2 KB tool result and a reply; every 40 exchanges the
user rewinds, leaving an abandoned branch that must not be ingested.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import peak_rss_mb, report, timed

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DREAMING_SHARED_DATA", REPO.parent / "shared" / "data"))
REAL_SESSION = SHARED_DATA / "claude_code_transcripts" / "marot_spotter" / "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl"
SESSION_ID = "bench000-0000-4000-8000-000000000000"
WORDS = (
    "the deploy failed because staging runs postgres 16 now so migrations need a new lock timeout and the "
    "billing worker retries invoices nightly while the api caches tokens for ten minutes user prefers tabs"
).split()


def _time(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


class _Writer:
    """Writes Claude Code records with fresh uuids and rising timestamps."""

    def __init__(self, handle: Any, rng: random.Random) -> None:
        self.handle = handle
        self.rng = rng
        self.n = 0
        self.ms = 1_767_225_600_000  # 2026-01-01
        self.bytes = 0
        self.sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))) for _ in range(500)]

    def text(self, chars: int) -> str:
        out = []
        size = 0
        while size < chars:
            s = self.rng.choice(self.sentences)
            out.append(s)
            size += len(s) + 1
        return " ".join(out)

    def record(self, kind: str, parent: str | None, **fields: Any) -> str:
        self.n += 1
        self.ms += self.rng.randint(50, 3000)
        uuid = f"{self.n:08x}-0000-4000-8000-{self.n:012x}"
        rec = {
            "parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/home/dev/billing",
            "sessionId": SESSION_ID, "version": "2.1.39", "gitBranch": "main", "slug": "bench-session",
            "type": kind, **fields, "uuid": uuid, "timestamp": _time(self.ms),
        }
        line = json.dumps(rec) + "\n"
        self.handle.write(line)
        self.bytes += len(line)
        return uuid

    def user(self, parent: str | None, content: Any) -> str:
        return self.record("user", parent, message={"role": "user", "content": content})

    def assistant(self, parent: str, msg: str, block: dict[str, Any]) -> str:
        message = {
            "model": "claude-opus-4-6", "id": msg, "type": "message", "role": "assistant", "content": [block],
            "stop_reason": None, "usage": {"input_tokens": 3, "output_tokens": 120, "cache_read_input_tokens": 42000},
        }
        return self.record("assistant", parent, message=message, requestId=f"req_{msg}")

    def exchange(self, parent: str | None, i: int) -> str:
        """One prompt, a tool call and a reply: three turns."""
        prompt = self.user(parent, self.text(200))
        a1 = self.assistant(prompt, f"msg_{i}a", {"type": "thinking", "thinking": self.text(600), "signature": "x" * 200})
        a2 = self.assistant(a1, f"msg_{i}a", {"type": "text", "text": self.text(300)})
        tool_id = f"toolu_{i:012d}"
        a3 = self.assistant(a2, f"msg_{i}a", {"type": "tool_use", "id": tool_id, "name": "Bash",
                                               "input": {"command": "pytest -q tests/", "description": "Run tests"}})
        hook = a3
        for _ in range(3):
            hook = self.record("progress", hook, data={"type": "hook_progress", "hookEvent": "PostToolUse",
                                                      "hookName": "PostToolUse:Bash", "command": "./hooks/lint.sh"},
                               toolUseID=tool_id, parentToolUseID=tool_id)
        result = self.user(a3, [{"tool_use_id": tool_id, "type": "tool_result", "content": self.text(2000),
                                 "is_error": i % 7 == 0}])
        return self.assistant(result, f"msg_{i}b", {"type": "text", "text": self.text(500)})


def write_synthetic(path: Path, target_bytes: int, seed: int = 7) -> int:
    """Write a Claude Code session of about ``target_bytes``; returns the
    number of turns on its live branch."""
    rng = random.Random(seed)
    with path.open("w") as handle:
        out = _Writer(handle, rng)
        tip: str | None = None
        turns = i = 0
        while out.bytes < target_bytes:
            if i and i % 40 == 0:  # a rewind: this branch is abandoned, the next exchange forks from tip
                abandoned = out.user(tip, "Please do it the other way: " + out.text(100))
                out.assistant(abandoned, f"msg_{i}x", {"type": "text", "text": out.text(300)})
            tip = out.exchange(tip, i)
            turns += 3
            i += 1
    return turns


def child(mode: str, path: str, store_path: str) -> None:
    """Run one measurement in this (fresh) process and print it as JSON."""
    from dreaming.ingest import IngestConfig, ReadOptions, ingest_paths, read_transcript
    from dreaming.records import Turn
    from dreaming.store.core import Store

    with timed() as t:
        if mode == "read":
            turns = sum(isinstance(item, Turn) for item in read_transcript(path, options=ReadOptions()))
        else:
            with Store.open(store_path) as store:
                turns = ingest_paths(store, [path], config=IngestConfig(max_bytes=1 << 40)).turns
    print(json.dumps({"seconds": t["seconds"], "turns": turns, "peak_rss_mb": peak_rss_mb()}))


_COLD_REDACTOR = (
    "import json, time, dreaming.records; t = time.perf_counter(); from dreaming.text.redact import find; find('x = 1' * 4); "
    "print(json.dumps(time.perf_counter() - t))"
)


def _run_child(mode: str, path: Path, store_path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.ingest", "--child", mode, str(path), str(store_path)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1000, help="synthetic file size (default 1000 = 1 GB)")
    parser.add_argument("--quick", action="store_true", help="a ~100 MB synthetic file")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "STORE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    size_mb = 100 if args.quick else args.size_mb
    rows: list[tuple[Any, ...]] = []
    data: dict[str, Any] = {"synthetic_mb": size_mb}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        if REAL_SESSION.is_file():
            from dreaming.ingest import IngestConfig, ingest_paths
            from dreaming.store.core import Store

            runs: dict[bool, list[float]] = {True: [], False: []}
            turns = 0
            for k in range(2 * (3 if args.quick else 7)):
                redact = k % 2 == 1  # the first (cold) run is without redaction: it pays no import
                with Store.open(tmpdir / f"real{k}.db") as store, timed() as t:
                    turns = ingest_paths(store, [REAL_SESSION], config=IngestConfig(redact=redact)).turns
                runs[redact].append(t["seconds"])
            best, plain = min(runs[True]), min(runs[False])
            rows.append(("real session, 2.7 MB (best)", f"{turns:,}", best, f"{turns / best:,.0f}", "-",
                         f"{1 / best:.1f}x under 1 s"))
            rows.append(("  ... without secret redaction", f"{turns:,}", plain, f"{turns / plain:,.0f}", "-",
                         f"redaction costs {best / plain:.2f}x"))
            cold = json.loads(subprocess.run(
                [sys.executable, "-c", _COLD_REDACTOR], cwd=REPO, capture_output=True, text=True, check=True,
            ).stdout)
            rows.append(("  redactor start-up (import detect-secrets)", "-", cold, "-", "-", "once per process"))
            data["real"] = {
                "seconds": runs[True], "seconds_without_redaction": runs[False], "redaction_ratio": best / plain,
                "redactor_startup_seconds": cold, "turns": turns, "bytes": REAL_SESSION.stat().st_size,
            }
        else:
            print(f"skipping the real session: {REAL_SESSION} not found", file=sys.stderr)
        path = tmpdir / "synthetic.jsonl"
        with timed() as t:
            expected = write_synthetic(path, size_mb * 1_000_000)
        size = path.stat().st_size
        print(f"wrote {size / 1e6:,.0f} MB in {t['seconds']:.1f} s ({expected:,} live turns)", file=sys.stderr)
        for mode, label in (("read", "read only"), ("ingest", "ingest into a store")):
            result = _run_child(mode, path, tmpdir / "synthetic.db")
            if result["turns"] != expected:
                raise SystemExit(f"{mode}: {result['turns']} turns, expected {expected}")
            rows.append((
                f"synthetic {size / 1e6:,.0f} MB: {label}", f"{result['turns']:,}", result["seconds"],
                f"{result['turns'] / result['seconds']:,.0f}", f"{result['peak_rss_mb']:,.0f}",
                f"{300 / result['peak_rss_mb']:.1f}x under 300 MB",
            ))
            data[f"synthetic_{mode}"] = {**result, "bytes": size, "mb_per_s": size / 1e6 / result["seconds"]}
    report(
        "ingest",
        "Transcript ingest",
        ["case", "turns", "seconds", "turns/s", "peak RSS MB", "headroom vs target"],
        rows,
        data,
    )


if __name__ == "__main__":
    main()
