"""Store benchmark: import 100k memories, read a version's snapshot, diff two
versions of a 100k store, and file growth over 100 versions that each change
1% of a 10k store.

    python -m benchmarks.store [--size 100000] [--quick]

Targets (2-core machine): each operation at 100k under 10 s; the file after
those 100 versions under 3x the size of one.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from dreaming import Changeset, Memory, Store
from dreaming.store.files import read_memories

from .common import report, timed

WORDS = (
    "user prefers project deploy staging database service billing search editor tabs spaces tests docker "
    "release freeze api python go rust invoices nightly migration lead team review cache queue worker"
).split()


def sentence(rng: random.Random, i: int) -> str:
    return f"{' '.join(rng.choice(WORDS) for _ in range(rng.randint(5, 12)))} #{i}"


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--growth-size", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="10k memories, 20 versions")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.growth_size, args.versions = 10_000, 2_000, 20
    rng = random.Random(7)
    rows = []
    data: dict = {"size": args.size}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        src = tmpdir / "memories.jsonl"
        with src.open("w") as handle:
            for i in range(args.size):
                handle.write(
                    json.dumps({"content": sentence(rng, i), "path": f"/topic/{i % 50}.md", "kind": "fact",
                                "observed_at": "2026-01-01T00:00:00Z"}) + "\n"
                )
        store = Store.open(tmpdir / "big.db")
        with timed() as t:
            items = read_memories(src)
            store.import_memories([it.memory for it in items], message="bench")
        rows.append(("import (parse + write one version)", args.size, t["seconds"], 10 / t["seconds"]))
        data["import_seconds"] = t["seconds"]
        # a second version changing 1%, so there is something to diff
        head = store.snapshot()
        changed = rng.sample(head, args.size // 100)
        store.write_version(
            Changeset(upserts=tuple(m.replace(content=m.content + " (updated)") for m in changed), message="1%")
        )
        with timed() as t:
            snap = store.snapshot(1)
        assert len(snap) == args.size
        rows.append(("snapshot of version 1", args.size, t["seconds"], 10 / t["seconds"]))
        data["snapshot_seconds"] = t["seconds"]
        with timed() as t:
            entries = store.diff(1, 2)
        rows.append(("diff version 1 -> 2 (1% changed)", len(entries), t["seconds"], 10 / t["seconds"]))
        data["diff_seconds"] = t["seconds"]
        store.close()

        growth = Store.open(tmpdir / "growth.db")
        growth.import_memories(
            [Memory(id=f"mem_{i:06d}", content=sentence(rng, i), path=f"/topic/{i % 50}.md")
             for i in range(args.growth_size)],
            message="base",
        )
        growth.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        one = file_size(growth.path)
        with timed() as t:
            for v in range(args.versions):
                current = growth.current([f"mem_{i:06d}" for i in rng.sample(range(args.growth_size), args.growth_size // 100)])
                growth.write_version(
                    Changeset(upserts=tuple(m.replace(content=m.content + f" v{v}") for m in current.values()))
                )
        growth.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        after = file_size(growth.path)
        growth.close()
        ratio = after / one
        rows.append((f"file after {args.versions} versions of 1% ({args.growth_size:,} store)", f"{after / 1e6:.2f} MB",
                     t["seconds"], f"{ratio:.2f}x one version (target < 3x)"))
        data.update(one_version_bytes=one, after_bytes=after, growth_ratio=ratio, versions=args.versions)
    report(
        "store",
        f"Store benchmark ({args.size:,} memories)",
        ["operation", "items", "seconds", "headroom vs 10 s target"],
        rows,
        data,
    )


if __name__ == "__main__":
    main()
