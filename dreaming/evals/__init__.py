"""Before/after task-completion evals: does a dream make the next session better?

A dataset of tasks (questions with gold answers) is asked of two versions of
a store: memories are retrieved with the store's full-text search (FTS5,
bm25), an answerer scores each task at each k, and a :class:`SuiteReport`
holds the outcomes, the size figures and the targets; it renders as a rich
table, as Markdown and as JSON, and charts as a PNG.

Suites: :func:`eval_tasks` (the user's tasks on two versions of their
store), :func:`eval_locomo` (LoCoMo conversations) and :func:`eval_drift`
(generated facts that change over time).  See ``evals/README.md``.
The Claude answerer is ``dreaming.evals.claude.ClaudeAnswerer`` (kept out of
this namespace so that offline runs never import ``anthropic``).
"""

from dreaming.evals.answerer import Answerer, Asked, Outcome
from dreaming.evals.dreamer import DreamSettings
from dreaming.evals.drift import DriftConfig, eval_drift
from dreaming.evals.engine import EvalConfig
from dreaming.evals.locomo import eval_locomo, read_locomo
from dreaming.evals.offline import OfflineAnswerer
from dreaming.evals.output import write_results
from dreaming.evals.render import print_report, to_markdown
from dreaming.evals.report import CaseResult, Comparison, SuiteReport, TargetCheck, UnitSizes
from dreaming.evals.size import SizeFigures
from dreaming.evals.tasks import Dataset, Task, load_tasks
from dreaming.evals.versions import eval_tasks

__all__ = [
    "Answerer",
    "Asked",
    "CaseResult",
    "Comparison",
    "Dataset",
    "DreamSettings",
    "DriftConfig",
    "EvalConfig",
    "OfflineAnswerer",
    "Outcome",
    "SizeFigures",
    "SuiteReport",
    "TargetCheck",
    "Task",
    "UnitSizes",
    "eval_drift",
    "eval_locomo",
    "eval_tasks",
    "load_tasks",
    "print_report",
    "read_locomo",
    "to_markdown",
    "write_results",
]
