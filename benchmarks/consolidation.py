"""Consolidation benchmark: synthetic memory stores with known ground truth.

    python -m benchmarks.consolidation [--quick] [--sizes 10000,100000,1000000]

For each size (10k, 100k, 1M; ``--quick``: 10k only) a child process
generates the store (``dreaming.testing.synthetic``: duplicates of seven
kinds, updates, conflicts, look-alikes, unrelated notes), runs
``consolidate`` on all of it (a first dream: everything fresh) and reports:

* wall time of ``consolidate`` (generation excluded) and peak RSS -- of the
  whole process, and above the RSS the generated input already held (the
  Memory records a user would pass; the answer key is packed meanwhile);
* candidate pairs scored, similar pairs kept;
* pair recall of the blocked path against the exact all-pairs oracle on a
  20k sample at the same threshold (and pairs the oracle rejects: must be 0);
* duplicate precision / recall (pairs), update precision / recall
  (retired memories), retirements of unrelated facts, conflicts found;
* speed against exact all-pairs ``cdist``: at 20k (the sample) and at 100k,
  both for finding the pairs alone and end to end (``consolidate`` with
  ``candidates="exact"``).  All exact figures are measured, except the row
  marked "extrapolated": cdist over every memory without de-duplicating
  identical normal forms, timed on 2,000 rows and scaled.

Targets (2 cores): 100k in < 15 s; 1M in < 3 min with peak RSS < 2 GB;
>= 50x faster than exact at 100k; duplicate precision >= 0.98, recall
>= 0.95; update precision >= 0.95; no unrelated retirements.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import time
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from dreaming.consolidate import ConsolidationConfig, blocking, consolidate, normal_form, oracle
from dreaming.records import Memory
from dreaming.testing.synthetic import Truth, evaluate, generate

from .common import peak_rss_mb, report

SAMPLE = 20_000
EXACT_AT = 100_000
SEED = 11


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


def _pair_recall(memories, config: ConsolidationConfig) -> dict[str, Any]:
    """Blocked vs exact similar pairs on the distinct normal forms of ``memories``."""
    norms = sorted({normal_form(m.content) for m in memories} - {""})
    start = time.perf_counter()
    i, j, _, stats = blocking.similar_pairs(norms, threshold=config.similarity, block_cap=config.block_cap)
    blocked_s = time.perf_counter() - start
    start = time.perf_counter()
    ei, ej, _ = oracle.exact_pairs(norms, threshold=config.similarity)
    exact_s = time.perf_counter() - start
    fast = set(zip(i.tolist(), j.tolist()))
    exact = set(zip(ei.tolist(), ej.tolist()))
    return {
        "norms": len(norms),
        "exact_pairs": len(exact),
        "found": len(fast & exact),
        "recall": len(fast & exact) / len(exact) if exact else 1.0,
        "false_pairs": len(fast - exact),
        "candidates": stats.candidates,
        "blocked_seconds": blocked_s,
        "exact_seconds": exact_s,
    }


def _naive_exact_estimate(memories, config: ConsolidationConfig) -> float:
    """Seconds for cdist over every memory (no de-duplication), from 2,000 timed rows."""
    norms = [normal_form(m.content) for m in memories]
    rows = 2_000
    start = time.perf_counter()
    process.cdist(
        norms[:rows], norms, scorer=fuzz.ratio, processor=None, score_cutoff=config.similarity, workers=-1, dtype=np.uint8
    )
    seconds = time.perf_counter() - start
    return seconds * (len(norms) / rows) / 2  # a symmetric scorer needs half the matrix


class _PackedTruth:
    """The ground truth as three int32 arrays in memory order.

    The benchmark's answer key is no part of what a user's process holds, so
    it is packed while ``consolidate`` runs (the Truth dicts cost ~170 bytes
    per memory) and unpacked to score the result.
    """

    def __init__(self, memories: tuple[Memory, ...], truth: Truth) -> None:
        self.fact = np.array([truth.fact[m.id] for m in memories], dtype=np.int32)
        self.slot = np.array([truth.slot[m.id] for m in memories], dtype=np.int32)
        self.step = np.array([truth.step[m.id] for m in memories], dtype=np.int32)
        self.rest = (truth.last_step, truth.conflict_slots, truth.counts)

    def unpack(self, memories: tuple[Memory, ...]) -> Truth:
        ids = [m.id for m in memories]
        last_step, conflict_slots, counts = self.rest
        return Truth(
            fact=dict(zip(ids, self.fact.tolist())),
            slot=dict(zip(ids, self.slot.tolist())),
            step=dict(zip(ids, self.step.tolist())),
            last_step=last_step,
            conflict_slots=conflict_slots,
            counts=counts,
        )


def child(n: int, sample: int, exact: bool) -> dict[str, Any]:
    config = ConsolidationConfig()
    start = time.perf_counter()
    synthetic = generate(n, seed=SEED)
    generate_s = time.perf_counter() - start
    memories, packed = synthetic.memories, _PackedTruth(synthetic.memories, synthetic.truth)
    del synthetic
    gc.collect()
    rss_input = _rss_mb()

    start, cpu = time.perf_counter(), time.process_time()
    result = consolidate(memories, config=config)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = peak_rss_mb()
    truth = packed.unpack(memories)
    scores = evaluate(result, truth)
    out: dict[str, Any] = {
        "memories": n,
        "generate_seconds": round(generate_s, 2),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "stage_seconds": {k: round(v, 2) for k, v in result.timings.items()},
        "peak_rss_mb": round(peak),
        "input_rss_mb": round(rss_input),
        "rss_over_input_mb": round(peak - rss_input),
        "stats": dict(result.stats),
        "truth": truth.counts,
        "scores": scores.to_json(),
    }

    rng = random.Random(SEED)
    subset = rng.sample(list(memories), min(sample, n))
    out["oracle"] = _pair_recall(subset, config)
    out["oracle"]["sample"] = len(subset)
    start = time.perf_counter()
    consolidate(subset, config=ConsolidationConfig(candidates="blocked"))
    blocked_e2e = time.perf_counter() - start
    start = time.perf_counter()
    consolidate(subset, config=ConsolidationConfig(candidates="exact"))
    exact_e2e = time.perf_counter() - start
    out["sample_end_to_end"] = {"blocked_seconds": round(blocked_e2e, 2), "exact_seconds": round(exact_e2e, 2)}

    if exact:
        full = _pair_recall(memories, config)
        start = time.perf_counter()
        consolidate(memories, config=ConsolidationConfig(candidates="exact"))
        full["end_to_end_exact_seconds"] = round(time.perf_counter() - start, 2)
        full["naive_exact_seconds_extrapolated"] = round(_naive_exact_estimate(memories, config), 1)
        out["exact_full"] = full
    return out


def _run_child(n: int, sample: int, exact: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.consolidation", "--child", str(n), str(sample), "1" if exact else "0"]
    print(f"running {n:,} memories ...", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.consolidation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k memories only")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated store sizes")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        n, sample, exact = int(args.child[0]), int(args.child[1]), args.child[2] == "1"
        print(json.dumps(child(n, sample, exact)))
        return
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    runs = [_run_child(n, SAMPLE, n == EXACT_AT) for n in sizes]

    rows: list[list[Any]] = []

    def row(what: str, pick) -> None:
        values = []
        for r in runs:
            try:
                values.append(_fmt(pick(r)))
            except (KeyError, TypeError, ZeroDivisionError):
                values.append("-")
        rows.append([what, *values])

    row("consolidate wall time (s)", lambda r: r["seconds"])
    row("consolidate CPU time, all threads (s)", lambda r: r["cpu_seconds"])
    row("machine load average after the run", lambda r: r["load_average_after"])
    row("peak RSS, whole process (MB)", lambda r: r["peak_rss_mb"])
    row("peak RSS above the generated input (MB)", lambda r: r["rss_over_input_mb"])
    row("distinct normal forms", lambda r: r["stats"]["norms"])
    row("candidate pairs scored", lambda r: r["stats"]["candidates"])
    row("similar pairs (>= threshold)", lambda r: r["stats"]["similar_pairs"])
    row("oracle sample size", lambda r: r["oracle"]["sample"])
    row("pair recall vs exact (sample)", lambda r: r["oracle"]["recall"])
    row("pairs the exact path rejects", lambda r: r["oracle"]["false_pairs"])
    row("duplicate precision", lambda r: r["scores"]["duplicate_precision"])
    row("duplicate recall", lambda r: r["scores"]["duplicate_recall"])
    row("update precision", lambda r: r["scores"]["update_precision"])
    row("update recall", lambda r: r["scores"]["update_recall"])
    row("unrelated retirements", lambda r: r["scores"]["unrelated_retirements"])
    row("retirements of a newer value (same subject)", lambda r: r["scores"]["backwards_retirements"])
    row("conflicts found / expected", lambda r: f"{r['scores']['conflicts_found']:,} / {r['scores']['conflicts_expected']:,}")
    row("ambiguous pairs handed on", lambda r: r["scores"]["ambiguous"])
    row("sample: pair finding, blocked (s)", lambda r: r["oracle"]["blocked_seconds"])
    row("sample: pair finding, exact cdist (s)", lambda r: r["oracle"]["exact_seconds"])
    row("sample: pair finding speed-up (x)", lambda r: r["oracle"]["exact_seconds"] / r["oracle"]["blocked_seconds"])
    row("sample: end to end, blocked (s)", lambda r: r["sample_end_to_end"]["blocked_seconds"])
    row("sample: end to end, exact (s)", lambda r: r["sample_end_to_end"]["exact_seconds"])
    row("sample: end to end speed-up (x)",
        lambda r: r["sample_end_to_end"]["exact_seconds"] / r["sample_end_to_end"]["blocked_seconds"])
    row("full: pair finding, blocked (s)", lambda r: r["exact_full"]["blocked_seconds"])
    row("full: pair finding, exact cdist (s)", lambda r: r["exact_full"]["exact_seconds"])
    row("full: pair finding speed-up (x)",
        lambda r: r["exact_full"]["exact_seconds"] / r["exact_full"]["blocked_seconds"])
    row("full: pair recall vs exact", lambda r: r["exact_full"]["recall"])
    row("full: end to end, exact (s)", lambda r: r["exact_full"]["end_to_end_exact_seconds"])
    row("full: end to end speed-up (x)", lambda r: r["exact_full"]["end_to_end_exact_seconds"] / r["seconds"])
    row("full: naive cdist over all memories (s, extrapolated)",
        lambda r: r["exact_full"]["naive_exact_seconds_extrapolated"])
    row("full: speed-up vs naive cdist (x, extrapolated)",
        lambda r: r["exact_full"]["naive_exact_seconds_extrapolated"] / r["seconds"])

    columns = ["what", *[f"{r['memories']:,}" for r in runs]]
    report(
        "consolidation",
        "Consolidation core on synthetic stores (threshold 88, 2 workers)",
        columns,
        rows,
        {"runs": runs, "targets": {
            "100k_seconds": 15, "1M_seconds": 180, "1M_peak_rss_mb": 2048, "speedup_at_100k": 50,
            "duplicate_precision": 0.98, "duplicate_recall": 0.95, "update_precision": 0.95,
            "unrelated_retirements": 0,
        }},
    )


if __name__ == "__main__":
    main()
