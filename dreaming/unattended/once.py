"""One store's unattended dream, as ``dreaming run`` does it: ingest, check the
triggers, take the store's lock, dream.

Shared by ``dreaming run`` on one store (local, or a local copy of a store in
object storage) and by a fleet shard, which dreams its stores one after
another in one process.  Inboxes at ``s3://`` URLs are ingested first
(``dreaming.fleet.remote.ingest_inbox``), like the trigger's pre-ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dreaming.ingest import IngestReport, ingest_paths
from dreaming.pipeline.progress import NullProgress, Progress
from dreaming.pipeline.run import DreamConfig, DreamReport, dream
from dreaming.store.core import Store
from dreaming.unattended.lock import dream_lock
from dreaming.unattended.triggers import Trigger, TriggerCheck, check


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    """What ``dreaming run`` was asked to do, for any one store."""

    config: DreamConfig
    trigger: Trigger | None = None
    #: seconds to wait for another dream's lock
    wait: float = 0.0
    #: transcript inboxes in object storage (``s3://...``), ingested before the dream
    inboxes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """A dream's report, or why it did not dream (a trigger did not hold)."""

    report: DreamReport | None = None
    skipped: TriggerCheck | None = None
    ingested: IngestReport | None = None

    def to_json(self) -> dict[str, Any]:
        if self.report is not None:
            return self.report.to_json()
        assert self.skipped is not None
        return {"status": "skipped", **self.skipped.to_json(), "ingest": self.ingested.to_json() if self.ingested else {}}


def _ingest_first(store: Store, config: DreamConfig, inboxes: tuple[str, ...]) -> IngestReport:
    """Ingest the local folders and the remote inboxes before deciding and dreaming."""
    reports: list[IngestReport] = []
    paths = [p for p in config.transcripts if Path(p).exists()]
    if paths:
        reports.append(ingest_paths(store, paths, config=config.ingest))
    if inboxes:
        from dreaming.fleet.objects import Objects, S3Url
        from dreaming.fleet.remote import ingest_inbox

        objects = Objects()
        reports += [ingest_inbox(store, objects, S3Url.parse(url), config=config.ingest) for url in inboxes]
    from dreaming.fleet.remote import add_reports

    return add_reports(reports)


def dream_once(store_path: Path, request: RunRequest, *, progress: Progress | None = None) -> RunResult:
    """Dream the store at ``store_path`` as ``dreaming run`` would."""
    config, trigger = request.config, request.trigger
    with Store.open(store_path) as store:
        ingested = None
        if trigger is not None or request.inboxes:  # count the sessions the transcripts add before deciding
            ingested = _ingest_first(store, config, request.inboxes)
            config = replace(config, transcripts=())
            if trigger is not None:
                verdict = check(store, trigger)
                if not verdict.ready:
                    return RunResult(skipped=verdict, ingested=ingested)
        with dream_lock(store, wait=request.wait) as lock:
            if trigger is not None:
                verdict = check(store, trigger)  # again: a dream we waited for may have consumed them
                if not verdict.ready:
                    return RunResult(skipped=verdict, ingested=ingested)
            report = dream(store, config, progress=progress or NullProgress(), while_waiting=lock.paused)
        if ingested is not None:
            report = replace(report, ingest=ingested.to_json(), warnings=(*ingested.warnings, *report.warnings))
    return RunResult(report=report, ingested=ingested)
