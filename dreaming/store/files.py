"""Reading and writing memories as files: JSONL, a memory directory, one markdown file.

Formats
-------
``jsonl``
    One JSON object per line.  ``content`` is required; ``id``, ``path``,
    ``kind``, ``key``, ``observed_at`` (ISO 8601), ``source`` and ``metadata``
    are optional (a memory without a path is filed under its topic path, see
    ``dreaming.plan.reorganise``), and the fields ``dreaming export`` writes (``created_at``,
    ``first_seen``, ``last_seen``, ``mentions``, ``content_sha256``,
    ``provenance``) are accepted so that an export imports back unchanged.
    Unknown fields are an error (a typo should not silently lose data).

``memory-dir``
    A directory tree of markdown files, laid out like Claude's memory tool
    (``/memories/...``) or a mounted Managed Agents memory store.  Each file is
    one topic path (``user/preferences.md`` -> ``/user/preferences.md``); each
    bullet or paragraph in it is one memory.  Export adds ``_index.md`` and a
    trailing ``<!-- dreaming {...} -->`` comment per entry carrying its id,
    kind, key and times, so that an exported directory imports back exactly;
    hand-written files need no comments.

``markdown``
    One CLAUDE.md-style file: ``## /topic/path.md`` sections holding bullets.
    Sections whose heading is not a path get a path from the heading
    (``## Code style`` -> ``/code-style.md``).

Readers are pure apart from reading the file they are given; they return
:class:`ImportedMemory` records with ``file:line`` locations, or raise
:class:`~dreaming.errors.InputError` naming the first bad line.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dreaming.errors import InputError
from dreaming.ids import new_id
from dreaming.records import Evidence, Memory, Version, format_time, parse_time, sha256_text, utcnow
from dreaming.store.claude_code import WRITE_BACK_KEY, read_claude_code, render_claude_code
from dreaming.text.memory_files import DEFAULT_PATH, Entry, normalise_path, slug, split_entries, topic_path_of
from dreaming.text.paths import folder_conflict
from dreaming.text.redact import Redactor
from dreaming.text.unicode import fix_value

if TYPE_CHECKING:
    from dreaming.store.core import Store

FORMATS = ("jsonl", "memory-dir", "markdown", "claude-code")
_FOLDERS = ("memory-dir", "claude-code")  # formats written as a directory
INDEX_FILE = "_index.md"

_JSONL_FIELDS = {
    "id", "path", "kind", "key", "content", "observed_at", "source", "metadata",
    "created_at", "first_seen", "last_seen", "mentions", "content_sha256", "provenance",
}
#: the largest memory, in UTF-8 bytes (the hosted memory stores' limit); larger ones are refused
MAX_MEMORY_BYTES = 100_000
#: the longest JSONL line and the largest markdown file read (a memory is at most 100 kB)
MAX_LINE_BYTES = 8 << 20
MAX_MARKDOWN_BYTES = 32 << 20
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, kw_only=True)
class ImportedMemory:
    """A memory read from a file, with where it came from."""

    memory: Memory
    location: str
    #: True when the file gave ``created_at`` (otherwise a re-import keeps
    #: the stored memory's creation time)
    explicit_created: bool = False
    #: secrets replaced by a ``[REDACTED:kind]`` marker in it
    redacted: int = 0


# --- paths -----------------------------------------------------------------


def check_paths(paths: Iterable[str], *, location: str | None = None) -> None:
    """Refuse a set of paths of which one would be both a file and a folder."""
    clash = folder_conflict(paths)
    if clash:
        raise InputError(
            f"memory path {clash[0]} is a file, so {clash[1]} cannot be inside it; rename one of them",
            location=location,
        )


# --- JSONL ---------------------------------------------------------------


def _seeded_id(name: str, lineno: int, content: str, at: datetime) -> str:
    return new_id("mem", at=at, seed=f"{name}:{lineno}:{sha256_text(content)}")


def memory_from_json(
    data: Any, *, location: str, default_source: str | None, id_seed: tuple[str, int]
) -> ImportedMemory:
    """Validate one JSON object as a memory (the JSONL import/export format)."""
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object, got {type(data).__name__}", location=location)
    data = fix_value(data)  # "\ud83c" alone (a string cut inside an emoji) cannot be stored
    unknown = sorted(set(data) - _JSONL_FIELDS)
    if unknown:
        raise InputError(
            f"unknown field {unknown[0]!r} (known fields: {', '.join(sorted(_JSONL_FIELDS))})", location=location
        )
    content = data.get("content")
    if not isinstance(content, str) or not content.strip():
        raise InputError("'content' is required and must be a non-empty string", location=location)
    content = content.replace("\r\n", "\n").strip()
    size = len(content.encode("utf-8", "surrogatepass"))
    if size > MAX_MEMORY_BYTES:
        raise InputError(
            f"a memory of {size:,} bytes is over the {MAX_MEMORY_BYTES:,}-byte limit (the hosted memory stores' too); "
            f"split it into smaller memories", location=location,
        )

    def text_field(name: str) -> str | None:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{name!r} must be a string", location=location)
        return value

    def time_field(name: str) -> datetime | None:
        try:
            return parse_time(data.get(name))
        except ValueError as err:
            raise InputError(f"{name!r}: {err}", location=location) from None

    mem_id = text_field("id")
    if mem_id is not None and not _ID_RE.match(mem_id):
        raise InputError(f"invalid id {mem_id!r}: use letters, digits and _.:- only", location=location)
    path = normalise_path(data["path"], location=location) if data.get("path") is not None else None
    kind = text_field("kind") or "fact"
    key = text_field("key") or None
    observed_at = time_field("observed_at")
    created_at = time_field("created_at")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputError("'metadata' must be a JSON object", location=location)
    mentions = data.get("mentions", 1)
    if not isinstance(mentions, int) or isinstance(mentions, bool) or mentions < 1:
        raise InputError("'mentions' must be a positive integer", location=location)
    sha = data.get("content_sha256")
    if sha is not None and sha != sha256_text(content):
        raise InputError("'content_sha256' does not match 'content' (was the content edited?)", location=location)
    provenance: tuple[Evidence, ...]
    if data.get("provenance") is not None:
        raw = data["provenance"]
        if not isinstance(raw, list):
            raise InputError("'provenance' must be a list of objects", location=location)
        try:
            provenance = tuple(Evidence.from_json(e) if isinstance(e, dict) else _bad_evidence() for e in raw)
        except ValueError as err:
            raise InputError(f"'provenance': {err}", location=location) from None
    else:
        provenance = ()
    source = text_field("source")
    if source is not None:
        provenance = provenance + (Evidence(source=source),)
    elif not provenance and default_source is not None:
        provenance = (Evidence(source=default_source),)
    if mem_id is None:
        # reproducible: the same line of the same file always gets the same id,
        # so importing a file twice adds nothing.  The id's time part is the
        # entry's own time when it has one (ids then sort by it).
        mem_id = _seeded_id(id_seed[0], id_seed[1], content, observed_at or created_at or _EPOCH)
    redactor = Redactor()  # an imported file is text entering the store like a transcript
    content = redactor.text(content)
    key = redactor.text(key) if key else key
    metadata = redactor.value(metadata)
    if path is None:
        # filed under its topic path at once, so that the first dream need not move it (a new state per memory)
        path = topic_path_of(path=None, kind=kind, key=key, content=content, metadata=metadata)
    memory = Memory(
        id=mem_id,
        content=content,
        path=path,
        kind=kind,
        key=key,
        observed_at=observed_at,
        created_at=created_at or utcnow(),
        first_seen=time_field("first_seen"),
        last_seen=time_field("last_seen"),
        mentions=mentions,
        metadata=metadata,
        provenance=provenance,
    )
    return ImportedMemory(memory=memory, location=location, explicit_created=created_at is not None,
                          redacted=redactor.count)


def _bad_evidence() -> Evidence:
    raise ValueError("each provenance entry must be a JSON object")


def read_jsonl(path: Path) -> list[ImportedMemory]:
    """Read a JSONL memory file; the first bad line raises ``InputError``."""
    return list(iter_jsonl(path))


def iter_jsonl(path: Path) -> Iterator[ImportedMemory]:
    """The memories of a JSONL file one by one, as they are read.

    Past the first bad line nothing more is yielded, but the file is read
    to its end so that the ``InputError`` raised there (naming the first
    bad line) says how many more there are; a caller writing as it reads
    rolls back on it.
    """
    name = path.name
    errors: list[InputError] = []
    try:
        handle = path.open("rb")
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", location=str(path)) from None
    seen_ids: dict[str, int] = {}
    with handle:
        for lineno, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), start=1):
            location = f"{path}:{lineno}"
            if len(raw) > MAX_LINE_BYTES:
                raise InputError(f"a line over {MAX_LINE_BYTES >> 20} MB; a memory is at most {MAX_MEMORY_BYTES:,} bytes "
                                 f"(nothing was imported)", location=location)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                errors.append(InputError(f"invalid UTF-8 at byte {err.start}", location=location))
                continue
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                errors.append(InputError(f"invalid JSON: {err.msg} (column {err.colno})", location=location))
                continue
            except RecursionError:
                errors.append(InputError("invalid JSON: nested too deeply", location=location))
                continue
            try:
                item = memory_from_json(
                    data, location=location, default_source=f"{name}:{lineno}", id_seed=(name, lineno)
                )
            except InputError as err:
                errors.append(err)
                continue
            first = seen_ids.setdefault(item.memory.id, lineno)
            if first != lineno:
                errors.append(InputError(f"id {item.memory.id!r} already used at {path}:{first}", location=location))
                continue
            if not errors:
                yield item
    _raise_first(errors)


def _raise_first(errors: Sequence[InputError]) -> None:
    if not errors:
        return
    first = errors[0]
    more = len(errors) - 1
    suffix = f" (and {more} more bad line{'s' if more != 1 else ''}; nothing was imported)" if more else (
        " (nothing was imported)"
    )
    raise InputError(first.reason + suffix, location=first.location)


# --- markdown entries --------------------------------------------------------



def _memory_from_entry(entry: Entry, *, path: str, location: str, name: str) -> ImportedMemory:
    if entry.meta is None:
        return memory_from_json(
            {"content": entry.text, "path": path},
            location=location, default_source=f"{name}:{entry.lineno}", id_seed=(name, entry.lineno)
        )
    data = dict(entry.meta)
    if "content" in data or "path" in data:
        raise InputError("the dreaming comment must not carry 'content' or 'path'", location=location)
    data["content"] = entry.text
    data["path"] = path
    return memory_from_json(data, location=location, default_source=None, id_seed=(name, entry.lineno))


def _read_text_lines(path: Path) -> list[str]:
    try:
        size = path.stat().st_size
        if size > MAX_MARKDOWN_BYTES:
            raise InputError(f"refused: {size:,} bytes, over the {MAX_MARKDOWN_BYTES >> 20} MB a markdown memory file "
                             f"may have", location=str(path))
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", location=str(path)) from None
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(f"invalid UTF-8 at byte {err.start}", location=f"{path}:{line}") from None


def _tree_files(root: Path) -> list[Path]:
    """The files under ``root`` (hidden ones skipped), without following a
    symlink out of it: a symlinked file or folder that resolves outside
    ``root`` refuses the import (``id_rsa.md -> ~/.ssh/id_rsa``)."""
    base = os.path.realpath(root)
    found: list[Path] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in [*dirs, *names]:
            entry = Path(folder) / name
            if entry.is_symlink():
                real = os.path.realpath(entry)
                if os.path.commonpath([base, real]) != base:
                    raise InputError(
                        f"is a symbolic link to {real}, outside the memory directory; nothing was imported",
                        location=str(entry),
                    )
        found.extend(Path(folder) / n for n in names if not n.startswith(".") and (Path(folder) / n).is_file())
    return sorted(found)


def read_memory_dir(root: Path) -> list[ImportedMemory]:
    """Read a directory of markdown memory files (``_index.md`` is skipped)."""
    if not root.is_dir():
        raise InputError("not a directory", location=str(root))
    out: list[ImportedMemory] = []
    errors: list[InputError] = []
    files = _tree_files(root)
    for file in files:
        rel = file.relative_to(root).as_posix()
        if rel == INDEX_FILE or file.suffix.lower() not in (".md", ".markdown", ".txt"):
            continue
        path = normalise_path("/" + rel, location=str(file))
        try:
            for entry in split_entries(_read_text_lines(file), location_prefix=str(file)):
                location = f"{file}:{entry.lineno}"
                try:
                    out.append(
                        _memory_from_entry(entry, path=path, location=location, name=rel)
                    )
                except InputError as err:
                    errors.append(err)
        except InputError as err:
            errors.append(err)
    _raise_first(errors)
    _check_unique_ids(out)
    return out


def read_markdown(file: Path) -> list[ImportedMemory]:
    """Read one CLAUDE.md-style file: ``## /path`` sections of bullets."""
    out: list[ImportedMemory] = []
    errors: list[InputError] = []
    for entry in split_entries(_read_text_lines(file), location_prefix=str(file)):
        location = f"{file}:{entry.lineno}"
        section = entry.section
        if section and section.startswith("/"):
            path = section
        elif section:
            path = f"/{slug(section)}.md"
        else:
            path = DEFAULT_PATH
        try:
            path = normalise_path(path, location=location)
            out.append(_memory_from_entry(entry, path=path, location=location, name=file.name))
        except InputError as err:
            errors.append(err)
    _raise_first(errors)
    _check_unique_ids(out)
    return out


def _check_unique_ids(items: Sequence[ImportedMemory]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if item.memory.id in seen:
            raise InputError(
                f"id {item.memory.id!r} already used at {seen[item.memory.id]} (nothing was imported)",
                location=item.location,
            )
        seen[item.memory.id] = item.location


def detect_format(path: Path) -> str:
    if path.is_dir():
        return "memory-dir"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".md", ".markdown"):
        return "markdown"
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip()
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", location=str(path)) from None
    if head.startswith((b"{", b"[")):
        return "jsonl"
    if head.startswith(b"#") or head.startswith(b"-"):
        return "markdown"
    raise InputError(f"cannot tell the format; pass --format ({' | '.join(FORMATS)})", location=str(path))


def read_memories(path: Path, fmt: str | None = None) -> list[ImportedMemory]:
    """Read memories from ``path`` in ``fmt`` (detected when ``None``)."""
    if not path.exists():
        raise InputError("no such file or directory", location=str(path))
    fmt = fmt or detect_format(path)
    if fmt == "claude-code":
        return [ImportedMemory(memory=m, location=loc) for m, loc in read_claude_code(path)]
    if fmt == "memory-dir":
        return read_memory_dir(path)
    if path.is_dir():
        raise InputError("is a directory; use --format memory-dir", location=str(path))
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "markdown":
        return read_markdown(path)
    raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


# --- writing -----------------------------------------------------------------


def _meta_comment(memory: Memory) -> str:
    data = memory.to_json()
    for name in ("content", "path", "content_sha256"):
        data.pop(name)
    data = {k: v for k, v in data.items() if v not in (None, {}, [])}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("-->", "--\\u003e")  # keep the comment closed where we close it
    return f"<!-- dreaming {text} -->"


def _bullet(memory: Memory, *, with_meta: bool) -> str:
    lines = memory.content.split("\n")
    body = "- " + lines[0] + "".join("\n  " + line for line in lines[1:])
    return f"{body} {_meta_comment(memory)}" if with_meta else body


def _title(path: str) -> str:
    stem = path.rsplit("/", 1)[-1]
    stem = re.sub(r"\.(md|markdown|txt)$", "", stem)
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or "Notes"


def _sort_group(mems: list[Memory]) -> list[Memory]:
    mems.sort(key=lambda m: (m.kind, m.key or "", m.content, m.id))
    return mems


def _by_path(memories: Iterable[Memory]) -> dict[str, list[Memory]]:
    groups: dict[str, list[Memory]] = {}
    for mem in memories:
        groups.setdefault(mem.path, []).append(mem)
    for mems in groups.values():
        _sort_group(mems)
    return dict(sorted(groups.items()))


def _path_runs(memories: Iterable[Memory]) -> Iterator[tuple[str, list[Memory]]]:
    """:func:`_by_path`'s groups, in its order, from memories already ordered
    by path (``Store.iter_snapshot``): one path's memories in memory at a time."""
    for path, run in itertools.groupby(memories, key=lambda m: m.path):
        yield path, _sort_group(list(run))


def render_jsonl(memories: Iterable[Memory], out: TextIO) -> int:
    n = 0
    for mem in memories:
        out.write(json.dumps(mem.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
        n += 1
    return n


def _markdown_lines(groups: Iterable[tuple[str, list[Memory]]], *, version: int, title: str) -> Iterator[str]:
    yield from (f"# {title}", "", f"<!-- exported by dreaming from version {version}; one bullet per memory -->", "")
    for path, mems in groups:
        yield f"## {path}"
        yield ""
        yield from (_bullet(m, with_meta=True) for m in mems)
        yield ""


def render_markdown(memories: Iterable[Memory], *, version: int, title: str = "Memory") -> str:
    return "\n".join(_markdown_lines(_by_path(memories).items(), version=version, title=title))


def _memory_dir_files(groups: Iterable[tuple[str, list[Memory]]], *, version: int) -> Iterator[tuple[str, str]]:
    """(relative file path, text) of each topic file, then ``_index.md``."""
    index = ["# Memory index", "", f"<!-- exported by dreaming from version {version} -->", ""]
    tree: dict[str, list[str]] = {}
    for path, mems in groups:
        rel = path.lstrip("/")
        if rel == INDEX_FILE:
            rel = "_index-notes.md"
        body = [f"# {_title(path)}", ""]
        body.extend(_bullet(m, with_meta=True) for m in mems)
        yield rel, "\n".join(body) + "\n"
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        kinds = sorted({m.kind for m in mems})
        tree.setdefault(folder, []).append(
            f"- [{_title(path)}]({rel}) — {len(mems)} memor{'y' if len(mems) == 1 else 'ies'} ({', '.join(kinds)})"
        )
    for folder in sorted(tree):
        index.append(f"## /{folder}" if folder else "## /")
        index.append("")
        index.extend(tree[folder])
        index.append("")
    yield INDEX_FILE, "\n".join(index)


def render_memory_dir(memories: Iterable[Memory], *, version: int) -> dict[str, str]:
    """``{relative file path: text}`` for a memory directory, with ``_index.md``."""
    return dict(_memory_dir_files(_by_path(memories).items(), version=version))


#: modes of what an export or a store creates: only the owner reads memories
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def atomic_write_text(target: Path, text: str | Iterable[str]) -> None:
    """Write ``text`` (or its pieces, as they come) to ``target`` (mode 0600)
    through a temporary file and a rename (a symlink at ``target`` is
    replaced, never followed)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _safe_target(root: Path, rel: str) -> Path:
    """``root / rel``, refused unless it lies inside ``root`` (no ``..``, no
    absolute part, no symlink on the way)."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
        raise InputError(f"refusing to export to {rel!r}: not a plain path inside the export folder")
    target = root.joinpath(*parts)
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(target)]) != real_root:
        raise InputError(f"refusing to export to {rel!r}: it resolves outside the export folder")
    return target


def _write_new_file(target: Path, text: str) -> None:
    """Create ``target`` (0600), never following a symlink nor reusing a file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def stale_export_temps(out: Path) -> list[Path]:
    """Hidden temporary folders a killed export of ``out`` left beside it."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.glob(f".{out.name}.*") if p.is_dir() and not p.is_symlink())


def write_memory_dir(
    files: Mapping[str, str] | Iterable[tuple[str, str]], out: Path, *, force: bool = False
) -> Path | None:
    """Write a memory directory (files as they come); an existing non-empty
    ``out`` needs ``force`` and is kept as ``out.bak-<time>`` (returned),
    never overwritten.  Every file is created 0600 inside a 0700 folder,
    checked to lie inside it.  The paths of a ``Mapping`` are checked here
    for a file that would also be a folder; a caller streaming the files
    checks their paths first."""
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", location=str(out))
    nonempty = out.is_dir() and any(out.iterdir())
    if nonempty and not force:
        raise InputError("directory is not empty; choose a new directory or pass --force", location=str(out))
    if isinstance(files, Mapping):
        check_paths("/" + rel for rel in files)
    out.parent.mkdir(parents=True, exist_ok=True)
    for old in stale_export_temps(out):  # left by an export that was killed
        shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))  # mkdtemp: 0700
    try:
        for rel, text in (files.items() if isinstance(files, Mapping) else files):
            target = _safe_target(tmp, rel)
            target.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
            _write_new_file(_safe_target(tmp, rel), text)
        backup = None
        if out.exists():
            if nonempty:
                backup = out.with_name(f"{out.name}.bak-{utcnow().strftime('%Y%m%dT%H%M%S%f')}")
                out.rename(backup)
            else:
                out.rmdir()
        tmp.rename(out)
        return backup
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@dataclass(frozen=True, kw_only=True)
class ImportResult:
    read: int
    version: Version | None
    #: secrets replaced by a marker before anything was stored
    redacted: int = 0

    @property
    def unchanged(self) -> int:
        if self.version is None:
            return self.read
        return self.read - self.version.counts["added"] - self.version.counts["updated"]


def import_file(store: Store, path: Path, *, fmt: str | None = None, message: str | None = None) -> ImportResult:
    """Read ``path`` and add its memories to ``store`` as one accepted version
    (``version`` is ``None`` when the store already held all of them).  A
    JSONL file is written as it is read, in one transaction: its paths are
    checked once all are known, before that transaction commits."""
    message = message or f"import {path.name}"
    if path.exists() and not path.is_dir() and (fmt or detect_format(path)) == "jsonl":
        read = redacted = 0
        paths: set[str] = set()

        def items() -> Iterator[tuple[Memory, bool]]:
            nonlocal read, redacted
            for item in iter_jsonl(path):
                read += 1
                redacted += item.redacted
                paths.add(item.memory.path)
                yield item.memory, item.explicit_created
            check_paths(store.paths() | paths, location=str(path))

        version = store.import_stream(items(), message=message)
        return ImportResult(read=read, version=version, redacted=redacted)
    found = read_memories(path, fmt)
    check_paths(store.paths() | {i.memory.path for i in found}, location=str(path))
    version = store.import_memories(
        [i.memory for i in found],
        message=message,
        explicit_created=[i.memory.id for i in found if i.explicit_created],
    )
    return ImportResult(read=len(found), version=version, redacted=sum(i.redacted for i in found))


def export_format_for(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix in (".jsonl", ".ndjson") or str(out) == "-":
        return "jsonl"
    return "markdown" if suffix in (".md", ".markdown") else "memory-dir"


@dataclass(frozen=True, kw_only=True)
class ExportResult:
    memories: int
    version: int
    format: str
    backup: Path | None = None


def _replace_keeping(out: Path, text: str | Iterable[str], backup: Path | None) -> None:
    """Write ``out``; an existing file is first kept as ``backup`` (a hard link, so
    ``out`` is never missing)."""
    if backup is not None:
        try:
            os.link(out, backup, follow_symlinks=False)
        except OSError:
            shutil.copy2(out, backup, follow_symlinks=False)
    atomic_write_text(out, text)


def export_file(
    store: Store, out: Path, *, fmt: str | None = None, version: int | None = None, force: bool = False
) -> ExportResult:
    """Write a version's memories to ``out`` (atomically; an existing memory
    directory is only replaced with ``force`` and kept as a backup)."""
    fmt = fmt or export_format_for(out)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    v = store.head if version is None else version
    backup = None
    if fmt not in _FOLDERS and out.is_dir():
        raise InputError("is a directory; give a file name, or --format memory-dir", location=str(out))
    if fmt not in _FOLDERS and out.exists() and not force:
        raise InputError("file exists; choose a new file or pass --force (the old one is kept as a backup)",
                         location=str(out))
    store.count(v)  # an unknown version is refused before anything is written
    if fmt not in _FOLDERS and out.exists():
        backup = out.with_name(f"{out.name}.bak-{utcnow().strftime('%Y%m%dT%H%M%S%f')}")
    count = 0

    def counted() -> Iterator[Memory]:  # the version's memories as they are read, in path order
        nonlocal count
        for mem in store.iter_snapshot(v):
            count += 1
            yield mem

    if fmt == "jsonl":
        rows = (json.dumps(m.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for m in counted())
        _replace_keeping(out, rows, backup)
    elif fmt == "markdown":
        lines = _markdown_lines(_path_runs(counted()), version=v, title="Memory")
        _replace_keeping(out, (line if i == 0 else "\n" + line for i, line in enumerate(lines)), backup)
    elif fmt == "claude-code":
        backup = write_memory_dir(render_claude_code(list(counted()), version=v), out, force=force)
    else:
        check_paths(store.paths(v) | {"/" + INDEX_FILE})
        backup = write_memory_dir(_memory_dir_files(_path_runs(counted()), version=v), out, force=force)
    return ExportResult(memories=count, version=v, format=fmt, backup=backup)


# --- Claude Code write-back (the SessionEnd hook's --write-back) ------------------------------------


def start_write_back(store: Store, folder: Path) -> int | None:
    """Import the project's auto memory (a new accepted version when it changed) and remember the
    folder, so that accepting a later dream writes it back there (and nothing else does)."""
    result = import_file(store, folder, fmt="claude-code", message=f"Claude Code auto memory {folder}")
    store.set_config(WRITE_BACK_KEY, str(folder))
    return result.version.number if result.version else None


def write_back(store: Store) -> Path | None:
    """After ``accept``: the accepted HEAD into the auto-memory folder the hook dreams over (if any).
    The previous folder is kept beside it (``memory.bak-<time>``)."""
    folder = store.get_config(WRITE_BACK_KEY)
    if not folder:
        return None
    export_file(store, Path(folder), fmt="claude-code", force=True)
    return Path(folder)


__all__ = [
    "ExportResult",
    "ImportResult",
    "export_file",
    "import_file",
    "FORMATS",
    "ImportedMemory",
    "atomic_write_text",
    "detect_format",
    "format_time",
    "normalise_path",
    "read_memories",
    "render_jsonl",
    "render_markdown",
    "render_memory_dir",
    "write_memory_dir",
]
