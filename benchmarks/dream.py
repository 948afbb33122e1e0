"""Dream benchmark: the first dream over an imported store, and the dreams after it.

    python -m benchmarks.dream [--sizes 10000,100000,1000000] [--quick] [--repeat 1] [--meaning on|off]

For each size (10k, 100k, 1M; ``--quick``: 10k) a synthetic store
(``dreaming.testing.synthetic``: duplicates, updates, conflicts,
look-alikes) is written as a user's JSONL file (content, kind, key and
times; no sessions, no paths) and then, each step in a fresh child process
so that its peak RSS is its own:

1. **import** the file into a new store;
2. **floor**: export the store to JSONL (read every memory, write it once);
3. **first dream** over the imported store (everything is fresh);
4. **export** again (the floor after the dream);
5. **incremental**: 3 new sessions, then a dream (its consolidate stage is
   what grows with the store);
6. **imports on a big store**: 1,000 newly imported memories then a dream,
   and 100 then a dream.

The ratio is the first dream over the floor, both measured in this run,
in wall time and in the step process's CPU time (steadier when others load
the machine).
File growth is the store file (with its WAL, checkpointed) after the first
dream over before it.

Targets (2 cores): 100k first dream <= 3x the floor with peak RSS <= 600 MB;
1M <= 5x the floor with peak RSS <= 2 GB for import, dream and export; file
growth <= 1.25x; the incremental consolidate stage on 1M <= 2 s; dreams over
1,000 / 100 new imports on 100k <= 3 s / 1.5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .common import peak_rss_mb, report

SEED = 11
T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)
TOOLS = ["vim", "helix", "emacs", "vscode", "zed"]
DBS = ["PostgreSQL 14", "PostgreSQL 15", "PostgreSQL 16", "MySQL 8", "SQLite"]
SUBJECTS = ["billing", "search", "auth", "payments", "reporting", "ingest", "gateway", "scheduler"]
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec "
         "romeo sierra tango uniform victor whiskey xray yankee zulu").split()


# --- inputs ------------------------------------------------------------------


def write_memories(out: Path, n: int, seed: int, prefix: str = "") -> None:
    """A user's memory file: ``n`` synthetic memories without sessions or paths."""
    from dreaming.testing.synthetic import generate

    memories = generate(n, seed=seed).memories
    with out.open("w", encoding="utf-8") as handle:
        for m in memories:
            row: dict[str, Any] = {"id": prefix + m.id, "content": m.content, "kind": m.kind,
                                   "observed_at": m.observed_at.isoformat() if m.observed_at else None,
                                   "created_at": m.created_at.isoformat()}
            if m.key:
                row["key"] = m.key
            handle.write(json.dumps(row) + "\n")


def write_sessions(folder: Path, count: int, rng: random.Random, first: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(first, first + count):
        start = T0 + timedelta(days=s)
        statements = [
            f"I prefer {rng.choice(TOOLS)} as my editor.",
            f"We upgraded the {rng.choice(SUBJECTS)} database to {rng.choice(DBS)} yesterday.",
            "Please always run the linter before committing.",
            f"My name is Dev{s} Example.",
            f"Can you look at the {rng.choice(SUBJECTS)} logs?",
            "Thanks, that worked.",
        ]
        lines = []
        for t in range(20):
            role = "user" if t % 2 == 0 else "assistant"
            text = statements[(t // 2) % len(statements)] if role == "user" else "Done. " + " ".join(
                rng.choice(WORDS) for _ in range(12))
            lines.append(json.dumps({"session_id": f"bench-{s:03d}", "role": role, "content": text,
                                     "timestamp": (start + timedelta(minutes=t)).isoformat()}))
        (folder / f"session-{s:03d}.jsonl").write_text("\n".join(lines) + "\n")


def file_bytes(store_path: Path) -> int:
    return sum(p.stat().st_size for p in (store_path, Path(f"{store_path}-wal")) if p.exists())


def table_bytes(store: Any, name: str) -> int:
    """Bytes of the pages a table uses (SQLite's dbstat; 0 where it is not built in or the table is absent)."""
    try:
        row = store.db.conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?", [name]).fetchone()
    except Exception:  # noqa: BLE001 - dbstat is optional in SQLite builds
        return 0
    return int(row[0] or 0)


# --- steps, each in its own process ------------------------------------------


def step(name: str, store_path: Path, arg: str) -> dict[str, Any]:
    from dreaming import DreamConfig, dream
    from dreaming.store import Store
    from dreaming.store.files import export_file, import_file

    out: dict[str, Any] = {}
    store = Store.open(store_path)
    start = time.perf_counter()
    cpu = time.process_time()
    if name == "import":
        result = import_file(store, Path(arg), message="import")
        out["memories"] = result.read
    elif name == "export":
        out["memories"] = export_file(store, Path(arg)).memories
    elif name == "dream":
        transcripts = (Path(arg),) if arg else ()
        config = DreamConfig(transcripts=transcripts, review=False, guard_share=1.0)
        if os.environ.get("DREAM_BENCH_MEANING") == "off":
            config = dataclasses.replace(config, meaning=dataclasses.replace(config.meaning, enabled=False))
        report = dream(store, config)
        out.update(timings=dict(report.timings), counts=dict(report.counts), status=report.status,
                   before=report.memories_before, after=report.memories_after)
    else:
        raise SystemExit(f"unknown step {name}")
    out["seconds"] = time.perf_counter() - start
    out["cpu_seconds"] = time.process_time() - cpu  # this process's CPU time: steadier than wall time on a shared machine
    out["peak_rss_mb"] = peak_rss_mb()
    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out["vector_bytes"] = table_bytes(store, "vectors")
    store.close()
    out["file_bytes"] = file_bytes(store_path)
    return out


def run_step(name: str, store_path: Path, arg: str = "") -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.dream", "--step", name, str(store_path), arg]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def one_size(n: int, tmp: Path) -> dict[str, Any]:
    say = lambda msg: print(f"[{n:,}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    source = tmp / f"memories-{n}.jsonl"
    write_memories(source, n, SEED)
    store = tmp / f"store-{n}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    out: dict[str, Any] = {"memories": n, "source_bytes": source.stat().st_size}
    say("import")
    out["import"] = run_step("import", store, str(source))
    say("floor (export)")
    out["floor"] = run_step("export", store, str(tmp / "floor.jsonl"))
    say("first dream")
    out["first_dream"] = run_step("dream", store)
    out["file_growth"] = out["first_dream"]["file_bytes"] / out["import"]["file_bytes"]
    # the same without the sentence vectors (computed at import, so they swell the denominator)
    out["file_growth_without_vectors"] = (
        (out["first_dream"]["file_bytes"] - out["first_dream"].get("vector_bytes", 0))
        / (out["import"]["file_bytes"] - out["import"].get("vector_bytes", 0)))
    say("export after the dream")
    out["export_after"] = run_step("export", store, str(tmp / "after.jsonl"))
    say("incremental dream (3 sessions)")
    write_sessions(tmp / f"sessions-{n}", 3, random.Random(2))
    out["incremental"] = run_step("dream", store, str(tmp / f"sessions-{n}"))
    for count in (1_000, 100):
        extra = tmp / f"extra-{n}-{count}.jsonl"
        write_memories(extra, count, SEED + count, prefix=f"x{count}")
        say(f"import {count} then dream")
        out[f"import_{count}"] = run_step("import", store, str(extra))
        out[f"dream_after_import_{count}"] = run_step("dream", store)
    for path in tmp.glob("*.jsonl"):
        path.unlink()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    return out


def _median(runs: list[dict[str, Any]], pick) -> float | None:
    values = []
    for r in runs:
        with contextlib.suppress(KeyError, TypeError):
            values.append(float(pick(r)))
    return statistics.median(values) if values else None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dream", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated store sizes")
    parser.add_argument("--quick", action="store_true", help="10k memories only")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (medians are reported)")
    parser.add_argument("--meaning", choices=("on", "off"), default="on",
                        help="the second consolidation pass by meaning (off: the engine without it)")
    parser.add_argument("--step", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        print(json.dumps(step(args.step[0], Path(args.step[1]), args.step[2])))
        return
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    os.environ["DREAM_BENCH_MEANING"] = args.meaning  # the steps' processes read it
    results: dict[int, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="dream-bench-") as tmp:
        for n in sizes:
            results[n] = [one_size(n, Path(tmp)) for _ in range(args.repeat)]

    def row(what: str, pick, digits: int = 2) -> list[str]:
        return [what, *(_fmt(_median(results[n], pick), digits) for n in sizes)]

    rows = [
        row("import (s)", lambda r: r["import"]["seconds"]),
        row("  in CPU time (s)", lambda r: r["import"]["cpu_seconds"]),
        row("floor: export to JSONL (s)", lambda r: r["floor"]["seconds"]),
        row("first dream (s)", lambda r: r["first_dream"]["seconds"]),
        row("first dream / floor (x; <= 3x at 100k, 5x at 1M)", lambda r: r["first_dream"]["seconds"] / r["floor"]["seconds"]),
        row("  floor in CPU time (s)", lambda r: r["floor"]["cpu_seconds"]),
        row("  first dream in CPU time (s)", lambda r: r["first_dream"]["cpu_seconds"]),
        row("  first dream / floor, CPU time (x)", lambda r: r["first_dream"]["cpu_seconds"] / r["floor"]["cpu_seconds"]),
        *(row(f"  {stage} (s)", lambda r, s=stage: r["first_dream"]["timings"][s])
          for stage in ("load", "consolidate", "patterns", "reorganise", "write")),
        row("peak RSS: import (MB)", lambda r: r["import"]["peak_rss_mb"], 0),
        row("peak RSS: export (MB)", lambda r: r["floor"]["peak_rss_mb"], 0),
        row("peak RSS: first dream (MB)", lambda r: r["first_dream"]["peak_rss_mb"], 0),
        row("peak RSS: export after the dream (MB)", lambda r: r["export_after"]["peak_rss_mb"], 0),
        row("store file after import (MB)", lambda r: r["import"]["file_bytes"] / 2**20, 1),
        row("  of which sentence vectors (MB)", lambda r: r["import"]["vector_bytes"] / 2**20, 1),
        row("file growth after the first dream (x; <= 1.25)", lambda r: r["file_growth"]),
        row("  vectors aside (x)", lambda r: r["file_growth_without_vectors"]),
        row("export after the dream (s)", lambda r: r["export_after"]["seconds"]),
        row("incremental dream, 3 sessions (s)", lambda r: r["incremental"]["seconds"]),
        row("  its consolidate stage (s; <= 2 at 1M)", lambda r: r["incremental"]["timings"]["consolidate"]),
        row("  vs floor (x)", lambda r: r["incremental"]["seconds"] / r["floor"]["seconds"]),
        row("dream over 1,000 new imports (s; <= 3 at 100k)", lambda r: r["dream_after_import_1000"]["seconds"]),
        row("dream over 100 new imports (s; <= 1.5 at 100k)", lambda r: r["dream_after_import_100"]["seconds"]),
        row("peak RSS: incremental dream (MB)", lambda r: r["incremental"]["peak_rss_mb"], 0),
    ]
    report(
        "dream",
        f"First and later dreams over imported synthetic stores (median of {args.repeat}, 2 cores, "
        f"meaning pass {args.meaning})",
        ["case", *(f"{n:,}" for n in sizes)],
        rows,
        {"sizes": sizes, "repeat": args.repeat, "meaning": args.meaning, "load_average": os.getloadavg()[0],
         "runs": {str(n): results[n] for n in sizes}},
    )


if __name__ == "__main__":
    main()
