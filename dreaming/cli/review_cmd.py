"""``dreaming review``: the local review page."""

from __future__ import annotations

import contextlib
import sys
import webbrowser

import click

from dreaming.cli.common import App, pass_app, wait_option
from dreaming.cli.store_cmds import by_option, reviewer


@click.command()
@click.argument("version", type=int, required=False)
@click.option("--from", "against", type=int, default=None, metavar="A",
              help="Show the read-only diff from version A to VERSION instead.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@by_option
@wait_option
@pass_app
def review(app: App, version: int | None, against: int | None, open_browser: bool, port: int,
           who: str | None, wait: float) -> None:
    """Review a candidate on a local page: accept or reject change by change.

    Serves a page on 127.0.0.1 (a free port, a random token in the URL, which
    is printed on stdout).  It shows the candidate's changes grouped by
    operation and topic path, with filters, word-level diffs and every
    evidence quote; you accept or reject each change (keys j/k, a/r, /) and
    submit once: the accepted changes become HEAD, the rest are rejected.
    The server stops after the submit or on Ctrl-C (nothing decided).
    Without a candidate (or with --from, or a VERSION that is not the
    candidate) the page is a read-only diff.
    """
    from dreaming.review.server import Review, load_page, serve

    with app.store() as store:
        page = load_page(store, version, against=against)
    from dreaming.unattended.lock import dream_lock

    session = Review(store_path=app.store_path, page=page, who=reviewer() if who is None else who,
                     holding=lambda store: dream_lock(store, wait=wait, command="dreaming review (submit)"))

    def ready(url: str) -> None:
        what = "read-only diff" if page.readonly else f"review of candidate version {page.version}"
        app.err.print(f"Serving the {what} ({page.total} changes) on 127.0.0.1; Ctrl-C stops it.", highlight=False)
        click.echo(url)
        sys.stdout.flush()
        if open_browser:
            webbrowser.open(url)

    with contextlib.suppress(KeyboardInterrupt):
        serve(session, port=port, ready=ready)
    if session.outcome is not None:
        app.err.print(session.outcome[1].replace(" You can close this tab.", ""), highlight=False)
    elif not page.readonly:
        app.err.print(f"Stopped; nothing was decided (version {page.version} still awaits review).", highlight=False)


def register(group: click.Group) -> None:
    group.add_command(review)
