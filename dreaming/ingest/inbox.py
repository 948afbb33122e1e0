"""Storing transcripts: incremental, idempotent, all-or-nothing when strict.

``ingest_paths(store, paths, config=...)`` reads files and directories
(walked recursively for ``*.jsonl``/``*.ndjson``/``*.json``) and records each
file with ``Store.record_ingest``:

* a file whose size and mtime match what the store recorded is skipped
  without being opened, and one whose content hash (sha256) and size match
  without being parsed ("unchanged") - so a scheduled run over a large inbox
  costs a stat per old file, not a read (a rewrite that keeps both the size
  and the mtime goes unnoticed, as with git's index);
* a changed or new file is read again in full and its turns are inserted
  with ``INSERT OR IGNORE`` on (session, turn id), so a file that grew (the
  session went on) adds only its new turns and nothing is duplicated;
* turns stream from the reader into the store in batches, one transaction
  per file (``strict``: one transaction for the whole call).

Secrets (API keys, tokens, passwords, private keys, connection strings) in
what is stored are replaced by ``[REDACTED:kind]`` markers first
(``dreaming.text.redact``); the report counts them.  Turns already stored (a file
that grew is read again) are neither redacted again nor counted.

Problems: a bad line, record or field is skipped and reported as
``file:line: reason``; with ``strict`` the first one is an error and nothing
is written.  A file named on the command line that is binary, over
``max_bytes`` or in no known format is an error before anything is written;
the same file met while walking a directory is skipped with a warning.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dreaming.errors import InputError
from dreaming.ingest.common import ReadOptions, Skip, Source
from dreaming.ingest.detect import FORMATS, check_file, check_format, detect, iter_files
from dreaming.records import Session, Turn
from dreaming.store.core import IngestCounts, SourceState, Store
from dreaming.text.redact import Redactor
from dreaming.text.unicode import fix_value


@dataclass(frozen=True, kw_only=True)
class IngestConfig:
    """Limits and switches for one ingest."""

    #: force this format for every file (``None``: detect per file)
    format: str | None = None
    #: any skipped line is an error, and nothing is written
    strict: bool = False
    #: larger files are refused
    max_bytes: int = 1 << 30
    #: tool results are stored as an excerpt of at most this many characters
    excerpt_chars: int = 500
    #: longer lines are skipped
    max_line_bytes: int = 32 << 20
    #: turns written per INSERT batch
    batch_size: int = 1000
    #: warnings kept in the report (the ``skipped`` count is always complete)
    max_warnings: int = 100
    #: replace secrets with ``[REDACTED:kind]`` before storing (off only to measure its cost)
    redact: bool = True

    @property
    def read_options(self) -> ReadOptions:
        return ReadOptions(excerpt_chars=self.excerpt_chars, max_line_bytes=self.max_line_bytes)


@dataclass(frozen=True, kw_only=True)
class IngestReport:
    """What one ingest newly added (and what it skipped)."""

    files: int = 0
    sessions: int = 0
    turns: int = 0
    skipped: int = 0
    #: files left alone because their content had not changed
    unchanged: int = 0
    #: secrets replaced by a marker in the new turns, and by kind
    redacted: int = 0
    redacted_kinds: Mapping[str, int] = field(default_factory=dict)
    #: ``file:line: reason``, the first ``max_warnings`` of them
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "sessions": self.sessions,
            "turns": self.turns,
            "skipped": self.skipped,
            "unchanged": self.unchanged,
            "redacted": self.redacted,
            "redacted_kinds": dict(sorted(self.redacted_kinds.items())),
            "warnings": list(self.warnings),
        }


@dataclass(kw_only=True)
class _Tally:
    max_warnings: int
    files: int = 0
    sessions: int = 0
    turns: int = 0
    skipped: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    redactor: Redactor | None = None

    def skip(self, message: str) -> None:
        self.skipped += 1
        if len(self.warnings) < self.max_warnings:
            self.warnings.append(message)

    def add(self, counts: IngestCounts) -> None:
        self.files += 1
        self.sessions += counts.sessions
        self.turns += counts.turns

    def report(self) -> IngestReport:
        kinds = dict(self.redactor.kinds) if self.redactor else {}
        return IngestReport(
            files=self.files, sessions=self.sessions, turns=self.turns, skipped=self.skipped,
            unchanged=self.unchanged, redacted=sum(kinds.values()), redacted_kinds=kinds, warnings=tuple(self.warnings),
        )


@dataclass(frozen=True, kw_only=True)
class _Planned:
    source: Source
    format: str
    state: SourceState
    named: bool
    #: (session, turn id) already stored for this file's sessions: not redacted again
    stored: frozenset[tuple[str, str]] = frozenset()


def ingest_paths(
    store: Store, paths: Iterable[str | os.PathLike[str]], *, config: IngestConfig | None = None,
    names: Mapping[str, str] | None = None,
) -> IngestReport:
    """Read ``paths`` (files or directories) into ``store``; see the module doc.

    ``names`` maps a file's absolute path to the name the store records it
    under and reports it as (a transcript downloaded from ``s3://`` is known
    by its URL, not by the temporary copy read); others go by their path."""
    config = config or IngestConfig()
    if config.format is not None:
        check_format(config.format)
    tally = _Tally(max_warnings=config.max_warnings, redactor=Redactor() if config.redact else None)
    plan = list(_plan(store, paths, config, tally, names or {}))
    if config.strict:
        for counts in store.record_ingest_all(
            ((p.state, _stream(p, config, tally)) for p in plan), batch_size=config.batch_size
        ):
            tally.add(counts)
    else:
        for p in plan:
            try:
                tally.add(store.record_ingest(p.state, _stream(p, config, tally), batch_size=config.batch_size))
            except InputError as problem:  # the file is not in the (forced) format after all
                if p.named:
                    raise
                tally.skip(str(problem))
    return tally.report()


def _files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, bool]]:
    """``(file, named)``: files named on the command line, then walked ones."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in iter_files(path):
                yield found, False
        elif path.is_file():
            yield path, True
        elif path.exists():
            raise InputError("not a regular file or directory", location=str(raw))
        else:
            raise InputError("no such file or directory", location=str(raw))


def _plan(
    store: Store, paths: Iterable[str | os.PathLike[str]], config: IngestConfig, tally: _Tally, names: Mapping[str, str]
) -> Iterator[_Planned]:
    """Check every file before anything is written: refusals of named files
    are errors, of walked files warnings; unchanged files drop out here."""
    seen: set[str] = set()
    for path, named in _files(paths):
        local = os.path.abspath(path)
        key = names.get(local, local)
        if key in seen:
            continue
        seen.add(key)
        try:
            source = Source.of(local, display=names.get(local, str(path)))
            known = store.source_state(key)
            same_format = known is not None and (config.format is None or known.format == config.format)
            if config.strict:
                pass  # strict reads every file again: a lenient ingest may have accepted it with bad lines
            elif same_format and known is not None and known.size == source.size and known.mtime == source.mtime.timestamp():
                tally.unchanged += 1  # same size and mtime: not read again (a scheduled run over a big inbox)
                continue
            check_file(source, max_bytes=config.max_bytes)
            digest = _sha256(source)
            if not config.strict and same_format and known is not None and known.sha256 == digest and known.size == source.size:
                tally.unchanged += 1
                continue
            fmt = config.format or detect(source, config.read_options)
        except OSError as err:
            problem = InputError(f"cannot read: {err.strerror or err}", location=str(path))
            if named or config.strict:
                raise problem from None
            tally.skip(str(problem))
            continue
        except InputError as problem:
            if named or config.strict:
                raise
            tally.skip(str(problem))
            continue
        if fmt is None:  # an empty file: nothing to read yet
            continue
        state = SourceState(
            path=key, format=fmt, size=source.size, mtime=source.mtime.timestamp(), sha256=digest
        )
        stored = frozenset(store.turn_keys(known.sessions)) if known is not None and tally.redactor else frozenset()
        yield _Planned(source=source, format=fmt, state=state, named=named, stored=stored)


def _sha256(source: Source) -> str:
    """Hash of the bytes we are about to read (the file may be growing)."""
    digest = hashlib.sha256()
    remaining = source.size
    with open(source.path, "rb") as fh:
        while remaining > 0:
            chunk = fh.read(min(1 << 20, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def _stream(planned: _Planned, config: IngestConfig, tally: _Tally) -> Iterator[Session | Turn]:
    """The reader's records, with skips counted (or, strict, raised)."""
    for item in FORMATS[planned.format](planned.source, config.read_options):
        if isinstance(item, Skip):
            if config.strict:
                raise InputError(f"{item.reason} (--strict: nothing was written)", location=item.location)
            tally.skip(str(item))
            continue
        item = fix_value(item)  # "\ud83c" alone (a string cut inside an emoji) cannot be stored
        redactor = tally.redactor
        if redactor is not None:
            if isinstance(item, Turn):
                if (item.session_id, item.id) not in planned.stored:
                    item = redactor.turn(item)
            else:
                item = redactor.session(item)
        yield item
