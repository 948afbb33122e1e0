"""The ``dreaming`` command line.  Thin: each command parses options, calls
the library and renders the result.  Commands live in small modules and are
registered here."""

from __future__ import annotations

import click

from dreaming import __version__
from dreaming.cli.common import App, DreamingGroup, make_app


@click.group(cls=DreamingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store",
    metavar="PATH",
    envvar="DREAMING_STORE",
    help="The store file (env DREAMING_STORE; default ./memory_store/memory.db, created on first use), "
    "or s3://bucket/key: downloaded, worked on, uploaded back unless someone wrote it meanwhile.",
)
@click.version_option(__version__, prog_name="dreaming")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """Consolidate an AI agent's memory between sessions ("dreaming").

    Read a memory store plus new session transcripts, merge duplicates,
    replace stale facts, surface patterns, and write a new version that you
    can review, accept or roll back.
    """
    ctx.obj = make_app(store, ctx)


@cli.result_callback()
@click.pass_context
def _finish(ctx: click.Context, /, *_: object, **__: object) -> None:
    """A command on a remote store succeeded: upload the store if it changed."""
    app = ctx.find_object(App)
    if app is not None:
        app.finish()


from dreaming.cli import (  # noqa: E402  (registers commands)
    cost_cmds,
    eval_cmds,
    fleet_cmds,
    hook_cmd,
    hosted_cmds,
    ingest_cmd,
    review_cmd,
    run_cmds,
    schedule_cmd,
    store_cmds,
)

store_cmds.register(cli)
ingest_cmd.register(cli)
run_cmds.register(cli)
cost_cmds.register(cli)
eval_cmds.register(cli)
hook_cmd.register(cli)
schedule_cmd.register(cli)
fleet_cmds.register(cli)
review_cmd.register(cli)
hosted_cmds.register(cli)

__all__ = ["cli"]
