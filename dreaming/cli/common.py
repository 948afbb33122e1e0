"""What every command shares: the store option, error handling, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from dreaming.errors import DreamingError
from dreaming.store import DatabaseError, OperationalError
from dreaming.store.core import Store, default_store_path


@dataclass(kw_only=True)
class App:
    """Per-invocation state, created by the top-level group.

    With ``--store s3://...`` (``remote``), ``store_path`` is a local copy in a
    temporary folder: downloaded on the first :meth:`store`, uploaded back
    (conditionally on the ETag downloaded) by :meth:`finish` when the command
    succeeded and changed it.  ``dreaming run`` manages its copy itself (it
    dreams again after a lost race)."""

    store_path: Path
    remote: str | None = None
    out: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=False))
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))
    _checkout: Any = None

    @contextmanager
    def store(self) -> Iterator[Store]:
        if self.remote is not None and self._checkout is None:
            from dreaming.fleet.objects import Objects, S3Url
            from dreaming.fleet.remote import checkout

            self._checkout = checkout(Objects(), S3Url.parse(self.remote), self.store_path.parent)
        store = Store.open(self.store_path)
        try:
            yield store
        finally:
            store.close()

    def finish(self) -> None:
        """After a successful command on a remote store: upload the copy if it changed."""
        if self._checkout is None:
            return
        from dreaming.fleet.objects import Objects, StaleObject
        from dreaming.fleet.remote import commit

        co, self._checkout = self._checkout, None
        try:
            commit(Objects(), co)
        except StaleObject as err:
            raise DreamingError(f"{err}; this command's change was not uploaded: run it again") from None

    def require_local(self, what: str) -> None:
        if self.remote is not None:
            raise DreamingError(f"{what} needs a store on this machine, not {self.remote}")


    @contextmanager
    def writing(self, wait: float, command: str) -> Iterator[Store]:
        """The store, held under its dream lock: every command that writes a
        version is serialised with dreams (waiting up to ``wait`` seconds for
        one to finish, else a one-line error naming the holder)."""
        from dreaming.unattended.lock import dream_lock

        with self.store() as store, dream_lock(store, wait=wait, command=command):
            yield store


pass_app = click.make_pass_decorator(App)

wait_option = click.option(
    "--wait", type=click.FloatRange(min=0), default=0, show_default=True, metavar="SECONDS",
    help="When a dream holds the store's lock, wait up to this long for it (else exit 1 naming it).",
)


def emit_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")


class DreamingGroup(click.Group):
    """Turns every user-facing error into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        wants_json = "--json" in (*getattr(ctx, "_protected_args", ()), *ctx.args)  # (click consumes them)
        try:
            return self._invoke(ctx)
        except click.ClickException as err:
            if wants_json:  # a script reading stdout gets the error too
                emit_json({"status": "error", "error": err.format_message(), "exit_code": err.exit_code})
            raise

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DreamingError as err:
            raise click.ClickException(str(err)) from None
        except OperationalError as err:
            if "locked" in str(err) or "busy" in str(err):
                raise click.ClickException(
                    f"the store is busy (another dreaming process is writing): {err}; try again"
                ) from None
            raise click.ClickException(f"database error: {err}") from None
        except DatabaseError as err:
            raise click.ClickException(f"the store file is damaged or not a dreaming store: {err}") from None
        except BrokenPipeError:  # pragma: no cover - `dreaming log | head`
            sys.stderr.close()
            ctx.exit(0)
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; nothing was written by the unfinished step") from None
        except OSError as err:
            raise click.ClickException(f"{err.filename or ''}: {err.strerror or err}".lstrip(": ")) from None


def resolve_store_path(value: str | None) -> Path:
    return Path(value) if value else default_store_path()


def make_app(value: str | None, ctx: click.Context) -> App:
    """The App for ``--store VALUE``: a local path, or an ``s3://`` URL worked on in a temporary folder."""
    if value is None or not value.startswith("s3://"):
        return App(store_path=resolve_store_path(value))
    import shutil
    import tempfile

    from dreaming.fleet.objects import S3Url

    url = S3Url.parse(value)
    folder = Path(tempfile.mkdtemp(prefix="dreaming-store-"))
    ctx.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    return App(store_path=folder / (url.name or "memory.db"), remote=str(url))
