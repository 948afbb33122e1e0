"""``dreaming diff`` in the terminal: a one-screen summary, then the changes asked for.

Renderers only: the entries are filtered and counted by
:mod:`dreaming.review.filters`; what is printed here is also in ``--json``.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dreaming.review.diff import DiffEntry, DiffReport
from dreaming.review.filters import DiffFilter, DiffSummary, change_rule

OP_STYLE = {
    "add": "green",
    "merge": "cyan",
    "supersede": "yellow",
    "update": "yellow",
    "remove": "red",
    "pattern": "magenta",
    "conflict": "bold red",
    "move": "blue",
    "rollback": "bright_blue",
}
#: topic paths listed in the summary (``--json`` has every one)
PATHS_SHOWN = 12
RULES_SHOWN = 8
#: evidence quotes shown per change without ``--full``
QUOTES_SHOWN = 3
#: memory text shown per line without ``--full``
MEMORY_CHARS = 200


def _cut(text: str, width: int) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: max(1, width - 1)] + "…"


def print_summary(
    console: Console, report: DiffReport, summary: DiffSummary, *, matched: int, shown: int, filters: DiffFilter
) -> None:
    """What the diff holds, on one screen: counts by op, by topic path, by rule."""
    ops = ", ".join(f"{n} {op}" for op, n in summary.by_op.items()) or "no changes"
    console.print(Text(f"diff version {report.from_version} → {report.to_version}: {summary.total} changes ({ops})",
                       style="bold"))
    if summary.rejected:
        console.print(Text(f"  and {summary.rejected} changes rejected in review (not part of this version)",
                           style="dim"))
    if len(summary.by_path) > 1:
        op_names = list(summary.by_op)
        table = Table(box=None, pad_edge=False, show_edge=False, title_justify="left")
        table.add_column("topic path", no_wrap=True, overflow="ellipsis", max_width=60)
        table.add_column("changes", justify="right")
        for op in op_names:
            table.add_column(op, justify="right", style=OP_STYLE.get(op, ""), no_wrap=True, min_width=len(op))
        for path, n, by_op in summary.by_path[:PATHS_SHOWN]:
            table.add_row(path or "(none)", str(n), *(str(by_op.get(op, "")) for op in op_names))
        console.print(table)
        if len(summary.by_path) > PATHS_SHOWN:
            console.print(Text(f"  … {len(summary.by_path) - PATHS_SHOWN} more paths (--path PREFIX shows one; "
                               f"--json lists every one)", style="dim"))
    if summary.by_rule:
        rules = ", ".join(f"{rule} {n}" for rule, n in list(summary.by_rule.items())[:RULES_SHOWN])
        more = f", … {len(summary.by_rule) - RULES_SHOWN} more" if len(summary.by_rule) > RULES_SHOWN else ""
        console.print(Text(f"rules: {rules}{more}", style="dim"))
    if filters.active or shown < summary.total:
        what = f"{matched} match {filters.describe()}" if filters.active else f"{matched} changes"
        limit = f"; the first {shown} shown (--limit)" if shown < matched else ""
        console.print(Text(f"{what}{limit}", style="bold"))
    elif summary.total > 20:
        console.print(Text("narrow it with --op, --path, --rule, --min-score/--max-score, --grep, --limit", style="dim"))


def print_entries(
    console: Console, entries: Sequence[DiffEntry], *, to_version: int, full: bool = False, quote_chars: int = 400
) -> None:
    """The changes, one block each: op, score, rule, reason; the memories
    before (-) and after (+); the evidence quotes (all and in full with ``--full``)."""
    for entry in entries:
        change = entry.change
        style = OP_STYLE.get(change.op, "")
        head = Text("\n")
        if change.seq:
            head.append(f"#{change.seq} ", style="bold")
        head.append(change.op, style=f"bold {style}")
        if change.score is not None:
            head.append(f"  score {change.score:.2f}", style="dim")
        rule = change_rule(change)
        if rule:
            head.append(f"  rule {rule}", style="dim")
        if change.version != to_version:
            head.append(f"  (in version {change.version})", style="dim")
        head.append(f"  {change.reason}")
        console.print(head)
        for sign, memories, colour in (("-", change.before, "red"), ("+", change.after, "green")):
            for m in memories:
                text = m.content if full else _cut(m.content, MEMORY_CHARS)
                ident = m.id if full else m.id[-8:]
                console.print(Text(f"  {sign} {text}", style=colour), Text(f"  {m.path} {ident}", style="dim"))
        quotes = entry.quotes if full else entry.quotes[:QUOTES_SHOWN]
        for q in quotes:
            who = q.speaker or q.role
            when = (q.timestamp or "")[: 16 if full else 10].replace("T", " ")
            text = q.text if full else _cut(q.text, quote_chars)
            console.print(Text(f"    ▏{who} {when} [{q.session_id}#{q.turn_id}]: ", style="dim"),
                          Text(text, style="italic dim"))
        if len(entry.quotes) > len(quotes):
            console.print(Text(f"    ▏… {len(entry.quotes) - len(quotes)} more quotes (--full shows them)", style="dim"))
        if not entry.quotes:
            sources = [e.source for e in entry.evidence if e.source]
            if sources:
                console.print(Text(f"    ▏source: {', '.join(sources[:3])}", style="dim"))


__all__ = ["print_summary", "print_entries", "OP_STYLE"]
