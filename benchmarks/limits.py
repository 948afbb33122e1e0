"""Bounded memory on any single input (issue 16, item 8): peak RSS of a
``dreaming`` process given one large or hostile file, each in a child
process so its peak is its own.

    python -m benchmarks.limits [--mb 300]

Cases: ``ingest`` auto-detecting a single-line JSON object of ``--mb`` MB
(was 3.1 GB RSS at 1 GB), a Messages JSON object of ``--mb`` MB (was 2.0 GB
at 200 MB), a Messages JSON array of ``--mb`` MB (streamed), a JSONL file
whose one line is ``--mb`` MB, and ``import`` of a JSONL with a 50 MB memory
(was imported as is) and of a ``--mb`` MB single-line JSONL.  Target: every
peak under 512 MB, and a refusal is one line with a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import report

REPO = Path(__file__).resolve().parent.parent
LIMIT_MB = 512


def _write_repeated(path: Path, head: bytes, unit: bytes, tail: bytes, size: int) -> None:
    with path.open("wb") as fh:
        fh.write(head)
        written = len(head)
        block = unit * max(1, (1 << 20) // len(unit))
        while written + len(block) + len(tail) < size:
            fh.write(block)
            written += len(block)
        fh.write(tail)


def _measure(args: list[str], cwd: Path) -> tuple[float, int, str, float]:
    """Peak RSS (MB) of a child running ``python -m dreaming ARGS``, its exit code, last stderr line, seconds."""
    code = (
        "import resource, runpy, sys\n"
        "sys.argv = ['dreaming'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('dreaming', run_name='__main__')\n"
        "finally:\n"
        "    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    seconds = time.perf_counter() - started
    lines = done.stderr.strip().splitlines()
    peak = next((int(line.split()[1]) / 1024 for line in reversed(lines) if line.startswith("PEAK ")), float("nan"))
    said = next((line for line in reversed(lines) if not line.startswith("PEAK ")), "")
    return peak, done.returncode, said[:110], seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=300, help="size of the big inputs in MB (default 300)")
    args = parser.parse_args(argv)
    size = args.mb << 20
    rows = []
    data = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = root / "memory.db"
        message = json.dumps({"role": "user", "content": "I prefer dark mode in every editor. " * 20}).encode()
        cases = {
            "ingest: one JSON object on one line": (
                "object.json", b'{"messages": [', message + b",", message + b"]}", ["ingest"]),
            "ingest: Messages JSON object": (
                "messages.json", b'{\n "messages": [\n', message + b",\n", message + b"\n ]\n}\n", ["ingest"]),
            "ingest: Messages JSON array (streamed)": (
                "array.json", b"[\n", message + b",\n", message + b"\n]\n", ["ingest"]),
            "ingest: JSONL with one huge line": (
                "line.jsonl", b'{"session_id": "s", "role": "user", "content": "', b"a" * 1024, b'"}\n', ["ingest"]),
            "import: JSONL, one line of --mb": (
                "import.jsonl", b'{"content": "', b"b" * 1024, b'"}\n', ["import"]),
        }
        for name, (file, head, unit, tail, verb) in cases.items():
            path = root / file
            _write_repeated(path, head, unit, tail, size)
            peak, rc, said, seconds = _measure(["--store", str(store), *verb, str(path)], root)
            rows.append((name, f"{path.stat().st_size / (1 << 20):,.0f} MB", f"{peak:,.0f}", rc, seconds, said or "-"))
            data.append({"case": name, "bytes": path.stat().st_size, "peak_rss_mb": peak, "exit": rc, "said": said})
            path.unlink()
        memory = root / "big-memory.jsonl"
        memory.write_text(json.dumps({"content": "c" * (50 << 20)}) + "\n")
        peak, rc, said, seconds = _measure(["--store", str(store), "import", str(memory)], root)
        rows.append(("import: one 50 MB memory", "50 MB", f"{peak:,.0f}", rc, seconds, said or "-"))
        data.append({"case": "import: one 50 MB memory", "bytes": memory.stat().st_size, "peak_rss_mb": peak,
                     "exit": rc, "said": said})
    worst = max(d["peak_rss_mb"] for d in data)
    report("limits", f"Peak RSS per single input (limit {LIMIT_MB} MB; worst {worst:,.0f} MB)",
           ["case", "input", "peak RSS MB", "exit", "seconds", "what it said"], rows,
           {"limit_mb": LIMIT_MB, "cases": data, "worst_mb": worst,
            "parent_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    if worst >= LIMIT_MB:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
