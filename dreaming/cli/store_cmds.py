"""Store commands: init, import, export, log, show, diff, accept, reject, rollback, stats, history, why."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from dreaming.cli.common import App, emit_json, json_option, pass_app, wait_option
from dreaming.cli.diff_view import print_entries, print_summary
from dreaming.cli.render import print_memories, print_why, stats_table, versions_table
from dreaming.errors import DreamingError, StoreError
from dreaming.records import CHANGE_OPS
from dreaming.review.diff import DiffReport, build_diff, cited_evidence
from dreaming.review.filters import DiffFilter, summarise
from dreaming.store.core import Store
from dreaming.store.files import FORMATS, export_file, import_file, render_jsonl, render_markdown


def _version_json(store: Store, number: int) -> dict[str, Any]:
    return store.version(number).to_json() if number else {"version": 0, "status": "accepted", "counts": {}}


@click.command()
@json_option
@pass_app
def init(app: App, as_json: bool) -> None:
    """Create the store (nothing happens if it already exists)."""
    existed = app.store_path.exists() and app.store_path.stat().st_size > 0
    with app.store() as store:
        if as_json:
            emit_json({"store": str(store.path), "created": not existed, "head": store.head})
        else:
            what = "already exists" if existed else "created"
            click.echo(f"Store {store.path} {what} (HEAD is version {store.head}).")


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Input format (default: detected).")
@click.option("--message", "-m", default=None, help="Version message.")
@wait_option
@json_option
@pass_app
def import_(app: App, path: Path, fmt: str | None, message: str | None, wait: float, as_json: bool) -> None:
    """Import memories from PATH as a new accepted version.

    JSONL (one object per line, `content` required), a memory directory of
    markdown files, or one markdown file.  A malformed line refuses the whole
    import: nothing is written.
    """
    with app.writing(wait, "dreaming import") as store:
        result = import_file(store, path, fmt=fmt, message=message)
        head = store.head
    version = result.version
    if as_json:
        emit_json(
            {
                "read": result.read,
                "redacted": result.redacted,
                "version": version.number if version else None,
                "counts": dict(version.counts) if version else {},
                "head": head,
            }
        )
    elif version is None:
        click.echo(f"Read {result.read} memories from {path}: the store already holds all of them; no new version.")
    else:
        c = version.counts
        click.echo(
            f"Imported {path} as version {version.number}: {c['added']} added, {c['updated']} updated, "
            f"{result.unchanged} unchanged; {c['memories']} memories at HEAD."
            + (f" {result.redacted} secrets were replaced by [REDACTED:kind] markers." if result.redacted else "")
        )


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format (default: from OUT).")
@click.option("--version", "number", type=int, default=None, help="Version to export (default HEAD).")
@click.option("--force", is_flag=True,
              help="Replace an existing file or non-empty memory directory (the old one is kept as OUT.bak-*).")
@pass_app
def export(app: App, out: Path, fmt: str | None, number: int | None, force: bool) -> None:
    """Write a version's memories to OUT (`-` for stdout).

    memory-dir writes one markdown file per topic path plus `_index.md`;
    claude-code writes a Claude Code auto-memory folder (MEMORY.md, within
    200 lines / 25 KB, linking one topic file per path);
    markdown writes one CLAUDE.md-style file; jsonl one object per line.
    """
    if str(out) == "-":
        fmt = fmt or "jsonl"
        if fmt in ("memory-dir", "claude-code"):
            raise DreamingError("a memory directory cannot be written to stdout; give a directory path")
        with app.store() as store:
            v = store.head if number is None else number
            if fmt == "jsonl":
                render_jsonl(store.iter_snapshot(v), sys.stdout)
            else:
                click.echo(render_markdown(store.iter_snapshot(v), version=v), nl=False)
        return
    with app.store() as store:
        result = export_file(store, out, fmt=fmt, version=number, force=force)
    note = f" (previous contents kept in {result.backup})" if result.backup else ""
    click.echo(
        f"Exported {result.memories} memories of version {result.version} to {out} as {result.format}{note}.", err=True
    )


@click.command()
@json_option
@pass_app
def log(app: App, as_json: bool) -> None:
    """List the versions, newest first."""
    with app.store() as store:
        versions = store.versions()
        head = store.head
        decisions = {d.version: d for d in store.decisions()}
    if as_json:
        emit_json(
            {
                "head": head,
                "versions": [
                    {**v.to_json(), "decision": decisions[v.number].to_json() if v.number in decisions else None}
                    for v in versions
                ],
            }
        )
    elif not versions:
        click.echo("No versions yet: import memories (`dreaming import FILE`) or run a dream (`dreaming run`).")
    else:
        app.out.print(versions_table(versions, head=head, decisions=decisions))


@click.command()
@click.argument("number", type=int, required=False)
@json_option
@pass_app
def show(app: App, number: int | None, as_json: bool) -> None:
    """Show the memories of version NUMBER (default HEAD)."""
    with app.store() as store:
        v = store.head if number is None else number
        memories = store.snapshot(v)
    if as_json:
        emit_json({"version": v, "memories": [m.to_json() for m in memories]})
    else:
        print_memories(app.out, memories, version=v)


@click.command()
@click.argument("a", type=int, required=False)
@click.argument("b", type=int, required=False)
@click.option("--op", "ops", multiple=True, type=click.Choice(CHANGE_OPS), help="Only changes of this op (repeatable).")
@click.option("--path", "paths", multiple=True, metavar="PREFIX",
              help="Only changes touching a topic path starting with PREFIX (a glob with * ? [ ]; repeatable).")
@click.option("--rule", "rules", multiple=True, metavar="RULE", help="Only changes made by this rule (repeatable).")
@click.option("--min-score", type=float, default=None, help="Only changes scored at least this (0-1).")
@click.option("--max-score", type=float, default=None, help="Only changes scored at most this (0-1).")
@click.option("--grep", default=None, metavar="TEXT",
              help="Only changes whose memories, reason or quotes match TEXT (a regular expression, any case).")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Show at most this many changes.")
@click.option("--full", is_flag=True, help="Full memory text and every quote, uncut.")
@click.option("--quote-chars", type=click.IntRange(min=10), default=400, show_default=True,
              help="Longest evidence quote shown (--full: no limit).")
@click.option("--pager/--no-pager", default=None, help="Page through $PAGER (default: when stdout is a terminal).")
@json_option
@pass_app
def diff(app: App, a: int | None, b: int | None, ops: tuple[str, ...], paths: tuple[str, ...],
         rules: tuple[str, ...], min_score: float | None, max_score: float | None, grep: str | None,
         limit: int | None, full: bool, quote_chars: int, pager: bool | None, as_json: bool) -> None:
    """Show what changed, why, and on which evidence.

    No argument: the changes of the newest version (the candidate awaiting
    review, if any).  One: the changes version A made.  Two: from A to B.
    A summary comes first (counts by op, topic path and rule); the filters
    pick the changes listed after it.  On a terminal the output goes through
    $PAGER.  `dreaming review` shows the same on a page.
    """
    filters = DiffFilter(ops=ops, paths=paths, rules=rules, min_score=min_score, max_score=max_score, grep=grep)
    with app.store() as store:
        if a is None:
            to = store.tip
            frm = store.version(to).parent or 0 if to else 0
        elif b is None:
            to = a
            frm = (store.version(a).parent or 0) if a else 0
        else:
            frm, to = a, b
        changes = store.diff(frm, to)
        turns = store.quotes(cited_evidence(changes))
        rejected = store.version(to).counts.get("rejected_changes", 0) if to and b is None else 0
    report = build_diff(changes, turns, from_version=frm, to_version=to, quote_chars=(1 << 30) if full else quote_chars)
    matched = filters.keep(report.entries)
    shown = matched if limit is None else matched[:limit]
    summary = summarise(report.entries, rejected=rejected)
    if as_json:
        data = DiffReport(from_version=frm, to_version=to, entries=tuple(shown)).to_json()
        data.update({"total": summary.total, "matched": len(matched), "filters": filters.describe(),
                     "counts": summary.to_json()})
        emit_json(data)
        return

    def render(console: Console) -> None:
        print_summary(console, report, summary, matched=len(matched), shown=len(shown), filters=filters)
        print_entries(console, shown, to_version=to, full=full, quote_chars=quote_chars)

    use_pager = sys.stdout.isatty() if pager is None else pager
    if not use_pager:
        render(app.out)
        return
    with app.out.capture() as captured:
        render(app.out)
    click.echo_via_pager(captured.get())


def parse_change_ids(values: tuple[str, ...], option: str) -> list[int] | None:
    """``--only 3,5 --only 7-9 '#12'`` -> [3, 5, 7, 8, 9, 12]; ``None`` when the option was not given."""
    if not values:
        return None
    out: list[int] = []
    for value in values:
        for part in value.replace(",", " ").split():
            part = part.lstrip("#")
            lo, dash, hi = part.partition("-")
            try:
                if dash:
                    first, last = int(lo.lstrip("#")), int(hi.lstrip("#"))
                    if last < first:
                        raise ValueError
                    out.extend(range(first, last + 1))
                else:
                    out.append(int(part))
            except ValueError:
                raise DreamingError(
                    f"{option} takes change numbers as `dreaming diff` shows them (#12), e.g. {option} 3,5,7-9; "
                    f"not {part!r}"
                ) from None
    return out


def reviewer() -> str:
    """Who decides: $DREAMING_REVIEWER, else the login name."""
    name = os.environ.get("DREAMING_REVIEWER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers)
        return ""


by_option = click.option("--by", "who", default=None, metavar="NAME",
                         help="Who decides, as recorded (default $DREAMING_REVIEWER or the login name).")


@click.command()
@click.argument("number", type=int, required=False)
@click.option("--only", "only", multiple=True, metavar="ID...",
              help="Accept only these changes (numbers from `dreaming diff`: 3,5,7-9); reject the rest.")
@click.option("--except", "exclude", multiple=True, metavar="ID...",
              help="Reject these changes; accept the rest.")
@by_option
@wait_option
@json_option
@pass_app
def accept(app: App, number: int | None, only: tuple[str, ...], exclude: tuple[str, ...], who: str | None,
           wait: float, as_json: bool) -> None:
    """Accept the candidate version: it becomes HEAD.

    With --only or --except, the candidate is accepted change by change: the
    accepted changes stay, the others are rejected (their memories keep their
    HEAD state; the turns only they cite become pending again).  A merge,
    supersede or update goes with the memories it writes and retires, and a
    change that needs another goes only with it: a combination that breaks
    this is refused with one line saying which changes to add.
    """
    chosen = parse_change_ids(only, "--only")
    refused = parse_change_ids(exclude, "--except")
    with app.writing(wait, "dreaming accept") as store:
        version = store.accept(number, only=chosen, exclude=refused, who=reviewer() if who is None else who, via="cli")
        decision = store.decisions(version.number)[-1]
        written = None
        if version.status == "accepted":
            from dreaming.store.files import write_back

            written = write_back(store)  # the Claude Code auto memory the hook dreams in place, if any
    if written is not None and not as_json:
        click.echo(f"Wrote HEAD back to the Claude Code auto memory in {written}.", err=True)
    if as_json:
        emit_json({**version.to_json(), "decision": decision.to_json()})
    elif version.status == "rejected":
        click.echo(f"No change accepted: rejected version {version.number}; HEAD stays at version {version.parent}.")
    elif decision.rejected:
        click.echo(
            f"Accepted {len(decision.accepted)} of {len(decision.accepted) + len(decision.rejected)} changes of "
            f"version {version.number}; it is now HEAD ({decision.released_turns} turns pending again)."
        )
    else:
        click.echo(f"Accepted version {version.number}; it is now HEAD.")


@click.command()
@click.argument("number", type=int, required=False)
@by_option
@wait_option
@json_option
@pass_app
def reject(app: App, number: int | None, who: str | None, wait: float, as_json: bool) -> None:
    """Reject the candidate version: HEAD stays; its sessions become pending again."""
    with app.writing(wait, "dreaming reject") as store:
        version = store.reject(number, who=reviewer() if who is None else who, via="cli")
        head = store.head
    if as_json:
        emit_json({**version.to_json(), "head": head})
    else:
        click.echo(f"Rejected version {version.number}; HEAD stays at version {head}.")


@click.command()
@click.argument("number", type=int)
@click.option("--message", "-m", default=None, help="Version message.")
@wait_option
@json_option
@pass_app
def rollback(app: App, number: int, message: str | None, wait: float, as_json: bool) -> None:
    """Write a new version whose memories equal version NUMBER (history stays)."""
    with app.writing(wait, "dreaming rollback") as store:
        version = store.rollback(number, message=message)
        head = store.head
    if as_json:
        emit_json({"version": version.to_json() if version else None, "head": head})
    elif version is None:
        click.echo(f"HEAD (version {head}) already equals version {number}; nothing to do.")
    else:
        c = version.counts
        click.echo(
            f"Rolled back to version {number} as version {version.number}: "
            f"{c['added']} restored, {c['updated']} reverted, {c['retired']} retired."
        )


@click.command()
@json_option
@pass_app
def stats(app: App, as_json: bool) -> None:
    """Counts, sizes and what is pending."""
    with app.store() as store:
        data = store.stats()
    if as_json:
        emit_json(data)
    else:
        app.out.print(stats_table(data))


@click.command()
@click.argument("memory_id")
@json_option
@pass_app
def history(app: App, memory_id: str, as_json: bool) -> None:
    """Every state a memory has had and the versions it was valid in."""
    with app.store() as store:
        states = store.history(memory_id)
    if not states:
        raise StoreError(f"no memory with id {memory_id!r} in this store (ids are shown by `dreaming show --json`)")
    if as_json:
        emit_json(
            {
                "id": memory_id,
                "states": [
                    {"memory": m.to_json(), "ranges": [{"from": a, "to": b} for a, b in ranges]}
                    for m, ranges in states
                ],
            }
        )
        return
    for m, ranges in states:
        ranges = [(a, b) for a, b in ranges if b is None or b > a]  # a rejection can leave an empty range
        spans = ", ".join(f"v{a}–{'' if b is None else f'v{b - 1}'}" if b != a + 1 else f"v{a}" for a, b in ranges)
        click.echo(f"{spans or 'never valid'}: [{m.path}] {m.content}")


@click.command()
@click.argument("memory_id")
@click.option("--quote-chars", type=int, default=400, show_default=True, help="Longest evidence quote shown.")
@json_option
@pass_app
def why(app: App, memory_id: str, quote_chars: int, as_json: bool) -> None:
    """Why a memory is as it is: each change that created, rewrote or retired
    it, with the rule that fired, its inputs and the evidence quotes; for a
    memory merged away or superseded, what replaced it."""
    from dreaming.review.why import build_why

    with app.store() as store:
        states = store.history(memory_id)
        changes = store.trail(memory_id)
        if not states and not changes:
            raise StoreError(f"no memory with id {memory_id!r} in this store (ids are shown by `dreaming show --json`)")
        turns = store.quotes(cited_evidence(changes))
        statuses = {v.number: v.status for v in store.versions()}
        current = bool(store.current([memory_id], version=store.head))
        decisions = {d.version: d for d in store.decisions()}  # oldest first: a version's latest decision wins
    report = build_why(memory_id, states=states, changes=changes, turns=turns, statuses=statuses, current=current,
                       quote_chars=quote_chars, decisions=decisions)
    if as_json:
        emit_json(report.to_json())
    else:
        print_why(app.out, report)


@click.command()
@click.option("--id", "memory_ids", multiple=True, metavar="MEMORY_ID",
              help="A memory to erase: every state of it, and its text wherever it appears (repeatable).")
@click.option("--text", "texts", multiple=True, metavar="TEXT", help="Erase every occurrence of TEXT (repeatable).")
@click.option("--pattern", default=None, metavar="REGEX", help="Erase every match of a Python regular expression.")
@click.option("--yes", is_flag=True, help="Really erase: a purge cannot be undone.")
@wait_option
@json_option
@pass_app
def purge(app: App, memory_ids: tuple[str, ...], texts: tuple[str, ...], pattern: str | None, yes: bool, wait: float,
          as_json: bool) -> None:
    """Erase a secret from the store for good (the one thing that deletes).

    Every memory state, change, quote, turn, session and version message
    holding it is rewritten with [PURGED], the full-text indexes forget it,
    and the file is rewritten (secure_delete, VACUUM) so no old page keeps
    it.  The store records that a purge happened and how many rows it
    rewrote, never what.  Exports and backups made before stay as they are.
    """
    import re

    if not (memory_ids or texts or pattern):
        raise DreamingError("say what to purge: --id MEMORY_ID, --text TEXT or --pattern REGEX")
    if any(not t for t in texts):
        raise DreamingError("--text must not be empty")
    try:
        regex = re.compile(pattern) if pattern is not None else None
    except re.error as err:
        raise DreamingError(f"--pattern is not a valid regular expression: {err}") from None
    if regex is not None and regex.search("") is not None:
        raise DreamingError("--pattern matches the empty string; it would rewrite every text")
    if not yes:
        raise DreamingError("a purge cannot be undone; run it again with --yes")
    with app.writing(wait, "dreaming purge") as store:
        counts = store.purge(memory_ids=memory_ids, texts=texts, pattern=regex)
    rows = sum(counts.values())
    if as_json:
        emit_json({"rows": rows, "counts": counts})
    else:
        click.echo(f"Purged: {rows} rows rewritten ({', '.join(f'{n} {t}' for t, n in counts.items() if n) or 'none'}); "
                   f"the store file was rewritten.")


def register(group: click.Group) -> None:
    for command in (init, import_, export, log, show, diff, accept, reject, rollback, stats, history, why, purge):
        group.add_command(command)
