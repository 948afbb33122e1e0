"""`dreaming schedule`: print schedule definitions (see ``dreaming.unattended.schedule``)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import click

from dreaming.cli.common import App, pass_app
from dreaming.errors import InputError
from dreaming.unattended.schedule import FleetSpec, ScheduleSpec, k8s_fleet, launchd_label, render
from dreaming.unattended.triggers import Trigger, parse_duration

_INSTALL = {
    "cron": "Install: `crontab -e` and paste the line.",
    "systemd": "Install: save both files under ~/.config/systemd/user/, then enable the timer.",
    "launchd": "Install: save as ~/Library/LaunchAgents/{label}.plist, then "
               "`launchctl load ~/Library/LaunchAgents/{label}.plist`.",
    "k8s": "Install: `kubectl apply -f` it (the image needs dreaming; the claim holds the store).",
}


def _at(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise InputError(f"--at takes a time of day as HH:MM (e.g. 03:30), not {value!r}")
    return int(match.group(1)), int(match.group(2))


@click.command()
@click.option("--cron", "kind", flag_value="cron", help="A crontab line.")
@click.option("--systemd", "kind", flag_value="systemd", help="A systemd service and timer (user units).")
@click.option("--launchd", "kind", flag_value="launchd", help="A launchd agent plist (macOS).")
@click.option("--k8s", "kind", flag_value="k8s", help="A Kubernetes CronJob (concurrencyPolicy: Forbid).")
@click.option("--transcripts", "transcripts", multiple=True, metavar="PATH",
              help="Transcript folder each run ingests (repeatable; default ./transcripts); with --stores, "
                   "per store, {dir} and {name} filled in (default: transcripts/ beside each store).")
@click.option("--stores", "stores", metavar="GLOB", default=None,
              help="Kubernetes: dream every store GLOB names (e.g. 's3://bucket/agents/*/memory.db') in an "
                   "Indexed Job of --shards pods.")
@click.option("--shards", type=click.IntRange(min=1), default=None, help="With --stores: pods (default 1).")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
              help="With --stores: times a shard with a failed store is run again (backoffLimitPerIndex).")
@click.option("--every", metavar="DURATION", default=None, help="Run every DURATION (default 1h; e.g. 30m, 6h, 1d).")
@click.option("--at", "at", metavar="HH:MM", default=None, help="Run once a day at this time instead.")
@click.option("--min-sessions", type=click.IntRange(min=1), default=None, help="Dream only with N sessions pending.")
@click.option("--min-interval", metavar="DURATION", default=None, help="Dream no sooner than this after the last.")
@click.option("--wait", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
              help="How long a run waits for a dream that is still running.")
@click.option("--llm", default=None, metavar="MODE", help="Passed to `dreaming run --llm`.")
@click.option("--name", default="dreaming", show_default=True, help="Name of the units / label / CronJob.")
@click.option("--image", default="dreaming:latest", show_default=True, help="Kubernetes: the container image.")
@click.option("--volume-claim", default="dreaming-data", show_default=True,
              help="Kubernetes: the persistent volume claim mounted at /data (relative paths go there).")
@pass_app
def schedule(app: App, kind: str | None, transcripts: tuple[str, ...], stores: str | None, shards: int | None,
             retries: int, every: str | None, at: str | None, min_sessions: int | None, min_interval: str | None,
             wait: float, llm: str | None, name: str, image: str, volume_claim: str) -> None:
    """Print a ready-to-install schedule for `dreaming run` on this store.

    Pick one of --cron, --systemd, --launchd, --k8s.  Each run ingests the
    transcripts folder, then dreams if --min-sessions / --min-interval hold;
    one dream runs at a time (the store's lock).  Nothing is installed.
    """
    if kind is None:
        raise InputError("pick what to print: --cron, --systemd, --launchd or --k8s")
    if stores is not None or shards is not None:
        return _fleet(kind, stores, shards or 1, retries, transcripts, every, at, min_sessions, min_interval, llm,
                      name, image)
    app.require_local("a schedule for one store (for stores in object storage: --k8s --stores URL)")
    if every is not None and at is not None:
        raise InputError("--every and --at exclude each other")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,51}", name):
        raise InputError(f"--name must be lower-case letters, digits, '-' or '.', not {name!r}")
    trigger = None
    if min_sessions is not None or min_interval is not None:
        trigger = Trigger(min_sessions=min_sessions or 1,
                          min_interval=parse_duration(min_interval) if min_interval else None)
    daily = _at(at)
    interval: timedelta | None = parse_duration(every) if every else (None if daily else timedelta(hours=1))
    if interval is not None and interval < timedelta(minutes=1):
        raise InputError(f"--every must be at least 1m, not {every!r}")
    local = kind != "k8s"  # a Kubernetes job sees its own paths
    spec = ScheduleSpec(
        store=app.store_path.resolve() if local else app.store_path,
        transcripts=tuple(Path(p).resolve() if local else Path(p) for p in (transcripts or ("transcripts",))),
        every=interval, at=daily or (3, 0), trigger=trigger, wait=wait, llm=llm, name=name, image=image,
        volume_claim=volume_claim,
    )
    click.echo(render(kind, spec), nl=False)
    click.echo(_INSTALL[kind].format(label=launchd_label(spec)), err=True)


def _fleet(kind: str, stores: str | None, shards: int, retries: int, transcripts: tuple[str, ...], every: str | None,
           at: str | None, min_sessions: int | None, min_interval: str | None, llm: str | None, name: str,
           image: str) -> None:
    """``--k8s --stores GLOB --shards N``: the Indexed Job over many stores."""
    if kind != "k8s":
        raise InputError("--stores and --shards go with --k8s (elsewhere: `dreaming run --stores GLOB` in the schedule)")
    if stores is None:
        raise InputError("--shards needs --stores GLOB (e.g. 's3://bucket/agents/*/memory.db')")
    if every is not None and at is not None:
        raise InputError("--every and --at exclude each other")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,51}", name):
        raise InputError(f"--name must be lower-case letters, digits, '-' or '.', not {name!r}")
    trigger = None
    if min_sessions is not None or min_interval is not None:
        trigger = Trigger(min_sessions=min_sessions or 1,
                          min_interval=parse_duration(min_interval) if min_interval else None)
    spec = FleetSpec(stores=stores, shards=shards, transcripts=transcripts, every=parse_duration(every) if every else None,
                     at=_at(at) or (3, 0), trigger=trigger, llm=llm, name="dreaming-fleet" if name == "dreaming" else name,
                     image=image, retries=retries)
    click.echo(k8s_fleet(spec), nl=False)
    click.echo(f"Install: `kubectl apply -f` it; the image is built from the repository's Dockerfile; secret "
               f"{spec.s3_secret} holds AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL off AWS); "
               f"then `dreaming fleet status '{stores}'`.", err=True)


def register(group: click.Group) -> None:
    group.add_command(schedule)
