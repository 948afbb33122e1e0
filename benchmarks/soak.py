"""Soak: 200 scheduled dreams in a row on one store that grows with new
sessions each time, then the same sessions dreamed at once for comparison.

    python -m benchmarks.soak [--rounds 200] [--sessions-per-round 3] [--quick]

Each round drops new synthetic sessions into the inbox and runs a dream as a
scheduler would (under the store's lock, ingesting the inbox folder), with
the offline engine.  Tracked per round: wall time (and the ingest stage
alone), new turns, memories, store file size (after a WAL checkpoint).
Target: per-run time follows the new work, which is constant here, not the
store's age.  Two variants: the default configuration (a store under
``DreamConfig.full_load_below`` memories (200) is read whole by every dream, by
design) and the incremental path forced (``full_load_below=0``).  Then one
dream over all the sessions at once, on a fresh copy of the seed store,
should hold the same facts; the differences are listed by slot (key).
``--quick`` runs 30 rounds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dreaming import DreamConfig, Store, dream, import_file
from dreaming.unattended.lock import dream_lock

from .common import report

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
EDITORS = ["vim", "helix", "emacs", "zed", "neovim"]
DATABASES = ["PostgreSQL 15", "PostgreSQL 16", "PostgreSQL 17", "MySQL 8"]
RULES = ["Always run the linter before committing.", "Never push directly to main.",
         "Always write tests for bug fixes.", "From now on use conventional commit messages."]
CHATTER = ["Can you look at the failing build?", "Thanks, that worked.", "What does this error mean?",
           "Please check the logs for the billing service."]


def write_round(inbox: Path, first: int, count: int, rng: random.Random) -> int:
    """``count`` sessions numbered from ``first``: a new fact each (the store
    grows), repeated standing rules (duplicates), and now and then a new
    editor or database version (a newer value supersedes the older).
    Returns the number of turns written."""
    turns = 0
    for s in range(first, first + count):
        start = T0 + timedelta(hours=8 * s)
        said = [
            f"We upgraded the service{s} database to {rng.choice(DATABASES)} yesterday.",
            rng.choice(RULES),
            rng.choice(CHATTER),
        ]
        if rng.random() < 0.2:
            said.append(f"I switched to {rng.choice(EDITORS)} as my editor.")
        if rng.random() < 0.1:
            said.append(f"We moved the staging database to {rng.choice(DATABASES)}.")
        lines = []
        for t, text in enumerate(said):
            at = start + timedelta(minutes=2 * t)
            lines.append({"session_id": f"soak-{s:04d}", "role": "user", "content": text, "timestamp": at.isoformat()})
            lines.append({"session_id": f"soak-{s:04d}", "role": "assistant", "content": "Done.",
                          "timestamp": (at + timedelta(minutes=1)).isoformat()})
        (inbox / f"soak-{s:04d}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
        turns += len(lines)
    return turns


def _size(store: Store) -> int:
    """The store file after a WAL checkpoint (what closing it would leave)."""
    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store.path.stat().st_size


def _facts(store: Store) -> dict[str, tuple[str, str | None]]:
    """content -> (kind, key) of HEAD (ids and times differ by design)."""
    return {m.content: (m.kind, m.key) for m in store.snapshot()}


def _seed(path: Path) -> Store:
    store = Store.open(path)
    import_file(store, REPO / "memory_store" / "sample_memories.jsonl")
    return store


def soak(root: Path, rounds: int, per: int, config: DreamConfig, name: str) -> tuple[list[dict[str, Any]], Store]:
    """``rounds`` dreams on one store, ``per`` new sessions before each; the store is returned open."""
    rng = random.Random(11)
    inbox = config.transcripts[0]
    runs: list[dict[str, Any]] = []
    store = _seed(root / f"{name}.db")
    for r in range(rounds):
        new_turns = write_round(inbox, r * per, per, rng)
        started = time.perf_counter()
        with dream_lock(store):
            result = dream(store, config)
        runs.append({
            "round": r + 1, "seconds": time.perf_counter() - started, "ingest_seconds": result.timings.get("ingest", 0.0),
            "new_turns": new_turns, "turns": result.turns, "status": result.status, "version": result.version,
            "memories": result.memories_after, "bytes": _size(store), "changes": result.counts.get("changes", 0),
        })
    return runs, store


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--sessions-per-round", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="30 rounds")
    args = parser.parse_args(argv)
    rounds = 30 if args.quick else args.rounds
    per = args.sessions_per_round
    window = max(3, rounds // 10)
    rows: list[tuple[Any, ...]] = []
    data: dict[str, Any] = {"rounds": rounds, "sessions_per_round": per}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        variants = {
            "default": {},  # a store under DreamConfig.full_load_below memories is read whole by every dream
            "incremental": {"full_load_below": 0},  # the FTS-found working set at any size
        }
        for name, options in variants.items():
            inbox = root / f"inbox-{name}"
            inbox.mkdir()
            runs, store = soak(root, rounds, per, DreamConfig(transcripts=(inbox,), llm="off", **options), name)
            with store:
                soak_facts, versions = _facts(store), len(store.versions())
            first, last = runs[:window], runs[-window:]
            growth = _median(last, "seconds") / _median(first, "seconds")
            ingest_growth = _median(last, "ingest_seconds") / max(_median(first, "ingest_seconds"), 1e-9)
            rows += [
                (f"{name}: rounds 1-{window}, median per dream", f"{_median(first, 'new_turns'):.0f}",
                 _median(first, "seconds"), f"{_median(first, 'memories'):,.0f}",
                 f"{first[len(first) // 2]['bytes'] / 1e6:.2f}", "1.00x"),
                (f"{name}: rounds {rounds - window + 1}-{rounds}", f"{_median(last, 'new_turns'):.0f}",
                 _median(last, "seconds"), f"{_median(last, 'memories'):,.0f}",
                 f"{last[len(last) // 2]['bytes'] / 1e6:.2f}", f"{growth:.2f}x"),
                ("  ... of which ingest (the inbox re-scanned)", "-", _median(last, "ingest_seconds"), "-", "-",
                 f"{ingest_growth:.2f}x"),
            ]
            data[name] = {"runs": runs, "time_growth": growth, "ingest_growth": ingest_growth, "versions": versions,
                          "bytes_per_round": (runs[-1]["bytes"] - runs[0]["bytes"]) / max(1, rounds - 1),
                          "facts": soak_facts}
        started = time.perf_counter()
        with _seed(root / "batch.db") as batch:
            once = dream(batch, DreamConfig(transcripts=(root / "inbox-default",), llm="off"))
            batch_facts = _facts(batch)
        batch_seconds = time.perf_counter() - started
    rows.append((f"one dream over all {rounds * per} sessions", f"{sum(r['new_turns'] for r in runs):,}",
                 batch_seconds, f"{once.memories_after:,}", "-", "-"))
    soak_facts = data["default"]["facts"]
    only_soak = sorted(set(soak_facts) - set(batch_facts))
    only_batch = sorted(set(batch_facts) - set(soak_facts))
    for name in variants:
        data[name]["facts"] = len(data[name]["facts"])
    data["batch"] = {"seconds": batch_seconds, "memories": once.memories_after, "facts": len(batch_facts),
                     "only_soak": only_soak[:50], "only_batch": only_batch[:50]}
    report(
        "soak",
        f"Soak: {rounds} scheduled dreams, {per} new sessions each (offline engine); "
        f"facts differing from one dream over all: {len(only_soak)} + {len(only_batch)}",
        ["case", "new turns", "seconds", "memories", "store MB", "time vs first rounds"],
        rows,
        data,
    )
    for name in variants:
        print(f"{name}: the store grew {data[name]['bytes_per_round'] / 1e3:.1f} kB per dream; "
              f"{data[name]['versions']} versions", flush=True)
    for label, items, facts in ((f"only after the {rounds} small dreams", only_soak, soak_facts),
                                ("only after one big dream", only_batch, batch_facts)):
        by_key = Counter(facts[c][1] or "(no key)" for c in items)
        print(f"{label}: {len(items)}, by key: {dict(by_key)}")
        for content in items[:8]:
            print(f"  - {content}")


if __name__ == "__main__":
    main()
