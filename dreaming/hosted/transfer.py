"""``dreaming pull``, ``push`` and ``ingest --managed-agents``: the plans of
:mod:`dreaming.hosted.sync` carried out against a hosted store.

The client is anything with the methods of :class:`dreaming.llm.hosted.HostedClient`
(the only code that talks to the API).  Every write a push makes is journalled
in the store before it is sent and settled right after (``dreaming.store.hosted``),
so a push killed at any point resumes on the next run, sending only what is
missing; a push that a conflict or a refusal stops half-way puts back what it
had already written, so the hosted store is never left half-pushed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from dreaming.errors import DreamingError, StoreError
from dreaming.hosted.records import HostedError, HostedEvent, HostedMemory, HostedSession, HostedStore
from dreaming.hosted.sessions import FORMAT, read_events, source_path
from dreaming.hosted.sync import PushOp, PushPlan, fit_files, plan_pull, plan_push, pull_changeset, undo_op
from dreaming.ids import new_id
from dreaming.records import Session, Turn, sha256_text, utcnow
from dreaming.store import hosted as journal
from dreaming.store.core import SourceState, Store

Say = Callable[[str], None]


class Hosted(Protocol):
    def store(self, store_id: str) -> HostedStore: ...
    def create_store(self, name: str, *, description: str = "", metadata: Mapping[str, str] | None = None) -> HostedStore: ...
    def stores(self) -> list[HostedStore]: ...
    def memories(self, store_id: str) -> list[HostedMemory]: ...
    def memory(self, store_id: str, memory_id: str) -> HostedMemory: ...
    def create_memory(self, store_id: str, path: str, content: str) -> HostedMemory: ...
    def update_memory(self, store_id: str, memory_id: str, path: str, content: str, *, expected_sha256: str) -> HostedMemory: ...
    def delete_memory(self, store_id: str, memory_id: str, path: str, *, expected_sha256: str) -> None: ...
    def session(self, session_id: str) -> HostedSession: ...
    def sessions_since(self, since: datetime) -> list[HostedSession]: ...
    def events(self, session_id: str) -> list[HostedEvent]: ...


class PushStopped(DreamingError):
    """A push that stopped on conflicts (nothing left half-written)."""


def _quiet(_: str) -> None:
    pass


# --- pull ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PullReport:
    store_id: str
    name: str
    files: int
    changed: int
    deleted: int
    version: int | None
    added: int
    retired: int

    def to_json(self) -> dict[str, Any]:
        return {"store_id": self.store_id, "name": self.name, "files": self.files, "changed": self.changed,
                "deleted": self.deleted, "version": self.version, "added": self.added, "retired": self.retired}


def fetch_files(client: Hosted, store_id: str, wanted: Sequence[HostedMemory]) -> list[HostedMemory]:
    """The content of ``wanted``, each checked against its hash."""
    out = []
    for item in wanted:
        full = client.memory(store_id, item.id)
        text = full.content or ""
        if sha256_text(text) != full.content_sha256:
            raise HostedError(f"memory {item.path} of {store_id}: content does not match its content_sha256", kind="server")
        out.append(full)
    return out


def pull(store: Store, client: Hosted, store_id: str, *, message: str | None = None, say: Say = _quiet) -> PullReport:
    """The hosted store's changed files into a new accepted version (nothing written on any failure)."""
    pending = store.candidate()
    if pending is not None:
        raise StoreError(f"version {pending.number} is a candidate awaiting review; accept or reject it before pulling")
    hosted = client.store(store_id)
    remote = {m.path: m for m in client.memories(store_id)}
    base = journal.base(store, store_id)
    plan = plan_pull(remote, base)
    say(f"{hosted.name}: {len(remote)} memories, {len(plan.changed)} changed, {len(plan.deleted)} deleted since the last pull")
    files = fetch_files(client, store_id, plan.changed)
    cs = pull_changeset(store_id, store.snapshot(store.head), files, plan.deleted, at=utcnow(),
                        message=message or f"pull {hosted.name} ({store_id})")
    version = journal.write_pull(store, store_id, cs, files, plan.deleted)
    store.set_config("hosted.store", store_id)
    return PullReport(store_id=store_id, name=hosted.name, files=len(remote), changed=len(plan.changed),
                      deleted=len(plan.deleted), version=version.number if version else None,
                      added=len(cs.upserts), retired=len(cs.retire))


# --- push --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PushReport:
    store_id: str | None
    version: int
    plan: PushPlan
    dry_run: bool
    sent: int = 0
    resumed: bool = False
    created_store: bool = False
    status: str = "done"

    def to_json(self) -> dict[str, Any]:
        return {"store_id": self.store_id, "version": self.version, "dry_run": self.dry_run, "sent": self.sent,
                "resumed": self.resumed, "created_store": self.created_store, "status": self.status,
                "plan": self.plan.to_json()}


def _version_to_push(store: Store, version: int | None) -> int:
    number = store.head if version is None else version
    if number == 0:
        return 0  # the empty version (everything pulled was retired, or nothing was ever there)
    status = store.version(number).status
    if status != "accepted":
        raise StoreError(f"version {number} is {status}; only accepted versions are pushed (`dreaming accept {number}` first)")
    return number


def _new_store(store: Store, client: Hosted, name: str, version: int, say: Say) -> tuple[str, str, bool]:
    """(store id, push id, resumed): the store a ``--new-store`` push writes, created once even across crashes."""
    record = journal.unfinished_push(store, new_store_name=name)
    if record is None:
        record = journal.start_push(store, new_id("push"), store_id=None, new_store_name=name, version=version)
    adopted = client.store(record.store_id) if record.store_id else None
    adopted = adopted or next((s for s in client.stores() if s.metadata.get("dreaming_push") == record.id), None)
    if adopted is None:
        adopted = client.create_store(name, description="Written by dreaming push", metadata={"dreaming_push": record.id})
        say(f"created memory store {adopted.id} ({name})")
    journal.set_push_store(store, record.id, adopted.id)
    return adopted.id, record.id, True


def plan_for(store: Store, client: Hosted, store_id: str, version: int) -> PushPlan:
    memories = store.snapshot(version)
    base = journal.base(store, store_id)
    files, notes = fit_files(memories, journal.layouts(store, store_id))  # refuses (InputError) before anything is sent
    client.store(store_id)  # an unknown store id fails here, with its own line
    remote = {m.path: m for m in client.memories(store_id)}
    plan = plan_push(files, base, remote, notes=notes)
    targets = {p: files[p] for p in files}
    if plan.in_sync:
        in_sync = tuple(replace(m, content=targets[m.path]) for m in plan.in_sync)
        plan = replace(plan, in_sync=in_sync)
    return plan


def push(store: Store, client: Hosted, *, version: int | None = None, to: str | None = None,
         new_store: str | None = None, dry_run: bool = False, say: Say = _quiet) -> PushReport:
    if (to is None) == (new_store is None):
        raise DreamingError("push needs exactly one of --to STORE_ID or --new-store NAME")
    number = _version_to_push(store, version)
    if new_store is not None and dry_run:
        files, notes = fit_files(store.snapshot(number), journal.layouts(store, ""))
        plan = plan_push(files, {}, {}, notes=notes)
        return PushReport(store_id=None, version=number, plan=plan, dry_run=True, status="planned")
    created = False
    if new_store is not None:
        store_id, push_id, created = _new_store(store, client, new_store, number, say)
    else:
        store_id, push_id = to or "", ""
    plan = plan_for(store, client, store_id, number)
    if dry_run:
        return PushReport(store_id=store_id, version=number, plan=plan, dry_run=True, status="planned")
    record = journal.unfinished_push(store, store_id=store_id)
    resumed = record is not None and record.version == number and bool(plan.ops or plan.in_sync)
    if record is not None and record.version != number:
        journal.finish_push(store, record.id, "abandoned", {"reason": f"superseded by a push of version {number}"})
        record = None
    if not push_id:
        push_id = record.id if record is not None else journal.start_push(
            store, new_id("push"), store_id=store_id, new_store_name=None, version=number).id
    if plan.conflicts:
        journal.finish_push(store, push_id, "conflict", {"conflicts": [c.to_json() for c in plan.conflicts]})
        paths = ", ".join(f"{c.path} ({c.reason})" for c in plan.conflicts)
        raise PushStopped(f"push stopped before sending anything: {len(plan.conflicts)} conflicting path(s): {paths}; "
                          f"run `dreaming pull {store_id}`, dream, and push again")
    if plan.in_sync:
        journal.refresh_base(store, store_id, plan.in_sync)
    sent = _send(store, client, store_id, push_id, plan, say)
    journal.finish_push(store, push_id, "done", {"sent": sent, "counts": plan.to_json()["counts"]})
    return PushReport(store_id=store_id, version=number, plan=plan, dry_run=False, sent=sent, resumed=resumed,
                      created_store=created)


def _apply(client: Hosted, store_id: str, op: PushOp) -> HostedMemory | None:
    if op.op == "create":
        return client.create_memory(store_id, op.path, op.target or "")
    if op.op == "update":
        return client.update_memory(store_id, op.remote_id or "", op.path, op.target or "",
                                    expected_sha256=op.before_sha256 or "")
    client.delete_memory(store_id, op.remote_id or "", op.path, expected_sha256=op.before_sha256 or "")
    return None


def _already_there(client: Hosted, store_id: str, op: PushOp) -> HostedMemory | None:
    """After a 409 on create: the path may already hold exactly our file (a resumed push)."""
    found = next((m for m in client.memories(store_id) if m.path == op.path), None)
    if found is not None and found.content_sha256 == op.target_sha256:
        return replace(found, content=op.target)
    return None


def _send(store: Store, client: Hosted, store_id: str, push_id: str, plan: PushPlan, say: Say) -> int:
    ops = journal.journal_ops(store, push_id, plan.ops)
    sent = 0
    for item in ops:
        op = item.op
        journal.mark_op(store, push_id, item.seq, "sending")
        try:
            result = _apply(client, store_id, op)
        except HostedError as err:
            result = _already_there(client, store_id, op) if err.kind == "conflict" and op.op == "create" else None
            if result is None:
                _stop(store, client, store_id, push_id, op, err, sent, len(ops))
        sent += 1
        if result is not None:
            result = replace(result, content=op.target)
        journal.mark_op(store, push_id, item.seq, "done", store_id=store_id, result=result,
                        gone=op.path if op.op == "delete" else None)
        say(f"{op.op} {op.path}")
    return sent


def _stop(store: Store, client: Hosted, store_id: str, push_id: str, op: PushOp, err: HostedError, sent: int, total: int) -> None:
    """A write failed: on a conflict or a refusal undo this push's writes; otherwise leave it to resume."""
    if err.kind not in ("conflict", "rejected"):
        raise DreamingError(f"push interrupted after {sent} of {total} writes: {err}; "
                            "run the same command again to resume (nothing is sent twice)")
    undone = _undo(store, client, store_id, push_id)
    status = "conflict" if err.kind == "conflict" else "rolled_back"
    journal.finish_push(store, push_id, status, {"failed": op.to_json(), "error": str(err), "undone": undone})
    what = ("changed in the hosted store while pushing" if err.kind == "conflict"
            else f"refused by the hosted API ({err})")
    advice = f"; run `dreaming pull {store_id}`, dream, and push again" if err.kind == "conflict" else ""
    raise PushStopped(f"push stopped: {op.path} {what}; put back the {undone} write(s) already made, so nothing is "
                      f"half-written{advice}")


def _undo(store: Store, client: Hosted, store_id: str, push_id: str) -> int:
    """Put back, newest first, what this push wrote; a path someone changed again is left to them."""
    undone = 0
    for seq, kind, path, remote_id, _before, before_content, target_sha in reversed(journal.done_ops(store, push_id)):
        back = undo_op(kind, path, remote_id, before_content, target_sha)
        if back is None:
            continue
        try:
            result = _apply(client, store_id, back)
        except HostedError as err:
            if err.kind in ("conflict", "not_found"):
                continue
            raise
        restored = replace(result, content=back.target) if result is not None else None
        journal.mark_op(store, push_id, seq, "undone", store_id=store_id, result=restored,
                        gone=path if back.op == "delete" else None)
        undone += 1
    return undone


# --- ingest --managed-agents ----------------------------------------------------------------


@dataclass(kw_only=True)
class HostedIngestReport:
    sessions: int = 0
    new_sessions: int = 0
    turns: int = 0
    unchanged: int = 0
    redacted: int = 0
    session_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"sessions": self.sessions, "new_sessions": self.new_sessions, "turns": self.turns,
                "unchanged": self.unchanged, "redacted": self.redacted, "session_ids": list(self.session_ids)}


def ingest_sessions(store: Store, client: Hosted, session_ids: Iterable[str] = (), *, since: datetime | None = None,
                    excerpt_chars: int = 500, redact: bool = True, say: Say = _quiet) -> HostedIngestReport:
    """Read hosted sessions' events into the store, as any transcript (redacted, incremental)."""
    from dreaming.text.redact import Redactor

    sessions = [client.session(s) for s in dict.fromkeys(session_ids)]
    if since is not None:
        known = {s.id for s in sessions}
        sessions += [s for s in client.sessions_since(since) if s.id not in known]
    redactor = Redactor() if redact else None
    report = HostedIngestReport()
    for session in sessions:
        events = client.events(session.id)
        digest = hashlib.sha256("\n".join(e.id for e in events).encode()).hexdigest()
        state = store.source_state(source_path(session.id))
        report.sessions += 1
        report.session_ids.append(session.id)
        if state is not None and state.sha256 == digest:
            report.unchanged += 1
            continue
        stored = store.turn_keys([session.id])
        records: list[Session | Turn] = []
        for item in read_events(session, events, excerpt_chars=excerpt_chars):
            if redactor is not None:
                if isinstance(item, Turn) and (item.session_id, item.id) not in stored:
                    item = redactor.turn(item)
                elif isinstance(item, Session):
                    item = redactor.session(item)
            records.append(item)
        source = SourceState(path=source_path(session.id), format=FORMAT, size=len(events), mtime=0.0, sha256=digest,
                             sessions=(session.id,))
        counts = store.record_ingest(source, records)
        report.new_sessions += counts.sessions
        report.turns += counts.turns
        say(f"{session.id}: {len(events)} events, {counts.turns} new turns")
    report.redacted = redactor.count if redactor else 0
    return report
