"""Suite (a): any two versions of the user's store on the user's own tasks.

By default *after* is the newest dream version (candidate or accepted) and
*before* is the version that dream started from (its parent).
"""

from __future__ import annotations

from rich.progress import Progress

from dreaming.errors import DreamingError
from dreaming.evals.answerer import Answerer
from dreaming.evals.engine import EvalConfig, ask_pair, build_report
from dreaming.evals.report import SuiteReport
from dreaming.evals.tasks import Dataset
from dreaming.store.core import Store


def default_versions(store: Store, *, before: int | None = None, after: int | None = None) -> tuple[int, int]:
    """The (before, after) pair to compare, filling in what was not given."""
    if after is None:
        dreams = [v for v in store.versions() if v.origin == "dream" and v.status != "rejected"]
        if not dreams:
            raise DreamingError(
                f"{store.path} has no dream version to evaluate: run `dreaming run` first, or pass --before and --after"
            )
        after = dreams[-1].number
    elif after != 0:
        store.version(after)  # raises VersionNotFound with the range of versions
    if before is None:
        before = (store.version(after).parent or 0) if after else 0
    elif before != 0:
        store.version(before)
    if before == after:
        raise DreamingError(f"--before and --after are both version {before}; compare two different versions")
    return before, after


def eval_tasks(
    store: Store,
    dataset: Dataset,
    *,
    answerer: Answerer,
    before: int | None = None,
    after: int | None = None,
    config: EvalConfig | None = None,
    progress: Progress | None = None,
) -> SuiteReport:
    """The user's tasks on two versions of their store."""
    config = config or EvalConfig()
    v_before, v_after = default_versions(store, before=before, after=after)
    cases, sizes = ask_pair(
        store, before=v_before, after=v_after, tasks=dataset.tasks, answerer=answerer, config=config, progress=progress
    )
    return build_report(
        suite="tasks",
        dataset=dataset.name,
        answerer=answerer,
        config=config,
        cases=cases,
        units=(sizes,),
        categories=tuple(dict.fromkeys(t.category for t in dataset.tasks)),
        notes=(f"before = version {v_before}, after = version {v_after} of {store.path}",),
    )
