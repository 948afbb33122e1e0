"""A PNG of before vs after completion at the main k, per category (matplotlib).

matplotlib is an optional dependency (the ``evals`` extra); it is imported
here only, when a chart is drawn, with the non-interactive Agg backend.
"""

from __future__ import annotations

from pathlib import Path

from dreaming.errors import DreamingError
from dreaming.evals.render import heading
from dreaming.evals.report import OVERALL, SuiteReport


def _must_not_answer(report: SuiteReport, category: str) -> bool:
    cases = report.cases_in(category)
    return bool(cases) and not any(c.task.answerable for c in cases)


def write_chart(report: SuiteReport, path: Path) -> Path:
    """Grouped bars (before, after) for overall and each category; the n of each group under its name
    (a must-not-answer category shows the share abstained)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise DreamingError("the chart needs matplotlib: pip install 'dreaming[evals]'") from None
    names = [OVERALL, *report.categories]
    rates = [report.completion(n) for n in names]
    labels = [
        f"{n}\n(n={c.n}{', abstained' if _must_not_answer(report, n) else ''})" for n, c in zip(names, rates, strict=True)
    ]
    before = [100 * (c.before or 0.0) for c in rates]
    after = [100 * (c.after or 0.0) for c in rates]
    x = list(range(len(names)))
    width = 0.38
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(names) + 2), 4.5), dpi=120)
    try:
        bars_b = ax.bar([i - width / 2 for i in x], before, width, label="before", color="#9aa5b1")
        bars_a = ax.bar([i + width / 2 for i in x], after, width, label="after", color="#3b6fd8")
        for bars in (bars_b, bars_a):
            ax.bar_label(bars, fmt="%.0f", fontsize=8, padding=2)
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylim(0, 118)
        ax.set_ylabel(f"completed at k={report.main_k} (%)")
        ax.set_title(heading(report), fontsize=9)
        ax.legend(loc="upper left", ncol=2, frameon=False, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        # no timestamp in the file, so the same numbers give the same bytes
        fig.savefig(path, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return path
