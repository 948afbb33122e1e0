"""Dreaming many stores in one job (``dreaming run --stores GLOB``).

Teams run one memory store per agent.  A nightly job dreams them all: each
store in its own child process (``python -m dreaming --store S run ...``), a
few at a time, so a failure, a crash or a held lock in one store never stops
the others, and each store keeps its own lock, triggers and crash safety
exactly as when dreamed alone.  The parent only collects each child's JSON
report (or its one-line error) into a summary.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dreaming.errors import DreamingError


@dataclass(frozen=True, kw_only=True)
class StoreOutcome:
    store: str
    exit_code: int
    seconds: float
    report: dict[str, Any] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_json(self) -> dict[str, Any]:
        return {"store": self.store, "ok": self.ok, "exit_code": self.exit_code, "seconds": round(self.seconds, 3),
                "report": self.report, "error": self.error}


def expand_stores(pattern: str) -> list[Path]:
    """The store files a glob names (``**`` allowed), sorted; an error when none."""
    matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not matches:
        raise DreamingError(f"no store file matches {pattern!r} (quote the pattern so the shell does not expand it)")
    return matches


def transcripts_for(store: Path, template: Sequence[str]) -> list[str]:
    """Transcript folders for one store: ``template`` with ``{dir}`` (the
    store's folder) and ``{name}`` (that folder's name) filled in; without a
    template, a ``transcripts`` folder beside the store or one level up."""
    folder = store.parent
    if template:
        return [t.format(dir=folder, name=folder.name) for t in template]
    for candidate in (folder / "transcripts", folder.parent / "transcripts"):
        if candidate.is_dir():
            return [str(candidate)]
    return []


def _one(store: Path, args: Sequence[str], transcripts: list[str], env: dict[str, str], timeout: float | None) -> StoreOutcome:
    command = [sys.executable, "-m", "dreaming", "--store", str(store), "run", "--json", "--quiet", *args]
    if transcripts:
        for t in transcripts:
            command += ["--transcripts", t]
    else:
        command.append("--no-ingest")
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return StoreOutcome(store=str(store), exit_code=124, seconds=time.perf_counter() - start,
                            error=f"timed out after {timeout:.0f} s")
    seconds = time.perf_counter() - start
    report = None
    if done.returncode == 0:
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            return StoreOutcome(store=str(store), exit_code=1, seconds=seconds,
                                error="the dream printed no JSON report: " + (done.stdout.strip()[-200:] or "(nothing)"))
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    error = None if done.returncode == 0 else (lines[-1] if lines else f"exit code {done.returncode}")
    if error and error.startswith("Error: "):
        error = error[len("Error: "):]
    return StoreOutcome(store=str(store), exit_code=done.returncode, seconds=seconds, report=report, error=error)


def dream_many(
    stores: Sequence[Path], args: Sequence[str], *, transcripts: Sequence[str] = (), jobs: int | None = None,
    timeout: float | None = None,
) -> list[StoreOutcome]:
    """Dream every store in ``stores`` with the ``dreaming run`` arguments ``args``."""
    env = dict(os.environ)
    env.pop("DREAMING_STORE", None)
    workers = max(1, min(jobs or (os.cpu_count() or 2), len(stores)))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # threads only wait: the work is in child processes
        futures = [pool.submit(_one, s, args, transcripts_for(s, transcripts), env, timeout) for s in stores]
        return [f.result() for f in futures]
