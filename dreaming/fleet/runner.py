"""One shard's night: its stores one after another in this process, then its summary.

``dreaming run --stores GLOB --shards N`` (with ``JOB_COMPLETION_INDEX`` set by
a Kubernetes Indexed Job, or ``--shard-index``) lists the stores, keeps its
shard's (``dreaming.fleet.shards.select``) and dreams each with the same
:class:`~dreaming.unattended.once.RunRequest`: a store in object storage
through :func:`~dreaming.fleet.remote.with_remote_store` (download, dream,
conditional upload, a lost race dreamed again from a fresh download), a
local one in place.  One store's failure is recorded and the shard goes on.

The summary goes to ``ROOT/RUN_ID/shard-IIII-of-NNNN.json``.  When the job
retries a failed index (``backoffLimitPerIndex``), the new pod finds its
summary of the same run and dreams only the stores that failed (the others
are carried over), so a retry costs what failed, not the whole shard.
"""

from __future__ import annotations

import glob as globlib
import json
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dreaming.errors import DreamingError
from dreaming.fleet.objects import Objects, S3Url, is_url, literal_prefix
from dreaming.fleet.shards import ShardSummary, StoreLine, classify, select, summary_name
from dreaming.unattended.once import RunRequest, dream_once

SUMMARY_FOLDER = ".dreaming-fleet/"


def list_stores(pattern: str, objects: Objects | None = None) -> list[str]:
    """The stores a glob names (``s3://`` or local), sorted; an error when none."""
    if is_url(pattern):
        found = [str(u) for u in (objects or Objects()).glob(pattern)]
    else:
        found = sorted(p for p in globlib.glob(pattern, recursive=True) if Path(p).is_file())
    if not found:
        raise DreamingError(f"no store matches {pattern!r} (quote the pattern so the shell does not expand it)")
    return found


def default_summary_root(pattern: str) -> str:
    """Where a fleet's summaries go unless told: ``.dreaming-fleet/`` under the glob's fixed part."""
    if is_url(pattern):
        url = S3Url.parse(pattern)
        base = literal_prefix(url.key).rpartition("/")[0]
        return str(S3Url(url.bucket, (base + "/" if base else "") + SUMMARY_FOLDER))
    head = literal_prefix(pattern).rpartition("/")[0] or "."
    return os.path.join(head, SUMMARY_FOLDER)


def summary_root(value: str) -> str:
    """``fleet status`` takes the summary folder or the stores' glob itself."""
    if any(c in value for c in "*?[") or value.endswith(".db"):
        return default_summary_root(value)
    return value if value.endswith("/") else value + "/"


def default_run_id(env: dict[str, str] | None = None) -> str:
    """The night's name: ``DREAMING_FLEET_RUN`` (the job's name on Kubernetes), else today's UTC date."""
    env = dict(os.environ) if env is None else env
    return env.get("DREAMING_FLEET_RUN") or datetime.now(timezone.utc).strftime("%Y-%m-%d")


# -- summaries, in object storage or in a local folder -------------------------------------


def write_summary(root: str, summary: ShardSummary, objects: Objects | None = None) -> str:
    name = summary_name(summary.run_id, summary.shard, summary.shards)
    data = summary.to_json()
    if is_url(root):
        url = S3Url.parse(root).child(name)
        (objects or Objects()).write_json(url, data)
        return str(url)
    path = Path(root) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)
    return str(path)


def read_summary(root: str, run_id: str, shard: int, shards: int, objects: Objects | None = None) -> ShardSummary | None:
    name = summary_name(run_id, shard, shards)
    if is_url(root):
        data = (objects or Objects()).read_json(S3Url.parse(root).child(name))
    else:
        path = Path(root) / name
        data = json.loads(path.read_text()) if path.is_file() else None
    return ShardSummary.from_json(data) if data else None


def read_night(root: str, run_id: str | None = None, objects: Objects | None = None) -> list[ShardSummary]:
    """Every shard summary of one night: ``run_id``, or the night written last."""
    entries: list[tuple[str, float, S3Url | Path]] = []  # (run id, time written, where)
    if is_url(root):
        objects = objects or Objects()
        base = S3Url.parse(root)
        for info in objects.listing(base):
            rel = info.url.key[len(base.key):]
            if rel.count("/") == 1 and rel.endswith(".json"):
                entries.append((rel.split("/")[0], info.modified.timestamp(), info.url))
    elif Path(root).is_dir():
        for path in Path(root).glob("*/shard-*.json"):
            entries.append((path.parent.name, path.stat().st_mtime, path))
    if not entries:
        raise DreamingError(f"{root}: no fleet summaries here (shards write them when they finish)")
    if run_id is None:
        run_id = max(entries, key=lambda e: e[1])[0]
    chosen = [_read(where, objects) for rid, _, where in entries if rid == run_id]
    if not chosen:
        runs = sorted({rid for rid, _, _ in entries})
        raise DreamingError(f"{root}: no summaries for run {run_id!r}; runs here: {', '.join(runs[-5:])}")
    return [ShardSummary.from_json(d) for d in chosen if d]


def _read(where: S3Url | Path, objects: Objects | None) -> Any:
    if isinstance(where, Path):
        try:
            return json.loads(where.read_text())
        except ValueError as err:
            raise DreamingError(f"{where}: not JSON ({err})") from None
    return (objects or Objects()).read_json(where)


# -- the shard --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ShardPlan:
    pattern: str
    shard: int
    shards: int
    run_id: str
    #: summary folder (``s3://`` or local); None: no summary
    root: str | None
    #: the request for one store (its transcripts depend on the store)
    request_for: Callable[[str], RunRequest]


def _dream_store(store: str, request: RunRequest, objects: Objects, say: Callable[[str], None]) -> StoreLine:
    start = time.perf_counter()
    try:
        if is_url(store):
            from dreaming.fleet.remote import with_remote_store

            result, moved = with_remote_store(objects, S3Url.parse(store), lambda p: dream_once(p, request), say=say)
            transfer, races = moved.transfer_seconds, moved.races
        else:
            result, transfer, races = dream_once(Path(store), request), 0.0, 0
    except DreamingError as err:
        return StoreLine(store=store, status="failed", seconds=time.perf_counter() - start, error=str(err))
    except Exception as err:  # one store's bug must not stop the shard; it is reported with its type
        return StoreLine(store=store, status="failed", seconds=time.perf_counter() - start,
                         error=f"{type(err).__name__}: {err}")
    report = result.to_json()
    return StoreLine(store=store, status=classify(report), seconds=time.perf_counter() - start,
                     transfer_seconds=transfer, races=races, version=report.get("version"),
                     cost=report.get("cost") or {})


def run_shard(plan: ShardPlan, stores: Sequence[str], *, objects: Objects | None = None,
              say: Callable[[str], None] = lambda _: None) -> ShardSummary:
    """Dream this shard's share of ``stores`` and write its summary."""
    objects = objects or Objects()
    mine = select(stores, plan.shard, plan.shards)
    before = read_summary(plan.root, plan.run_id, plan.shard, plan.shards, objects) if plan.root else None
    done = {line.store: line for line in (before.stores if before else ()) if line.status != "failed"}
    if done:
        say(f"shard {plan.shard}: {len(done)} of {len(mine)} stores already done in run {plan.run_id}; "
            f"dreaming the other {len(mine) - len([s for s in mine if s in done])}")
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    lines: list[StoreLine] = []
    for i, store in enumerate(mine, 1):
        if store in done:
            lines.append(done[store])
            continue
        line = _dream_store(store, plan.request_for(store), objects, say)
        lines.append(line)
        say(f"[shard {plan.shard}/{plan.shards}] {i}/{len(mine)} {store}: {line.status} ({line.seconds:.2f} s)"
            + (f": {line.error}" if line.error else ""))
    summary = ShardSummary(
        run_id=plan.run_id, shard=plan.shard, shards=plan.shards, pattern=plan.pattern,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        seconds=time.perf_counter() - clock, host=socket.gethostname(), stores=tuple(lines),
    )
    if plan.root:
        where = write_summary(plan.root, summary, objects)
        say(f"shard {plan.shard}: summary written to {where}")
    return summary


def transcripts_for_store(store: str, template: Sequence[str]) -> tuple[str, ...]:
    """Transcript folders or inboxes for one store: ``template`` with ``{dir}`` and
    ``{name}`` (the store's folder and its name) filled in; without one, a
    ``transcripts`` folder beside the store (for ``s3://``, the prefix beside it)."""
    if not is_url(store):
        from dreaming.unattended.many import transcripts_for

        return tuple(transcripts_for(Path(store), template))
    folder = S3Url.parse(store).parent
    base = str(folder).rstrip("/")
    if template:
        return tuple(t.format(dir=base, name=folder.name) for t in template)
    return (str(folder.child("transcripts/")),)
