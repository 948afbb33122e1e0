"""``dreaming ingest``: read session transcripts into the store."""

from __future__ import annotations

from pathlib import Path

import click

from dreaming.cli.common import App, emit_json, json_option, pass_app
from dreaming.errors import InputError
from dreaming.ingest import FORMATS, IngestConfig, IngestReport, ingest_paths

#: what ``dreaming ingest`` reads when given no PATH
DEFAULT_INBOX = Path("transcripts")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default=None,
    help="Read every file in this format (default: detected per file).",
)
@click.option("--strict", is_flag=True, help="Any skipped line or file is an error, and nothing is written.")
@click.option(
    "--max-bytes", type=click.IntRange(min=1), default=IngestConfig.max_bytes, show_default=True,
    help="Refuse files larger than this.",
)
@click.option(
    "--excerpt-chars", type=click.IntRange(min=0), default=IngestConfig.excerpt_chars, show_default=True,
    help="Keep tool results as an excerpt of at most this many characters.",
)
@click.option("--managed-agents", "managed_agents", is_flag=True,
              help="PATH... are Managed Agents session ids (sesn_...): read their events through the API.")
@click.option("--since", "since", metavar="TIME", default=None,
              help="With --managed-agents: also every session created since TIME (ISO 8601, or 24h / 7d ago).")
@json_option
@pass_app
def ingest(
    app: App, paths: tuple[Path, ...], fmt: str | None, strict: bool, max_bytes: int, excerpt_chars: int,
    managed_agents: bool, since: str | None, as_json: bool
) -> None:
    """Read session transcripts from PATH... (files or directories, default
    ./transcripts) into the store.

    Formats are detected per file: Claude Code session JSONL, Anthropic
    Messages JSON, chat JSONL, LoCoMo JSON.  Unchanged files are skipped by
    content hash; a file that grew adds only its new turns.  Bad lines are
    skipped with a warning (file:line: reason) on stderr.  Secrets (API keys,
    tokens, passwords, private keys) are replaced by [REDACTED:kind] markers
    before anything is stored.

    With --managed-agents, PATH... are session ids of Managed Agents
    (ANTHROPIC_API_KEY needed): their events (messages, tool calls and
    results, compactions) become sessions and turns the same way; sessions
    already read add only their new events.
    """
    if managed_agents or since is not None:
        return _ingest_hosted(app, [str(p) for p in paths], since, excerpt_chars, as_json)
    if not paths:
        if not DEFAULT_INBOX.is_dir():
            raise InputError(f"no PATH given and no ./{DEFAULT_INBOX} folder here; name the transcripts to read")
        paths = (DEFAULT_INBOX,)
    config = IngestConfig(format=fmt, strict=strict, max_bytes=max_bytes, excerpt_chars=excerpt_chars)
    with app.store() as store:
        report = ingest_paths(store, paths, config=config)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.skipped > len(report.warnings):
        click.echo(f"warning: ... and {report.skipped - len(report.warnings)} more skipped", err=True)
    if as_json:
        emit_json(report.to_json())
    else:
        click.echo(summary(report))


def _ingest_hosted(app: App, session_ids: list[str], since: str | None, excerpt_chars: int, as_json: bool) -> None:
    from dreaming.cli.hosted_cmds import hosted_client, parse_since
    from dreaming.hosted.transfer import ingest_sessions

    if not session_ids and since is None:
        raise InputError("--managed-agents needs session ids (sesn_...) or --since TIME")
    after = parse_since(since) if since is not None else None
    with app.store() as store, hosted_client() as client:
        report = ingest_sessions(store, client, session_ids, since=after, excerpt_chars=excerpt_chars,
                                 say=lambda line: app.err.print(line))
    if as_json:
        emit_json(report.to_json())
        return
    line = (f"Ingested {report.sessions} Managed Agents session(s): {report.new_sessions} new, {report.turns} new turn(s), "
            f"{report.unchanged} unchanged")
    click.echo(line + (f"; {report.redacted} secret(s) redacted." if report.redacted else "."))


def summary(report: IngestReport) -> str:
    """One line: what this ingest newly added."""
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    line = (
        f"Ingested {n(report.files, 'file')}: {n(report.sessions, 'new session')}, {n(report.turns, 'new turn')}; "
        f"{report.skipped} skipped"
    )
    if report.unchanged:
        line += f"; {n(report.unchanged, 'file')} unchanged"
    if report.redacted:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.redacted_kinds.items()))
        line += f"; {n(report.redacted, 'secret')} redacted ({kinds})"
    return line + "."


def register(group: click.Group) -> None:
    group.add_command(ingest)
