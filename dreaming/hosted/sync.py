"""Pull and push planning between a local version and a hosted memory store: pure functions.

The mapping
-----------
A hosted memory is a text file at a path (``/user/preferences.md``).  Locally,
each bullet or paragraph of it is one memory at that path (the ``memory-dir``
format's rule, :func:`dreaming.text.memory_files.split_markdown`).  Pushing renders
the memories of a path back into one file, one bullet each; a path whose
memories are exactly the entries of the file last seen keeps that file's
bytes, so pull-then-push sends nothing.

Three-way push
--------------
``base`` is what each hosted path held when this store last saw it (a pull,
or a push that wrote it).  For every path, with L the sha-256 of the file the
version renders, B the base's and R the hosted one's:

- R == L: nothing to send (already there: a resumed push, or the same edit);
- R == B: the hosted file is as we last saw it, so it is ours to change:
  create / update (with ``precondition`` R) / delete (with ``expected`` R);
- otherwise someone changed it since we looked: a **conflict**, and nothing
  at all is sent.  ``pull`` brings their change in; dream and push again.

A hosted memory we have never seen counts as changed (B is absent), so a push
writes exactly the version or stops: it never overwrites or leaves beside the
version a hosted change it did not see.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dreaming.errors import InputError
from dreaming.hosted.records import MAX_CONTENT_BYTES, MAX_PATH_BYTES, MAX_PATH_SEGMENTS, HostedMemory
from dreaming.ids import new_id
from dreaming.records import Change, Changeset, Evidence, Memory, VersionStatus, sha256_text
from dreaming.text.memory_files import split_markdown


@dataclass(frozen=True, kw_only=True)
class BaseEntry:
    """A hosted path as this store last saw it."""

    path: str
    remote_id: str
    content_sha256: str
    content: str


# --- files -------------------------------------------------------------------


def file_entries(content: str) -> list[str]:
    """The memories a hosted file holds (bullets or paragraphs; headings dropped)."""
    entries: list[str] = split_markdown(content.replace("\r\n", "\n"))
    return entries


def render_file(memories: Iterable[Memory]) -> str:
    """One bullet per memory (continuation lines indented), in a stable order."""
    lines = []
    for mem in sorted(memories, key=lambda m: (m.kind, m.key or "", m.content, m.id)):
        first, *rest = mem.content.split("\n")
        lines.append("- " + first + "".join("\n  " + line for line in rest))
    return "\n".join(lines) + "\n" if lines else ""


def local_files(memories: Iterable[Memory], base: Mapping[str, BaseEntry]) -> dict[str, str]:
    """``{path: file text}`` for a version; a path whose memories are the entries of the file last
    seen there (``base``: this store's, or another store's for a new one) keeps that file's bytes."""
    groups: dict[str, list[Memory]] = {}
    for mem in memories:
        groups.setdefault(mem.path, []).append(mem)
    files: dict[str, str] = {}
    for path, mems in sorted(groups.items()):
        seen = base.get(path)
        if seen is not None and Counter(file_entries(seen.content)) == Counter(m.content for m in mems):
            files[path] = seen.content
        else:
            files[path] = render_file(mems)
    return files


def path_problem(path: str) -> str | None:
    """Why the hosted API would refuse ``path`` (None when it would not)."""
    if not path.startswith("/"):
        return "must start with /"
    segments = path[1:].split("/")
    if not 1 <= len(segments) <= MAX_PATH_SEGMENTS:
        return f"has {len(segments)} segments (1 to {MAX_PATH_SEGMENTS} allowed)"
    if any(s in ("", ".", "..") for s in segments):
        return "has an empty, '.' or '..' segment"
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        return f"is longer than {MAX_PATH_BYTES} bytes"
    if unicodedata.normalize("NFC", path) != path:
        return "is not in Unicode Normalization Form C"
    for ch in path:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return f"contains the control or format character U+{ord(ch):04X}"
    return None


def _part_path(path: str, n: int) -> str:
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        return f"{path}-part{n}"
    return f"{stem}-part{n}.{ext}"


def fit_files(memories: Sequence[Memory], base: Mapping[str, BaseEntry]) -> tuple[dict[str, str], list[str]]:
    # ``base`` here only decides the layout of unchanged files (see local_files)
    """The version's files within the API's limits, and a note per path split in parts.

    A path above 100 kB is split into ``name-part2.md``, ``name-part3.md``...
    (whole memories per part); a single memory above 100 kB, or a path the API
    would refuse, raises ``InputError`` naming it: nothing has been sent.
    """
    for mem in memories:
        problem = path_problem(mem.path)
        if problem:
            raise InputError(f"memory {mem.id}: path {mem.path!r} {problem}; the hosted API would refuse it (nothing was sent)")
        size = len(mem.content.encode("utf-8")) + 3
        if size > MAX_CONTENT_BYTES:
            raise InputError(
                f"memory {mem.id} at {mem.path} is {size - 3:,} bytes, above the hosted limit of "
                f"{MAX_CONTENT_BYTES:,} bytes; split or shorten it (nothing was sent)"
            )
    files = local_files(memories, base)
    notes: list[str] = []
    for path in [p for p, text in files.items() if len(text.encode("utf-8")) > MAX_CONTENT_BYTES]:
        mems = sorted((m for m in memories if m.path == path), key=lambda m: (m.kind, m.key or "", m.content, m.id))
        parts: list[list[Memory]] = [[]]
        size = 0
        for mem in mems:
            cost = len(render_file([mem]).encode("utf-8"))
            if parts[-1] and size + cost > MAX_CONTENT_BYTES:
                parts.append([])
                size = 0
            parts[-1].append(mem)
            size += cost
        del files[path]
        names = [path] + [_part_path(path, n) for n in range(2, len(parts) + 1)]
        for name, part in zip(names, parts):
            if name in files:
                raise InputError(f"{path} is above {MAX_CONTENT_BYTES:,} bytes and its part {name} is taken (nothing was sent)")
            files[name] = render_file(part)
        notes.append(f"{path} is above {MAX_CONTENT_BYTES:,} bytes: split into {len(parts)} files ({', '.join(names)})")
    return dict(sorted(files.items())), notes


# --- push ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PushOp:
    op: str  # create | update | delete
    path: str
    remote_id: str | None = None
    before_sha256: str | None = None
    before_content: str | None = None
    target: str | None = None

    @property
    def target_sha256(self) -> str | None:
        return None if self.target is None else sha256_text(self.target)

    def to_json(self) -> dict[str, object]:
        return {"op": self.op, "path": self.path, "remote_id": self.remote_id,
                "before_sha256": self.before_sha256, "target_sha256": self.target_sha256,
                "bytes": None if self.target is None else len(self.target.encode("utf-8"))}


@dataclass(frozen=True, kw_only=True)
class Conflict:
    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class PushPlan:
    ops: tuple[PushOp, ...]
    conflicts: tuple[Conflict, ...]
    #: paths already holding the version's file (their base is refreshed)
    in_sync: tuple[HostedMemory, ...] = ()
    notes: tuple[str, ...] = ()
    unchanged: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "ops": [o.to_json() for o in self.ops],
            "conflicts": [c.to_json() for c in self.conflicts],
            "already_there": len(self.in_sync),
            "unchanged": self.unchanged,
            "notes": list(self.notes),
            "counts": dict(Counter(o.op for o in self.ops)),
        }


def _conflict_reason(base: BaseEntry | None, remote: HostedMemory | None, local: str | None) -> str:
    if base is None:
        return "added in the hosted store since the last pull"
    if remote is None:
        return "deleted in the hosted store since the last pull"
    return "changed in the hosted store since the last pull"


def plan_push(
    local: Mapping[str, str], base: Mapping[str, BaseEntry], remote: Mapping[str, HostedMemory], *, notes: Sequence[str] = ()
) -> PushPlan:
    """What to send so the hosted store holds exactly ``local`` (see the module docstring)."""
    ops: list[PushOp] = []
    conflicts: list[Conflict] = []
    in_sync: list[HostedMemory] = []
    unchanged = 0
    for path in sorted(set(local) | set(base) | set(remote)):
        text, seen, there = local.get(path), base.get(path), remote.get(path)
        lsha = None if text is None else sha256_text(text)
        bsha = None if seen is None else seen.content_sha256
        rsha = None if there is None else there.content_sha256
        if rsha == lsha:
            if there is not None and bsha != rsha:
                in_sync.append(there)
            elif there is not None:
                unchanged += 1
            continue
        if rsha != bsha:
            conflicts.append(Conflict(path=path, reason=_conflict_reason(seen, there, text)))
            continue
        before = None if seen is None else seen.content
        if there is None:
            ops.append(PushOp(op="create", path=path, target=text))
        elif text is None:
            ops.append(PushOp(op="delete", path=path, remote_id=there.id, before_sha256=rsha, before_content=before))
        else:
            ops.append(PushOp(op="update", path=path, remote_id=there.id, before_sha256=rsha, before_content=before, target=text))
    order = {"delete": 0, "update": 1, "create": 2}  # free paths before taking new ones
    ops.sort(key=lambda o: (order[o.op], o.path))
    return PushPlan(ops=tuple(ops), conflicts=tuple(conflicts), in_sync=tuple(in_sync), notes=tuple(notes), unchanged=unchanged)


def undo_op(op: str, path: str, remote_id: str | None, before_content: str | None, target_sha256: str | None) -> PushOp | None:
    """The request that puts back what a done ``op`` replaced (for a push stopped half-way)."""
    if op == "create":
        return PushOp(op="delete", path=path, remote_id=remote_id, before_sha256=target_sha256)
    if op == "update" and before_content is not None:
        return PushOp(op="update", path=path, remote_id=remote_id, before_sha256=target_sha256, target=before_content)
    if op == "delete" and before_content is not None:
        return PushOp(op="create", path=path, target=before_content)
    return None


# --- pull ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PullPlan:
    #: hosted paths whose file changed since the base (content to fetch)
    changed: tuple[HostedMemory, ...]
    #: paths in the base that are gone from the hosted store
    deleted: tuple[str, ...]
    unchanged: int


def plan_pull(remote: Mapping[str, HostedMemory], base: Mapping[str, BaseEntry]) -> PullPlan:
    changed = tuple(m for p, m in sorted(remote.items()) if p not in base or base[p].content_sha256 != m.content_sha256)
    deleted = tuple(sorted(p for p in base if p not in remote))
    return PullPlan(changed=changed, deleted=deleted, unchanged=len(remote) - len(changed))


def pulled_memory(store_id: str, file: HostedMemory, entry: str, index: int, at: datetime) -> Memory:
    return Memory(
        id=new_id("mem", at=at, seed=f"{store_id}:{file.path}:{file.content_sha256}:{index}:{entry}"),
        content=entry,
        path=file.path,
        created_at=at,
        first_seen=file.updated_at or at,
        last_seen=file.updated_at or at,
        metadata={"hosted": {"store_id": store_id, "memory_id": file.id, "path": file.path,
                             "content_sha256": file.content_sha256}},
        provenance=(Evidence(source=f"{store_id}:{file.path}"),),
    )


def pull_changeset(
    store_id: str, head: Sequence[Memory], files: Sequence[HostedMemory], deleted: Sequence[str], *,
    at: datetime, message: str, status: VersionStatus = "accepted", origin: str = "pull", run_id: str | None = None,
    mirror: bool = False,
) -> Changeset:
    """HEAD with each changed hosted file's entries in place of the memories at its path.

    An entry equal to a memory already at that path keeps the memory (id,
    history); the others are added; memories at the path that are no longer
    in the file, and at deleted paths, are retired.  With ``mirror`` every
    path not among ``files`` is retired too (a hosted dream's whole output).
    """
    by_path: dict[str, list[Memory]] = {}
    for mem in head:
        by_path.setdefault(mem.path, []).append(mem)
    upserts: list[Memory] = []
    retire: list[str] = []
    changes: list[Change] = []
    where = f"hosted store {store_id}"
    for file in files:
        existing = {m.content: m for m in by_path.get(file.path, [])}
        kept: set[str] = set()
        for index, entry in enumerate(file_entries(file.content or "")):
            old = existing.get(entry)
            if old is not None and old.id not in kept:
                kept.add(old.id)
                continue
            mem = pulled_memory(store_id, file, entry, index, at)
            if mem.id in kept or any(u.id == mem.id for u in upserts):
                continue
            upserts.append(mem)
            changes.append(Change(op="add", rule="hosted-pull:add", outputs=(mem.id,), reason=f"in {file.path} of {where}",
                                  evidence=mem.provenance, rule_inputs={"store_id": store_id, "path": file.path}))
        for mem in by_path.get(file.path, []):
            if mem.id not in kept:
                retire.append(mem.id)
                changes.append(Change(op="remove", rule="hosted-pull:remove", inputs=(mem.id,),
                                      reason=f"no longer in {file.path} of {where}",
                                      rule_inputs={"store_id": store_id, "path": file.path}))
    gone = set(deleted)
    if mirror:
        gone |= set(by_path) - {f.path for f in files}
    for path in sorted(gone):
        for mem in by_path.get(path, []):
            retire.append(mem.id)
            changes.append(Change(op="remove", rule="hosted-pull:remove", inputs=(mem.id,),
                                  reason=f"{path} is not in {where}", rule_inputs={"store_id": store_id, "path": path}))
    return Changeset(upserts=tuple(upserts), retire=tuple(retire), changes=tuple(changes), message=message,
                     origin=origin, status=status, run_id=run_id)
