"""What an answerer is, and what it returns for one task at one k.

An answerer gets every task of a version with the memories retrieved for it
(best first, ``max(ks)`` of them) and returns, per task, one ``Outcome`` per
k it scores.  It sees all the tasks of a version at once so that an answerer
that calls an API can send them concurrently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dreaming.evals.retrieval import Hit
from dreaming.evals.tasks import Task


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How one task went on one version with the top ``k`` memories."""

    k: int
    completed: bool
    """Answered correctly; for a must-not-answer task: abstained."""
    stale: bool = False
    """The answer given was one of the task's outdated values."""
    recall: float | None = None
    """Evidence recall@k: share of the task's evidence ids cited by the top-k provenance (None: no evidence)."""
    answer: str = ""
    """What the answerer answered (offline: the value it found, if any)."""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Asked:
    """A task and the memories retrieved for it from the version under test."""

    task: Task
    hits: tuple[Hit, ...]


class Answerer(Protocol):
    """Scores tasks against retrieved memories."""

    name: str

    def ks(self, requested: Sequence[int]) -> tuple[int, ...]:
        """The k values this answerer scores, out of those requested."""
        ...

    def score(self, asked: Sequence[Asked], *, ks: Sequence[int]) -> list[tuple[Outcome, ...]]:
        """One tuple of outcomes (one per k, in ``ks`` order) per asked task, in order."""
        ...

    def cost(self) -> Mapping[str, Any] | None:
        """What its API calls cost so far (a ``CostReport`` as JSON); ``None`` when it makes none."""
        ...
