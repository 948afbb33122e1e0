"""Asking a dataset of a version pair: retrieve, answer, score, for both versions.

``Dataset(tasks) -> retrieval from the version under test -> answerer ->
outcomes``, once for the *before* version and once for the *after* one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import Progress

from dreaming.consolidate import ConsolidationConfig
from dreaming.errors import DreamingError
from dreaming.evals.answerer import Answerer, Asked, Outcome
from dreaming.evals.progress import bar
from dreaming.evals.report import CaseResult, SuiteReport, UnitSizes
from dreaming.evals.retrieval import version_index
from dreaming.evals.size import measure
from dreaming.evals.tasks import Task
from dreaming.store.core import Store

#: The k whose completion the summary and ``--json`` report, when requested.
MAIN_K = 10


@dataclass(frozen=True, kw_only=True)
class EvalConfig:
    """How every suite scores."""

    ks: tuple[int, ...] = (5, 10)
    """Numbers of retrieved memories to score at (the answerer may score fewer)."""
    workdir: Path | None = None
    """Where suites build their stores and scratch copies (``None``: a temporary directory, removed after)."""
    consolidation: ConsolidationConfig = field(default_factory=ConsolidationConfig)
    """The engine settings the "duplicates left" and "superseded still active" figures use."""

    def __post_init__(self) -> None:
        if not self.ks or any(not isinstance(k, int) or k < 1 for k in self.ks):
            raise DreamingError(f"k must be positive integers, got {', '.join(map(str, self.ks)) or 'none'}")
        object.__setattr__(self, "ks", tuple(sorted(set(self.ks))))


def main_k(ks: Sequence[int]) -> int:
    """10 when it is among ``ks``, else the largest."""
    return MAIN_K if MAIN_K in ks else max(ks)


def ask_version(
    store: Store,
    version: int,
    tasks: Sequence[Task],
    *,
    answerer: Answerer,
    ks: Sequence[int],
    workdir: Path | None = None,
    progress: Progress | None = None,
    label: str = "",
) -> list[tuple[Outcome, ...]]:
    """Every task asked of ``version``: one outcome per k each, in task order."""
    asked = []
    with version_index(store, version, workdir=workdir) as index, bar(
        progress, f"{label}version {version}: retrieving", len(tasks)
    ) as advance:
        for task in tasks:
            asked.append(Asked(task=task, hits=index.search(task.question, k=max(ks))))
            advance()
    return answerer.score(asked, ks=ks)


def ask_pair(
    store: Store,
    *,
    before: int,
    after: int,
    tasks: Sequence[Task],
    answerer: Answerer,
    config: EvalConfig,
    unit: str = "",
    progress: Progress | None = None,
) -> tuple[list[CaseResult], UnitSizes]:
    """The tasks on both versions, and both versions' size figures."""
    ks = answerer.ks(config.ks)
    label = f"{unit} " if unit else ""

    def ask(version: int) -> list[tuple[Outcome, ...]]:
        return ask_version(
            store, version, tasks, answerer=answerer, ks=ks, workdir=config.workdir, progress=progress, label=label
        )

    outcomes_before, outcomes_after = ask(before), ask(after)
    cases = [
        CaseResult(task=t, before=b, after=a) for t, b, a in zip(tasks, outcomes_before, outcomes_after, strict=True)
    ]
    sizes = UnitSizes(
        unit=unit or str(store.path),
        before_version=before,
        after_version=after,
        before=measure(store, before, consolidation=config.consolidation),
        after=measure(store, after, consolidation=config.consolidation),
    )
    return cases, sizes


def build_report(
    *,
    suite: str,
    dataset: str,
    answerer: Answerer,
    config: EvalConfig,
    cases: Sequence[CaseResult],
    units: Sequence[UnitSizes],
    categories: Sequence[str],
    notes: Sequence[str] = (),
) -> SuiteReport:
    """A suite's report: the answerer's k values and cost, and a note on failed answers."""
    ks = answerer.ks(config.ks)
    failed = sum(1 for c in cases for o in (*c.before, *c.after) if "error" in o.details)
    if failed:
        notes = (*notes, f"{failed} answer(s) failed (API error or budget) and count as not completed")
    return SuiteReport(
        suite=suite,
        dataset=dataset,
        answerer=answerer.name,
        ks=ks,
        main_k=main_k(ks),
        cases=tuple(cases),
        units=tuple(units),
        categories=tuple(categories),
        notes=tuple(notes),
        cost=answerer.cost(),
    )
