"""The finished result of a suite: per-task outcomes on both versions, sizes, targets.

Everything a renderer, the JSON file or ``--json`` shows is computed here
from the outcomes, so the three never disagree.  Rates are fractions (0..1).

*Overall* counts the answerable tasks only; must-not-answer tasks are
scored apart (their category's rate is the share abstained).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dreaming.evals.answerer import Outcome
from dreaming.evals.size import SizeFigures
from dreaming.evals.tasks import Task

OVERALL = "overall"
EMPTY = SizeFigures(memories=0, tokens=0, duplicates=0, superseded=0)


@dataclass(frozen=True, kw_only=True)
class CaseResult:
    """One task on both versions: one outcome per k (in the report's ``ks`` order) each."""

    task: Task
    before: tuple[Outcome, ...]
    after: tuple[Outcome, ...]


@dataclass(frozen=True, kw_only=True)
class UnitSizes:
    """The two versions compared for one store (a LoCoMo conversation, the drift store, the user's store)."""

    unit: str
    before_version: int
    after_version: int
    before: SizeFigures
    after: SizeFigures


@dataclass(frozen=True, kw_only=True)
class TargetCheck:
    """One target of the issue, measured."""

    name: str
    passed: bool
    measured: str


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """A rate on both versions over ``n`` tasks (``None`` when there is nothing to measure)."""

    n: int
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def ratio(self) -> float | None:
        if self.before is None or self.after is None or self.before == 0:
            return None
        return self.after / self.before

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "before": self.before, "after": self.after, "delta": self.delta, "ratio": self.ratio}


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def compare(outcomes: Iterable[tuple[Outcome, Outcome]], metric: str) -> Comparison:
    """Mean of ``metric`` ("completed", "stale" or "recall") over (before, after) outcome pairs.

    ``recall`` skips tasks without evidence (``None``), so its ``n`` is the
    number of tasks that have some.
    """
    before: list[float] = []
    after: list[float] = []
    for b, a in outcomes:
        vb, va = getattr(b, metric), getattr(a, metric)
        if vb is None or va is None:
            continue
        before.append(float(vb))
        after.append(float(va))
    return Comparison(n=len(before), before=_mean(before), after=_mean(after))


@dataclass(frozen=True, kw_only=True)
class SuiteReport:
    """A before/after evaluation, finished."""

    suite: str
    """``tasks``, ``locomo`` or ``drift``."""
    dataset: str
    answerer: str
    ks: tuple[int, ...]
    main_k: int
    cases: tuple[CaseResult, ...]
    units: tuple[UnitSizes, ...]
    categories: tuple[str, ...]
    """Category names in display order."""
    targets: tuple[TargetCheck, ...] = ()
    notes: tuple[str, ...] = ()
    cost: Mapping[str, Any] | None = None
    """What the answerer's API calls cost (Claude answerer only)."""

    def with_targets(self, targets: Sequence[TargetCheck]) -> SuiteReport:
        return replace(self, targets=tuple(targets))

    # --- aggregates -------------------------------------------------------

    def _pairs(self, k: int, tasks: Iterable[CaseResult]) -> list[tuple[Outcome, Outcome]]:
        i = self.ks.index(k)
        return [(c.before[i], c.after[i]) for c in tasks]

    def cases_in(self, category: str) -> list[CaseResult]:
        if category == OVERALL:
            return [c for c in self.cases if c.task.answerable]
        return [c for c in self.cases if c.task.category == category]

    def completion(self, category: str = OVERALL, *, k: int | None = None) -> Comparison:
        return compare(self._pairs(k or self.main_k, self.cases_in(category)), "completed")

    def recall(self, category: str = OVERALL, *, k: int | None = None) -> Comparison:
        return compare(self._pairs(k or self.main_k, self.cases_in(category)), "recall")

    def stale(self, category: str = OVERALL, *, k: int | None = None) -> Comparison:
        """Stale-answer rate over the tasks that have outdated values."""
        cases = [c for c in self.cases_in(category) if c.task.answerable and c.task.wrong]
        return compare(self._pairs(k or self.main_k, cases), "stale")

    @property
    def size_before(self) -> SizeFigures:
        return sum((u.before for u in self.units[1:]), self.units[0].before) if self.units else EMPTY

    @property
    def size_after(self) -> SizeFigures:
        return sum((u.after for u in self.units[1:]), self.units[0].after) if self.units else EMPTY

    # --- JSON -------------------------------------------------------------

    def summary_json(self) -> dict[str, Any]:
        """The ``--json`` object: completion at the main k, per category, and the sizes."""
        overall = self.completion()
        return {
            "suite": self.suite,
            "answerer": self.answerer,
            "k": self.main_k,
            "overall": {"n": overall.n, "before": overall.before, "after": overall.after},
            "categories": [
                {"category": name, "n": c.n, "before": c.before, "after": c.after}
                for name in self.categories
                for c in [self.completion(name)]
            ],
            "size": {
                "before": {"memories": self.size_before.memories, "tokens": self.size_before.tokens},
                "after": {"memories": self.size_after.memories, "tokens": self.size_after.tokens},
            },
        }

    def to_json(self) -> dict[str, Any]:
        """Everything, for ``evals/results/<suite>.json``.  Tasks appear by id only:
        question and answer texts stay in the dataset they came from."""
        by_k = {}
        for k in self.ks:
            by_k[str(k)] = {
                "completion": {name: self.completion(name, k=k).to_json() for name in (OVERALL, *self.categories)},
                "evidence_recall": {name: self.recall(name, k=k).to_json() for name in (OVERALL, *self.categories)},
                "stale": self.stale(k=k).to_json(),
            }
        return {
            "summary": self.summary_json(),
            "dataset": self.dataset,
            "ks": list(self.ks),
            "by_k": by_k,
            "units": [
                {
                    "unit": u.unit,
                    "before_version": u.before_version,
                    "after_version": u.after_version,
                    "before": u.before.to_json(),
                    "after": u.after.to_json(),
                }
                for u in self.units
            ],
            "targets": [{"name": t.name, "passed": t.passed, "measured": t.measured} for t in self.targets],
            "notes": list(self.notes),
            "cost": dict(self.cost) if self.cost is not None else None,
            "cases": [
                {
                    "id": c.task.id,
                    "unit": c.task.unit,
                    "category": c.task.category,
                    "before": {str(o.k): {"completed": o.completed, "stale": o.stale, "recall": o.recall} for o in c.before},
                    "after": {str(o.k): {"completed": o.completed, "stale": o.stale, "recall": o.recall} for o in c.after},
                }
                for c in self.cases
            ],
        }
