"""`dreaming run` (the dream) and `dreaming config` (store settings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import click

from dreaming.cli.claude_options import claude_config, claude_options
from dreaming.cli.common import App, emit_json, json_option, pass_app
from dreaming.cli.progress import RichProgress
from dreaming.cli.render import print_dream_report
from dreaming.errors import DreamingError, InputError
from dreaming.ingest import IngestReport
from dreaming.pipeline.progress import NullProgress, Progress
from dreaming.pipeline.run import DEFAULT_GUARD, LLM_MODES, DreamConfig
from dreaming.unattended.once import RunRequest, RunResult, dream_once
from dreaming.unattended.triggers import Trigger, TriggerCheck, parse_duration

SETTINGS = {
    "review": (bool, "write dreams as candidates that wait for `dreaming accept` (default false)"),
    "guard": (float, "a dream retiring, rewriting or replacing more than this share of the store waits for review "
                     "(default 0.15; 1 = off)"),
}


@click.command()
@click.option("--transcripts", "transcripts", multiple=True, metavar="PATH|s3://...",
              help="Transcript file or folder to ingest first, or an s3:// inbox (repeatable; default ./transcripts).")
@click.option("--no-ingest", is_flag=True, help="Dream over what is already ingested; read no transcripts.")
@click.option("--llm", type=click.Choice(LLM_MODES), default="auto", show_default=True,
              help="Use Claude for extraction, judgement and patterns (auto: when ANTHROPIC_API_KEY is set).")
@click.option("--review/--no-review", default=None,
              help="Write a candidate to review instead of accepting it (default: the store's `review` setting).")
@click.option("--max-sessions", type=click.IntRange(min=1), default=None, help="Dream over at most N pending sessions.")
@click.option("--min-sessions-for-pattern", "pattern_sessions", type=click.IntRange(min=1), default=2,
              show_default=True, help="A pattern must recur in at least this many sessions.")
@click.option("--message", "-m", default=None, help="Version message.")
@click.option("--guard", "guard_share", type=click.FloatRange(0, 1), default=None, metavar="SHARE",
              help="Leave a dream that retires, rewrites or replaces more than SHARE of the store as a candidate "
                   "(default: the store's `guard` setting, 0.15; 1 turns it off).")
@claude_options
@click.option("--max-cost", metavar="USD", default=None,
              help="Never start a Claude request that could take the run past USD; the rest is done offline.")
@click.option("--poll-interval", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds before the first check on a batch (--llm batch); later checks back off.")
@click.option("--wait", type=click.FloatRange(min=0), default=0, show_default=True, metavar="SECONDS",
              help="When another dream holds the store's lock, wait up to this long (else exit 1 naming it).")
@click.option("--min-sessions", type=click.IntRange(min=1), default=None,
              help="Dream only once at least N sessions are pending (else say why and exit 0).")
@click.option("--min-interval", metavar="DURATION", default=None,
              help="Dream no sooner than this after the last accepted dream, e.g. 6h or 30m (else say why, exit 0).")
@click.option("--stores", "stores_glob", metavar="GLOB", default=None,
              help="Dream every store file matching GLOB (e.g. 'agents/*/memory.db'), each in its own process; "
                   "--transcripts may use {dir} and {name} (the store's folder); default: a transcripts/ folder "
                   "beside each store.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="With --stores: dreams at once (default: CPUs).")
@click.option("--engine", type=click.Choice(["ours", "hosted"]), default="ours", show_default=True,
              help="hosted: submit Anthropic's hosted Dream (Managed Agents) and keep its result as a candidate.")
@click.option("--hosted-store", metavar="STORE_ID", default=None,
              help="--engine hosted: the memory store to dream over (default: the one last pulled).")
@click.option("--session", "hosted_sessions", multiple=True, metavar="SESSION_ID",
              help="--engine hosted: a session to read (repeatable; default: the pending Managed Agents sessions).")
@click.option("--instructions", default=None, help="--engine hosted: guidance for the dream (1-4,096 characters).")
@click.option("--dream-model", default="claude-opus-4-7", show_default=True,
              help="--engine hosted: the model that runs the dream.")
@click.option("--shards", type=click.IntRange(min=1), default=None,
              help="With --stores: this process dreams one shard of N, its stores one after another "
                   "(the default for s3:// stores, with N=1).")
@click.option("--shard-index", type=click.IntRange(min=0), default=None, envvar="JOB_COMPLETION_INDEX",
              help="Which shard (0..N-1; env JOB_COMPLETION_INDEX, set by a Kubernetes Indexed Job).")
@click.option("--summary", "summary_root", metavar="FOLDER|s3://...", default=None,
              help="With --shards: where the shard's summary goes (default: .dreaming-fleet/ beside the stores).")
@click.option("--run-id", metavar="NAME", default=None, envvar="DREAMING_FLEET_RUN",
              help="With --shards: the night's name in the summaries (env DREAMING_FLEET_RUN; default: UTC date).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@json_option
@pass_app
def run(app: App, transcripts: tuple[str, ...], no_ingest: bool, llm: str, review: bool | None,
        max_sessions: int | None, pattern_sessions: int, message: str | None, guard_share: float | None,
        models: tuple[str, ...],
        runtime_rate: str | None, concurrency: int, max_cost: str | None, poll_interval: float, wait: float,
        min_sessions: int | None, min_interval: str | None, stores_glob: str | None, jobs: int | None,
        shards: int | None, shard_index: int | None, summary_root: str | None, run_id: str | None,
        engine: str, hosted_store: str | None, hosted_sessions: tuple[str, ...], instructions: str | None,
        dream_model: str, quiet: bool, as_json: bool) -> None:
    """Dream: consolidate the store with the new sessions into a new version.

    Ingests the transcripts, extracts candidate memories, merges duplicates,
    replaces stale facts, surfaces patterns, files everything under topic
    paths, and writes one version (accepted, or a candidate with --review).

    With Claude (--llm sync or batch, or auto with ANTHROPIC_API_KEY set),
    extraction, the judgement of look-alike pairs and pattern wording go to
    the model; the run's bill is shown and kept (`dreaming cost`).
    One dream runs at a time per store (see --wait); --min-sessions and
    --min-interval make frequent schedulers dream only when worth it.
    """
    from dreaming.patterns.communities import PatternConfig

    if engine == "hosted":
        return _run_hosted(app, click.get_current_context().params, wait=wait, poll_interval=poll_interval,
                           quiet=quiet, as_json=as_json)

    config = DreamConfig(
        llm=llm,
        review=review,
        max_sessions=max_sessions,
        patterns=PatternConfig(min_sessions=pattern_sessions),
        message=message,
        guard_share=guard_share,
        claude=claude_config(models, runtime_rate, concurrency, max_cost=max_cost, poll_interval=poll_interval),
    )
    trigger = None
    if min_sessions is not None or min_interval is not None:
        interval = parse_duration(min_interval) if min_interval is not None else None
        trigger = Trigger(min_sessions=min_sessions or 1, min_interval=interval)
    base = RunRequest(config=config, trigger=trigger, wait=wait)
    if stores_glob is not None and (shards is not None or stores_glob.startswith("s3://")):
        shard = ShardOptions(shards=shards or 1, index=shard_index, summary=summary_root, run_id=run_id)
        return _run_shard(app, stores_glob, base, transcripts, no_ingest, shard, quiet, as_json)
    if stores_glob is not None:
        return _run_many(stores_glob, tuple(Path(t) for t in transcripts), no_ingest, jobs, as_json)
    missing = [t for t in transcripts if not t.startswith("s3://") and not Path(t).exists()]
    if missing and not no_ingest:  # a typo in a cron job must not dream over nothing forever
        raise InputError("no such file or directory (--transcripts)", location=missing[0])
    request = _with_transcripts(base, () if no_ingest else (transcripts or ("transcripts",)))
    progress = NullProgress() if quiet or as_json else RichProgress(app.err)
    if app.remote is not None:
        result = _dream_remote(app, request, progress)
    else:
        result = dream_once(app.store_path, request, progress=progress)
    if result.report is None:
        assert result.skipped is not None
        return _not_now(result.skipped, result.ingested, as_json)
    if as_json:
        emit_json(result.report.to_json())
    else:
        print_dream_report(app.out, result.report)


def _run_hosted(app: App, params: dict[str, object], *, wait: float, poll_interval: float, quiet: bool,
                as_json: bool) -> None:
    """`dreaming run --engine hosted`: Anthropic's hosted Dream, kept as a candidate to review."""
    from dreaming.cli.hosted_cmds import hosted_client
    from dreaming.cli.render import print_hosted_run
    from dreaming.hosted.engine import PollPolicy, run_hosted
    from dreaming.llm.runtime import ClaudeConfig
    from dreaming.unattended.lock import dream_lock

    say = (lambda _: None) if quiet or as_json else (lambda line: app.err.print(line))
    prices = ClaudeConfig().price_table()
    with app.store() as store, hosted_client() as client, dream_lock(store, wait=wait):
        report = run_hosted(
            store, client, prices, store_id=params.get("hosted_store") or None,  # type: ignore[arg-type]
            session_ids=tuple(params.get("hosted_sessions") or ()),  # type: ignore[arg-type]
            instructions=params.get("instructions") or None,  # type: ignore[arg-type]
            model=str(params.get("dream_model") or "claude-opus-4-7"),
            policy=PollPolicy(first=poll_interval), say=say,
        )
    if as_json:
        emit_json(report.to_json())
    else:
        print_hosted_run(app.out, report)


def _with_transcripts(request: RunRequest, transcripts: Sequence[str]) -> RunRequest:
    """The request with its local transcript folders and its s3:// inboxes."""
    local = tuple(Path(t) for t in transcripts if not t.startswith("s3://"))
    remote = tuple(t for t in transcripts if t.startswith("s3://"))
    return replace(request, config=replace(request.config, transcripts=local), inboxes=remote)


def _dream_remote(app: App, request: RunRequest, progress: Progress) -> RunResult:
    """A store in object storage: download, dream, upload conditionally; a lost race dreams again."""
    from dreaming.fleet.objects import Objects, S3Url
    from dreaming.fleet.remote import with_remote_store

    assert app.remote is not None

    def work(local: Path) -> RunResult:
        return dream_once(local, request, progress=progress)

    result, _ = with_remote_store(Objects(), S3Url.parse(app.remote), work, say=lambda line: click.echo(line, err=True))
    return result


@dataclass(frozen=True)
class ShardOptions:
    shards: int
    index: int | None
    summary: str | None
    run_id: str | None


def _run_shard(app: App, pattern: str, base: RunRequest, transcripts: tuple[str, ...], no_ingest: bool,
               opts: ShardOptions, quiet: bool, as_json: bool) -> None:
    """``--stores GLOB --shards N``: this process's shard, one store after another, then its summary."""
    from dreaming.cli.render import print_fleet
    from dreaming.fleet.runner import (
        ShardPlan,
        default_run_id,
        default_summary_root,
        list_stores,
        run_shard,
        transcripts_for_store,
    )
    from dreaming.fleet.shards import merge

    if opts.index is None and opts.shards > 1:
        raise DreamingError(f"--shards {opts.shards}: say which shard this is with --shard-index "
                            f"or JOB_COMPLETION_INDEX (0..{opts.shards - 1})")
    index = opts.index or 0
    if index >= opts.shards:
        raise DreamingError(f"shard index {index} is not in 0..{opts.shards - 1} (--shards {opts.shards})")

    def request_for(store: str) -> RunRequest:
        return _with_transcripts(base, () if no_ingest else transcripts_for_store(store, transcripts))

    root = opts.summary or (default_summary_root(pattern) if pattern.startswith("s3://") else None)
    plan = ShardPlan(pattern=pattern, shard=index, shards=opts.shards, run_id=opts.run_id or default_run_id(),
                     root=root, request_for=request_for)
    say = (lambda _: None) if quiet else (lambda line: click.echo(line, err=True))
    summary = run_shard(plan, list_stores(pattern), say=say)
    if as_json:
        emit_json(summary.to_json())
    else:
        print_fleet(app.out, merge([summary]))
    if summary.failed:
        raise click.exceptions.Exit(1)  # the Indexed Job retries this index (backoffLimitPerIndex)


_NOT_PASSED_ON = {"engine", "hosted_store", "hosted_sessions", "instructions", "dream_model", "transcripts",
                  "no_ingest", "stores_glob", "jobs", "shards", "shard_index", "summary_root", "run_id", "quiet",
                  "as_json"}


def _passed_on(ctx: click.Context) -> list[str]:
    """This invocation's `run` options, as arguments for each store's own `run`."""
    args: list[str] = []
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name in _NOT_PASSED_ON:
            continue
        value = ctx.params.get(param.name)
        if value is None or value == param.default or value == ():
            continue
        if param.is_flag and not param.secondary_opts:
            args.append(param.opts[0])
        elif param.is_flag:
            args.append(param.opts[0] if value else param.secondary_opts[0])
        else:
            for item in value if param.multiple else (value,):
                args += [param.opts[0], str(item)]
    return args


def _run_many(pattern: str, transcripts: tuple[Path, ...], no_ingest: bool, jobs: int | None, as_json: bool) -> None:
    from dreaming.cli.render import print_many
    from dreaming.unattended.many import dream_many, expand_stores

    stores = expand_stores(pattern)
    args = _passed_on(click.get_current_context())
    if no_ingest:
        template: list[str] = []
        outcomes = dream_many(stores, [*args, "--no-ingest"], jobs=jobs)
    else:
        template = [str(t) for t in transcripts]
        outcomes = dream_many(stores, args, transcripts=template, jobs=jobs)
    if as_json:
        emit_json({"stores": [o.to_json() for o in outcomes]})
    else:
        app = click.get_current_context().find_object(App)
        assert app is not None  # the command group made it
        print_many(app.out, outcomes)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise click.exceptions.Exit(1)


def _not_now(verdict: TriggerCheck, ingested: IngestReport | None, as_json: bool) -> None:
    """A trigger condition does not hold: say why; nothing is written (exit 0)."""
    if as_json:
        emit_json({"status": "skipped", **verdict.to_json(), "ingest": ingested.to_json() if ingested else {}})
    else:
        click.echo(f"Not dreaming: {verdict.reason}.")


@click.command("config")
@click.argument("key", required=False)
@click.argument("value", required=False)
@json_option
@pass_app
def config_(app: App, key: str | None, value: str | None, as_json: bool) -> None:
    """Show or change the store's settings (`dreaming config review true`)."""
    with app.store() as store:
        if key is None:
            data = {k: store.get_config(k, DEFAULTS[k]) for k in SETTINGS}
            if as_json:
                emit_json(data)
            else:
                for k, (_, help_text) in SETTINGS.items():
                    click.echo(f"{k} = {json.dumps(data[k])}    # {help_text}")
            return
        if key not in SETTINGS:
            raise DreamingError(f"unknown setting {key!r}; settings are: {', '.join(SETTINGS)}")
        kind, _ = SETTINGS[key]
        if value is None:
            current = store.get_config(key, None)
            emit_json({key: current}) if as_json else click.echo(json.dumps(current))
            return
        if kind is bool:
            lowered = value.lower()
            if lowered not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
                raise DreamingError(f"{key} takes true or false, not {value!r}")
            parsed: bool | float = lowered in ("true", "yes", "on", "1")
        else:
            try:
                parsed = float(value)
            except ValueError:
                raise DreamingError(f"{key} takes a number between 0 and 1, not {value!r}") from None
            if not 0 <= parsed <= 1:
                raise DreamingError(f"{key} takes a number between 0 and 1, not {value!r}")
        store.set_config(key, parsed)
    emit_json({key: parsed}) if as_json else click.echo(f"{key} = {json.dumps(parsed)}")


DEFAULTS = {"review": False, "guard": DEFAULT_GUARD}


def register(group: click.Group) -> None:
    group.add_command(run)
    group.add_command(config_)
