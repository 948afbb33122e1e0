"""The memory store: the only module that speaks SQL.

A store is one SQLite file (WAL mode) holding versioned memories, the changes
each version made, the transcripts read so far and the runs that consolidated
them.  See ``memory_store/README.md`` for the schema.

Versions
--------
Versions are numbered 1, 2, 3, ... in creation order; an empty store is at
version 0.  HEAD is the newest *accepted* version.  At most one *candidate*
exists at a time and it is always the newest version (the "tip"): while it
awaits review no other version can be written.  Rejecting it restores the tip
to HEAD; ``rollback(n)`` writes a new accepted version equal to version ``n``.

How a version is stored
-----------------------
``memories`` rows are immutable memory *states*; ``memory_ranges`` says in
which versions each state is present (``valid_from <= v < valid_to``).  A
version's snapshot is therefore one query, and writing a version touches only
the memories it changes: the file grows with the changes, not with
versions x store size.  The open ranges (``valid_to IS NULL``) always hold the
tip's snapshot.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, overload

import numpy as np
from sqlite_utils import Database

from dreaming.errors import CandidatePending, StaleParent, StoreError, VersionNotFound
from dreaming.ids import new_id
from dreaming.records import (
    Change,
    Changeset,
    Evidence,
    Memory,
    PendingSession,
    Run,
    Session,
    ToolCall,
    Turn,
    Version,
    dumps,
    format_time,
    parse_time,
    sha256_text,
    utcnow,
)
from dreaming.store import closure, schema
from dreaming.text import vectors as text_vectors
from dreaming.text.words import SEARCH_STOP_WORDS

APP_MARKER = "dreaming-memory-store"
#: :meth:`Store.related` searches a store holding more states than this with each text's rarest words ...
RELATED_EXACT_BELOW = 5_000
#: ... while the states they match add up to at most this many
RELATED_BUDGET = 300
_CHUNK = 500  # parameters per IN (...) query, well under SQLite's limit

_MEMORY_COLUMNS = (
    "rid, id, path, kind, key, content, content_sha256, observed_at, created_at, "
    "first_seen, last_seen, mentions, metadata, provenance"
)


def default_store_path() -> Path:
    """``$DREAMING_STORE`` or ``./memory_store/memory.db``."""
    return Path(os.environ.get("DREAMING_STORE") or Path("memory_store") / "memory.db")


#: a store holds every transcript it read: only its owner may read it (SQLite
#: gives the -wal and -shm files the mode of the database file)
STORE_MODE = 0o600


def _create_private(path: Path) -> None:
    """Create an empty ``path`` with mode 0600 (whatever the umask) for SQLite to fill."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, STORE_MODE))
        os.chmod(path, STORE_MODE)
    except OSError as err:
        raise StoreError(f"cannot create {path}: {err.strerror or err}") from None


def _short(text: str, width: int = 40) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _NoMetadata(dict[str, Any]):
    """The empty metadata every loaded memory without any shares: a dict
    (JSON and ``dict()`` take it as one) that refuses to be changed."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a stored memory's metadata is read-only; copy it with dict() first")

    __setitem__ = __delitem__ = __ior__ = update = setdefault = pop = popitem = clear = _refuse


_NO_METADATA = _NoMetadata()
_SHARED_LIMIT = 4096


class _Loader:
    """Memories from stored rows, sharing the values rows repeat.

    A big read (a whole snapshot) holds every memory at once; these keep
    each one small and quick to build: one object for each distinct path,
    kind and key (not one per row), one empty metadata, a time equal to
    another of the same row parsed once, and the stored evidence (written
    by us, so already valid) built without its validation.  At 100k the
    snapshot took 789 bytes and 62 us per memory before.
    """

    def __init__(self) -> None:
        self.shared: dict[str, str] = {}

    @overload
    def text(self, value: str) -> str: ...
    @overload
    def text(self, value: None) -> None: ...
    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        found = self.shared.get(value)
        if found is None:
            if len(self.shared) >= _SHARED_LIMIT:
                self.shared.clear()
            found = self.shared[value] = value
        return found

    def __call__(self, row: Sequence[Any]) -> Memory:
        (rid, id_, path, kind, key, content, _sha, observed_at, created_at,
         first_seen, last_seen, mentions, metadata, provenance) = row
        observed = parse_time(observed_at)
        created = observed if created_at == observed_at else parse_time(created_at)
        first = observed if first_seen == observed_at else parse_time(first_seen)
        last = observed if last_seen == observed_at else first if last_seen == first_seen else parse_time(last_seen)
        return Memory(
            rid=rid,
            id=id_,
            path=self.text(path),
            kind=self.text(kind),
            key=self.text(key),
            content=content,
            observed_at=observed,
            created_at=created if created is not None else _db_time(created_at),  # NOT NULL
            first_seen=first,
            last_seen=last,
            mentions=mentions,
            metadata=_NO_METADATA if metadata == "{}" else json.loads(metadata),
            provenance=tuple(
                Evidence(session_id=e.get("session_id"), turn_ids=tuple(e.get("turn_ids", ())), source=e.get("source"))
                for e in json.loads(provenance)
            ),
        )


def _memory_from_row(row: Sequence[Any]) -> Memory:
    return _Loader()(row)


def _state_values(mem: Memory) -> tuple[Any, ...]:
    """A state's stored columns from ``path`` on, as they are written (its
    id, rid and content hash aside): serialised once per write."""
    return (
        mem.path, mem.kind, mem.key, mem.content, format_time(mem.observed_at), format_time(mem.created_at),
        format_time(mem.first_seen), format_time(mem.last_seen), mem.mentions, dumps(mem.metadata),
        dumps([e.to_json() for e in mem.provenance]),
    )


def _same_state(row: Sequence[Any] | None, mem: Memory, values: Sequence[Any]) -> bool:
    """Whether the stored ``row`` (from :meth:`Store._open_states`) holds
    exactly ``mem``: :meth:`Memory.same_state` without building the stored
    memory.  Equal columns are equal states; JSON written differently (a
    float for an int) is compared as data, as ``same_state`` compares it."""
    if row is None or tuple(row[2:11]) != values[:9]:
        return False
    if row[11] == values[9] and row[12] == values[10]:
        return True
    stored = [Evidence.from_json(e).to_json() for e in json.loads(row[12])]
    return json.loads(row[11]) == dict(mem.metadata) and stored == [e.to_json() for e in mem.provenance]


def _version_from_row(row: Mapping[str, Any]) -> Version:
    return Version(
        number=row["number"],
        parent=row["parent"],
        status=row["status"],
        origin=row["origin"],
        created_at=_db_time(row["created_at"]),
        decided_at=parse_time(row["decided_at"]),
        message=row["message"],
        run_id=row["run_id"],
        counts=json.loads(row["counts"]),
    )


_CHANGE_COLUMNS = (
    "version, seq, op, input_rids, output_rids, reason, score, evidence, details, rule, rule_inputs, decision"
)


@dataclass(frozen=True, kw_only=True)
class StoredChange:
    """A row of the changes table with its memory states resolved."""

    version: int
    seq: int
    op: str
    before: tuple[Memory, ...]
    after: tuple[Memory, ...]
    reason: str
    score: float | None
    evidence: tuple[Evidence, ...]
    details: Mapping[str, Any] = field(default_factory=dict)
    #: the rule that fired (``dreaming.plan.rule_ids``) and its inputs
    rule: str = "legacy"
    rule_inputs: Mapping[str, Any] = field(default_factory=dict)
    #: ``accepted`` / ``rejected`` when a person decided on its candidate
    #: change by change; ``None`` otherwise (the version's status says it all)
    decision: str | None = None


@dataclass(frozen=True, kw_only=True)
class Decision:
    """A person's decision on a candidate (a row of ``decisions``)."""

    version: int
    decided_at: datetime
    who: str
    via: str
    verdict: str  # accepted | partial | rejected
    accepted: tuple[int, ...] = ()
    rejected: tuple[int, ...] = ()
    released_turns: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "decided_at": format_time(self.decided_at),
            "who": self.who,
            "via": self.via,
            "verdict": self.verdict,
            "accepted": list(self.accepted),
            "rejected": list(self.rejected),
            "released_turns": self.released_turns,
        }


@dataclass(frozen=True, kw_only=True)
class SourceState:
    """What we remember about a transcript file we have read."""

    path: str
    format: str
    size: int
    mtime: float
    sha256: str
    sessions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IngestCounts:
    sessions: int = 0
    turns: int = 0


@dataclass(frozen=True, kw_only=True)
class LockHolder:
    """Who holds a store's dream lock (see ``dreaming.unattended.lock``)."""

    token: str
    pid: int
    host: str
    started_at: datetime
    heartbeat_at: datetime
    #: the holder process's start time as the OS reports it, so that a pid
    #: reused by another process is not taken for the holder
    proc_start: str | None = None
    command: str = ""


class Store:
    """A dreaming memory store on disk.

    Open it with :meth:`Store.open` (or ``dreaming.open_store``).  Every
    method that writes does so in one transaction: on any error the store is
    left exactly as it was.
    """

    def __init__(self, db: Database, path: Path):
        self.db = db
        self.path = path
        #: the dream lock token this connection writes versions under
        #: (``dreaming.unattended.lock``); when set, a version is written only while
        #: that token still holds the lock
        self.fence: str | None = None

    # --- opening -------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
        """Open (and, with ``create``, create) the store at ``path``.

        Raises :class:`StoreError` with a one-line explanation when the file
        is not a dreaming store, was written by a newer version, or cannot be
        created.
        """
        target = Path(path) if path is not None else default_store_path()
        if target.is_dir():
            raise StoreError(f"{target} is a directory; pass the store file, e.g. {target / 'memory.db'}")
        exists = target.exists() and target.stat().st_size > 0
        if not exists and not create:
            raise StoreError(f"no store at {target}; create one with `dreaming --store {target} init`")
        if not exists:
            try:
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as err:
                raise StoreError(f"cannot create {target.parent}: {err.strerror or err}") from None
            if not os.access(target.parent, os.W_OK):
                raise StoreError(f"cannot create a store in {target.parent}: permission denied")
            exists = cls._create(target)
        elif not os.access(target, os.R_OK):
            raise StoreError(f"cannot read {target}: permission denied")
        if not exists:  # created in place (no hard links here): private from the start
            _create_private(target)
        try:
            conn = sqlite3.connect(str(target), timeout=30.0)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open {target}: {err}") from None
        db = Database(conn, execute_plugins=False)
        store = cls(db, target)
        try:
            store._prepare(fresh=not exists)
        except sqlite3.DatabaseError as err:
            conn.close()
            if "not a database" in str(err) or "malformed" in str(err):
                raise StoreError(f"{target} is not a dreaming store (not an SQLite database)") from None
            if "readonly" in str(err) or "unable to open" in str(err):
                raise StoreError(f"cannot write to {target}: {err}") from None
            raise StoreError(f"cannot open {target}: {err}") from None
        except StoreError:
            conn.close()
            raise
        return store

    @classmethod
    def _create(cls, target: Path) -> bool:
        """Create a new store at ``target`` atomically: prepare it under a
        temporary name, then hard-link it into place (which fails, leaving
        theirs, when another process created it first).  Two processes
        creating one store at once - a session hook and a scheduled dream,
        say - would otherwise race through the schema migrations.  Returns
        whether ``target`` now holds a store; where hard links are not
        supported it is created in place as before."""
        tmp = target.with_name(f".{target.name}.{new_id('creating')}")
        try:
            _create_private(tmp)
            conn = sqlite3.connect(str(tmp), timeout=30.0)
            try:
                cls(Database(conn, execute_plugins=False), tmp)._prepare(fresh=True)
            finally:
                conn.close()
            try:
                os.link(tmp, target)
            except FileExistsError:
                pass
            except OSError:
                return False
        except sqlite3.Error as err:
            raise StoreError(f"cannot create {target}: {err}") from None
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        return target.stat().st_size > 0

    def _prepare(self, *, fresh: bool) -> None:
        conn = self.db.conn
        conn.execute("PRAGMA busy_timeout = 30000")
        # WAL + synchronous=NORMAL: a crashed or killed process never corrupts
        # the file or loses a committed version; only a power cut can lose the
        # last commit.  A larger page cache speeds up big imports.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "meta" not in tables:
            raise StoreError(
                f"{self.path} is an SQLite database but not a dreaming store "
                f"(it has tables: {', '.join(sorted(tables)[:5])}); pick another --store path"
            )
        if "meta" in tables:
            marker = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
            if not marker or marker[0] != APP_MARKER:
                raise StoreError(f"{self.path} is an SQLite database but not a dreaming store")
        known = schema.known_migrations()
        applied = [m.name for m in schema.migrations.applied(self.db)] if "_sqlite_migrations" in tables else []
        unknown = [name for name in applied if name not in known]
        if unknown:
            raise StoreError(
                f"{self.path} was written by a newer version of dreaming (schema migration "
                f"{unknown[0]!r} is unknown here); upgrade with `pip install -U dreaming`"
            )
        if tables and len(applied) < len(known) and not os.access(self.path, os.W_OK):
            raise StoreError(f"{self.path} needs a schema upgrade but is read-only")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.enable_wal()
        if len(applied) < len(known):
            schema.migrations.apply(self.db)
        if not tables:
            with self._write():
                conn.execute("INSERT INTO meta (key, value) VALUES ('app', ?)", [APP_MARKER])
                conn.execute("INSERT INTO meta (key, value) VALUES ('store_id', ?)", [new_id("store")])
                conn.execute("INSERT INTO meta (key, value) VALUES ('created_at', ?)", [format_time(utcnow())])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken eagerly (``BEGIN IMMEDIATE``)."""
        conn = self.db.conn
        if conn.in_transaction:
            raise StoreError("internal error: nested write transaction")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise StoreError(f"cannot write to {self.path}: {err}") from None
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    # --- versions ------------------------------------------------------

    @property
    def head(self) -> int:
        """The newest accepted version (0 for a store with none)."""
        row = self.db.conn.execute("SELECT max(number) FROM versions WHERE status = 'accepted'").fetchone()
        return row[0] or 0

    @property
    def tip(self) -> int:
        """The newest version that is not rejected (a pending candidate, or HEAD)."""
        row = self.db.conn.execute("SELECT max(number) FROM versions WHERE status != 'rejected'").fetchone()
        return row[0] or 0

    def candidate(self) -> Version | None:
        """The candidate awaiting review, if any."""
        rows = list(self.db.query("SELECT * FROM versions WHERE status = 'candidate' ORDER BY number DESC LIMIT 1"))
        return _version_from_row(rows[0]) if rows else None

    def versions(self) -> list[Version]:
        return [_version_from_row(r) for r in self.db.query("SELECT * FROM versions ORDER BY number")]

    def version(self, number: int) -> Version:
        rows = list(self.db.query("SELECT * FROM versions WHERE number = ?", [number]))
        if not rows:
            raise VersionNotFound(self._no_such_version(number))
        return _version_from_row(rows[0])

    def _no_such_version(self, number: int) -> str:
        last = self.db.conn.execute("SELECT max(number) FROM versions").fetchone()[0]
        if last is None:
            return f"version {number} does not exist: the store has no versions yet (import or dream first)"
        return f"version {number} does not exist: this store has versions 0 to {last} (see `dreaming log`)"

    def _check_version(self, number: int) -> None:
        if number == 0:
            return
        if not self.db.conn.execute("SELECT 1 FROM versions WHERE number = ?", [number]).fetchone():
            raise VersionNotFound(self._no_such_version(number))

    # --- reading memories ----------------------------------------------

    @staticmethod
    def _in_version_sql(alias: str = "r") -> str:
        return f"{alias}.valid_from <= :v AND ({alias}.valid_to IS NULL OR {alias}.valid_to > :v)"

    def iter_snapshot(self, version: int | None = None) -> Iterator[Memory]:
        """The memories of ``version`` (default HEAD), ordered by path then id."""
        v = self.head if version is None else version
        self._check_version(v)
        cols = ", ".join(f"m.{c.strip()}" for c in _MEMORY_COLUMNS.split(","))
        cursor = self.db.conn.execute(
            f"SELECT {cols} FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
            f"WHERE {self._in_version_sql()} ORDER BY m.path, m.id",
            {"v": v},
        )
        load = _Loader()
        for row in cursor:
            yield load(row)

    def snapshot(self, version: int | None = None) -> list[Memory]:
        return list(self.iter_snapshot(version))

    def count(self, version: int | None = None) -> int:
        v = self.head if version is None else version
        self._check_version(v)
        return int(self.db.conn.execute(
            f"SELECT count(*) FROM memory_ranges r WHERE {self._in_version_sql()}", {"v": v}
        ).fetchone()[0])

    def content_chars(self, version: int | None = None) -> int:
        """The total length of the memories of ``version`` (default HEAD), in characters."""
        v = self.head if version is None else version
        row = self.db.conn.execute(
            f"SELECT sum(length(m.content)) FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
            f"WHERE {self._in_version_sql()}",
            {"v": v},
        ).fetchone()
        return int(row[0] or 0)

    def paths(self, version: int | None = None) -> set[str]:
        """The distinct memory paths of ``version`` (default HEAD)."""
        v = self.head if version is None else version
        return {
            r[0]
            for r in self.db.conn.execute(
                f"SELECT DISTINCT m.path FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
                f"WHERE {self._in_version_sql()}",
                {"v": v},
            )
        }

    def _rids_at(self, version: int) -> set[int]:
        return {
            r[0]
            for r in self.db.conn.execute(
                f"SELECT r.rid FROM memory_ranges r WHERE {self._in_version_sql()}", {"v": version}
            )
        }

    def memories_by_rid(self, rids: Iterable[int]) -> dict[int, Memory]:
        wanted = sorted(set(rids))
        out: dict[int, Memory] = {}
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            for row in self.db.conn.execute(f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE rid IN ({marks})", chunk):
                out[row[0]] = _memory_from_row(row)
        return out

    def current(self, ids: Iterable[str], *, version: int | None = None) -> dict[str, Memory]:
        """The states of the given memory ids at ``version`` (default: the tip)."""
        v = self.tip if version is None else version
        wanted = sorted(set(ids))
        out: dict[str, Memory] = {}
        cols = ", ".join(f"m.{c.strip()}" for c in _MEMORY_COLUMNS.split(","))
        for chunk in _chunks(wanted):
            params: dict[str, Any] = {f"p{i}": x for i, x in enumerate(chunk)}
            params["v"] = v
            names = ",".join(f":p{i}" for i in range(len(chunk)))
            for row in self.db.conn.execute(
                f"SELECT {cols} FROM memories m JOIN memory_ranges r ON r.rid = m.rid "
                f"WHERE m.id IN ({names}) AND {self._in_version_sql()}",
                params,
            ):
                out[row[1]] = _memory_from_row(row)
        return out

    def history(self, memory_id: str) -> list[tuple[Memory, list[tuple[int, int | None]]]]:
        """Every state a memory has had, with the version ranges it was valid in."""
        out = []
        for row in self.db.conn.execute(
            f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE id = ? ORDER BY rid", [memory_id]
        ):
            ranges = [
                (a, b)
                for a, b in self.db.conn.execute(
                    "SELECT valid_from, valid_to FROM memory_ranges WHERE rid = ? "
                    "AND (valid_to IS NULL OR valid_to > valid_from) ORDER BY valid_from",
                    [row[0]],
                )
            ]
            out.append((_memory_from_row(row), ranges))
        return out

    def search(self, query: str, *, version: int | None = None, limit: int = 10) -> list[tuple[Memory, float]]:
        """Full-text search (FTS5, bm25) over the memories of ``version``.

        ``query`` is plain text: it is split into words (see :func:`fts_terms`),
        stop words are dropped unless nothing else is left, and a memory
        matching any word is a candidate; bm25 ranks them.  Words are matched
        stemmed ("lives" finds "live"), except a word the stemmer would turn
        into a stop word ("Ines" -> "in", see :func:`stems_to_stop_word`),
        which is matched as written in the unstemmed index.  Ties are broken by
        memory id, so the order is deterministic.  Returns ``(memory, score)``
        pairs, best first (higher score = better).

        FTS5 ranks on its own first (its top-k is fast); the version filter
        then drops states not in ``version``, fetching deeper until ``limit``
        results are found or the matches run out.  bm25's corpus statistics
        come from the whole index, which holds every state of every version;
        callers that need a version's own statistics search a store holding
        that version alone (``dreaming.evals`` does).
        """
        v = self.head if version is None else version
        self._check_version(v)
        terms = fts_terms(query, drop=SEARCH_STOP_WORDS) or fts_terms(query)
        if not terms or limit <= 0:
            return []
        cols = ", ".join(f"m.{c.strip()}" for c in _MEMORY_COLUMNS.split(","))
        return [(_memory_from_row(row[:-1]), -row[-1]) for row in self._ranked(terms, v, limit, cols)]

    def _ranked(self, terms: Sequence[str], v: int, limit: int, cols: str) -> list[Sequence[Any]]:
        """``cols`` of the best ``limit`` states of version ``v`` matching any of
        ``terms``, each row followed by its bm25 score (lower is better)."""
        # A word that stems to a function word ("Ines" -> "in") is looked up
        # in the unstemmed index; the two bm25 scores of a memory are summed.
        exact = [t for t in terms if t not in SEARCH_STOP_WORDS and stems_to_stop_word(t)]
        stemmed = [t for t in terms if t not in exact]
        branches = [
            (table, " OR ".join(f'"{t}"' for t in words))
            for table, words in (("memories_fts", stemmed), ("memories_words", exact))
            if words
        ]
        params: dict[str, Any] = {f"q{i}": match for i, (_, match) in enumerate(branches)}
        if len(branches) == 1:
            table = branches[0][0]
            ranked = (
                f"SELECT rowid AS rid, bm25({table}) AS score FROM {table} "
                f"WHERE {table} MATCH :q0 ORDER BY score LIMIT :depth"
            )
        else:
            # summed over every match (no per-branch limit), so each sum is whole
            ranked = (
                "SELECT rid, sum(score) AS score FROM ("
                + " UNION ALL ".join(
                    f"SELECT rowid AS rid, bm25({table}) AS score FROM {table} WHERE {table} MATCH :q{i}"
                    for i, (table, _) in enumerate(branches)
                )
                + ") GROUP BY rid ORDER BY score LIMIT :depth"
            )
        depth = max(limit * 4, 50)
        while True:
            rows = self.db.conn.execute(
                f"SELECT {cols}, f.score FROM ({ranked}) f "
                f"JOIN memories m ON m.rid = f.rid JOIN memory_ranges r ON r.rid = m.rid "
                f"WHERE {self._in_version_sql()} ORDER BY f.score, m.id LIMIT :limit",
                {**params, "v": v, "limit": limit, "depth": depth},
            ).fetchall()
            if len(rows) >= limit:
                break
            matched = self.db.conn.execute(
                f"SELECT count(*) FROM ({ranked})", {**params, "depth": depth}
            ).fetchone()[0]
            if matched < depth:
                break  # every match was looked at
            depth *= 4
        return rows

    def last_dream(self) -> Version | None:
        """The newest accepted version a dream wrote."""
        rows = list(
            self.db.query(
                "SELECT * FROM versions WHERE origin = 'dream' AND status = 'accepted' ORDER BY number DESC LIMIT 1"
            )
        )
        return _version_from_row(rows[0]) if rows else None

    def fresh_ids(self) -> list[str]:
        """Ids at HEAD whose state an import wrote after the last accepted
        dream: what the next dream must consolidate besides new transcripts."""
        last = self.last_dream()
        since = last.number if last else 0
        head = self.head
        return [
            r[0]
            for r in self.db.conn.execute(
                f"SELECT m.id FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
                f"WHERE {self._in_version_sql()} AND m.written_in > :since AND m.written_in IN "
                f"(SELECT number FROM versions WHERE origin = 'import' AND status = 'accepted') ORDER BY m.id",
                {"v": head, "since": since},
            )
        ]

    def with_keys(self, keys: Iterable[str], *, version: int | None = None) -> list[Memory]:
        """Memories of ``version`` (default HEAD) that fill one of ``keys``."""
        v = self.head if version is None else version
        wanted = sorted({k for k in keys if k})
        out: list[Memory] = []
        cols = ", ".join(f"m.{c.strip()}" for c in _MEMORY_COLUMNS.split(","))
        for chunk in _chunks(wanted):
            params: dict[str, Any] = {f"k{i}": x for i, x in enumerate(chunk)}
            params["v"] = v
            names = ",".join(f":k{i}" for i in range(len(chunk)))
            out.extend(
                _memory_from_row(row)
                for row in self.db.conn.execute(
                    f"SELECT {cols} FROM memories m JOIN memory_ranges r ON r.rid = m.rid "
                    f"WHERE m.key IN ({names}) AND {self._in_version_sql()}",
                    params,
                )
            )
        return out

    def related(
        self,
        texts: Iterable[str],
        *,
        version: int | None = None,
        per_text: int = 20,
        exact_below: int = RELATED_EXACT_BELOW,
        budget: int = RELATED_BUDGET,
    ) -> list[Memory]:
        """Memories of ``version`` that share words with any of ``texts``
        (FTS5, bm25, best ``per_text`` each): the neighbourhood a new memory
        must be compared with, found without reading the whole store.

        bm25 costs a few microseconds for every state a query word matches,
        and a common word ("service", a first name) matches a tenth of a big
        store: each search took 0.65 s at 1M.  So a store holding more than
        ``exact_below`` states (of every version) is searched with each
        text's rarest words only: in order of how many states hold them,
        while their postings add up to at most ``budget`` (the rarest word
        always).  A name or an identifier finds the memories about it; the
        words every memory shares would only have ranked them below it.
        Smaller stores are searched with each text's eight longest words, as
        ``dreaming.testing.oracles.reference_related`` (the test oracle) does.
        """
        v = self.head if version is None else version
        texts = list(texts)
        states = self.db.conn.execute("SELECT coalesce(max(rid), 0) FROM memories").fetchone()[0]
        if states <= exact_below:
            queries = {" ".join(sorted(fts_terms(text), key=lambda t: (-len(t), t))[:8]) for text in texts}
            seen: dict[str, Memory] = {}
            for query in sorted(q for q in queries if q):
                for memory, _ in self.search(query, version=v, limit=per_text):
                    seen.setdefault(memory.id, memory)
            return sorted(seen.values(), key=lambda m: m.id)
        words_of = [fts_terms(text, drop=SEARCH_STOP_WORDS) or fts_terms(text) for text in texts]
        postings = self._word_postings({w for words in words_of for w in words})
        bounded: set[tuple[str, ...]] = set()
        for words in words_of:
            kept: list[str] = []
            total = 0
            for word in sorted(words, key=lambda w: (postings.get(w, 0), w)):
                total += postings.get(word, 0)
                if kept and total > budget:
                    break
                kept.append(word)
            if kept:
                bounded.add(tuple(kept))
        rids = {row[0] for terms in sorted(bounded) for row in self._ranked(terms, v, per_text, "m.rid, m.id")}
        return sorted(self.memories_by_rid(rids).values(), key=lambda m: m.id)

    def _word_postings(self, words: Iterable[str]) -> dict[str, int]:
        """How many states (of every version) hold each word, as written
        (the unstemmed index's own counts: no scan of its postings)."""
        conn = self.db.conn
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_words_vocab USING fts5vocab(main, memories_words, row)")
        out: dict[str, int] = {}
        for chunk in _chunks(sorted(words)):
            marks = ",".join("?" * len(chunk))
            out.update(conn.execute(f"SELECT term, doc FROM temp.memories_words_vocab WHERE term IN ({marks})", chunk))
        return out

    # --- writing versions ----------------------------------------------

    def write_version(self, changeset: Changeset) -> Version | None:
        """Write ``changeset`` as a new version in one transaction.

        Returns the new version, or ``None`` when the changeset changes
        nothing (every upsert equal to the current state, nothing retired) and
        consumes no turns.  Raises :class:`CandidatePending` while a candidate
        awaits review, and :class:`StoreError` for a changeset that does not
        fit the store (retiring or citing a memory that is not there).
        """
        if changeset.status not in ("accepted", "candidate"):
            raise StoreError(f"a new version must be accepted or candidate, not {changeset.status!r}")
        with self._write() as conn:
            return self._write_version(conn, changeset)

    def _write_version(self, conn: sqlite3.Connection, cs: Changeset) -> Version | None:
        """Write ``cs`` inside the caller's transaction (see :meth:`write_version`).

        Nothing is read back as records: the tip's states of the upserted
        ids come as raw rows (:meth:`_open_states`) and each upsert is
        serialised once, into the row that is compared with the stored one
        and, when they differ, written (:meth:`_insert_states`).
        """
        parent, number = self._begin_version(conn, expected_parent=cs.expected_parent, origin=cs.origin)
        upsert_ids = [m.id for m in cs.upserts]
        if len(set(upsert_ids)) != len(upsert_ids):
            dupes = sorted({i for i in upsert_ids if upsert_ids.count(i) > 1})
            raise StoreError(f"changeset writes memory {dupes[0]} twice")
        both = set(upsert_ids) & set(cs.retire)
        if both:
            raise StoreError(f"changeset both writes and retires memory {sorted(both)[0]}")
        size = self._open_count(conn)
        old = self._open_states(conn, upsert_ids, scan=8 * len(upsert_ids) >= size)
        referenced = set(cs.retire).union(*(ch.inputs for ch in cs.changes), *(ch.outputs for ch in cs.changes))
        rid_at_parent: dict[str, int] = {mid: row[0] for mid, row in old.items()}
        others = referenced - set(old)
        rid_at_parent.update(self._open_rids(conn, others, scan=8 * len(others) >= size))
        missing = [i for i in cs.retire if i not in rid_at_parent]
        if missing:
            raise StoreError(f"cannot retire {missing[0]}: it is not in version {parent}")

        changed = [(mem, values) for mem, values in ((m, _state_values(m)) for m in cs.upserts)
                   if not _same_state(old.get(mem.id), mem, values)]
        closed = [old[mem.id][0] for mem, _ in changed if mem.id in old] + [rid_at_parent[mid] for mid in cs.retire]
        consumes = cs.consume_through is not None and self._count_consumable(
            conn, cs.consume_through, cs.consume_sessions) > 0
        if not changed and not closed and not consumes:
            return None

        written = self._insert_states(conn, changed, number)
        self._close_ranges(conn, closed, number)
        retired = set(cs.retire)

        def out_rid(mid: str) -> int:
            if mid in written:
                return written[mid]
            if mid in rid_at_parent and mid not in retired:
                return rid_at_parent[mid]
            raise StoreError(f"change cites output {mid}, which is not in the new version")

        def in_rid(mid: str) -> int:
            if mid not in rid_at_parent:
                raise StoreError(f"change cites input {mid}, which is not in version {parent}")
            return rid_at_parent[mid]

        # generated as they are inserted: a first dream over 1M memories writes ~350k changes, whose rows
        # (JSON of ids, evidence, details) never need to sit in memory all at once
        change_rows = (
            (number, seq, ch.op, dumps(list(ch.inputs)), dumps(list(ch.outputs)),
             dumps([in_rid(i) for i in ch.inputs]), dumps([out_rid(o) for o in ch.outputs]),
             ch.reason, ch.score, dumps([e.to_json() for e in ch.evidence]), dumps(dict(ch.details)),
             ch.rule, dumps(dict(ch.rule_inputs)))
            for seq, ch in enumerate(cs.changes, start=1)
        )
        self._insert_changes(conn, change_rows)
        consumed = 0
        if cs.consume_through is not None:
            consumed = self._consume(conn, number, cs.consume_through, cs.consume_sessions)
        replaced = sum(1 for mem, _ in changed if mem.id in old)
        counts = {
            "written": len(changed),
            "added": len(changed) - replaced,
            "updated": replaced,
            "retired": len(cs.retire),
            "changes": len(cs.changes),
            "turns_consumed": consumed,
        }
        return self._finish_version(conn, number, parent, cs.status, cs.origin, cs.message, cs.run_id, counts)

    def _check_fence(self, conn: sqlite3.Connection) -> None:
        """Inside a write: refuse when this connection writes under a dream
        lock (``fence``) that another process has taken over."""
        if self.fence is not None:
            holder = self._lock_holder(conn)
            if holder is None or holder.token != self.fence:
                taken = f" by pid {holder.pid} on {holder.host}" if holder else ""
                raise StoreError(
                    f"this process lost the store's dream lock (taken over{taken} after its heartbeat went stale); "
                    f"nothing was written"
                )

    def _begin_version(
        self, conn: sqlite3.Connection, *, expected_parent: int | None = None, origin: str = "import"
    ) -> tuple[int, int]:
        """(parent, number) of the version about to be written, after the checks
        every write makes: the dream lock's fence, no candidate awaiting
        review, and HEAD still the version the writer read (``expected_parent``)."""
        self._check_fence(conn)
        pending = self.candidate()
        if pending is not None:
            raise CandidatePending(
                f"version {pending.number} is a candidate awaiting review; "
                f"run `dreaming accept {pending.number}` or `dreaming reject {pending.number}` first"
            )
        parent = self.head
        if expected_parent is not None and parent != expected_parent:
            raise StaleParent(
                f"HEAD moved from version {expected_parent} to {parent} while this "
                f"{'dream' if origin == 'dream' else origin} ran (another command wrote a version); "
                f"nothing was written: run it again"
            )
        number = (conn.execute("SELECT max(number) FROM versions").fetchone()[0] or 0) + 1
        return parent, number

    def _finish_version(
        self, conn: sqlite3.Connection, number: int, parent: int, status: str, origin: str, message: str,
        run_id: str | None, counts: Mapping[str, int],
    ) -> Version:
        total = self._open_count(conn)
        now = format_time(utcnow())
        conn.execute(
            "INSERT INTO versions (number, parent, status, origin, created_at, decided_at, message, run_id, counts) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            [number, parent, status, origin, now, now if status == "accepted" else None, message, run_id,
             dumps({"memories": total, **counts})],
        )
        if run_id is not None:
            conn.execute("UPDATE runs SET version = ? WHERE id = ?", [number, run_id])
        return self.version(number)

    @staticmethod
    def _open_count(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT count(*) FROM memory_ranges WHERE valid_to IS NULL").fetchone()[0])

    @staticmethod
    def _open_states(conn: sqlite3.Connection, ids: Collection[str], *, scan: bool) -> dict[str, tuple[Any, ...]]:
        """The tip's states of ``ids`` as raw rows (rid, id, then
        :func:`_state_values`' columns as stored): nothing is parsed."""
        cols = "m.rid, m.id, m.path, m.kind, m.key, m.content, m.observed_at, m.created_at, m.first_seen, " \
               "m.last_seen, m.mentions, m.metadata, m.provenance"
        return {row[1]: tuple(row) for row in Store._open_lookup(conn, ids, cols, scan=scan)}

    @staticmethod
    def _open_rids(conn: sqlite3.Connection, ids: Collection[str], *, scan: bool) -> dict[str, int]:
        return {row[1]: row[0] for row in Store._open_lookup(conn, ids, "m.rid, m.id", scan=scan)}

    @staticmethod
    def _open_lookup(conn: sqlite3.Connection, ids: Collection[str], cols: str, *, scan: bool) -> Iterator[Sequence[Any]]:
        """``cols`` (``m.rid, m.id`` first) of the tip's states of ``ids``:
        with ``scan`` (most of the store is wanted) one pass over the open
        states, else an index look-up per id (memories first: the planner
        would otherwise walk every open range for each chunk)."""
        if not ids:
            return
        if scan:
            wanted = ids if isinstance(ids, (set, frozenset, dict)) else set(ids)
            for row in conn.execute(
                f"SELECT {cols} FROM memory_ranges r JOIN memories m ON m.rid = r.rid WHERE r.valid_to IS NULL"
            ):
                if row[1] in wanted:
                    yield row
            return
        for chunk in _chunks(sorted(set(ids))):
            marks = ",".join("?" * len(chunk))
            yield from conn.execute(
                f"SELECT {cols} FROM memories m CROSS JOIN memory_ranges r ON r.rid = m.rid "
                f"WHERE m.id IN ({marks}) AND r.valid_to IS NULL",
                chunk,
            )

    def _insert_states(
        self, conn: sqlite3.Connection, states: Sequence[tuple[Memory, tuple[Any, ...]]], number: int
    ) -> dict[str, int]:
        """Write new memory states, index them and open their ranges in
        ``number``; returns each one's rid.

        Every state a version adds passes through here exactly once (dreams,
        imports, edits), with its values already serialised
        (:func:`_state_values`): data derived from a state - an embedding of
        its content, say - is computed here, once per state, and stored
        keyed by the state's rid (rows are immutable, so it never goes stale).
        """
        next_rid = (conn.execute("SELECT max(rid) FROM memories").fetchone()[0] or 0) + 1
        rows = [
            (next_rid + offset, mem.id, *values[:4], mem.content_sha256, *values[4:], number)
            for offset, (mem, values) in enumerate(states)
        ]
        conn.executemany(
            "INSERT INTO memories (rid, id, path, kind, key, content, content_sha256, observed_at, created_at, "
            "first_seen, last_seen, mentions, metadata, provenance, written_in) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        fts_rows = [(r[0], r[5], r[2], r[4]) for r in rows]
        conn.executemany("INSERT INTO memories_fts (rowid, content, path, key) VALUES (?,?,?,?)", fts_rows)
        conn.executemany("INSERT INTO memories_words (rowid, content, path, key) VALUES (?,?,?,?)", fts_rows)
        self._store_vectors(conn, [(r[0], r[6], r[5]) for r in rows])
        self._open_ranges(conn, [r[0] for r in rows], number)
        return {r[1]: r[0] for r in rows}

    @staticmethod
    def _store_vectors(conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str]]) -> int:
        """The sentence vector of each new state's content (rid, sha256, text) that no stored state has yet,
        computed and stored on the first rid holding it (:mod:`dreaming.text.vectors`): a state that
        only moves a memory costs a look-up here."""
        first: dict[str, tuple[int, str]] = {}
        for rid, sha, content in rows:
            first.setdefault(sha, (rid, content))
        have: set[str] = set()
        for chunk in _chunks(sorted(first)):
            have.update(r[0] for r in conn.execute(
                f"SELECT m.content_sha256 FROM memories m JOIN vectors v ON v.rid = m.rid "
                f"WHERE m.content_sha256 IN ({','.join('?' * len(chunk))})", chunk))
        missing = [first[sha] for sha in first if sha not in have]
        if missing:
            computed = text_vectors.embed([content for _, content in missing])
            conn.executemany("INSERT INTO vectors (rid, vector) VALUES (?, ?)",
                             [(rid, text_vectors.to_blob(v)) for (rid, _), v in zip(missing, computed)])
        return len(missing)

    def vectors(self, shas: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored sentence vectors of these contents (content sha256 -> float32 unit vector), for
        those the store holds (every content it ever stored)."""
        found: dict[str, bytes] = {}
        for chunk in _chunks(sorted(set(shas))):
            found.update(self.db.conn.execute(
                f"SELECT m.content_sha256, v.vector FROM memories m JOIN vectors v ON v.rid = m.rid "
                f"WHERE m.content_sha256 IN ({','.join('?' * len(chunk))})", chunk))
        matrix = text_vectors.from_blobs(list(found.values()))
        return {sha: matrix[row] for row, sha in enumerate(found)}

    @staticmethod
    def _insert_changes(conn: sqlite3.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
        """Record changes, each citing the exact states it read and wrote and the rule that fired."""
        conn.executemany(
            "INSERT INTO changes (version, seq, op, inputs, outputs, input_rids, output_rids, reason, score, evidence, "
            "details, rule, rule_inputs) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )

    @staticmethod
    def _open_ranges(conn: sqlite3.Connection, rids: Sequence[int], version: int) -> None:
        conn.executemany(
            "INSERT INTO memory_ranges (rid, valid_from, valid_to, opened_by, closed_by) VALUES (?, ?, NULL, ?, NULL)",
            [(r, version, version) for r in rids],
        )

    @staticmethod
    def _close_ranges(conn: sqlite3.Connection, rids: Sequence[int], version: int) -> None:
        for chunk in _chunks(list(rids)):
            conn.execute(
                f"UPDATE memory_ranges SET valid_to = ?, closed_by = ? "
                f"WHERE valid_to IS NULL AND rid IN ({','.join('?' * len(chunk))})",
                [version, version, *chunk],
            )

    def accept(
        self,
        number: int | None = None,
        *,
        only: Iterable[int] | None = None,
        exclude: Iterable[int] | None = None,
        who: str = "",
        via: str = "cli",
    ) -> Version:
        """Accept the pending candidate (``number`` must name it, if given).

        ``only``: accept just these changes (by ``seq``), reject the rest;
        ``exclude``: reject these, accept the rest.  A combination the
        candidate's changes cannot be split into (see
        :mod:`dreaming.store.closure`) is refused with a one-line
        :class:`StoreError` and nothing is written.  Every decision is
        recorded (``who``, ``via``, which changes) and read by
        :meth:`decisions`.
        """
        if only is not None and exclude is not None:
            raise StoreError("give the changes to accept (--only) or to reject (--except), not both")
        with self._write() as conn:
            self._check_fence(conn)
            cand = self._the_candidate(number, "accept")
            seqs = [r[0] for r in conn.execute("SELECT seq FROM changes WHERE version = ? ORDER BY seq", [cand.number])]
            if only is None and exclude is None:
                chosen = set(seqs)
            else:
                listed = set(only) if only is not None else set(exclude or ())
                unknown = sorted(listed - set(seqs))
                if unknown:
                    span = f"{seqs[0]} to {seqs[-1]}" if seqs else "none"
                    raise StoreError(
                        f"change {unknown[0]} is not in candidate {cand.number} (its changes are numbered {span})"
                    )
                chosen = listed if only is not None else set(seqs) - listed
            return self._decide(conn, cand, chosen, who=who, via=via)

    def decide(self, number: int, accepted: Iterable[int], *, who: str = "", via: str = "review") -> Version:
        """Accept exactly the changes ``accepted`` of candidate ``number`` and
        reject the others, in one transaction (the review page's submit).
        Accepting none rejects the candidate."""
        return self.accept(number, only=accepted, who=who, via=via)

    def change_graph(self, number: int) -> closure.Graph:
        """Which changes of version ``number`` go together (for a candidate)."""
        self._check_version(number)
        return self._graph(self.db.conn, number)[0]

    def _graph(
        self, conn: sqlite3.Connection, number: int
    ) -> tuple[closure.Graph, dict[str, int], dict[str, int]]:
        refs = [
            closure.ChangeRef(seq=seq, op=op, inputs=tuple(json.loads(i)), outputs=tuple(json.loads(o)))
            for seq, op, i, o in conn.execute(
                "SELECT seq, op, inputs, outputs FROM changes WHERE version = ? ORDER BY seq", [number]
            )
        ]
        opened = {
            mid: rid
            for rid, mid in conn.execute(
                "SELECT r.rid, m.id FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
                "WHERE r.opened_by = ? AND r.valid_from = ? AND r.valid_to IS NULL",
                [number, number],
            )
        }
        closed = {
            mid: rid
            for rid, mid in conn.execute(
                "SELECT r.rid, m.id FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
                "WHERE r.closed_by = ? AND r.valid_to = ? AND r.valid_from < r.valid_to",
                [number, number],
            )
        }
        return closure.build(refs, opened=opened, closed=closed), opened, closed

    def _decide(self, conn: sqlite3.Connection, cand: Version, chosen: set[int], *, who: str, via: str) -> Version:
        c = cand.number
        graph, opened, closed = self._graph(conn, c)
        problem = closure.check(graph, chosen)
        if problem is not None:
            ids = {x for s in graph.ops for x in graph.owns[s]}
            words = {m.id: _short(m.content) for m in self.memories_by_rid([*opened.values(), *closed.values()]).values()
                     if m.id in ids}
            raise StoreError(closure.check(graph, chosen, describe=words) or problem)
        everything = set(graph.ops)
        if not chosen and everything:
            return self._reject(conn, c, who=who, via=via)
        now = format_time(utcnow()) or ""
        released = 0
        counts = dict(cand.counts)
        if chosen != everything:
            for mid in sorted(closure.reverted(graph, chosen)):
                if mid in opened:  # the candidate's state is in no version (its change still shows it)
                    conn.execute(
                        "UPDATE memory_ranges SET valid_to = valid_from, closed_by = ? "
                        "WHERE rid = ? AND opened_by = ? AND valid_to IS NULL",
                        [c, opened[mid], c],
                    )
                if mid in closed:  # the parent's state stays
                    conn.execute(
                        "UPDATE memory_ranges SET valid_to = NULL, closed_by = NULL WHERE rid = ? AND closed_by = ? "
                        "AND valid_to = ?",
                        [closed[mid], c, c],
                    )
            conn.executemany(
                "UPDATE changes SET decision = ? WHERE version = ? AND seq = ?",
                [("accepted" if s in chosen else "rejected", c, s) for s in sorted(everything)],
            )
            released = self._release_turns(conn, c, chosen)
            counts = self._decided_counts(conn, c, cand.counts, len(chosen), len(everything - chosen), released)
        conn.execute(
            "UPDATE versions SET status = 'accepted', decided_at = ?, counts = ? WHERE number = ?",
            [now, dumps(counts), c],
        )
        self._record_decision(conn, c, now, who, via, sorted(chosen), sorted(everything - chosen), released)
        return self.version(c)

    def _release_turns(self, conn: sqlite3.Connection, c: int, chosen: set[int]) -> int:
        """Make pending again the turns of version ``c`` cited only by its rejected changes."""
        cited: dict[bool, set[tuple[str, str]]] = {True: set(), False: set()}
        rows = list(conn.execute("SELECT seq, evidence, output_rids FROM changes WHERE version = ?", [c]))
        states = self.memories_by_rid(rid for _, ev, outs in rows if ev == "[]" for rid in json.loads(outs))
        for seq, ev, outs in rows:
            evidence = [Evidence.from_json(e) for e in json.loads(ev)]
            if not evidence:
                evidence = [e for rid in json.loads(outs) for e in states[rid].provenance]
            for e in evidence:
                if e.session_id:
                    cited[seq in chosen].update((e.session_id, t) for t in e.turn_ids)
        release = sorted(cited[False] - cited[True])
        return sum(
            conn.execute(
                "UPDATE turns SET consumed_by = NULL WHERE consumed_by = ? AND session_id = ? AND id = ?", [c, sid, tid]
            ).rowcount
            for sid, tid in release
        )

    @staticmethod
    def _decided_counts(
        conn: sqlite3.Connection, c: int, before: Mapping[str, int], accepted: int, rejected: int, released: int
    ) -> dict[str, int]:
        opened = {
            r[0]
            for r in conn.execute(
                "SELECT m.id FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
                "WHERE r.opened_by = ? AND r.valid_from = ? AND r.valid_to IS NULL",
                [c, c],
            )
        }
        closed = {
            r[0]
            for r in conn.execute(
                "SELECT m.id FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
                "WHERE r.closed_by = ? AND r.valid_to = ? AND r.valid_from < r.valid_to",
                [c, c],
            )
        }
        total = conn.execute("SELECT count(*) FROM memory_ranges WHERE valid_to IS NULL").fetchone()[0]
        return {
            **before,
            "memories": total,
            "written": len(opened),
            "added": len(opened - closed),
            "updated": len(opened & closed),
            "retired": len(closed - opened),
            "changes": accepted,
            "rejected_changes": rejected,
            "turns_consumed": max(0, before.get("turns_consumed", 0) - released),
        }

    @staticmethod
    def _record_decision(
        conn: sqlite3.Connection, c: int, at: str, who: str, via: str, accepted: Sequence[int],
        rejected: Sequence[int], released: int,
    ) -> None:
        verdict = "rejected" if not accepted and rejected else ("partial" if rejected else "accepted")
        conn.execute(
            "INSERT INTO decisions (version, decided_at, who, via, verdict, accepted, rejected, released_turns) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [c, at, who, via, verdict, dumps(list(accepted)), dumps(list(rejected)), released],
        )

    def decisions(self, version: int | None = None) -> list[Decision]:
        """The decisions people made on candidates (of ``version``, or all), oldest first."""
        where, params = ("WHERE version = ?", [version]) if version is not None else ("", [])
        return [
            Decision(
                version=r[0], decided_at=_db_time(r[1]), who=r[2], via=r[3], verdict=r[4],
                accepted=tuple(json.loads(r[5])), rejected=tuple(json.loads(r[6])), released_turns=r[7],
            )
            for r in self.db.conn.execute(
                "SELECT version, decided_at, who, via, verdict, accepted, rejected, released_turns "
                f"FROM decisions {where} ORDER BY id",
                params,
            )
        ]

    def reject(self, number: int | None = None, *, who: str = "", via: str = "cli") -> Version:
        """Reject the pending candidate: HEAD stays as it was, and the turns
        its dream consumed become pending again."""
        with self._write() as conn:
            self._check_fence(conn)
            cand = self._the_candidate(number, "reject")
            return self._reject(conn, cand.number, who=who, via=via)

    def _reject(self, conn: sqlite3.Connection, c: int, *, who: str, via: str) -> Version:
        # states it closed come back from the next version on ...
        conn.execute(
            "INSERT INTO memory_ranges (rid, valid_from, valid_to, opened_by, closed_by) "
            "SELECT rid, ?, NULL, NULL, NULL FROM memory_ranges WHERE closed_by = ?",
            [c + 1, c],
        )
        # ... and the states it opened are valid in it alone
        conn.execute(
            "UPDATE memory_ranges SET valid_to = ?, closed_by = ? WHERE opened_by = ? AND valid_to IS NULL",
            [c + 1, c, c],
        )
        released = conn.execute("UPDATE turns SET consumed_by = NULL WHERE consumed_by = ?", [c]).rowcount
        now = format_time(utcnow()) or ""
        conn.execute("UPDATE versions SET status = 'rejected', decided_at = ? WHERE number = ?", [now, c])
        seqs = [r[0] for r in conn.execute("SELECT seq FROM changes WHERE version = ? ORDER BY seq", [c])]
        self._record_decision(conn, c, now, who, via, [], seqs, released)
        return self.version(c)

    def _the_candidate(self, number: int | None, verb: str) -> Version:
        cand = self.candidate()
        if number is not None:
            version = self.version(number)
            if version.status != "candidate":
                raise StoreError(
                    f"version {number} is {version.status}, not a candidate; only a candidate can be {verb}ed"
                    + ("" if version.status != "accepted" else " (use `dreaming rollback` to undo an accepted version)")
                )
        if cand is None:
            raise StoreError(f"there is no candidate version to {verb} (HEAD is version {self.head})")
        return cand

    def rollback(self, number: int, *, message: str | None = None) -> Version | None:
        """Write a new accepted version whose memories equal version ``number``.

        Nothing is deleted: the states are shared with version ``number``.
        Returns ``None`` when HEAD already equals that version.
        """
        self._check_version(number)
        with self._write() as conn:
            self._check_fence(conn)
            pending = self.candidate()
            if pending is not None:
                raise CandidatePending(
                    f"version {pending.number} is a candidate awaiting review; accept or reject it before a rollback"
                )
            head = self.head
            target = self._rids_at(number)
            now_rids = self._rids_at(head)
            closing = sorted(now_rids - target)
            opening = sorted(target - now_rids)
            states = self.memories_by_rid(closing + opening)
            # a memory whose state differs only by storage row (same data) stays as it is
            open_by_id = {states[r].id: r for r in opening}
            same = {
                r for r in closing
                if states[r].id in open_by_id and states[r].same_state(states[open_by_id[states[r].id]])
            }
            same |= {open_by_id[states[r].id] for r in same}
            closing = [r for r in closing if r not in same]
            opening = [r for r in opening if r not in same]
            if not closing and not opening:
                return None
            new = (conn.execute("SELECT max(number) FROM versions").fetchone()[0] or 0) + 1
            self._close_ranges(conn, closing, new)
            self._open_ranges(conn, opening, new)
            before = {states[r].id: r for r in closing}
            after = {states[r].id: r for r in opening}
            rows = []
            reason = f"rollback to version {number}"
            for seq, mid in enumerate(sorted(set(before) | set(after)), start=1):
                ins = [mid] if mid in before else []
                outs = [mid] if mid in after else []
                rows.append(
                    (new, seq, "rollback", dumps(ins), dumps(outs),
                     dumps([before[mid]] if ins else []), dumps([after[mid]] if outs else []),
                     reason, None, "[]", "{}", "rollback", dumps({"to_version": number, "from_version": head}))
                )
            self._insert_changes(conn, rows)
            total = conn.execute("SELECT count(*) FROM memory_ranges WHERE valid_to IS NULL").fetchone()[0]
            counts = {
                "memories": total,
                "written": 0,
                "added": len(set(after) - set(before)),
                "updated": len(set(after) & set(before)),
                "retired": len(set(before) - set(after)),
                "changes": len(rows),
                "turns_consumed": 0,
            }
            now = format_time(utcnow())
            conn.execute(
                "INSERT INTO versions (number, parent, status, origin, created_at, decided_at, message, run_id, counts) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [new, head, "accepted", "rollback", now, now, message or reason, None, dumps(counts)],
            )
        return self.version(new)

    # --- changes and diffs -----------------------------------------------

    def changes(self, version: int) -> list[StoredChange]:
        """The operations ``version`` recorded, in order, with states resolved."""
        self._check_version(version)
        rows = list(
            self.db.conn.execute(
                f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE version = ? ORDER BY seq",
                [version],
            )
        )
        return self._resolve_changes(rows)

    def _resolve_changes(self, rows: list[Sequence[Any]]) -> list[StoredChange]:
        parsed = [(r, json.loads(r[3]), json.loads(r[4])) for r in rows]
        states = self.memories_by_rid(rid for _, ins, outs in parsed for rid in (*ins, *outs))
        out = []
        for r, ins, outs in parsed:
            out.append(
                StoredChange(
                    version=r[0],
                    seq=r[1],
                    op=r[2],
                    before=tuple(states[i] for i in ins),
                    after=tuple(states[o] for o in outs),
                    reason=r[5],
                    score=r[6],
                    evidence=tuple(Evidence.from_json(e) for e in json.loads(r[7])),
                    details=json.loads(r[8]),
                    rule=r[9],
                    rule_inputs=json.loads(r[10]),
                    decision=r[11],
                )
            )
        return out

    def trail(self, memory_id: str) -> list[StoredChange]:
        """Every change that names ``memory_id`` -- as an input, an output, or
        a member of a merge it was folded into before it was ever written --
        in the order they were made (``dreaming why``)."""
        rows = list(
            self.db.conn.execute(
                f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE id IN ("
                "SELECT c.id FROM changes c, json_each(c.inputs) j WHERE j.value = :id "
                "UNION SELECT c.id FROM changes c, json_each(c.outputs) j WHERE j.value = :id "
                "UNION SELECT c.id FROM changes c, json_each(c.details, '$.members') j WHERE j.value = :id"
                ") ORDER BY version, seq",
                {"id": memory_id},
            )
        )
        return self._resolve_changes(rows)

    def ancestry(self, number: int) -> list[int]:
        """``number`` and its parents, newest first, down to version 0."""
        chain = []
        current: int | None = number
        parents = {v.number: v.parent for v in self.versions()}
        while current:
            chain.append(current)
            current = parents.get(current)
        chain.append(0)
        return chain

    def diff(self, a: int, b: int) -> list[StoredChange]:
        """What changed from version ``a`` to version ``b``.

        When ``a`` is an ancestor of ``b`` the recorded operations (with their
        reasons, scores and evidence) of the versions in between are returned,
        keeping those that still matter for the net result; whatever is left
        of the net difference is reported as plain add/remove/update entries.
        """
        self._check_version(a)
        self._check_version(b)
        rids_a, rids_b = self._rids_at(a), self._rids_at(b)
        removed, added = rids_a - rids_b, rids_b - rids_a
        recorded: list[StoredChange] = []
        if a != b:
            chain = self.ancestry(b)
            if a in chain:
                between = [v for v in chain if v > a and v != 0]
                for v in sorted(between):
                    for ch in self.changes(v):
                        if ch.decision == "rejected":
                            continue
                        touches = any(m.rid in removed for m in ch.before) or any(m.rid in added for m in ch.after)
                        # a conflict changes nothing, but its flag stands while its memories do
                        flags = ch.op == "conflict" and all(m.rid in rids_b for m in ch.after)
                        if touches or flags:
                            recorded.append(ch)
        covered = {m.rid for ch in recorded for m in (*ch.before, *ch.after)}
        rest_removed = sorted(removed - covered)
        rest_added = sorted(added - covered)
        states = self.memories_by_rid(rest_removed + rest_added)
        # an earlier state of a memory that a recorded change shows in its new state
        # (a supersede whose survivor also moved) is explained by that change
        shown_after = {m.id for ch in recorded for m in ch.after if m.rid in rids_b}
        rest_removed = [r for r in rest_removed if states[r].id not in shown_after]
        by_id_before = {states[r].id: states[r] for r in rest_removed}
        by_id_after = {states[r].id: states[r] for r in rest_added}
        net = []
        reason = f"net difference between version {a} and version {b}"
        for mid in sorted(set(by_id_before) | set(by_id_after)):
            before = (by_id_before[mid],) if mid in by_id_before else ()
            after = (by_id_after[mid],) if mid in by_id_after else ()
            op = "update" if before and after else ("add" if after else "remove")
            net.append(
                StoredChange(version=b, seq=0, op=op, before=before, after=after, reason=reason, score=None, evidence=(),
                             rule="net-difference", rule_inputs={"from_version": a, "to_version": b})
            )
        return recorded + net

    # --- imports -------------------------------------------------------

    def import_memories(
        self, memories: Iterable[Memory], *, message: str = "", explicit_created: Iterable[str] = ()
    ) -> Version | None:
        """Add ``memories`` to HEAD as a new accepted version.

        A memory whose id is already in HEAD replaces that memory (an
        ``update``); one equal to it is left alone.  ``explicit_created``
        names the ids whose ``created_at`` came from the input; the others
        keep the created_at of the memory they replace.
        """
        keep_created = set(explicit_created)
        return self.import_stream(((m, m.id in keep_created) for m in memories), message=message)

    def import_stream(
        self, items: Iterable[tuple[Memory, bool]], *, message: str = "", batch_size: int = 5000
    ) -> Version | None:
        """:meth:`import_memories` for a stream of (memory, created_at given)
        pairs, written ``batch_size`` at a time inside one transaction: a file
        of a million memories never sits in memory, and an exception from
        ``items`` (a bad line found late) rolls everything back.  Returns
        ``None`` when every memory was already there as it is."""
        with self._write() as conn:
            parent, number = self._begin_version(conn)
            seen: set[str] = set()
            seq = written = replaced = 0
            batch: list[tuple[Memory, bool]] = []
            for item in itertools.chain(items, [None]):
                if item is not None:
                    if item[0].id in seen:
                        raise StoreError(f"changeset writes memory {item[0].id} twice")
                    seen.add(item[0].id)
                    batch.append(item)
                    if len(batch) < batch_size:
                        continue
                rows = self._import_batch(conn, batch, number, seq)
                seq += len(rows)
                written += len(rows)
                replaced += sum(1 for r in rows if r[3] != "[]")
                batch.clear()
            if not written:
                return None
            counts = {"written": written, "added": written - replaced, "updated": replaced, "retired": 0,
                      "changes": seq, "turns_consumed": 0}
            return self._finish_version(conn, number, parent, "accepted", "import", message, None, counts)

    def _import_batch(
        self, conn: sqlite3.Connection, batch: Sequence[tuple[Memory, bool]], number: int, seq: int
    ) -> list[tuple[Any, ...]]:
        """Write one batch of an import; returns the change rows it wrote."""
        old = self._open_states(conn, [m.id for m, _ in batch], scan=False)
        changed = []
        for mem, explicit in batch:
            row = old.get(mem.id)
            if row is not None and not explicit:
                mem = mem.replace(created_at=parse_time(row[7]))
            values = _state_values(mem)
            if not _same_state(row, mem, values):
                changed.append((mem, values))
        written = self._insert_states(conn, changed, number)
        self._close_ranges(conn, [old[m.id][0] for m, _ in changed if m.id in old], number)
        rows = []
        for offset, (mem, _) in enumerate(changed, start=seq + 1):
            before = old.get(mem.id)
            source = next((e.source for e in mem.provenance if e.source), None)
            where = f" from {source}" if source else ""
            reason = ("re-imported with new content" if before is not None else "imported") + where
            rows.append(
                (number, offset, "update" if before is not None else "add",
                 dumps([mem.id] if before is not None else []), dumps([mem.id]),
                 dumps([before[0]] if before is not None else []), dumps([written[mem.id]]),
                 reason, None, dumps([e.to_json() for e in mem.provenance if e.source]), "{}",
                 "reimport" if before is not None else "import", dumps({"source": source}))
            )
        self._insert_changes(conn, rows)
        return rows

    # --- transcripts -----------------------------------------------------

    def source_state(self, path: str) -> SourceState | None:
        row = self.db.conn.execute(
            "SELECT path, format, size, mtime, sha256, sessions FROM sources WHERE path = ?", [path]
        ).fetchone()
        if row is None:
            return None
        return SourceState(
            path=row[0], format=row[1], size=row[2], mtime=row[3], sha256=row[4], sessions=tuple(json.loads(row[5]))
        )

    def record_ingest(
        self, source: SourceState, records: Iterable[Session | Turn], *, batch_size: int = 1000
    ) -> IngestCounts:
        """Store what one transcript file held, in one transaction.

        ``records`` is a stream of ``Turn`` and ``Session`` records in any
        order (a reader yields a session after its turns, once its times are
        known); turns are written in batches of ``batch_size`` as they come,
        so a huge file never sits in memory.  A session already stored is
        merged, not replaced: its span widens to cover both, metadata is
        updated key by key (several files can add to one session, e.g. a
        Claude Code sub-agent's).  Turns already stored (same session and
        turn id) are left alone, so re-reading a file that grew adds only its
        new turns.  An exception from ``records`` rolls everything back.
        Returns what was newly added.
        """
        with self._write() as conn:
            return self._record_ingest(conn, source, records, batch_size)

    def record_ingest_all(
        self, files: Iterable[tuple[SourceState, Iterable[Session | Turn]]], *, batch_size: int = 1000
    ) -> list[IngestCounts]:
        """:meth:`record_ingest` for several files in ONE transaction: all of
        them or, on any exception, none (``dreaming ingest --strict``)."""
        with self._write() as conn:
            return [self._record_ingest(conn, source, records, batch_size) for source, records in files]

    def _record_ingest(
        self, conn: sqlite3.Connection, source: SourceState, records: Iterable[Session | Turn], batch_size: int
    ) -> IngestCounts:
        now = format_time(utcnow())
        new_sessions = new_turns = 0
        session_ids = list(source.sessions)
        batch: list[tuple[Any, ...]] = []

        def flush() -> int:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO turns (session_id, id, seq, role, speaker, kind, timestamp, text, tool_calls, "
                "agent_id, metadata) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                batch,
            )
            batch.clear()
            return conn.total_changes - before

        for rec in records:
            if isinstance(rec, Turn):
                batch.append(
                    (
                        rec.session_id, rec.id, rec.seq, rec.role, rec.speaker, rec.kind, format_time(rec.timestamp),
                        rec.text, dumps([c.to_json() for c in rec.tool_calls]), rec.agent_id, dumps(dict(rec.metadata)),
                    )
                )
                if len(batch) >= batch_size:
                    new_turns += flush()
            else:
                new_sessions += self._merge_session(conn, rec, now)
                if rec.id not in session_ids:
                    session_ids.append(rec.id)
        new_turns += flush()
        conn.execute(
            "INSERT INTO sources (path, format, size, mtime, sha256, ingested_at, sessions) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(path) DO UPDATE SET format = excluded.format, size = excluded.size, mtime = excluded.mtime, "
            "sha256 = excluded.sha256, ingested_at = excluded.ingested_at, sessions = excluded.sessions",
            [source.path, source.format, source.size, source.mtime, source.sha256, now, dumps(session_ids)],
        )
        return IngestCounts(sessions=new_sessions, turns=new_turns)

    @staticmethod
    def _merge_session(conn: sqlite3.Connection, s: Session, now: str | None) -> int:
        """Insert ``s`` (returns 1) or merge it into the stored row (0)."""
        row = conn.execute(
            "SELECT started_at, ended_at, time_source, metadata FROM sessions WHERE id = ?", [s.id]
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO sessions (id, source, format, started_at, ended_at, time_source, parent_id, "
                "metadata, ingested_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    s.id, s.source, s.format, format_time(s.started_at), format_time(s.ended_at), s.time_source,
                    s.parent_id, dumps(dict(s.metadata)), now, now,
                ],
            )
            return 1
        started, ended, time_source = parse_time(row[0]), parse_time(row[1]), row[2]
        if s.time_source == time_source != "file_mtime":  # widen the span to cover both
            started = min((t for t in (started, s.started_at) if t is not None), default=None)
            ended = max((t for t in (ended, s.ended_at) if t is not None), default=None)
        elif time_source == "file_mtime" or s.time_source != "file_mtime":  # a file's mtime never beats a real time
            started, ended, time_source = s.started_at, s.ended_at, s.time_source
        metadata = {**json.loads(row[3]), **dict(s.metadata)}
        conn.execute(
            "UPDATE sessions SET source = ?, format = ?, started_at = ?, ended_at = ?, time_source = ?, "
            "parent_id = coalesce(?, parent_id), metadata = ?, updated_at = ? WHERE id = ?",
            [
                s.source, s.format, format_time(started), format_time(ended), time_source, s.parent_id,
                dumps(metadata), now, s.id,
            ],
        )
        return 0

    def sessions(self) -> list[Session]:
        return [self._session_from_row(r) for r in self.db.query("SELECT * FROM sessions ORDER BY started_at, id")]

    def session(self, session_id: str) -> Session | None:
        rows = list(self.db.query("SELECT * FROM sessions WHERE id = ?", [session_id]))
        return self._session_from_row(rows[0]) if rows else None

    @staticmethod
    def _session_from_row(row: Mapping[str, Any]) -> Session:
        return Session(
            id=row["id"],
            source=row["source"],
            format=row["format"],
            started_at=parse_time(row["started_at"]),
            ended_at=parse_time(row["ended_at"]),
            time_source=row["time_source"],
            parent_id=row["parent_id"],
            metadata=json.loads(row["metadata"]),
        )

    @staticmethod
    def _turn_from_row(row: Mapping[str, Any]) -> Turn:
        return Turn(
            id=row["id"],
            session_id=row["session_id"],
            seq=row["seq"],
            role=row["role"],
            speaker=row["speaker"],
            kind=row["kind"],
            timestamp=parse_time(row["timestamp"]),
            text=row["text"],
            tool_calls=tuple(ToolCall.from_json(c) for c in json.loads(row["tool_calls"])),
            agent_id=row["agent_id"],
            metadata=json.loads(row["metadata"]),
        )

    def turns(self, session_id: str) -> list[Turn]:
        return [
            self._turn_from_row(r)
            for r in self.db.query("SELECT * FROM turns WHERE session_id = ? ORDER BY seq, pk", [session_id])
        ]

    def turn_keys(self, session_ids: Iterable[str]) -> set[tuple[str, str]]:
        """(session id, turn id) of the stored turns of these sessions."""
        out: set[tuple[str, str]] = set()
        for chunk in _chunks(list(session_ids)):
            marks = ",".join("?" * len(chunk))
            out.update(self.db.conn.execute(f"SELECT session_id, id FROM turns WHERE session_id IN ({marks})", chunk))
        return out

    def pending_count(self) -> tuple[int, int]:
        """(sessions, turns) not yet consumed by a dream."""
        row = self.db.conn.execute(
            "SELECT count(DISTINCT session_id), count(*) FROM turns WHERE consumed_by IS NULL"
        ).fetchone()
        return row[0], row[1]

    def last_turn_pk(self) -> int:
        return int(self.db.conn.execute("SELECT coalesce(max(pk), 0) FROM turns").fetchone()[0])

    def pending(self, *, through: int | None = None, limit_sessions: int | None = None) -> list[PendingSession]:
        """Sessions with unconsumed turns (up to turn ``pk`` ``through``),
        oldest session first, each with its pending turns in order."""
        through = self.last_turn_pk() if through is None else through
        ids = [
            r[0]
            for r in self.db.conn.execute(
                "SELECT t.session_id FROM turns t JOIN sessions s ON s.id = t.session_id "
                "WHERE t.consumed_by IS NULL AND t.pk <= ? GROUP BY t.session_id "
                "ORDER BY min(s.started_at), t.session_id",
                [through],
            )
        ]
        if limit_sessions is not None:
            ids = ids[:limit_sessions]
        out = []
        for sid in ids:
            turns = [
                self._turn_from_row(r)
                for r in self.db.query(
                    "SELECT * FROM turns WHERE session_id = ? AND consumed_by IS NULL AND pk <= ? ORDER BY seq, pk",
                    [sid, through],
                )
            ]
            session = self.session(sid)
            assert session is not None
            out.append(PendingSession(session=session, turns=tuple(turns)))
        return out

    def quotes(self, evidence: Iterable[Evidence]) -> dict[tuple[str, str], Turn]:
        """The turns cited by ``evidence``, keyed by (session id, turn id)."""
        out: dict[tuple[str, str], Turn] = {}
        for ev in evidence:
            if ev.session_id is None or not ev.turn_ids:
                continue
            ids = list(ev.turn_ids)
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                for r in self.db.query(
                    f"SELECT * FROM turns WHERE session_id = ? AND id IN ({marks})", [ev.session_id, *chunk]
                ):
                    t = self._turn_from_row(r)
                    out[(t.session_id, t.id)] = t
        return out

    @staticmethod
    def _count_consumable(conn: sqlite3.Connection, through: int, sessions: Sequence[str] | None) -> int:
        if sessions is None:
            return int(conn.execute(
                "SELECT count(*) FROM turns WHERE consumed_by IS NULL AND pk <= ?", [through]
            ).fetchone()[0])
        total = 0
        for chunk in _chunks(list(sessions)):
            total += conn.execute(
                f"SELECT count(*) FROM turns WHERE consumed_by IS NULL AND pk <= ? "
                f"AND session_id IN ({','.join('?' * len(chunk))})",
                [through, *chunk],
            ).fetchone()[0]
        return total

    @staticmethod
    def _consume(conn: sqlite3.Connection, version: int, through: int, sessions: Sequence[str] | None) -> int:
        if sessions is None:
            return conn.execute(
                "UPDATE turns SET consumed_by = ? WHERE consumed_by IS NULL AND pk <= ?", [version, through]
            ).rowcount
        total = 0
        for chunk in _chunks(list(sessions)):
            total += conn.execute(
                f"UPDATE turns SET consumed_by = ? WHERE consumed_by IS NULL AND pk <= ? "
                f"AND session_id IN ({','.join('?' * len(chunk))})",
                [version, through, *chunk],
            ).rowcount
        return total

    # --- the dream lock ----------------------------------------------------

    def lock_holder(self) -> LockHolder | None:
        return self._lock_holder(self.db.conn)

    @staticmethod
    def _lock_holder(conn: sqlite3.Connection) -> LockHolder | None:
        row = conn.execute(
            "SELECT token, pid, host, proc_start, started_at, heartbeat_at, command FROM dream_lock WHERE name = 'dream'"
        ).fetchone()
        if row is None:
            return None
        return LockHolder(
            token=row[0], pid=row[1], host=row[2], proc_start=row[3], started_at=_db_time(row[4]),
            heartbeat_at=_db_time(row[5]), command=row[6],
        )

    def try_lock(self, mine: LockHolder, *, stale: Callable[[LockHolder], bool]) -> LockHolder | None:
        """Take the dream lock in one write transaction when it is free or
        ``stale(holder)`` says its holder is gone.  Returns ``None`` when
        ``mine`` now holds it, else the live holder."""
        with self._write() as conn:
            holder = self._lock_holder(conn)
            if holder is not None and holder.token != mine.token and not stale(holder):
                return holder
            conn.execute(
                "INSERT INTO dream_lock (name, token, pid, host, proc_start, started_at, heartbeat_at, command) "
                "VALUES ('dream',?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET token = excluded.token, "
                "pid = excluded.pid, host = excluded.host, proc_start = excluded.proc_start, "
                "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, command = excluded.command",
                [mine.token, mine.pid, mine.host, mine.proc_start, format_time(mine.started_at),
                 format_time(mine.heartbeat_at), mine.command],
            )
            return None

    def renew_lock(self, token: str, at: datetime) -> bool:
        """The heartbeat: False when ``token`` no longer holds the lock."""
        with self._write() as conn:
            return conn.execute(
                "UPDATE dream_lock SET heartbeat_at = ? WHERE name = 'dream' AND token = ?", [format_time(at), token]
            ).rowcount == 1

    def release_lock(self, token: str) -> bool:
        """Drop the lock if ``token`` still holds it (a taken-over lock is left alone)."""
        with self._write() as conn:
            return conn.execute("DELETE FROM dream_lock WHERE name = 'dream' AND token = ?", [token]).rowcount == 1

    # --- purge -------------------------------------------------------------

    def purge(
        self, *, memory_ids: Sequence[str] = (), texts: Sequence[str] = (), pattern: re.Pattern[str] | None = None
    ) -> dict[str, int]:
        """Erase secrets for good: the memories ``memory_ids`` (every state;
        they leave the tip in a new version), every occurrence of ``texts``
        and of ``pattern``, from every memory state, change, quote, turn,
        session, version message and full-text index, replaced by
        ``[PURGED]``; then the file is rewritten (``secure_delete``, FTS
        merged, ``VACUUM``, WAL truncated) so no old page keeps them.  The
        ``purges`` table records that a purge happened and how many rows it
        rewrote, never what.  Returns those counts per table."""
        self.db.conn.execute("PRAGMA secure_delete = ON")
        with self._write() as conn:
            self._check_fence(conn)
            erase = list(texts)
            if memory_ids:
                erase += self._retire_for_purge(conn, memory_ids)
            sub = _purger([t for t in erase if t], pattern)
            counts = {"memories": self._purge_memories(conn, sub)}
            schema.backfill_vectors(conn)  # the rewritten contents' vectors (their old ones were dropped)
            for table, key, columns in _PURGED_COLUMNS:
                counts[table] = self._purge_table(conn, table, key, columns, sub)
            for index in ("memories_fts", "memories_words"):
                conn.execute(f"INSERT INTO {index}({index}) VALUES ('optimize')")
            how = "+".join(h for h, used in (("id", memory_ids), ("text", texts), ("pattern", pattern)) if used)
            conn.execute("INSERT INTO purges (at, how, counts) VALUES (?, ?, ?)",
                         [format_time(utcnow()), how, dumps(counts)])
        self.db.conn.execute("VACUUM")
        self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts

    def _retire_for_purge(self, conn: sqlite3.Connection, memory_ids: Sequence[str]) -> list[str]:
        """The texts of every state of ``memory_ids`` (to erase); those at the
        tip leave it in a new version."""
        marks = ",".join("?" * len(memory_ids))
        found = list(conn.execute(f"SELECT id, content FROM memories WHERE id IN ({marks})", list(memory_ids)))
        missing = sorted(set(memory_ids) - {row[0] for row in found})
        if missing:
            raise StoreError(f"no memory with id {missing[0]!r} in this store (ids are shown by `dreaming show --json`)")
        at_tip = sorted(set(self.current(memory_ids, version=self.head)))
        if at_tip:
            changes = tuple(Change(op="remove", rule="purge", inputs=(mid,), reason="purged") for mid in at_tip)
            self._write_version(conn, Changeset(retire=tuple(at_tip), changes=changes, message="purge", origin="purge"))
        return sorted({row[1] for row in found}, key=len, reverse=True)

    @staticmethod
    def _purge_memories(conn: sqlite3.Connection, sub: Callable[[Any], Any]) -> int:
        """Memory states (and both full-text indexes, which need the old values to forget them)."""
        rows = list(conn.execute("SELECT rid, content, path, key, metadata, provenance FROM memories"))
        changed = 0
        for rid, content, path, key, metadata, provenance in rows:
            new = (sub(content), sub(path), sub(key), _sub_json(metadata, sub), _sub_json(provenance, sub))
            if new == (content, path, key, metadata, provenance):
                continue
            changed += 1
            for index in ("memories_fts", "memories_words"):
                conn.execute(f"INSERT INTO {index}({index}, rowid, content, path, key) VALUES ('delete', ?, ?, ?, ?)",
                             [rid, content, path, key])
                conn.execute(f"INSERT INTO {index}(rowid, content, path, key) VALUES (?, ?, ?, ?)",
                             [rid, new[0], new[1], new[2]])
            conn.execute(
                "UPDATE memories SET content = ?, path = ?, key = ?, metadata = ?, provenance = ?, content_sha256 = ? "
                "WHERE rid = ?",
                [*new, sha256_text(new[0]), rid],
            )
            if new[0] != content:  # the vector was derived from the erased text
                conn.execute("DELETE FROM vectors WHERE rid = ?", [rid])
        return changed

    @staticmethod
    def _purge_table(
        conn: sqlite3.Connection, table: str, key: str, columns: Sequence[tuple[str, bool]], sub: Callable[[Any], Any]
    ) -> int:
        names = ", ".join(c for c, _ in columns)
        changed = 0
        for row in list(conn.execute(f"SELECT {key}, {names} FROM {table}")):
            old = row[1:]
            new = [(_sub_json(v, sub) if is_json else sub(v)) for v, (_, is_json) in zip(old, columns)]
            if list(old) != new:
                changed += 1
                sets = ", ".join(f"{c} = ?" for c, _ in columns)
                conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", [*new, row[0]])
        return changed

    def purges(self) -> list[dict[str, Any]]:
        """When purges happened and how much each rewrote (never what)."""
        return [
            {"at": at, "how": how, "counts": json.loads(counts)}
            for at, how, counts in self.db.conn.execute("SELECT at, how, counts FROM purges ORDER BY seq")
        ]

    # --- runs and config -----------------------------------------------

    def save_run(self, run: Run) -> None:
        data = run.to_json()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO runs (id, started_at, finished_at, status, version, llm, timings, counts, cost, error) "
                "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET finished_at = excluded.finished_at, "
                "status = excluded.status, version = coalesce(excluded.version, runs.version), llm = excluded.llm, "
                "timings = excluded.timings, counts = excluded.counts, cost = excluded.cost, error = excluded.error",
                [
                    data["id"], data["started_at"], data["finished_at"], data["status"], data["version"], data["llm"],
                    dumps(data["timings"]), dumps(data["counts"]), dumps(data["cost"]), data["error"],
                ],
            )

    def record_batch(self, run_id: str, digest: str, batch_id: str) -> None:
        """Note in run ``run_id``'s row that it submitted ``batch_id`` for the
        requests whose digest is ``digest`` (before it polls the batch)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET batches = json_set(batches, '$.' || json_quote(?), ?) WHERE id = ?",
                [digest, batch_id, run_id],
            )

    def unfinished_batches(self) -> dict[str, str]:
        """``{digest: batch id}`` submitted by runs that never finished (still
        running, or failed: killed, interrupted): a rerun sending the same
        requests collects these instead of paying again."""
        found: dict[str, str] = {}
        for (raw,) in self.db.conn.execute(
            "SELECT batches FROM runs WHERE status IN ('running', 'failed') AND batches != '{}' ORDER BY started_at"
        ):
            found.update(json.loads(raw))
        return found

    def close_interrupted_runs(self, *, at: datetime, reason: str) -> int:
        """Mark runs still ``running`` as failed with ``reason``.  Only for a
        caller holding the dream lock: then no run can really be running."""
        with self._write() as conn:
            return conn.execute(
                "UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE status = 'running'",
                [format_time(at), reason],
            ).rowcount

    def runs(self) -> list[Run]:
        return [self._run_from_row(r) for r in self.db.query("SELECT * FROM runs ORDER BY started_at, id")]

    def run(self, run_id: str) -> Run | None:
        rows = list(self.db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
        return self._run_from_row(rows[0]) if rows else None

    @staticmethod
    def _run_from_row(row: Mapping[str, Any]) -> Run:
        return Run(
            id=row["id"],
            started_at=_db_time(row["started_at"]),
            finished_at=parse_time(row["finished_at"]),
            status=row["status"],
            version=row["version"],
            llm=row["llm"],
            timings=json.loads(row["timings"]),
            counts=json.loads(row["counts"]),
            cost=json.loads(row["cost"]),
            error=row["error"],
        )

    def get_config(self, key: str, default: Any = None) -> Any:
        row = self.db.conn.execute("SELECT value FROM config WHERE key = ?", [key]).fetchone()
        return default if row is None else json.loads(row[0])

    def set_config(self, key: str, value: Any) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, dumps(value)],
            )

    def config(self) -> dict[str, Any]:
        return {r[0]: json.loads(r[1]) for r in self.db.conn.execute("SELECT key, value FROM config ORDER BY key")}

    # --- stats -----------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        conn = self.db.conn
        head = self.head
        kinds = {
            k: n
            for k, n in conn.execute(
                f"SELECT m.kind, count(*) FROM memory_ranges r JOIN memories m ON m.rid = r.rid "
                f"WHERE {self._in_version_sql()} GROUP BY m.kind ORDER BY m.kind",
                {"v": head},
            )
        }
        statuses = {s: n for s, n in conn.execute("SELECT status, count(*) FROM versions GROUP BY status")}
        pending_sessions, pending_turns = self.pending_count()
        cand = self.candidate()
        size = sum(
            p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists()
        )
        return {
            "store": str(self.path),
            "head": head,
            "candidate": cand.number if cand else None,
            "memories": sum(kinds.values()),
            "kinds": kinds,
            "versions": {s: statuses.get(s, 0) for s in ("accepted", "candidate", "rejected")},
            "memory_states": conn.execute("SELECT count(*) FROM memories").fetchone()[0],
            "sessions": conn.execute("SELECT count(*) FROM sessions").fetchone()[0],
            "turns": conn.execute("SELECT count(*) FROM turns").fetchone()[0],
            "pending_sessions": pending_sessions,
            "pending_turns": pending_turns,
            "runs": conn.execute("SELECT count(*) FROM runs").fetchone()[0],
            "file_bytes": size,
        }




PURGED = "[PURGED]"
#: (table, key column, [(column, holds JSON)]) that purge rewrites besides the memories
_PURGED_COLUMNS: tuple[tuple[str, str, tuple[tuple[str, bool], ...]], ...] = (
    ("changes", "id", (("reason", False), ("evidence", True), ("details", True), ("rule_inputs", True))),
    ("turns", "pk", (("text", False), ("tool_calls", True), ("metadata", True))),
    ("sessions", "id", (("metadata", True),)),
    ("versions", "number", (("message", False),)),
    ("runs", "id", (("error", False),)),
)


def _purger(texts: Sequence[str], pattern: re.Pattern[str] | None) -> Callable[[Any], Any]:
    """A function replacing every ``texts`` and ``pattern`` match in a string by ``[PURGED]``."""
    ordered = sorted(set(texts), key=len, reverse=True)

    def sub(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for text in ordered:
            if text in value:
                value = value.replace(text, PURGED)
        return pattern.sub(PURGED, value) if pattern is not None else value

    return sub


def _sub_json(raw: Any, sub: Callable[[Any], Any]) -> Any:
    """A JSON column with ``sub`` applied to every string (keys too)."""
    if not isinstance(raw, str) or not raw:
        return raw
    data = json.loads(raw)
    new = _walk(data, sub)
    return raw if new == data else dumps(new)


def _walk(value: Any, sub: Callable[[Any], Any]) -> Any:
    if isinstance(value, str):
        return sub(value)
    if isinstance(value, list):
        return [_walk(v, sub) for v in value]
    if isinstance(value, dict):
        return {sub(k): _walk(v, sub) for k, v in value.items()}
    return value


def fts_terms(text: str, *, drop: frozenset[str] = frozenset()) -> list[str]:
    """Words of ``text`` as FTS5 terms: lowercased, deduplicated, in order.

    Words are split where the store's ``unicode61`` tokenizer splits them (at
    every character that is not a letter or a digit), so that a query word
    is exactly one index token: ``"Caroline's"`` gives ``caroline`` and ``s``,
    not the phrase ``"caroline s"`` that a memory saying only "Caroline"
    would not match.  Words in ``drop`` are left out.
    """
    words: list[str] = []
    for word in "".join(ch if ch.isalnum() else " " for ch in text.lower()).split():
        if word not in drop and word not in words:
            words.append(word)
    return words


@functools.cache
def stems_to_stop_word(word: str) -> bool:
    """Whether the porter stemmer makes ``word`` one of the stop words' stems.

    "Ines" stems to "in", "Wills" to "will": in the stemmed index such a name
    matches every memory that uses the function word.  Decided by the same
    tokenizer the index uses (an in-memory FTS5 table holding the stop
    words), so it can never disagree with the index.
    """
    return _stop_word_index().execute("SELECT 1 FROM stop WHERE stop MATCH ?", (f'"{word}"',)).fetchone() is not None


@functools.cache
def _stop_word_index() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE VIRTUAL TABLE stop USING fts5(words, tokenize='porter unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO stop (words) VALUES (?)", (" ".join(sorted(SEARCH_STOP_WORDS)),))
    return conn


def _db_time(value: str) -> datetime:
    """A time read back from a NOT NULL column (written by ``format_time``, never empty)."""
    at = parse_time(value)
    if at is None:
        raise StoreError("the store holds an empty time where one is required: the file is damaged")
    return at


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
    """Open the store at ``path`` (default ``$DREAMING_STORE`` or ``./memory_store/memory.db``)."""
    return Store.open(path, create=create)


__all__ = [
    "Store",
    "StoredChange",
    "Decision",
    "SourceState",
    "IngestCounts",
    "PendingSession",
    "open_store",
    "default_store_path",
    "fts_terms",
    "stems_to_stop_word",
]
