"""Shards of a fleet, and what each reports (pure: no I/O).

A fleet job runs ``N`` pods (a Kubernetes Indexed Job); pod ``i`` takes the
stores whose :func:`stable_hash` modulo ``N`` is ``i`` (its
``JOB_COMPLETION_INDEX``).  The hash is of the store's URL or path as the
glob listed it, so every pod computes the same partition without talking to
the others, and a store stays in its shard night after night while ``N``
does not change.

Each shard writes one :class:`ShardSummary` (a JSON object) under
``ROOT/RUN_ID/shard-IIII-of-NNNN.json``; :func:`merge` reads the night's
summaries back into one :class:`FleetView` (``dreaming fleet status``) and
:func:`fleet_cost` adds up every store's bill (``dreaming fleet cost``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dreaming.cost.meter import CostBreakdown, CostLines, Usage

#: a store's outcome in a summary, in the order the table shows them
STATUSES = ("dreamed", "nothing", "skipped", "held", "failed")
#: what each status means, under the table
MEANINGS = {"dreamed": "a new version accepted", "nothing": "no new sessions", "skipped": "a trigger did not hold",
            "held": "a candidate held for review", "failed": "see below; retried by the job"}


def stable_hash(name: str) -> int:
    """The same number for the same store on every machine and Python (not ``hash()``)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")


def shard_of(name: str, shards: int) -> int:
    return stable_hash(name) % shards


def select(stores: Iterable[str], shard: int, shards: int) -> list[str]:
    """The stores shard ``shard`` of ``shards`` takes, in the order given."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not in 0..{shards - 1}")
    return [s for s in stores if shard_of(s, shards) == shard]


def summary_name(run_id: str, shard: int, shards: int) -> str:
    return f"{run_id}/shard-{shard:04d}-of-{shards:04d}.json"


def classify(report: Mapping[str, Any]) -> str:
    """A store's status in the summary from its ``dreaming run --json`` report."""
    status = report.get("status")
    if status in ("skipped", "nothing", "failed"):
        return str(status)
    if report.get("version_status") == "candidate":
        return "held"  # --review, or the guard held a large dream back
    return "dreamed"


@dataclass(frozen=True, kw_only=True)
class StoreLine:
    """One store's night in its shard's summary."""

    store: str
    status: str
    seconds: float
    #: seconds of the above spent downloading and uploading the store
    transfer_seconds: float = 0.0
    #: races lost to another writer (each retried from a fresh download)
    races: int = 0
    version: int | None = None
    error: str | None = None
    #: the dream's bill (``runs.cost`` / the report's ``cost``; empty offline)
    cost: Mapping[str, Any] = field(default_factory=dict)

    @property
    def usd(self) -> Decimal:
        return Decimal(str((self.cost.get("usd") or {}).get("total", 0)))

    def to_json(self) -> dict[str, Any]:
        return {"store": self.store, "status": self.status, "seconds": round(self.seconds, 4),
                "transfer_seconds": round(self.transfer_seconds, 4), "races": self.races, "version": self.version,
                "error": self.error, "cost": dict(self.cost)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoreLine:
        return cls(store=str(data["store"]), status=str(data["status"]), seconds=float(data.get("seconds", 0)),
                   transfer_seconds=float(data.get("transfer_seconds", 0)), races=int(data.get("races", 0)),
                   version=data.get("version"), error=data.get("error"), cost=data.get("cost") or {})


@dataclass(frozen=True, kw_only=True)
class ShardSummary:
    run_id: str
    shard: int
    shards: int
    pattern: str
    started_at: str
    finished_at: str
    seconds: float
    host: str = ""
    stores: tuple[StoreLine, ...] = ()

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for line in self.stores:
            out[line.status] = out.get(line.status, 0) + 1
        return out

    @property
    def usd(self) -> Decimal:
        return sum((line.usd for line in self.stores), Decimal(0))

    @property
    def failed(self) -> list[StoreLine]:
        return [line for line in self.stores if line.status == "failed"]

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "shard": self.shard, "shards": self.shards, "pattern": self.pattern,
                "started_at": self.started_at, "finished_at": self.finished_at, "seconds": round(self.seconds, 3),
                "host": self.host, "counts": self.counts(), "usd": float(self.usd),
                "stores": [line.to_json() for line in self.stores]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShardSummary:
        return cls(run_id=str(data["run_id"]), shard=int(data["shard"]), shards=int(data["shards"]),
                   pattern=str(data.get("pattern", "")), started_at=str(data.get("started_at", "")),
                   finished_at=str(data.get("finished_at", "")), seconds=float(data.get("seconds", 0)),
                   host=str(data.get("host", "")),
                   stores=tuple(StoreLine.from_json(s) for s in data.get("stores", ())))


@dataclass(frozen=True, kw_only=True)
class FleetView:
    """A night's shards merged."""

    run_id: str
    shards: int
    summaries: tuple[ShardSummary, ...]
    #: shard indexes with no summary (not finished, or failed before writing it)
    missing: tuple[int, ...] = ()
    #: stores that more than one shard reported (the shard count changed mid-night?)
    duplicates: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for s in self.summaries:
            for k, v in s.counts().items():
                out[k] = out.get(k, 0) + v
        return out

    @property
    def stores(self) -> int:
        return sum(len(s.stores) for s in self.summaries)

    @property
    def usd(self) -> Decimal:
        return sum((s.usd for s in self.summaries), Decimal(0))

    @property
    def races(self) -> int:
        """Uploads refused because another worker wrote the store first (each dreamed again)."""
        return sum(line.races for s in self.summaries for line in s.stores)

    @property
    def seconds(self) -> float:
        """Wall time: the slowest shard (they run side by side)."""
        return max((s.seconds for s in self.summaries), default=0.0)

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "shards": self.shards, "reported": len(self.summaries),
                "missing": list(self.missing), "duplicates": list(self.duplicates), "stores": self.stores,
                "counts": self.counts(), "seconds": round(self.seconds, 3), "usd": float(self.usd),
                "races": self.races,
                "by_shard": [{"shard": s.shard, "stores": len(s.stores), "counts": s.counts(),
                              "seconds": round(s.seconds, 3), "usd": float(s.usd)} for s in self.summaries],
                "failed": [{"store": line.store, "error": line.error}
                           for s in self.summaries for line in s.failed]}


def merge(summaries: Sequence[ShardSummary]) -> FleetView:
    """One night's shard summaries (one run id) as one view."""
    if not summaries:
        raise ValueError("no summaries to merge")
    run_id = summaries[0].run_id
    shards = max(s.shards for s in summaries)
    ordered = tuple(sorted(summaries, key=lambda s: s.shard))
    seen: dict[str, int] = {}
    for s in ordered:
        for line in s.stores:
            seen[line.store] = seen.get(line.store, 0) + 1
    present = {s.shard for s in ordered}
    return FleetView(run_id=run_id, shards=shards, summaries=ordered,
                     missing=tuple(i for i in range(shards) if i not in present),
                     duplicates=tuple(sorted(k for k, v in seen.items() if v > 1)))


@dataclass(frozen=True, kw_only=True)
class FleetCost:
    """The night's bill over every store: by model and by stage."""

    run_id: str
    stores_billed: int
    usage: Usage
    usd: CostLines
    by_model: Mapping[str, CostBreakdown]
    by_stage: Mapping[str, CostBreakdown]

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "stores_billed": self.stores_billed, "tokens": self.usage.to_json(),
                "usd": self.usd.to_json(),
                "by_model": {k: v.to_json() for k, v in sorted(self.by_model.items())},
                "by_stage": {k: v.to_json() for k, v in sorted(self.by_stage.items())}}


def _add(table: dict[str, CostBreakdown], name: str, part: CostBreakdown) -> None:
    old = table.get(name)
    table[name] = part if old is None else CostBreakdown(usage=old.usage + part.usage, usd=old.usd + part.usd)


def fleet_cost(view: FleetView) -> FleetCost:
    """Every store's bill added up."""
    by_model: dict[str, CostBreakdown] = {}
    by_stage: dict[str, CostBreakdown] = {}
    usage, usd, billed = Usage(), CostLines(), 0
    for summary in view.summaries:
        for line in summary.stores:
            if not line.cost:
                continue
            billed += 1
            total = CostBreakdown.from_json({"tokens": line.cost.get("tokens", {}), "usd": line.cost.get("usd", {})})
            usage, usd = usage + total.usage, usd + total.usd
            for name, part in (line.cost.get("by_model") or {}).items():
                _add(by_model, name, CostBreakdown.from_json(part))
            for name, part in (line.cost.get("by_stage") or {}).items():
                _add(by_stage, name, CostBreakdown.from_json(part))
    return FleetCost(run_id=view.run_id, stores_billed=billed, usage=usage, usd=usd, by_model=by_model,
                     by_stage=by_stage)
