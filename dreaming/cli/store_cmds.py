"""Store commands: init, import, export, log, show, diff, accept, reject, rollback, stats, history."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dreaming.cli.common import App, emit_json, json_option, pass_app
from dreaming.cli.render import print_diff, print_memories, stats_table, versions_table
from dreaming.errors import DreamingError, StoreError
from dreaming.review.diff import build_diff, cited_evidence
from dreaming.store.core import Store
from dreaming.store.files import FORMATS, export_file, import_file, render_jsonl, render_markdown


def _version_json(store: Store, number: int) -> dict:
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
@json_option
@pass_app
def import_(app: App, path: Path, fmt: str | None, message: str | None, as_json: bool) -> None:
    """Import memories from PATH as a new accepted version.

    JSONL (one object per line, `content` required), a memory directory of
    markdown files, or one markdown file.  A malformed line refuses the whole
    import: nothing is written.
    """
    with app.store() as store:
        result = import_file(store, path, fmt=fmt, message=message)
        head = store.head
    version = result.version
    if as_json:
        emit_json(
            {
                "read": result.read,
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
        )


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format (default: from OUT).")
@click.option("--version", "number", type=int, default=None, help="Version to export (default HEAD).")
@click.option("--force", is_flag=True, help="Replace a non-empty memory directory (the old one is kept as OUT.bak-*).")
@pass_app
def export(app: App, out: Path, fmt: str | None, number: int | None, force: bool) -> None:
    """Write a version's memories to OUT (`-` for stdout).

    memory-dir writes one markdown file per topic path plus `_index.md`;
    markdown writes one CLAUDE.md-style file; jsonl one object per line.
    """
    if str(out) == "-":
        fmt = fmt or "jsonl"
        if fmt == "memory-dir":
            raise DreamingError("a memory directory cannot be written to stdout; give a directory path")
        with app.store() as store:
            v = store.head if number is None else number
            memories = store.snapshot(v)
        if fmt == "jsonl":
            render_jsonl(memories, sys.stdout)
        else:
            click.echo(render_markdown(memories, version=v), nl=False)
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
    if as_json:
        emit_json({"head": head, "versions": [v.to_json() for v in versions]})
    elif not versions:
        click.echo("No versions yet: import memories (`dreaming import FILE`) or run a dream (`dreaming run`).")
    else:
        app.out.print(versions_table(versions, head=head))


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
@click.option("--quote-chars", type=int, default=400, show_default=True, help="Longest evidence quote shown.")
@json_option
@pass_app
def diff(app: App, a: int | None, b: int | None, quote_chars: int, as_json: bool) -> None:
    """Show what changed, why, and on which evidence.

    No argument: the changes of the newest version (the candidate awaiting
    review, if any).  One: the changes version A made.  Two: from A to B.
    """
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
    report = build_diff(changes, turns, from_version=frm, to_version=to, quote_chars=quote_chars)
    if as_json:
        emit_json(report.to_json())
    else:
        print_diff(app.out, report)


@click.command()
@click.argument("number", type=int, required=False)
@json_option
@pass_app
def accept(app: App, number: int | None, as_json: bool) -> None:
    """Accept the candidate version: it becomes HEAD."""
    with app.store() as store:
        version = store.accept(number)
    if as_json:
        emit_json(version.to_json())
    else:
        click.echo(f"Accepted version {version.number}; it is now HEAD.")


@click.command()
@click.argument("number", type=int, required=False)
@json_option
@pass_app
def reject(app: App, number: int | None, as_json: bool) -> None:
    """Reject the candidate version: HEAD stays; its sessions become pending again."""
    with app.store() as store:
        version = store.reject(number)
        head = store.head
    if as_json:
        emit_json({**version.to_json(), "head": head})
    else:
        click.echo(f"Rejected version {version.number}; HEAD stays at version {head}.")


@click.command()
@click.argument("number", type=int)
@click.option("--message", "-m", default=None, help="Version message.")
@json_option
@pass_app
def rollback(app: App, number: int, message: str | None, as_json: bool) -> None:
    """Write a new version whose memories equal version NUMBER (history stays)."""
    with app.store() as store:
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
        spans = ", ".join(f"v{a}–{'' if b is None else f'v{b - 1}'}" if b != a + 1 else f"v{a}" for a, b in ranges)
        click.echo(f"{spans or 'never valid'}: [{m.path}] {m.content}")


def register(group: click.Group) -> None:
    for command in (init, import_, export, log, show, diff, accept, reject, rollback, stats, history):
        group.add_command(command)
