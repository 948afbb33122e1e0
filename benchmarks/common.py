"""Shared helpers for benchmark scripts: timing, peak RSS, the table and the JSON file."""

from __future__ import annotations

import json
import platform
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB).

    Linux's ``VmHWM`` where there is one: ``ru_maxrss`` survives ``exec``, so a
    step run in a child process would report its parent's peak when that is
    higher (the 1M dream benchmark's import and export both read 1,077 MB,
    the parent's, which had generated the input)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    import os

    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}


def report(name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], data: dict[str, Any]) -> Path:
    """Print a table to stdout and write ``results/<name>.json``."""
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, justify="right" if col not in ("operation", "case", "what") else "left")
    for row in rows:
        table.add_row(*[f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row])
    Console().print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **data}, indent=2, default=str))
    print(f"wrote {path}", file=sys.stderr)
    return path
