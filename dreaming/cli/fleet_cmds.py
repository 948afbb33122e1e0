"""`dreaming fleet status` and `dreaming fleet cost`: a night of many shards, merged."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dreaming.cli.common import App, emit_json, json_option, pass_app

if TYPE_CHECKING:
    from dreaming.fleet.shards import FleetView


@click.group()
def fleet() -> None:
    """Read what the shards of a fleet job reported (`dreaming run --stores GLOB --shards N`)."""


_WHERE = click.argument("where", metavar="SUMMARIES|GLOB")
_RUN = click.option("--run", "run_id", metavar="NAME", default=None,
                    help="The night to read (default: the one written last).")


def _night(where: str, run_id: str | None) -> FleetView:
    from dreaming.fleet.runner import read_night, summary_root
    from dreaming.fleet.shards import merge

    return merge(read_night(summary_root(where), run_id))


@fleet.command()
@_WHERE
@_RUN
@json_option
@pass_app
def status(app: App, where: str, run_id: str | None, as_json: bool) -> None:
    """One table for a night of shards: stores dreamed, with nothing new, skipped by the
    triggers, held for review, failed; time and dollars.

    SUMMARIES is the folder the shards wrote to (e.g. s3://bucket/agents/.dreaming-fleet/),
    or the stores' glob itself (e.g. 's3://bucket/agents/*/memory.db').  Exits 1 when a
    store failed or a shard has not reported.
    """
    view = _night(where, run_id)
    if as_json:
        emit_json(view.to_json())
    else:
        from dreaming.cli.render import print_fleet

        print_fleet(app.out, view)
    if view.counts()["failed"] or view.missing:
        raise click.exceptions.Exit(1)


@fleet.command()
@_WHERE
@_RUN
@json_option
@pass_app
def cost(app: App, where: str, run_id: str | None, as_json: bool) -> None:
    """The night's bill over every store, by model and by stage (from each dream's own bill)."""
    from dreaming.fleet.shards import fleet_cost

    bill = fleet_cost(_night(where, run_id))
    if as_json:
        emit_json(bill.to_json())
    else:
        from dreaming.cli.render import print_fleet_cost

        print_fleet_cost(app.out, bill)


def register(group: click.Group) -> None:
    group.add_command(fleet)
