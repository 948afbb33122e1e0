"""`dreaming estimate` (the bill before a run) and `dreaming cost` (the bill of a run)."""

from __future__ import annotations

from pathlib import Path

import click

from dreaming.cli.claude_options import claude_config, claude_options
from dreaming.cli.common import App, emit_json, json_option, pass_app
from dreaming.cli.render import print_cost_report, print_estimate
from dreaming.cost.meter import CostReport
from dreaming.errors import DreamingError


@click.command()
@click.option("--transcripts", "transcripts", multiple=True, type=click.Path(path_type=Path),
              help="Transcript file or folder to read first, as `dreaming run` would (default ./transcripts).")
@click.option("--no-ingest", is_flag=True, help="Estimate over what is already ingested; read no transcripts.")
@click.option("--max-sessions", type=click.IntRange(min=1), default=None, help="As `dreaming run --max-sessions`.")
@click.option("--output-ratio", type=click.FloatRange(min=0, min_open=True, max=1), default=1.0, show_default=True,
              help="Project each reply at this share of its max_tokens (1: the ceiling, so the bill is an upper bound).")
@claude_options
@json_option
@pass_app
def estimate(app: App, transcripts: tuple[Path, ...], no_ingest: bool, max_sessions: int | None, output_ratio: float,
             models: tuple[str, ...], runtime_rate: str | None, concurrency: int, as_json: bool) -> None:
    """Project what the next dream would cost with Claude, sync and batch, sending nothing.

    The dream runs dry (nothing is written but the transcripts it reads, as
    `dreaming ingest` would) and the requests its Claude stages would send
    are priced. Input tokens come from the token-counting endpoint when
    ANTHROPIC_API_KEY is set, else from the approximation of one token per
    3 UTF-8 bytes (plus 4 per message and tool), which over-counts English
    by roughly 15-30%. Judgement cases and pattern communities are the ones
    the offline extraction leads to. Shown next to the naive design: the
    whole store and every new transcript sent to the model.
    """
    from dreaming.cost.estimate import estimate_dream
    from dreaming.pipeline.run import DreamConfig

    config = DreamConfig(
        transcripts=() if no_ingest else (transcripts or (Path("transcripts"),)),
        max_sessions=max_sessions,
        claude=claude_config(models, runtime_rate, concurrency),
    )
    with app.store() as store:
        projected = estimate_dream(store, config, output_ratio=output_ratio)
    if as_json:
        emit_json(projected.to_json())
    else:
        print_estimate(app.out, projected)


@click.command()
@click.argument("run_id", metavar="[RUN]", required=False)
@json_option
@pass_app
def cost(app: App, run_id: str | None, as_json: bool) -> None:
    """Show the bill of a run (default: the last one): tokens by type, USD by line, the naive comparison."""
    with app.store() as store:
        runs = store.runs()
        if not runs:
            raise DreamingError("no runs yet: `dreaming run` dreams and records its bill")
        if run_id is None:
            run = runs[-1]
        else:
            matches = [r for r in runs if r.id == run_id] or [r for r in runs if r.id.startswith(run_id)]
            if len(matches) != 1:
                known = ", ".join(r.id for r in runs[-3:])
                what = "is ambiguous" if matches else "is not a run"
                raise DreamingError(f"{run_id!r} {what}; recent runs: {known} (see `dreaming cost --json` for the last)")
            run = matches[0]
    if as_json:
        emit_json({"run_id": run.id, "status": run.status, "llm": run.llm, "version": run.version,
                   "cost": dict(run.cost) or None})
    elif not run.cost:
        click.echo(f"Run {run.id} ({run.status}) used no model (--llm {run.llm}): nothing to pay.")
    else:
        report = CostReport.from_json(run.cost)
        heading = f"Cost of run {run.id} ({run.status}, --llm {run.llm}" + (f", version {run.version})" if run.version else ")")
        print_cost_report(app.out, report, heading=heading)


def register(group: click.Group) -> None:
    group.add_command(estimate)
    group.add_command(cost)
