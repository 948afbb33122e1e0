"""Dream benchmark: a dream over a 100k-memory store plus 100 new sessions,
against the floor (reading that store and those sessions and writing one new
version with no processing).

    python -m benchmarks.dream [--size 100000] [--sessions 100] [--quick]

Target (2-core machine): the dream under 5x the floor.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dreaming import Changeset, DreamConfig, Memory, Store, dream
from dreaming.ingest import ingest_paths
from dreaming.records import Evidence

from .common import report

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOOLS = ["vim", "helix", "emacs", "vscode", "zed"]
DBS = ["PostgreSQL 14", "PostgreSQL 15", "PostgreSQL 16", "MySQL 8", "SQLite"]
SUBJECTS = ["billing", "search", "auth", "payments", "reporting", "ingest", "gateway", "scheduler"]
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec "
         "romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def build_store(path: Path, size: int, rng: random.Random) -> Store:
    store = Store.open(path)
    memories = []
    for i in range(size):
        topic = rng.choice(SUBJECTS)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9)))
        when = T0 + timedelta(minutes=i)
        memories.append(
            Memory(id=f"mem_{i:07d}", content=f"The {topic} service note {i}: {words}.", path=f"/projects/{topic}.md",
                   observed_at=when, created_at=when, provenance=(Evidence(source=f"seed:{i}"),))
        )
    store.import_memories(memories, message="seed")
    store.write_version(Changeset(message="mark consolidated", origin="dream", upserts=(
        memories[0].replace(content=memories[0].content + " (checked)"),)))
    return store


def write_sessions(folder: Path, count: int, rng: random.Random) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(count):
        start = T0 + timedelta(days=300 + s)
        lines = []
        statements = [
            f"I prefer {rng.choice(TOOLS)} as my editor.",
            f"We upgraded the {rng.choice(SUBJECTS)} database to {rng.choice(DBS)} yesterday.",
            "Please always run the linter before committing.",
            f"My name is Dev{s} Example.",
            f"Can you look at the {rng.choice(SUBJECTS)} logs?",
            "Thanks, that worked.",
        ]
        for t in range(20):
            role = "user" if t % 2 == 0 else "assistant"
            text = statements[(t // 2) % len(statements)] if role == "user" else "Done. " + " ".join(
                rng.choice(WORDS) for _ in range(12))
            lines.append(json.dumps({"session_id": f"bench-{s:03d}", "role": role, "content": text,
                                     "timestamp": (start + timedelta(minutes=t)).isoformat()}))
        (folder / f"session-{s:03d}.jsonl").write_text("\n".join(lines) + "\n")


def floor(store: Store, folder: Path) -> float:
    """Read the store and the sessions, write one version: no processing."""
    start = time.perf_counter()
    head = store.snapshot()
    ingest_paths(store, [folder])
    through = store.last_turn_pk()
    pending = store.pending(through=through)
    raw = tuple(
        Memory(id=f"mem_floor_{i:05d}", content=t.text, created_at=T0)
        for i, t in enumerate(turn for p in pending for turn in p.turns if turn.role == "user")
    )
    store.write_version(Changeset(upserts=raw, origin="dream", message="floor", consume_through=through))
    assert head
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="10k memories, 20 sessions")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.sessions = 10_000, 20
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        write_sessions(tmpdir / "sessions", args.sessions, random.Random(2))
        floor_store = build_store(tmpdir / "floor.db", args.size, random.Random(1))
        floor_seconds = floor(floor_store, tmpdir / "sessions")
        floor_store.close()
        dream_store = build_store(tmpdir / "dream.db", args.size, random.Random(1))
        start = time.perf_counter()
        result = dream(dream_store, DreamConfig(transcripts=(tmpdir / "sessions",)))
        dream_seconds = time.perf_counter() - start
        dream_store.close()
    ratio = dream_seconds / floor_seconds
    rows.append(("floor: read store + sessions, write one version", f"{floor_seconds:.2f}", "1.00x"))
    rows.append(("dream (ingest + all stages + write)", f"{dream_seconds:.2f}", f"{ratio:.2f}x (target < 5x)"))
    for stage, seconds in result.timings.items():
        rows.append((f"  {stage}", f"{seconds:.2f}", f"{seconds / floor_seconds:.2f}x"))
    report(
        "dream",
        f"Dream over {args.size:,} memories + {args.sessions} sessions",
        ["case", "seconds", "vs floor"],
        rows,
        {"size": args.size, "sessions": args.sessions, "floor_seconds": floor_seconds, "dream_seconds": dream_seconds,
         "ratio": ratio, "timings": dict(result.timings), "counts": dict(result.counts),
         "memories": {"before": result.memories_before, "after": result.memories_after}},
    )


if __name__ == "__main__":
    main()
