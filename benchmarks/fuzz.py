"""Fuzzing at scale: the transcript readers' and memory importers' fuzz
tests run with 10,000+ generated and mutated inputs each (the test suite
runs a modest number), in one pytest child process (the store-backed
tests run a third or a quarter as many).  The inputs include lone UTF-16
surrogates, lines past the readers' limit and memory paths that try to
climb out of an export folder.

    python -m benchmarks.fuzz [--examples 10000] [--quick]

Target: every test reaches the example count with no failure (a failure is
an exception other than a one-line InputError, or a malformed result).  The
table shows, per test, the examples run and how the inputs ended (Hypothesis
events: refused with InputError, read with or without counted skips).
``--quick`` runs 1,000 per test.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .common import report

REPO = Path(__file__).resolve().parent.parent
TESTS = ["tests/test_transcripts_fuzz.py", "tests/test_memory_files_fuzz.py"]
_BLOCK = re.compile(r"^(tests/\S+::\S+):\n(.*?)(?=^tests/\S+::|\Z)", re.M | re.S)


def parse_statistics(output: str) -> list[dict[str, Any]]:
    """Per test: examples passing/failing/invalid, seconds, and events (share of examples)."""
    out = []
    for name, body in _BLOCK.findall(output):
        counts = re.search(r"(\d+) passing, (\d+) failing, and (\d+) invalid", body)
        seconds = sum(float(s) for s in re.findall(r"during \w+ phase \(([\d.]+) seconds\)", body))
        events = {
            text.strip(): float(share) for share, text in re.findall(r"\* ([\d.]+)%, (.+)", body)
            if not text.startswith(("Draw for", "Retried draw", "Aborted test"))
        }
        if counts:
            passing, failing, invalid = map(int, counts.groups())
            out.append({"test": name.split("::")[-1], "file": name.split("::")[0], "passing": passing,
                        "failing": failing, "invalid": invalid, "seconds": seconds, "events": events})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10_000, help="examples per fuzz test (default 10,000)")
    parser.add_argument("--quick", action="store_true", help="1,000 examples per test")
    args = parser.parse_args(argv)
    examples = 1_000 if args.quick else args.examples
    env = {**os.environ, "DREAMING_FUZZ_EXAMPLES": str(examples)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics", *TESTS],
        cwd=REPO, env=env, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    stats = parse_statistics(done.stdout)
    if done.returncode != 0 or not stats:
        print(done.stdout[-4000:], done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"the fuzz tests failed (pytest exit {done.returncode})")
    rows = []
    for s in stats:
        top = "; ".join(f"{text} {share:.0f}%" for text, share in sorted(s["events"].items(), key=lambda e: -e[1])[:3])
        rows.append(
            (
                s["test"].removeprefix("test_"),
                f"{s['passing']:,}",
                s["failing"],
                s["seconds"],
                f"{s['passing'] / examples:.2f}x",
                top or "-",
            )
        )
    total = sum(s["passing"] + s["failing"] for s in stats)
    failing = sum(s["failing"] for s in stats)
    report(
        "fuzz",
        f"Fuzzing: {examples:,} examples per test, {total:,} inputs in all, {failing} failing, {seconds:.0f} s",
        ["case", "examples", "failing", "seconds", "of --examples", "how inputs ended"],
        rows,
        {"examples_per_test": examples, "inputs": total, "failing": failing, "seconds": seconds, "tests": stats},
    )


if __name__ == "__main__":
    main()
