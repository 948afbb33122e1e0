"""A store, or a transcript inbox, at an ``s3://`` URL.

A store in object storage is worked on as a local SQLite file:

1. **checkout**: download it (remembering its ETag) into a temporary folder;
   a store that does not exist yet starts empty;
2. the command runs on the local copy exactly as on a local store;
3. **commit**: if the copy's bytes changed, upload it *conditionally*: over
   the ETag downloaded (``If-Match``), or only if still absent
   (``If-None-Match: *``).  Two workers can therefore never both write one
   store: the second upload is refused (:class:`~dreaming.fleet.objects.StaleObject`).

:func:`with_remote_store` repeats the three steps after a lost race, from a
fresh download (the winner's version), up to ``attempts`` times, reporting
each retry; nothing is ever merged blindly, and the loser's work is dropped.

An inbox (``--transcripts s3://bucket/agent-42/transcripts/``) is read the
way a local folder is: an object whose size and last-modified time match
what the store recorded under its URL is not downloaded again; new and
changed ones are downloaded into a temporary folder and ingested under their
URLs (``dreaming.ingest.ingest_paths(names=...)``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from dreaming.errors import DreamingError
from dreaming.fleet.objects import ObjectInfo, Objects, S3Url, StaleObject
from dreaming.ingest import IngestReport, ingest_paths
from dreaming.ingest.detect import TRANSCRIPT_SUFFIXES
from dreaming.ingest.inbox import IngestConfig
from dreaming.store.core import Store

T = TypeVar("T")

#: a lost race is retried from a fresh download this many times in all
ATTEMPTS = 3


@dataclass(frozen=True, kw_only=True)
class Checkout:
    url: S3Url
    #: the local copy the command works on
    path: Path
    #: the ETag downloaded (None: the store did not exist yet)
    etag: str | None
    #: sha256 of the bytes downloaded ("" when absent)
    digest: str
    size: int = 0


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What :func:`with_remote_store` did besides the work's own result."""

    #: the store was uploaded (False: nothing changed)
    uploaded: bool
    #: races lost (each retried from a fresh download)
    races: int
    #: seconds spent downloading and uploading
    transfer_seconds: float
    bytes_down: int
    bytes_up: int


def _digest(path: Path) -> str:
    if not path.exists():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checkout(objects: Objects, url: S3Url, folder: Path) -> Checkout:
    """Download the store at ``url`` into ``folder``."""
    path = folder / (url.name or "memory.db")
    info = objects.download(url, path)
    if info is None:
        return Checkout(url=url, path=path, etag=None, digest="")
    return Checkout(url=url, path=path, etag=info.etag, digest=_digest(path), size=info.size)


def commit(objects: Objects, co: Checkout) -> int:
    """Upload the local copy if it changed, conditionally; the bytes uploaded (0: unchanged)."""
    wal = Path(f"{co.path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise DreamingError(f"{co.url}: the local copy is still open (its write-ahead log is not empty); not uploaded")
    digest = _digest(co.path)
    if digest == co.digest or not digest:
        return 0
    objects.upload(co.url, co.path, if_match=co.etag, if_absent=co.etag is None)
    return co.path.stat().st_size


def with_remote_store(
    objects: Objects, url: S3Url, work: Callable[[Path], T], *, attempts: int = ATTEMPTS,
    say: Callable[[str], None] = lambda _: None, clock: Callable[[], float] | None = None,
) -> tuple[T, Outcome]:
    """Run ``work(local_path)`` on a fresh copy of the store at ``url`` and upload
    the result conditionally; after a lost race, again from a fresh download."""
    import time

    now = clock or time.perf_counter
    races = 0
    transfer = 0.0
    while True:
        with tempfile.TemporaryDirectory(prefix="dreaming-store-") as tmp:
            start = now()
            co = checkout(objects, url, Path(tmp))
            transfer += now() - start
            try:
                result = work(co.path)
            except DreamingError as err:  # name the store by its URL, not by the temporary copy
                raise DreamingError(str(err).replace(str(co.path), str(url))) from None
            start = now()
            try:
                sent = commit(objects, co)
            except StaleObject as err:
                races += 1
                if races >= attempts:
                    raise DreamingError(
                        f"{url}: lost the race for the store {races} times ({err}); nothing of this run was uploaded"
                    ) from None
                say(f"{url}: {err}; nothing was uploaded; starting again from a fresh download "
                    f"(attempt {races + 1} of {attempts})")
                continue
            finally:
                transfer += now() - start
            return result, Outcome(uploaded=sent > 0, races=races, transfer_seconds=transfer,
                                   bytes_down=co.size, bytes_up=sent)


# -- inboxes -----------------------------------------------------------------------------


def inbox_objects(objects: Objects, url: S3Url) -> list[ObjectInfo]:
    """The transcript objects an inbox URL names: one object, or every one under a folder."""
    prefix = url if url.key.endswith("/") or not url.key else S3Url(url.bucket, url.key + "/")
    found = [i for i in objects.listing(prefix) if Path(i.url.key).suffix.lower() in TRANSCRIPT_SUFFIXES
             and not any(part.startswith(".") for part in i.url.key[len(prefix.key):].split("/"))]
    if not found and url.key and not url.key.endswith("/"):
        found = [i for i in objects.listing(url) if i.url.key == url.key]
    return found


def ingest_inbox(store: Store, objects: Objects, url: S3Url, *, config: IngestConfig | None = None) -> IngestReport:
    """Ingest the new and changed transcripts of an ``s3://`` inbox into ``store``."""
    fresh: list[ObjectInfo] = []
    unchanged = 0
    for info in inbox_objects(objects, url):
        known = store.source_state(str(info.url))
        if known is not None and known.size == info.size and known.mtime == info.modified.timestamp():
            unchanged += 1  # same size and time as recorded: not downloaded again
            continue
        fresh.append(info)
    if not fresh:
        return IngestReport(unchanged=unchanged)
    with tempfile.TemporaryDirectory(prefix="dreaming-inbox-") as tmp:
        names: dict[str, str] = {}
        for i, info in enumerate(fresh):
            local = Path(tmp) / f"{i:06d}" / info.url.name
            local.parent.mkdir()
            if objects.download(info.url, local) is None:
                continue  # deleted since the listing
            stamp = info.modified.timestamp()
            os.utime(local, (stamp, stamp))
            names[os.path.abspath(local)] = str(info.url)
        report = ingest_paths(store, [tmp], config=config, names=names)
    return replace(report, unchanged=report.unchanged + unchanged)


def add_reports(reports: Mapping[str, IngestReport] | list[IngestReport]) -> IngestReport:
    """Several ingests' reports as one."""
    items = list(reports.values()) if isinstance(reports, Mapping) else list(reports)
    kinds: dict[str, int] = {}
    for r in items:
        for k, v in r.redacted_kinds.items():
            kinds[k] = kinds.get(k, 0) + v
    return IngestReport(
        files=sum(r.files for r in items), sessions=sum(r.sessions for r in items), turns=sum(r.turns for r in items),
        skipped=sum(r.skipped for r in items), unchanged=sum(r.unchanged for r in items),
        redacted=sum(r.redacted for r in items), redacted_kinds=kinds,
        warnings=tuple(w for r in items for w in r.warnings),
    )
