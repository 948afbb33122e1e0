"""``dreaming eval``: before/after task-completion evals.

``dreaming eval --tasks FILE`` compares two versions of the store on the
user's tasks; ``dreaming eval locomo PATH`` and ``dreaming eval drift`` run
the built-in suites.  Options of a suite go after its name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.progress import Progress
from rich.text import Text

from dreaming.cli.common import App, emit_json, pass_app
from dreaming.errors import DreamingError
from dreaming.evals import (
    Answerer,
    DreamSettings,
    DriftConfig,
    EvalConfig,
    OfflineAnswerer,
    SuiteReport,
    eval_drift,
    eval_locomo,
    eval_tasks,
    load_tasks,
    print_report,
    write_results,
)
from dreaming.evals.output import DEFAULT_RESULTS
from dreaming.evals.progress import make_progress
from dreaming.pipeline.run import LLM_MODES
from dreaming.store.core import Store

ANSWERERS = ("offline", "claude")
_COMMON = ("ks", "answerer", "model", "max_cost", "out", "no_write", "as_json")


def eval_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options every eval mode takes."""
    options = [
        click.option(
            "--k",
            "ks",
            type=click.IntRange(min=1),
            multiple=True,
            help="Retrieved memories to score at (repeatable; default 5 and 10; the summary uses 10).",
        ),
        click.option(
            "--answerer",
            type=click.Choice(ANSWERERS),
            default="offline",
            show_default=True,
            help="offline: the gold answer must be in the retrieved memories; claude: Claude answers, a second call judges.",
        ),
        click.option(
            "--model", default=None, help="Model for the claude answerer and judge (default claude-haiku-4-5)."
        ),
        click.option(
            "--max-cost", "max_cost", default=None, metavar="USD", help="Stop sending Claude requests past this spend."
        ),
        click.option(
            "--out",
            type=click.Path(path_type=Path),
            default=DEFAULT_RESULTS,
            show_default=True,
            help="Directory for the JSON, Markdown and PNG results.",
        ),
        click.option("--no-write", is_flag=True, help="Do not write result files."),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def dream_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the suites that build stores and dream over them."""
    f = click.option("--workdir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="Build the suite's stores here and keep them (default: a temporary directory).")(f)
    return click.option("--llm", type=click.Choice(LLM_MODES), default="off", show_default=True,
                        help="How the suite's dream uses Claude (as `dreaming run --llm`).")(f)


@contextmanager
def _answerer(name: str, model: str | None, max_cost: str | None) -> Iterator[Answerer]:
    if name == "offline":
        if model is not None or max_cost is not None:
            raise DreamingError("--model and --max-cost apply to --answerer claude only")
        yield OfflineAnswerer()
        return
    from dreaming.cost.meter import CostMeter
    from dreaming.cost.prices import load_prices
    from dreaming.evals.claude import DEFAULT_MODEL, ClaudeAnswerer
    from dreaming.llm.client import LLMClient, LLMConfig

    try:
        cap = Decimal(max_cost) if max_cost is not None else None
    except InvalidOperation:
        raise DreamingError(f"--max-cost must be an amount in USD, got {max_cost!r}") from None
    meter = CostMeter(load_prices(), max_cost=cap)
    with LLMClient(LLMConfig(), meter) as client:
        meter.start()
        try:
            yield ClaudeAnswerer(client, model=model or DEFAULT_MODEL)
        finally:
            meter.stop()


def _run(
    app: App,
    options: dict[str, Any],
    *,
    name: str,
    produce: Callable[[Answerer, EvalConfig, Progress], SuiteReport],
    workdir: Path | None = None,
) -> None:
    config = EvalConfig(ks=tuple(options["ks"]) or EvalConfig().ks, workdir=workdir)
    with _answerer(options["answerer"], options["model"], options["max_cost"]) as answerer, make_progress(app.err) as progress:
        report = produce(answerer, config, progress)
    if not options["no_write"]:
        stem = name if options["answerer"] == "offline" else f"{name}-{options['answerer']}"
        written = write_results(report, options["out"], name=stem)
        for warning in written.warnings:
            app.err.print(Text(warning, style="yellow"))
        app.err.print(f"wrote {', '.join(str(p) for p in written.paths)}", highlight=False)
    if options["as_json"]:
        emit_json(report.summary_json())
    else:
        print_report(app.out, report)


class EvalGroup(click.Group):
    """``dreaming eval`` runs the tasks mode when no suite is named."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "--tasks FILE [OPTIONS] | SUITE ...")


@click.group("eval", cls=EvalGroup, invoke_without_command=True)
@click.option("--tasks", "tasks_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="JSONL tasks: {id?, question, answer, evidence?: [turn ids], category?} per line.")
@click.option("--before", type=click.IntRange(min=0), default=None,
              help="Version before (default: the version the newest dream started from).")
@click.option("--after", type=click.IntRange(min=0), default=None,
              help="Version after (default: the newest dream version).")
@eval_options
@click.pass_context
def eval_group(ctx: click.Context, /, tasks_file: Path | None, before: int | None, after: int | None, **options: Any) -> None:
    """Does a dream make the next session better?  Before/after task completion.

    \b
    dreaming eval --tasks FILE [--before N] [--after M]   your tasks on two versions of the store
    dreaming eval locomo PATH                             the LoCoMo suite (a file in LoCoMo's format)
    dreaming eval drift                                   the generated drift suite
    dreaming eval scenarios [DIR]                         realistic deployments with a truth file

    Each writes JSON, Markdown and a PNG chart into --out (default evals/results)
    and prints a before/after table (or, with --json, the summary).
    """
    given = [n for n in ("tasks_file", "before", "after", *_COMMON) if ctx.get_parameter_source(n) != ParameterSource.DEFAULT]
    if ctx.invoked_subcommand is not None:
        if given:
            raise click.UsageError(
                f"options go after the suite's name, e.g. `dreaming eval {ctx.invoked_subcommand} --k 5`"
            )
        return
    if tasks_file is None:
        raise click.UsageError("give --tasks FILE, or name a suite: `dreaming eval locomo PATH` or `dreaming eval drift`")
    app = ctx.find_object(App)
    assert app is not None
    dataset = load_tasks(tasks_file)

    def produce(answerer: Answerer, config: EvalConfig, progress: Progress) -> SuiteReport:
        with Store.open(app.store_path, create=False) as store:
            return eval_tasks(
                store, dataset, answerer=answerer, before=before, after=after, config=config, progress=progress
            )

    _run(app, options, name=f"tasks-{dataset.name}", produce=produce)


@eval_group.command("locomo")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--conversation", "conversations", multiple=True, metavar="ID",
              help="Only this conversation (its sample_id; repeatable).")
@dream_options
@eval_options
@pass_app
def locomo_cmd(app: App, /, path: Path, conversations: tuple[str, ...], llm: str, workdir: Path | None, **options: Any) -> None:
    """The LoCoMo suite over PATH (a JSON file in LoCoMo's format).

    Per conversation: before = each session's observation facts appended
    session after session; after = a dream over that store plus the
    conversation's sessions as transcripts.  Tasks are the QA items;
    category 5 (adversarial) is scored apart as "must not answer".
    """
    def produce(answerer: Answerer, config: EvalConfig, progress: Progress) -> SuiteReport:
        return eval_locomo(
            path, answerer=answerer, config=config, dream=DreamSettings(llm=llm),
            conversations=conversations or None, progress=progress,
        )

    _run(app, options, name="locomo", produce=produce, workdir=workdir)


@eval_group.command("drift")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the generated world.")
@click.option("--people", type=click.IntRange(min=1), default=12, show_default=True, help="People in the world (8 facts each).")
@click.option("--days", type=click.IntRange(min=2), default=60, show_default=True, help="Days of memories.")
@dream_options
@eval_options
@pass_app
def drift_cmd(app: App, /, seed: int, people: int, days: int, llm: str, workdir: Path | None, **options: Any) -> None:
    """The drift suite: generated facts restated and changed over time.

    Reports latest-value accuracy (the current value is the one found first)
    and the stale-answer rate (an outdated value found first).
    """
    drift = DriftConfig(seed=seed, people=people, days=days)

    def produce(answerer: Answerer, config: EvalConfig, progress: Progress) -> SuiteReport:
        return eval_drift(drift, answerer=answerer, config=config, dream=DreamSettings(llm=llm), progress=progress)

    _run(app, options, name="drift", produce=produce, workdir=workdir)


@eval_group.command("scenarios")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=Path("evals/scenarios"))
@click.option("--split", type=click.Choice(("dev", "validation")), default=None,
              help="Only this half (default: both, reported apart).")
@dream_options
@click.option("--out", type=click.Path(path_type=Path), default=Path("evals/results"), show_default=True,
              help="Directory for scenarios.json and scenarios.md.")
@click.option("--no-write", is_flag=True, help="Do not write result files.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@pass_app
def scenarios_cmd(app: App, path: Path, split: str | None, llm: str, workdir: Path | None, out: Path,
                  no_write: bool, as_json: bool) -> None:
    """Realistic deployments with a truth file: dream over each, score what the store holds after.

    PATH holds scenario folders (truth.json, store.jsonl, sessions/), directly
    or in dev/ and validation/ halves, reported apart.  The format is in
    evals/scenarios/README.md; write your own folders to test your deployment.
    """
    from dreaming.evals.scenarios import ScenarioSettings, eval_scenarios, markdown, write_scenario_results

    with make_progress(app.err) as progress:
        found = len(list(path.glob("*/truth.json"))) + len(list(path.glob("*/*/truth.json"))) or 1
        task = progress.add_task("scenarios", total=found)

        def advance(_: Any) -> None:
            progress.advance(task)

        report = eval_scenarios(path, split=split, settings=ScenarioSettings(llm=llm, workdir=workdir), on_done=advance)
    if not no_write:
        written = write_scenario_results(report, out)
        app.err.print(f"wrote {', '.join(str(p) for p in written)}", highlight=False)
    if as_json:
        emit_json(report.summary_json())
    else:
        app.out.print(markdown(report), markup=False, highlight=False)


def register(group: click.Group) -> None:
    group.add_command(eval_group)
