"""What a run cost: additive usage records, a meter, and the cost report.

Why a meter fed only by returned usage: the bill must be exact and auditable,
so the only token counts that reach a report are the ones the API put in its
replies (``usage``); estimates never do.  Runtime is the time the run was
*working*: the meter runs between ``start()`` and ``stop()`` and pauses while
the run waits on a batch (``with meter.waiting():``), like Managed Agents'
active-runtime billing, where idle time is free.

The budget (``--max-cost``) lives here too because it needs the same lock as
the spend: a request may start only if what is spent so far, plus what the
requests in flight could still cost, plus this request's worst case, stays
within the cap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

from dreaming.cost.prices import ModelPrice, PriceTable

MILLION = Decimal(1_000_000)
MICRO = Decimal("0.000001")


@dataclass(frozen=True, kw_only=True)
class Usage:
    """Token and tool counts, as the API reports them; ``a + b`` adds field by field."""

    input_tokens: int = 0
    """Uncached input tokens (the API's ``input_tokens``)."""
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    web_search_requests: int = 0
    requests: int = 0
    """Replies counted (each API reply adds 1)."""

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def total_input_tokens(self) -> int:
        """Every input token the model read: uncached, written to and read from the cache."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    def to_json(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Usage:
        return cls(**{f.name: int(data.get(f.name, 0)) for f in fields(cls)})


@dataclass(frozen=True, kw_only=True)
class CostLines:
    """USD by line.  ``batch_discount`` is negative (money saved by the Batches API)."""

    input: Decimal = Decimal(0)
    output: Decimal = Decimal(0)
    cache_write: Decimal = Decimal(0)
    cache_read: Decimal = Decimal(0)
    batch_discount: Decimal = Decimal(0)
    web_search: Decimal = Decimal(0)
    runtime: Decimal = Decimal(0)

    def __add__(self, other: CostLines) -> CostLines:
        if not isinstance(other, CostLines):
            return NotImplemented
        return CostLines(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def tokens(self) -> Decimal:
        """Token charges after the batch discount."""
        return self.input + self.output + self.cache_write + self.cache_read + self.batch_discount

    @property
    def total(self) -> Decimal:
        return self.tokens + self.web_search + self.runtime

    def to_json(self) -> dict[str, float]:
        lines = {f.name: getattr(self, f.name) for f in fields(self)}
        lines.update(tokens=self.tokens, total=self.total)
        return {name: _usd(value) for name, value in lines.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CostLines:
        return cls(**{f.name: Decimal(str(data.get(f.name, 0))) for f in fields(cls)})


def _usd(value: Decimal) -> float:
    """JSON carries dollars to the micro-dollar; reports round to cents when shown."""
    return float(value.quantize(MICRO))


def token_cost(usage: Usage, price: ModelPrice, prices: PriceTable, *, batched: bool) -> CostLines:
    """The USD lines of one usage record at one model's prices (no runtime)."""
    lines = CostLines(
        input=usage.input_tokens * price.input / MILLION,
        output=usage.output_tokens * price.output / MILLION,
        cache_write=(usage.cache_write_5m_tokens * price.cache_write_5m + usage.cache_write_1h_tokens * price.cache_write_1h)
        / MILLION,
        cache_read=usage.cache_read_tokens * price.cache_read / MILLION,
        web_search=usage.web_search_requests * prices.web_search_per_1000 / 1000,
    )
    if batched:
        lines = replace(lines, batch_discount=-(lines.tokens * prices.batch_discount))
    return lines


def runtime_cost(active_seconds: float, prices: PriceTable) -> Decimal:
    return Decimal(str(active_seconds)) / 3600 * prices.runtime_per_hour


def worst_case_cost(
    prices: PriceTable, model: str, *, input_tokens: int, max_tokens: int, cache_ttl: str | None, batched: bool
) -> Decimal:
    """The most a request can cost: every input token at the dearer of input and cache-write
    price (when it carries ``cache_control``), and ``max_tokens`` of output."""
    price = prices.lookup(model).price
    per_input = max(price.input, price.cache_write(cache_ttl)) if cache_ttl else price.input
    tokens = (input_tokens * per_input + max_tokens * price.output) / MILLION
    return tokens * (1 - prices.batch_discount) if batched else tokens


@dataclass(frozen=True, kw_only=True)
class CostBreakdown:
    """One stage's (or one model's) share of the bill; runtime is not attributed."""

    usage: Usage
    usd: CostLines

    def to_json(self) -> dict[str, Any]:
        return {"tokens": self.usage.to_json(), "usd": self.usd.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CostBreakdown:
        return cls(usage=Usage.from_json(data.get("tokens", {})), usd=CostLines.from_json(data.get("usd", {})))


@dataclass(frozen=True, kw_only=True)
class NaiveComparison:
    """The bill of the naive design: the whole store plus every new transcript sent to the model."""

    model: str
    input_tokens: int
    output_tokens: int
    usd: Decimal
    usd_batch: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "usd": _usd(self.usd),
            "usd_batch": _usd(self.usd_batch),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NaiveComparison:
        return cls(
            model=data["model"],
            input_tokens=int(data["input_tokens"]),
            output_tokens=int(data["output_tokens"]),
            usd=Decimal(str(data["usd"])),
            usd_batch=Decimal(str(data["usd_batch"])),
        )


def naive_cost(prices: PriceTable, *, model: str, input_tokens: int, output_tokens: int) -> NaiveComparison:
    """Price the naive whole-store request, standard and batched (no cache: its input is new every run)."""
    price = prices.lookup(model).price
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
    return NaiveComparison(
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        usd=token_cost(usage, price, prices, batched=False).total,
        usd_batch=token_cost(usage, price, prices, batched=True).total,
    )


@dataclass(frozen=True, kw_only=True)
class CostReport:
    """The bill of one run (or one estimate): tokens by type, USD by line, per stage and model."""

    usage: Usage
    usd: CostLines
    active_seconds: float
    by_stage: Mapping[str, CostBreakdown] = field(default_factory=dict)
    by_model: Mapping[str, CostBreakdown] = field(default_factory=dict)
    prices_as_of: str = ""
    runtime_per_hour: Decimal = Decimal(0)
    max_cost: Decimal | None = None
    refused_requests: int = 0
    """Requests the budget did not let start."""
    warnings: tuple[str, ...] = ()
    naive: NaiveComparison | None = None
    estimate: bool = False
    """True for a projection (``dreaming estimate``), False for metered usage."""

    @property
    def total(self) -> Decimal:
        return self.usd.total

    def with_naive(self, naive: NaiveComparison | None) -> CostReport:
        return replace(self, naive=naive)

    def to_json(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "tokens": self.usage.to_json(),
            "usd": self.usd.to_json(),
            "active_seconds": round(self.active_seconds, 3),
            "runtime_per_hour": _usd(self.runtime_per_hour),
            "by_stage": {name: part.to_json() for name, part in sorted(self.by_stage.items())},
            "by_model": {name: part.to_json() for name, part in sorted(self.by_model.items())},
            "prices_as_of": self.prices_as_of,
            "max_cost": None if self.max_cost is None else _usd(self.max_cost),
            "refused_requests": self.refused_requests,
            "warnings": list(self.warnings),
            "naive": self.naive.to_json() if self.naive else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CostReport:
        """Read back a report stored in a run's row (``runs.cost``)."""
        return cls(
            usage=Usage.from_json(data.get("tokens", {})),
            usd=CostLines.from_json(data.get("usd", {})),
            active_seconds=float(data.get("active_seconds", 0)),
            by_stage={k: CostBreakdown.from_json(v) for k, v in (data.get("by_stage") or {}).items()},
            by_model={k: CostBreakdown.from_json(v) for k, v in (data.get("by_model") or {}).items()},
            prices_as_of=str(data.get("prices_as_of", "")),
            runtime_per_hour=Decimal(str(data.get("runtime_per_hour", 0))),
            max_cost=None if data.get("max_cost") is None else Decimal(str(data["max_cost"])),
            refused_requests=int(data.get("refused_requests", 0)),
            warnings=tuple(data.get("warnings") or ()),
            naive=NaiveComparison.from_json(data["naive"]) if data.get("naive") else None,
            estimate=bool(data.get("estimate", False)),
        )


def build_report(
    prices: PriceTable,
    records: Mapping[tuple[str, str, bool], Usage],
    *,
    active_seconds: float,
    max_cost: Decimal | None = None,
    refused_requests: int = 0,
    estimate: bool = False,
) -> CostReport:
    """Price usage records keyed by (stage, model, batched) into a report."""
    by_stage: dict[str, CostBreakdown] = {}
    by_model: dict[str, CostBreakdown] = {}
    warnings: list[str] = []
    total_usage, total_usd = Usage(), CostLines()
    for (stage, model, batched), usage in sorted(records.items()):
        lookup = prices.lookup(model)
        if lookup.warning and lookup.warning not in warnings:
            warnings.append(lookup.warning)
        lines = token_cost(usage, lookup.price, prices, batched=batched)
        for table, name in ((by_stage, stage), (by_model, model)):
            part = table.get(name, CostBreakdown(usage=Usage(), usd=CostLines()))
            table[name] = CostBreakdown(usage=part.usage + usage, usd=part.usd + lines)
        total_usage, total_usd = total_usage + usage, total_usd + lines
    return CostReport(
        usage=total_usage,
        usd=replace(total_usd, runtime=runtime_cost(active_seconds, prices)),
        active_seconds=active_seconds,
        by_stage=by_stage,
        by_model=by_model,
        prices_as_of=prices.as_of,
        runtime_per_hour=prices.runtime_per_hour,
        max_cost=max_cost,
        refused_requests=refused_requests,
        warnings=tuple(warnings),
        estimate=estimate,
    )


@dataclass(frozen=True)
class Reservation:
    """Budget held for a request in flight, released when its usage is recorded."""

    amount: Decimal


class CostMeter:
    """Thread-safe spend and active-runtime meter for one run, with the ``--max-cost`` budget.

    ``clock`` returns seconds (monotonic); tests inject a fake one.
    """

    def __init__(
        self,
        prices: PriceTable,
        *,
        max_cost: Decimal | float | str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prices = prices
        self.max_cost = None if max_cost is None else Decimal(str(max_cost))
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str, bool], Usage] = {}
        self._reserved = Decimal(0)
        self._refused = 0
        self._active = 0.0
        self._running_since: float | None = None
        self._waiting_depth = 0
        #: said once on the bill (e.g. "batch mode runs as sync on Bedrock")
        self.notes: list[str] = []

    # -- runtime -------------------------------------------------------------

    def start(self) -> None:
        """The run starts working (idempotent)."""
        with self._lock:
            if self._running_since is None:
                self._running_since = self._clock()

    def stop(self) -> None:
        """The run stops working; active time so far is kept."""
        with self._lock:
            self._pause()

    def _pause(self) -> None:
        if self._running_since is not None and self._waiting_depth == 0:
            self._active += self._clock() - self._running_since
        self._running_since = None

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Time inside this block (waiting on a batch) is not active runtime."""
        with self._lock:
            self._waiting_depth += 1
            if self._waiting_depth == 1 and self._running_since is not None:
                now = self._clock()
                self._active += now - self._running_since
                self._running_since = now
        try:
            yield
        finally:
            with self._lock:
                self._waiting_depth -= 1
                if self._waiting_depth == 0 and self._running_since is not None:
                    self._running_since = self._clock()

    @property
    def active_seconds(self) -> float:
        with self._lock:
            return self._active_now()

    def _active_now(self) -> float:
        if self._running_since is None or self._waiting_depth:
            return self._active
        return self._active + self._clock() - self._running_since

    # -- spend ---------------------------------------------------------------

    def record(self, *, stage: str, model: str, usage: Usage, batched: bool) -> None:
        """Add usage returned by the API."""
        key = (stage, model, batched)
        with self._lock:
            self._records[key] = self._records.get(key, Usage()) + usage

    def _spent(self) -> Decimal:
        report = build_report(self.prices, self._records, active_seconds=self._active_now())
        return report.total

    @property
    def spent(self) -> Decimal:
        """USD so far: tokens, web search and active runtime."""
        with self._lock:
            return self._spent()

    def reserve(self, worst_case: Decimal) -> Reservation | None:
        """Hold ``worst_case`` for a request about to start, or None if it could break the cap."""
        with self._lock:
            if self.max_cost is not None and self._spent() + self._reserved + worst_case > self.max_cost:
                self._refused += 1
                return None
            self._reserved += worst_case
            return Reservation(worst_case)

    def release(self, reservation: Reservation) -> None:
        with self._lock:
            self._reserved -= reservation.amount

    def headroom(self) -> Decimal | None:
        """USD a new request may still use (None without a cap)."""
        with self._lock:
            if self.max_cost is None:
                return None
            return self.max_cost - self._spent() - self._reserved

    def report(self) -> CostReport:
        with self._lock:
            report = build_report(
                self.prices,
                self._records,
                active_seconds=self._active_now(),
                max_cost=self.max_cost,
                refused_requests=self._refused,
            )
            return replace(report, warnings=(*report.warnings, *self.notes)) if self.notes else report
