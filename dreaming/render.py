"""Terminal rendering with rich.  Renderers take finished records and print;
nothing here computes anything the JSON output would not also carry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .diffing import DiffReport
from .records import Memory, Version

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


def _short(text: str, width: int = 90) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


def _when(value: Any) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)


def versions_table(versions: Sequence[Version], *, head: int) -> Table:
    table = Table(title="Versions", title_justify="left")
    table.add_column("version", justify="right")
    table.add_column("status")
    table.add_column("origin")
    table.add_column("created (UTC)")
    table.add_column("memories", justify="right")
    table.add_column("+ / ~ / -", justify="right")
    table.add_column("message")
    for v in reversed(versions):
        status = v.status + (" (HEAD)" if v.number == head else "")
        style = {"candidate": "yellow", "rejected": "dim"}.get(v.status, "")
        c = v.counts
        table.add_row(
            str(v.number),
            Text(status, style=style or ("bold green" if v.number == head else "")),
            v.origin,
            _when(v.created_at),
            str(c.get("memories", "")),
            f"{c.get('added', 0)} / {c.get('updated', 0)} / {c.get('retired', 0)}",
            escape(_short(v.message, 60)),
        )
    return table


def print_memories(console: Console, memories: Sequence[Memory], *, version: int) -> None:
    """A version's memories grouped by topic path, one line each, wrapped softly."""
    console.print(Text(f"version {version}: {len(memories)} memories", style="bold"))
    current = None
    for m in memories:
        if m.path != current:
            current = m.path
            console.print(Text(f"\n{m.path}", style="bold blue"))
        line = Text("  • ")
        line.append(" ".join(m.content.split()))
        tags = [m.kind]
        if m.key:
            tags.append(f"key={m.key}")
        if m.observed_at:
            tags.append(_when(m.observed_at)[:10])
        if m.mentions > 1:
            tags.append(f"×{m.mentions}")
        tags.append(m.id)
        line.append(f"  [{' · '.join(tags)}]", style="dim")
        console.print(line)


def print_diff(console: Console, report: DiffReport) -> None:
    counts = report.op_counts
    summary = ", ".join(f"{n} {op}" for op, n in counts.items()) or "no changes"
    console.print(Text(f"diff version {report.from_version} → {report.to_version}: {summary}", style="bold"))
    for entry in report.entries:
        change = entry.change
        style = OP_STYLE.get(change.op, "")
        head = Text()
        head.append(f"\n{change.op}", style=f"bold {style}")
        if change.score is not None:
            head.append(f"  score {change.score:.2f}", style="dim")
        if change.version != report.to_version:
            head.append(f"  (in version {change.version})", style="dim")
        head.append(f"  {change.reason}")
        console.print(head)
        for m in change.before:
            console.print(Text(f"  - {_short(m.content, 110)}", style="red"), Text(f"  {m.path} {m.id[-8:]}", style="dim"))
        for m in change.after:
            console.print(
                Text(f"  + {_short(m.content, 110)}", style="green"), Text(f"  {m.path} {m.id[-8:]}", style="dim")
            )
        for q in entry.quotes[:3]:
            who = q.speaker or q.role
            when = (q.timestamp or "")[:10]
            console.print(Text(f"    ▏{who} {when} [{q.session_id}#{q.turn_id}]: ", style="dim"), Text(_short(q.text, 100), style="italic dim"))
        if len(entry.quotes) > 3:
            console.print(Text(f"    ▏… {len(entry.quotes) - 3} more quotes (see --json)", style="dim"))
        if not entry.quotes:
            sources = [e.source for e in entry.evidence if e.source]
            if sources:
                console.print(Text(f"    ▏source: {', '.join(sources[:3])}", style="dim"))


def stats_table(stats: dict[str, Any]) -> Table:
    table = Table(title="Store", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("file", stats["store"])
    table.add_row("HEAD", str(stats["head"]))
    table.add_row("candidate awaiting review", str(stats["candidate"]) if stats["candidate"] else "none")
    table.add_row("memories at HEAD", f"{stats['memories']:,}")
    for kind, n in stats["kinds"].items():
        table.add_row(f"  {kind}", f"{n:,}")
    v = stats["versions"]
    table.add_row("versions", f"{v['accepted']} accepted, {v['candidate']} candidate, {v['rejected']} rejected")
    table.add_row("memory states kept (history)", f"{stats['memory_states']:,}")
    table.add_row("sessions / turns", f"{stats['sessions']:,} / {stats['turns']:,}")
    table.add_row("pending for the next dream", f"{stats['pending_sessions']:,} sessions, {stats['pending_turns']:,} turns")
    table.add_row("runs", f"{stats['runs']:,}")
    table.add_row("file size", f"{stats['file_bytes'] / 1e6:,.2f} MB")
    return table


def print_dream_report(console: Console, report: Any) -> None:
    """The summary of a dream (``dreaming.pipeline.DreamReport``)."""
    if report.status == "nothing":
        console.print(f"Nothing to dream: no new sessions or memories since the last dream (HEAD is version {report.parent}).")
        return
    c = report.counts
    where = "none"
    if report.version is not None:
        where = f"version {report.version} ({report.version_status})"
    console.print(Text(f"Dream {report.run_id}: {report.status}, wrote {where}", style="bold"))
    console.print(f"  sessions consumed   {report.sessions} ({report.turns} turns)")
    console.print(f"  memories            {report.memories_before} -> {report.memories_after}")
    console.print(
        f"  changes             {c.get('added', 0)} added, {c.get('merged', 0)} merged "
        f"({c.get('merged_memories', 0)} memories), {c.get('superseded', 0)} superseded, "
        f"{c.get('conflicts', 0)} conflicts, {c.get('patterns', 0)} patterns, {c.get('moved', 0)} moved"
    )
    if c.get("ambiguous"):
        console.print(f"  left as they were   {c['ambiguous']} look-alike pairs nobody could settle offline")
    stages = "  ".join(f"{name} {secs:.2f}s" for name, secs in report.timings.items())
    console.print(Text(f"  time per stage      {stages}", style="dim"))
    if report.cost:
        total = report.cost.get("usd", {}).get("total")
        if total is not None:
            console.print(f"  cost                ${total:.4f} (see `dreaming cost {report.run_id}`)")
    for warning in report.warnings[:5]:
        console.print(Text(f"  warning: {warning}", style="yellow"))
    if len(report.warnings) > 5:
        console.print(Text(f"  ... and {len(report.warnings) - 5} more warnings (see --json)", style="yellow"))
    if report.version_status == "candidate":
        console.print(
            f"Review it with `dreaming diff`, then `dreaming accept {report.version}` or `dreaming reject {report.version}`."
        )
    elif report.version is not None:
        console.print(f"See what changed with `dreaming diff {report.version}`; undo with `dreaming rollback {report.parent}`.")
