"""``dreaming pull`` and ``dreaming push``: Managed Agents memory stores in and out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from dreaming.cli.common import App, emit_json, json_option, pass_app
from dreaming.errors import DreamingError
from dreaming.records import parse_time


@contextmanager
def hosted_client() -> Iterator[Any]:
    from dreaming.llm.hosted import open_hosted

    client = open_hosted()
    try:
        yield client
    finally:
        client.close()


def parse_since(value: str) -> datetime:
    """An ISO 8601 time, or a duration back from now (``24h``, ``7d``, ``30m``)."""
    text = value.strip()
    units = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
    if text[:-1].replace(".", "", 1).isdigit() and text[-1:] in units:
        return datetime.now(timezone.utc) - timedelta(seconds=float(text[:-1]) * units[text[-1]])
    try:
        parsed = parse_time(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise DreamingError(f"--since: expected an ISO 8601 time or a duration such as 24h or 7d, got {value!r}")
    return parsed


@click.command()
@click.argument("store_id")
@click.option("--message", "-m", default=None, help="Version message.")
@json_option
@pass_app
def pull(app: App, store_id: str, message: str | None, as_json: bool) -> None:
    """Bring a Managed Agents memory store (STORE_ID, memstore_...) into the local store.

    Every hosted memory (a file at a path) becomes memories at that path, one
    per bullet or paragraph, in a new accepted version; pulling again reads
    only the files that changed, and retires what was deleted.  Needs
    ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a proxy).
    """
    from dreaming.hosted.transfer import pull as do_pull

    with app.store() as store, hosted_client() as client:
        report = do_pull(store, client, store_id, message=message, say=lambda line: app.err.print(line))
    if as_json:
        emit_json(report.to_json())
        return
    if report.version is None:
        click.echo(f"Pulled {report.name} ({store_id}): {report.files} memories, nothing changed since the last pull.")
    else:
        click.echo(f"Pulled {report.name} ({store_id}) as version {report.version}: {report.changed} file(s) changed, "
                   f"{report.deleted} deleted; {report.added} memories added, {report.retired} retired.")


@click.command()
@click.argument("version", type=int, required=False)
@click.option("--to", "to", metavar="STORE_ID", default=None, help="Update this hosted memory store in place.")
@click.option("--new-store", "new_store", metavar="NAME", default=None,
              help="Create a new hosted memory store holding the version (the input store is never modified).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send nothing.")
@json_option
@pass_app
def push(app: App, version: int | None, to: str | None, new_store: str | None, dry_run: bool, as_json: bool) -> None:
    """Write VERSION (default HEAD) to a Managed Agents memory store.

    --to updates in place: every update and delete carries the content_sha256
    the store last saw, so a memory the agent changed since the pull is never
    overwritten: the push stops before sending anything and lists the
    conflicting paths (pull, dream, push again).  A push killed half-way
    resumes on the next run and sends only what is missing.  Files above
    100 kB are split in parts; a single memory above 100 kB is refused
    before anything is sent.
    """
    from dreaming.hosted.transfer import push as do_push

    with app.store() as store, hosted_client() as client:
        report = do_push(store, client, version=version, to=to, new_store=new_store, dry_run=dry_run,
                         say=lambda line: app.err.print(line))
    if as_json:
        emit_json(report.to_json())
        return
    plan = report.plan
    for note in plan.notes:
        click.echo(f"note: {note}", err=True)
    target = report.store_id or f"a new store {new_store!r}"
    if report.dry_run:
        click.echo(f"Would write version {report.version} to {target}: {len(plan.ops)} write(s), "
                   f"{plan.unchanged + len(plan.in_sync)} path(s) already there.")
        for op in plan.ops:
            size = "" if op.target is None else f" ({len(op.target.encode('utf-8')):,} bytes)"
            click.echo(f"  {op.op:<6} {op.path}{size}")
        return
    resumed = " (resumed)" if report.resumed else ""
    click.echo(f"Pushed version {report.version} to {report.store_id}{resumed}: {report.sent} write(s), "
               f"{plan.unchanged + len(plan.in_sync)} path(s) already there.")


@click.command()
@click.option("--llm", type=click.Choice(["off", "sync", "batch"]), default="off", show_default=True,
              help="How our engine runs (offline rules, or Claude).")
@click.option("--hosted-store", metavar="STORE_ID", default=None, help="The memory store the hosted Dream reads "
              "(default: the one last pulled).")
@click.option("--session", "sessions", multiple=True, metavar="SESSION_ID",
              help="A session both engines read (repeatable; default: the pending Managed Agents sessions).")
@click.option("--instructions", default=None, help="Guidance for the hosted Dream.")
@click.option("--dream-model", default="claude-opus-4-7", show_default=True, help="The model that runs the hosted Dream.")
@click.option("--tasks", "tasks", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="A tasks file (as `dreaming eval`): completion before and after, for each engine.")
@click.option("--poll-interval", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds before the first check on the hosted Dream; later checks back off.")
@json_option
@pass_app
def compare(app: App, llm: str, hosted_store: str | None, sessions: tuple[str, ...], instructions: str | None,
            dream_model: str, tasks: Path | None, poll_interval: float, as_json: bool) -> None:
    """Run our dream and Anthropic's hosted Dream on the same inputs and show them side by side.

    Each engine works on its own copy of the store; the store is left as it
    was (run either one for real with `dreaming run [--engine hosted]`).
    """
    from dreaming.cli.render import print_comparison
    from dreaming.hosted.compare import compare as do_compare
    from dreaming.hosted.engine import PollPolicy
    from dreaming.llm.runtime import ClaudeConfig

    say = (lambda _: None) if as_json else (lambda line: app.err.print(line))
    with app.store() as store, hosted_client() as client:
        result = do_compare(store, client, ClaudeConfig().price_table(), llm=llm, store_id=hosted_store,
                            session_ids=sessions, instructions=instructions, model=dream_model,
                            policy=PollPolicy(first=poll_interval), tasks=tasks, say=say)
    if as_json:
        emit_json(result.to_json())
    else:
        print_comparison(app.out, result)


def register(group: click.Group) -> None:
    group.add_command(pull)
    group.add_command(push)
    group.add_command(compare)
