"""A finished ``SuiteReport`` as tables: for the terminal (rich) and as Markdown.

Both renderers draw the same :func:`sections`, so the terminal and the
Markdown file always show the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from dreaming.cost.meter import CostReport
from dreaming.evals.report import OVERALL, Comparison, SuiteReport

_NUMERIC = {"n", "before", "after", "delta", "ratio", "requests", "USD"}


def _numeric(column: str) -> bool:
    return column in _NUMERIC or column.endswith(("before", "after", "tokens"))


@dataclass(frozen=True, kw_only=True)
class Section:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def points(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.1f} pts"


def times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _rate_row(name: str, c: Comparison) -> tuple[str, ...]:
    return (name, str(c.n), percent(c.before), percent(c.after), points(c.delta), times(c.ratio))


def _ratio(before: float, after: float) -> str:
    return times(after / before) if before else "—"


def sections(report: SuiteReport) -> list[Section]:
    """Everything the report shows, in order, as plain rows of text."""
    cols = ("category", "n", "before", "after", "delta", "ratio")
    names = (OVERALL, *report.categories)
    ks = sorted(report.ks, key=lambda k: (k != report.main_k, k))
    out = []
    for k in ks:
        main = " (main)" if k == report.main_k else ""
        rows = tuple(_rate_row(n, report.completion(n, k=k)) for n in names)
        out.append(Section(title=f"Task completion at k={k}{main}", columns=cols, rows=rows))
    if report.recall().n:
        for k in ks:
            rows = tuple(_rate_row(n, report.recall(n, k=k)) for n in names if report.recall(n, k=k).n)
            out.append(Section(title=f"Evidence recall@{k}", columns=cols, rows=rows))
    if report.stale().n:
        rows = tuple(_rate_row(f"k={k}", report.stale(k=k)) for k in ks)
        out.append(Section(title="Stale answers (tasks whose fact changed)", columns=("k", *cols[1:]), rows=rows))
    b, a = report.size_before, report.size_after
    out.append(
        Section(
            title="Size",
            columns=("figure", "before", "after", "ratio"),
            rows=(
                ("memories", f"{b.memories:,}", f"{a.memories:,}", _ratio(b.memories, a.memories)),
                ("tokens (approx.)", f"{b.tokens:,}", f"{a.tokens:,}", _ratio(b.tokens, a.tokens)),
                ("duplicate pairs left", f"{b.duplicates:,}", f"{a.duplicates:,}", _ratio(b.duplicates, a.duplicates)),
                ("superseded facts still active", f"{b.superseded:,}", f"{a.superseded:,}",
                 _ratio(b.superseded, a.superseded)),
            ),
        )
    )
    if len(report.units) > 1:
        out.append(
            Section(
                title="Per store",
                columns=("store", "versions", "memories before", "memories after", "tokens before", "tokens after"),
                rows=tuple(
                    (
                        u.unit, f"{u.before_version} → {u.after_version}", f"{u.before.memories:,}",
                        f"{u.after.memories:,}", f"{u.before.tokens:,}", f"{u.after.tokens:,}",
                    )
                    for u in report.units
                ),
            )
        )
    if report.cost is not None:
        cost = CostReport.from_json(report.cost)
        out.append(
            Section(
                title="Answerer cost (metered)",
                columns=("requests", "input tokens", "output tokens", "USD"),
                rows=((
                    f"{cost.usage.requests:,}", f"{cost.usage.total_input_tokens:,}", f"{cost.usage.output_tokens:,}",
                    f"${cost.total:.4f}",
                ),),
            )
        )
    if report.targets:
        out.append(
            Section(
                title="Targets",
                columns=("target", "measured", "result"),
                rows=tuple((t.name, t.measured, "met" if t.passed else "MISSED") for t in report.targets),
            )
        )
    return out


def heading(report: SuiteReport) -> str:
    return f"{report.suite} suite · {report.dataset} · answerer {report.answerer} · k {', '.join(map(str, report.ks))}"


def _table(section: Section) -> Table:
    table = Table(title=section.title, title_justify="left")
    for col in section.columns:
        table.add_column(col, justify="right" if _numeric(col) else "left")
    for row in section.rows:
        styled = [Text(cell, style="bold red") if cell == "MISSED" else cell for cell in row]
        table.add_row(*styled)
    return table


def print_report(console: Console, report: SuiteReport) -> None:
    """The report as rich tables."""
    parts: list[Text | Table] = [Text(heading(report), style="bold")]
    parts.extend(_table(s) for s in sections(report))
    parts.extend(Text(f"• {note}", style="dim") for note in report.notes)
    console.print(Group(*parts))


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def to_markdown(report: SuiteReport) -> str:
    """The report as a Markdown document."""
    lines = [f"# {heading(report)}", ""]
    for s in sections(report):
        lines += [f"## {s.title}", "", _md_row(s.columns)]
        lines.append("|" + "|".join("---:" if _numeric(c) else "---" for c in s.columns) + "|")
        lines += [_md_row(row) for row in s.rows]
        lines.append("")
    if report.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in report.notes] + [""]
    return "\n".join(lines)
