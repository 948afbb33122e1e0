"""Terminal rendering with rich.  Renderers take finished records and print;
nothing here computes anything the JSON output would not also carry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from dreaming.cli.diff_view import OP_STYLE
from dreaming.plan.rule_ids import describe as describe_rule
from dreaming.records import Memory, Version
from dreaming.review.why import WhyReport


def _short(text: str, width: int = 90) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


def _when(value: Any) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)


def decision_text(d: Any) -> str:
    """One decision (a ``dreaming.store.core.Decision``) in a few words."""
    total = len(d.accepted) + len(d.rejected)
    what = {"accepted": "accepted", "rejected": "rejected"}.get(d.verdict, f"{len(d.accepted)}/{total} accepted")
    by = f" by {d.who}" if d.who else ""
    return f"{what}{by} ({d.via}, {_when(d.decided_at)})"


def versions_table(versions: Sequence[Version], *, head: int, decisions: Mapping[int, Any] | None = None) -> Table:
    table = Table(title="Versions", title_justify="left")
    table.add_column("version", justify="right")
    table.add_column("status")
    table.add_column("origin")
    table.add_column("created (UTC)")
    table.add_column("memories", justify="right")
    table.add_column("added / updated / retired", justify="right")
    table.add_column("message")
    decided = decisions or {}
    if decided:
        table.add_column("decision")
    for v in reversed(versions):
        status = v.status + (" (HEAD)" if v.number == head else "")
        style = {"candidate": "yellow", "rejected": "dim"}.get(v.status, "")
        c = v.counts
        cells: list[Any] = [
            str(v.number),
            Text(status, style=style or ("bold green" if v.number == head else "")),
            v.origin,
            _when(v.created_at),
            str(c.get("memories", "")),
            f"{c.get('added', 0)} / {c.get('updated', 0)} / {c.get('retired', 0)}",
            escape(_short(v.message, 60)),
        ]
        if decided:
            cells.append(escape(decision_text(decided[v.number])) if v.number in decided else "")
        table.add_row(*cells)
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


def _print_quotes(console: Console, entry: Any, indent: str = "    ") -> None:
    for q in entry.quotes[:3]:
        who = q.speaker or q.role
        when = (q.timestamp or "")[:10]
        console.print(Text(f"{indent}▏{who} {when} [{q.session_id}#{q.turn_id}]: ", style="dim"),
                      Text(_short(q.text, 100), style="italic dim"))
    if len(entry.quotes) > 3:
        console.print(Text(f"{indent}▏… {len(entry.quotes) - 3} more quotes (see --json)", style="dim"))
    if not entry.quotes:
        sources = [e.source for e in entry.evidence if e.source]
        if sources:
            console.print(Text(f"{indent}▏source: {', '.join(sources[:3])}", style="dim"))


def _inputs_line(inputs: Any) -> str:
    return ", ".join(f"{k}={v}" for k, v in inputs.items() if v not in (None, [], ""))


def print_why(console: Console, report: WhyReport) -> None:
    """A memory's trail: its status, then every change naming it, oldest first."""
    status = {"current": "in HEAD", "retired": "retired (not in HEAD)",
              "folded": "never stored on its own (folded into another memory as a candidate)"}[report.status]
    console.print(Text(f"{report.memory_id}: {status}", style="bold"))
    for m in report.replaced_by:
        console.print(Text("  replaced by ", style="bold"), Text(f"{m.id}: {_short(m.content, 100)}"))
    for m, ranges in report.states:
        spans = ", ".join(f"v{a}–{'' if b is None else f'v{b - 1}'}" if b != a + 1 else f"v{a}" for a, b in ranges)
        console.print(Text(f"  state {spans or 'never valid'}: ", style="dim"), Text(f"[{m.path}] {_short(m.content, 100)}"))
    for step in report.steps:
        change = step.entry.change
        head = Text()
        head.append(f"\nv{change.version}", style="bold")
        if step.version_status and step.version_status != "accepted":
            head.append(f" ({step.version_status})", style="yellow")
        head.append(f" {step.relation} by ")
        head.append(change.op, style=f"bold {OP_STYLE.get(change.op, '')}")
        head.append(f" [{change.rule}]", style="bold")
        if change.score is not None:
            head.append(f"  score {change.score:.2f}", style="dim")
        console.print(head)
        described = describe_rule(change.rule)
        if described:
            console.print(Text(f"    rule: {described}", style="dim"))
        if step.verdict is not None or step.decision is not None:
            d = step.decision
            by = f" by {d.who} ({d.via}, {d.decided_at:%Y-%m-%d %H:%M})" if d is not None else ""
            style = "red" if step.verdict == "rejected" else "green"
            console.print(Text(f"    decided: {step.verdict or d.verdict if d else step.verdict}{by}", style=style))
        console.print(Text(f"    why: {change.reason}"))
        if change.rule_inputs:
            console.print(Text(f"    inputs: {_short(_inputs_line(change.rule_inputs), 200)}", style="dim"))
        for m in change.before:
            console.print(Text(f"    - {_short(m.content, 110)}", style="red"), Text(f"  {m.id}", style="dim"))
        for m in change.after:
            console.print(Text(f"    + {_short(m.content, 110)}", style="green"), Text(f"  {m.id}", style="dim"))
        _print_quotes(console, step.entry, "      ")


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


#: look-alike pairs listed in a dream's summary (``--json`` has every one)
_UNSETTLED_SHOWN = 5


def print_dream_report(console: Console, report: Any) -> None:
    """The summary of a dream (``dreaming.pipeline.run.DreamReport``)."""
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
    if "version_added" in c:  # what `dreaming log` shows for this version
        console.print(f"  in the store        {c['version_added']} added, {c['version_updated']} updated, "
                      f"{c['version_retired']} retired (as `dreaming log` counts them)")
    console.print(
        f"  changes             {c.get('added', 0)} added, {c.get('merged', 0)} merged "
        f"({c.get('merged_memories', 0)} memories), {c.get('superseded', 0)} superseded, "
        f"{c.get('conflicts', 0)} conflicts, {c.get('patterns', 0)} patterns, {c.get('moved', 0)} moved"
    )
    unsettled = report.unsettled
    if unsettled:
        who = "offline" if report.llm == "off" else "(Claude did not decide)"
        console.print(f"  left as they were   {len(unsettled)} look-alike pairs nobody could settle {who}; both kept:")
        for pair in unsettled[:_UNSETTLED_SHOWN]:
            a, b = pair["texts"]
            console.print(Text(f"    {_short(a, 60)}  ~  {_short(b, 60)}  ({pair['why']})", style="dim"))
        if len(unsettled) > _UNSETTLED_SHOWN:
            console.print(Text(f"    ... {len(unsettled) - _UNSETTLED_SHOWN} more (all of them: --json)", style="dim"))
    stages = "  ".join(f"{name} {secs:.2f}s" for name, secs in report.timings.items())
    console.print(Text(f"  time per stage      {stages}", style="dim"))
    if report.cost:
        from dreaming.cost.meter import CostReport

        bill = CostReport.from_json(report.cost)
        console.print(
            f"  cost                {_usd(bill.total)}: tokens {_usd(bill.usd.tokens)}, runtime {_usd(bill.usd.runtime)}, "
            f"web search {_usd(bill.usd.web_search)}; {bill.usage.requests} requests "
            f"(see `dreaming cost {report.run_id}`)"
        )
        line = naive_line(bill)
        if line:
            console.print(Text(f"  {line}", style="dim"))
    if report.status == "partial":
        stages = ", ".join(report.partial) or "some stages"
        console.print(Text(f"  partial: Claude could not do all of {stages}; the offline result was used there "
                           "(see the warnings)", style="yellow"))
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


# --- the bill ----------------------------------------------------------------------

TOKEN_COLUMNS = (
    ("requests", "requests"),
    ("input", "input_tokens"),
    ("output", "output_tokens"),
    ("cache write 5m", "cache_write_5m_tokens"),
    ("cache write 1h", "cache_write_1h_tokens"),
    ("cache read", "cache_read_tokens"),
    ("web searches", "web_search_requests"),
)
#: shown even when zero; the others only when some stage used them
_ALWAYS = {"requests", "input_tokens", "output_tokens", "cache_read_tokens"}


def _usd(value: Any) -> str:
    """Dollars: to the cent from $1 up, to the hundredth of a cent below (a small bill is still legible)."""
    amount = float(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return f"{sign}${amount:,.2f}" if amount >= 1 or amount == 0 else f"{sign}${amount:.4f}"


def tokens_table(report: Any, *, title: str = "Tokens") -> Table:
    """Tokens by type, per stage, with the total (``report`` is a ``dreaming.cost.meter.CostReport``)."""
    columns = [(label, attr) for label, attr in TOKEN_COLUMNS if attr in _ALWAYS or getattr(report.usage, attr)]
    table = Table(title=title, title_justify="left")
    table.add_column("stage", no_wrap=True)
    for label, _ in columns:
        table.add_column(label, justify="right")
    table.add_column("USD", justify="right", no_wrap=True)
    rows = [(name, part.usage, part.usd.tokens + part.usd.web_search) for name, part in sorted(report.by_stage.items())]
    rows.append(("total", report.usage, report.usd.tokens + report.usd.web_search))
    for name, usage, usd in rows:
        style = "bold" if name == "total" else ""
        table.add_row(name, *(f"{getattr(usage, attr):,}" for _, attr in columns), _usd(usd), style=style)
    return table


def usd_lines(report: Any, *, discount: bool = False) -> list[tuple[str, str]]:
    """USD by line, as (label, amount), the way the bill reads (the batch discount when there is one, or ``discount``)."""
    u = report.usd
    lines = [("input", _usd(u.input)), ("output", _usd(u.output)), ("cache write", _usd(u.cache_write)),
             ("cache read", _usd(u.cache_read))]
    if u.batch_discount or discount:
        lines.append(("batch discount", _usd(u.batch_discount)))
    lines.append(("tokens", _usd(u.tokens)))
    lines.append(("web search", _usd(u.web_search)))
    rate = f"${float(report.runtime_per_hour):.2f}/h"
    lines.append((f"runtime ({report.active_seconds:,.1f} s active at {rate})", _usd(u.runtime)))
    lines.append(("total", _usd(u.total)))
    return lines


def naive_line(report: Any) -> str | None:
    """This run next to the naive whole-store design, in tokens sent and dollars."""
    naive = report.naive
    if naive is None:
        return None
    sent = report.usage.total_input_tokens
    share = f"{sent / naive.input_tokens:.1%}" if naive.input_tokens else "n/a"
    return (
        f"naive whole-store dream ({naive.model}, every memory and transcript in one request): "
        f"{naive.input_tokens:,} input tokens, {_usd(naive.usd)} ({_usd(naive.usd_batch)} batched); "
        f"this {'estimate' if report.estimate else 'run'} sends {sent:,} ({share} of it)"
    )


def print_cost_report(console: Console, report: Any, *, heading: str) -> None:
    """The bill of one run (a ``dreaming.cost.meter.CostReport``)."""
    console.print(Text(heading, style="bold"))
    console.print(tokens_table(report))
    table = Table(title="USD", title_justify="left", show_header=False)
    table.add_column("line")
    table.add_column("amount", justify="right")
    for label, amount in usd_lines(report):
        table.add_row(label, amount, style="bold" if label == "total" else "")
    console.print(table)
    line = naive_line(report)
    if line:
        console.print(line)
    if report.max_cost is not None:
        refused = f"; {report.refused_requests} request(s) not sent to stay within it" if report.refused_requests else ""
        console.print(f"budget --max-cost {_usd(report.max_cost)}{refused}")
    for warning in report.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    console.print(Text(f"prices as of {report.prices_as_of}", style="dim"))


def print_estimate(console: Console, projected: Any) -> None:
    """``dreaming estimate`` (a ``dreaming.cost.estimate.DreamEstimate``): sync and batch side by side."""
    est = projected.estimate
    how = {"api": "counted by the token-counting endpoint", "approx": "approximated (1 token per 3 bytes; no API key)",
           "mixed": "partly counted, partly approximated"}[est.counted_by]
    console.print(Text(
        f"Estimate for the next dream: {projected.sessions} sessions ({projected.turns} turns), "
        f"{projected.memories:,} memories at HEAD", style="bold"))
    if not est.sync.usage.requests:
        console.print("Nothing would be sent to Claude.")
    console.print(
        tokens_table(
            est.sync, title=f"Tokens per stage (input {how}; output at {projected.output_ratio:g} x max_tokens)"
        )
    )
    table = Table(title="Projected bill", title_justify="left")
    table.add_column("line")
    table.add_column("sync", justify="right")
    table.add_column("batch", justify="right")
    for (label, sync), (_, batch) in zip(usd_lines(est.sync, discount=True), usd_lines(est.batch, discount=True)):
        if label.startswith("runtime"):
            label = "runtime (not projected)"
        table.add_row(label, sync, batch, style="bold" if label == "total" else "")
    naive = est.sync.naive
    if naive is not None:
        table.add_row("naive whole-store dream", _usd(naive.usd), _usd(naive.usd_batch), style="dim")
    console.print(table)
    line = naive_line(est.sync)
    if line:
        console.print(line)
    for warning in est.sync.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    console.print(Text(f"prices as of {est.sync.prices_as_of}", style="dim"))


def print_many(console: Console, outcomes: Sequence[Any]) -> None:
    """The summary of ``dreaming run --stores`` (``dreaming.unattended.many.StoreOutcome``)."""
    import os

    root = os.path.commonpath([os.path.dirname(os.path.abspath(o.store)) for o in outcomes]) if outcomes else ""
    table = Table(title=f"Dreams over {len(outcomes)} stores in {root}", title_justify="left")
    for col in ("store", "result", "version", "sessions", "memories", "changes", "seconds"):
        table.add_column(col, justify="right" if col in ("version", "sessions", "seconds") else "left",
                         no_wrap=col in ("store", "memories"))
    for o in outcomes:
        r = o.report or {}
        counts = r.get("counts", {})
        memories = r.get("memories", {})
        name = os.path.relpath(os.path.abspath(o.store), root) if root else o.store
        if not o.ok:
            error = (o.error or "").replace(o.store, name)
            result = Text(f"failed: {error}", style="red")
        elif r.get("status") == "nothing":
            result = Text("nothing to dream", style="dim")
        elif r.get("status") == "skipped":
            result = Text("not dreaming: trigger not met", style="dim")
        else:
            result = Text(f"{r.get('status')}" + (" (candidate)" if r.get("version_status") == "candidate" else ""),
                          style="green" if r.get("status") == "completed" else "yellow")
        table.add_row(
            name, result, str(r.get("version") or ""), str(r.get("sessions", "")),
            f"{memories.get('before', '')} -> {memories.get('after', '')}" if memories else "",
            ", ".join(f"{counts[k]} {k}" for k in ("added", "merged", "superseded", "patterns") if counts.get(k)),
            f"{o.seconds:.1f}",
        )
    console.print(table)
    failed = sum(1 for o in outcomes if not o.ok)
    console.print(f"{len(outcomes) - failed} dreamed, {failed} failed" if failed else f"all {len(outcomes)} stores done")


def print_hosted_run(console: Console, report: Any) -> None:
    """The summary of `dreaming run --engine hosted` (a HostedRunReport)."""
    cost = report.cost
    usd = cost.get("usd", {}).get("total", 0.0)
    tokens = cost.get("tokens", {})
    counts = ", ".join(f"{n} {op}" for op, n in sorted(report.counts.items())) or "no changes"
    where = f"candidate version {report.version}" if report.version else "no new version (nothing changed)"
    console.print(f"Hosted dream {report.dream_id} completed: {where} ({counts}); memories "
                  f"{report.memories_before} -> {report.memories_after}.")
    console.print(f"Bill: ${usd:.4f} ({tokens.get('input_tokens', 0):,} input, {tokens.get('output_tokens', 0):,} output, "
                  f"{tokens.get('cache_read_tokens', 0):,} cache-read tokens). Review it: dreaming diff, then accept or reject.")


def print_comparison(console: Console, result: Any) -> None:
    """`dreaming compare`: the two engines side by side (a hosted.compare.Comparison)."""
    sides = result.sides
    table = Table(title=f"Both engines on {len(result.sessions)} session(s)", show_lines=False)
    table.add_column("")
    for side in sides:
        table.add_column(escape(side.engine), justify="right")

    def row(name: str, values: list[str]) -> None:
        table.add_row(name, *values)

    row("memories before", [str(s.before) for s in sides])
    row("memories after", [str(s.after) for s in sides])
    for op, label in (("merge", "merges"), ("supersede", "supersedes"), ("update", "updates"), ("add", "additions"),
                      ("remove", "removals"), ("pattern", "patterns")):
        row(label, [str(s.ops.get(op, 0)) for s in sides])
    row("tokens", [f"{s.tokens:,}" for s in sides])
    row("dollars", [f"${s.usd:.4f}" for s in sides])
    row("time", [f"{s.seconds:.1f}s" for s in sides])
    if any(s.completion for s in sides):
        def rate(value: Any) -> str:
            return "-" if value is None else f"{value:.0%}"
        row("completion before", [rate((s.completion or {}).get("before")) for s in sides])
        row("completion after", [rate((s.completion or {}).get("after")) for s in sides])
    console.print(table)
    for side in sides:
        if side.note:
            console.print(f"{escape(side.engine)}: {escape(side.note)}")


def print_fleet(console: Console, view: Any) -> None:
    """``dreaming fleet status``: a night's shards (``dreaming.fleet.shards.FleetView``) in one table."""
    from dreaming.fleet.shards import MEANINGS, STATUSES

    table = Table(title=f"Fleet run {view.run_id}: {view.stores} stores in {len(view.summaries)} of {view.shards} "
                  f"shards", title_justify="left")
    for col in ("shard", "stores", *STATUSES, "seconds", "USD"):
        table.add_column(col, justify="left" if col == "shard" else "right")
    for s in view.summaries:
        counts = s.counts()
        table.add_row(str(s.shard), str(len(s.stores)), *(str(counts[k]) for k in STATUSES), f"{s.seconds:.1f}",
                      f"{s.usd:.2f}")
    counts = view.counts()
    table.add_row("all", str(view.stores), *(str(counts[k]) for k in STATUSES), f"{view.seconds:.1f}",
                  f"{view.usd:.2f}", style="bold")
    console.print(table)
    console.print(Text("; ".join(f"{k}: {v}" for k, v in MEANINGS.items()), style="dim"))
    if view.races:
        console.print(f"{view.races} upload(s) lost a race to another writer and were dreamed again from a fresh download")
    if view.missing:
        console.print(Text(f"no summary yet from shard(s) {', '.join(map(str, view.missing))} "
                           f"(still running, or failed before writing one)", style="yellow"))
    if view.duplicates:
        console.print(Text(f"{len(view.duplicates)} store(s) reported by more than one shard (was --shards changed?)",
                           style="yellow"))
    for s in view.summaries:
        for line in s.failed:
            console.print(Text(f"failed: {line.store}: {line.error}", style="red"), soft_wrap=True)


def print_fleet_cost(console: Console, cost: Any) -> None:
    """``dreaming fleet cost``: the night's bill over every store, by model and by stage."""
    for title, parts in (("model", cost.by_model), ("stage", cost.by_stage)):
        table = Table(title=f"Fleet run {cost.run_id}: cost by {title} ({cost.stores_billed} stores billed)",
                      title_justify="left")
        for col in (title, "input tokens", "output tokens", "cache read", "USD"):
            table.add_column(col, justify="left" if col == title else "right")
        for name, part in sorted(parts.items()):
            table.add_row(name, f"{part.usage.input_tokens:,}", f"{part.usage.output_tokens:,}",
                          f"{part.usage.cache_read_tokens:,}", f"{part.usd.tokens + part.usd.web_search:.4f}")
        console.print(table)
    console.print(f"total: ${cost.usd.total:.4f} (tokens ${cost.usd.tokens:.4f}, runtime ${cost.usd.runtime:.4f})")
