"""Nearest-neighbour search for the second pass: sqlite-vec against the numpy matmul it would replace.

    pip install sqlite-vec apsw      # not dependencies of dreaming: only this measurement needs them
    python -m benchmarks.neighbours [--sizes 10000,100000] [--queries 1000]

The pass (``dreaming.consolidate.meaning._candidate_pairs``) takes each fresh
memory's nearest stored vectors.  sqlite-vec's ``vec0`` table answers one
k-nearest query at a time by a brute-force scan in C; numpy answers a block
of queries with one matrix product and ``argpartition``.  Both run here on
the same random unit vectors (256-d, k = 7), and the table says how often
they found the same neighbours.  Python's own ``sqlite3`` here cannot load
extensions, so sqlite-vec runs through ``apsw`` (it would need that driver
in the store as well).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from .common import report

K = 7


def _sqlite_vec(vectors: np.ndarray, queries: np.ndarray) -> tuple[float, float, list[set[int]]]:
    import apsw
    import sqlite_vec

    conn = apsw.Connection(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    conn.execute(f"CREATE VIRTUAL TABLE v USING vec0(embedding float[{vectors.shape[1]}] distance_metric=cosine)")
    start = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO v(rowid, embedding) VALUES (?, ?)",
                         ((i, vectors[i].tobytes()) for i in range(len(vectors))))
    build = time.perf_counter() - start
    start = time.perf_counter()
    found = [{row for row, _ in conn.execute("SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = ?",
                                             (vectors[i].tobytes(), K))} for i in queries.tolist()]
    return build, time.perf_counter() - start, found


def _numpy(vectors: np.ndarray, queries: np.ndarray) -> tuple[float, list[set[int]]]:
    start = time.perf_counter()
    found: list[set[int]] = []
    for s in range(0, len(queries), 2048):
        sims = vectors[queries[s : s + 2048]] @ vectors.T
        found.extend(set(row.tolist()) for row in np.argpartition(-sims, K, axis=1)[:, :K])
    return time.perf_counter() - start, found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.neighbours", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args(argv)
    try:
        import apsw  # noqa: F401
        import sqlite_vec  # noqa: F401
    except ImportError:
        raise SystemExit("this measurement needs `pip install sqlite-vec apsw` (not dependencies of dreaming)") from None
    rows: list[list[Any]] = []
    runs: dict[str, Any] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        rng = np.random.default_rng(0)
        vectors = rng.standard_normal((n, 256)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        queries = np.arange(0, n, max(1, n // args.queries))[: args.queries]
        print(f"[{n:,}] sqlite-vec", file=sys.stderr, flush=True)
        build, vec_s, by_vec = _sqlite_vec(vectors, queries)
        print(f"[{n:,}] numpy", file=sys.stderr, flush=True)
        np_s, by_np = _numpy(vectors, queries)
        agree = float(np.mean([len(a & b) / K for a, b in zip(by_vec, by_np)]))
        rows.append([f"{n:,} stored x {len(queries):,} queries", build, vec_s, np_s, vec_s / np_s, agree])
        runs[str(n)] = {"build": build, "sqlite_vec": vec_s, "numpy": np_s, "agreement": agree}
    report("neighbours", f"k={K} nearest of 256-d unit vectors: sqlite-vec (vec0, apsw) vs numpy matmul",
           ["case", "sqlite-vec insert (s)", "sqlite-vec queries (s)", "numpy (s)", "sqlite-vec / numpy (x)",
            "same neighbours"], rows, {"runs": runs})


if __name__ == "__main__":
    main()
