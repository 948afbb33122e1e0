"""`dreaming hook claude-code`: the post-session hook (see ``dreaming.unattended.hook``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dreaming.cli.common import App, emit_json, pass_app
from dreaming.errors import DreamingError
from dreaming.unattended.hook import HookConfig, log_path, log_quietly, safely, settings_snippet
from dreaming.unattended.triggers import Trigger, parse_duration


@click.group("hook")
def hook() -> None:
    """Hooks that agent tools run after a session (not run by hand)."""


@hook.command("claude-code")
@click.option("--min-sessions", type=click.IntRange(min=1), default=1, show_default=True,
              help="Start a dream once at least N sessions are pending.")
@click.option("--min-interval", metavar="DURATION", default=None,
              help="... and no sooner than this after the last accepted dream (e.g. 6h, 30m).")
@click.option("--wait", type=click.FloatRange(min=0), default=300, show_default=True, metavar="SECONDS",
              help="The background dream waits this long for another dream's lock.")
@click.option("--llm", default=None, metavar="MODE", help="Passed to `dreaming run --llm` (off, auto, sync, batch).")
@click.option("--no-dream", is_flag=True, help="Only ingest the session; never start a dream.")
@click.option("--log", "log", type=click.Path(path_type=Path), default=None,
              help="Log file (default: beside the store, <store>.log).")
@click.option("--write-back", is_flag=True,
              help="Dream the project's Claude Code auto memory in place: imported, dreamt as a candidate to review, "
                   "written back to its folder only by `dreaming accept`.")
@click.option("--print-config", is_flag=True, help="Print the settings.json snippet that installs this hook, and exit.")
@pass_app
def claude_code(app: App, min_sessions: int, min_interval: str | None, wait: float, llm: str | None, no_dream: bool,
                log: Path | None, write_back: bool, print_config: bool) -> None:
    """Ingest the Claude Code session that just ended (SessionEnd hook JSON
    on stdin) and start a dream in the background when --min-sessions and
    --min-interval hold.  Returns at once and always exits 0: problems go to
    the log beside the store.  Install it with --print-config.
    """
    app.require_local("the Claude Code hook")
    if print_config:
        trigger = Trigger(min_sessions=min_sessions, min_interval=parse_duration(min_interval) if min_interval else None)
        command = ["--store", str(app.store_path.resolve()), "hook", "claude-code", *trigger.options()]
        if wait != 300:
            command += ["--wait", f"{wait:g}"]
        command += (["--llm", llm] if llm else []) + (["--no-dream"] if no_dream else [])
        command += ["--log", str(log.resolve())] if log else []
        command += ["--write-back"] if write_back else []
        emit_json(settings_snippet(command))
        click.echo("Add this to ~/.claude/settings.json (all projects) or .claude/settings.json (one project).",
                   err=True)
        return
    try:
        trigger = Trigger(min_sessions=min_sessions, min_interval=parse_duration(min_interval) if min_interval else None)
    except DreamingError as err:  # a bad option must not fail the session either
        log_quietly(log or log_path(app.store_path), f"hook: {err}")
        return
    safely(HookConfig(store=app.store_path, trigger=trigger, dream=not no_dream, wait=wait, llm=llm, log=log,
                      write_back=write_back),
           sys.stdin.buffer)

def register(group: click.Group) -> None:
    group.add_command(hook)
