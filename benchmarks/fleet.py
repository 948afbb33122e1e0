"""Fleet benchmark: 1,000 small stores dreamed by 4 local shard processes, against the fake S3
(moto in server mode on 127.0.0.1) and, side by side, the same stores as local files.

    python -m benchmarks.fleet [--stores 1000] [--shards 4] [--quick]

Each store holds the dream fixture's 5 memories and gets one new session (offline dream).
Reports stores per second for both, the time per store, and the overhead object storage adds
per store: the measured download + upload of the store (the shard summaries' transfer time)
and the whole difference per store (that plus the inbox listing and transcript download).
Needs the test extra (moto[server], boto3).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dreaming import Store, import_file
from dreaming.testing.s3_server import S3Server

from .common import report

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "dream"


def template(folder: Path) -> bytes:
    path = folder / "template.db"
    with Store.open(path) as store:
        import_file(store, FIXTURE / "memories.jsonl")
    return path.read_bytes()


def session(i: int) -> bytes:
    return (FIXTURE / "transcripts" / "session-a.jsonl").read_bytes().replace(b"sess-a", f"sess-{i}".encode())


def shards(pattern: str, count: int, env: dict[str, str], extra: list[str]) -> tuple[float, list[dict]]:
    """Run ``count`` shard processes side by side; wall seconds and their summaries."""
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "dreaming", "run", "--stores", pattern, "--shards", str(count),
                               "--shard-index", str(i), "--llm", "off", "--json", "--quiet", *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(count)]
    outs = [p.communicate() for p in procs]
    wall = time.perf_counter() - start
    for p, (_, err) in zip(procs, outs):
        if p.returncode != 0:
            raise SystemExit(f"a shard failed: {err[-800:]}")
    return wall, [json.loads(out) for out, _ in outs]


def per_store(summaries: list[dict], key: str) -> float:
    return statistics.fmean(line[key] for s in summaries for line in s["stores"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=1000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="200 stores")
    args = parser.parse_args(argv)
    n = 200 if args.quick else args.stores
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, S3Server() as s3:
        root = Path(tmp)
        body = template(root)
        client = s3.client()
        client.create_bucket(Bucket="fleet")
        for i in range(n):
            client.put_object(Bucket="fleet", Key=f"agents/a{i:04d}/memory.db", Body=body)
            client.put_object(Bucket="fleet", Key=f"agents/a{i:04d}/transcripts/s.jsonl", Body=session(i))
            folder = root / "agents" / f"a{i:04d}"
            (folder / "transcripts").mkdir(parents=True)
            (folder / "memory.db").write_bytes(body)
            (folder / "transcripts" / "s.jsonl").write_bytes(session(i))
        print(f"{n} stores of {len(body):,} bytes each, in the fake S3 and on disk", file=sys.stderr)
        env = {**os.environ, **s3.env, "DREAMING_FLEET_RUN": "bench"}
        env.pop("DREAMING_STORE", None)
        s3_wall, s3_summaries = shards("s3://fleet/agents/*/memory.db", args.shards, env, [])
        local_wall, local_summaries = shards(str(root / "agents" / "*" / "memory.db"), args.shards, env,
                                             ["--summary", str(root / "summaries")])
    for summaries in (s3_summaries, local_summaries):
        statuses = {line["status"] for s in summaries for line in s["stores"]}
        if statuses != {"dreamed"} or sum(len(s["stores"]) for s in summaries) != n:
            raise SystemExit(f"not every store was dreamed once: {statuses}")
    s3_each, local_each = per_store(s3_summaries, "seconds"), per_store(local_summaries, "seconds")
    transfer = per_store(s3_summaries, "transfer_seconds")
    rows = [
        ("local files", n, local_wall, n / local_wall, local_each * 1000, 0.0, 1.0),
        ("fake S3 (moto)", n, s3_wall, n / s3_wall, s3_each * 1000, transfer * 1000, s3_wall / local_wall),
    ]
    data = {
        "stores": n, "shards": args.shards, "store_bytes": len(body), "load_average_at_start": load,
        "local": {"wall_seconds": local_wall, "stores_per_second": n / local_wall, "ms_per_store": local_each * 1000},
        "s3": {"wall_seconds": s3_wall, "stores_per_second": n / s3_wall, "ms_per_store": s3_each * 1000,
               "transfer_ms_per_store": transfer * 1000},
        "overhead_ms_per_store": {"store_download_upload": transfer * 1000,
                                  "total_vs_local": (s3_each - local_each) * 1000},
    }
    report("fleet", f"{n} small stores over {args.shards} shard processes (load average {load:.1f} at start)",
           ["what", "stores", "wall s", "stores/s", "ms per store", "store down+up ms", "wall vs local"], rows, data)
    print(f"object storage adds {(s3_each - local_each) * 1000:.0f} ms per store, of which {transfer * 1000:.0f} ms "
          f"is the store's download and conditional upload", file=sys.stderr)


if __name__ == "__main__":
    main()
