"""The store's record of hosted memory stores: the base of each hosted path,
the push journal and the hosted dreams (tables from ``m009_hosted_sync``).

Everything a push or a hosted dream is about to do is written here *before*
the request is sent, and what it did right after, so a process killed at any
point can be rerun without sending anything twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dreaming.hosted.records import DreamUsage, HostedMemory
from dreaming.hosted.sync import BaseEntry, PushOp
from dreaming.records import Changeset, Version, dumps, format_time, parse_time, utcnow
from dreaming.store.core import Store


def base(store: Store, store_id: str) -> dict[str, BaseEntry]:
    rows = store.db.conn.execute(
        "SELECT path, remote_id, content_sha256, content FROM hosted_base WHERE store_id = ?", [store_id]
    ).fetchall()
    return {r[0]: BaseEntry(path=r[0], remote_id=r[1], content_sha256=r[2], content=r[3]) for r in rows}


def layouts(store: Store, prefer: str) -> dict[str, BaseEntry]:
    """The file last seen at each path in any hosted store (``prefer``'s first): how an unchanged
    path is written to a store that has not seen it (``push --new-store``)."""
    out: dict[str, BaseEntry] = {}
    for store_id in [prefer, *[s for s in known_stores(store) if s != prefer]]:
        for path, entry in base(store, store_id).items():
            out.setdefault(path, entry)
    return out


def copy_store(store: Store, target: Path) -> None:
    """A consistent copy of the whole store file at ``target`` (SQLite's online backup)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dest = sqlite3.connect(str(target))
    try:
        store.db.conn.backup(dest)
    finally:
        dest.close()


def known_stores(store: Store) -> list[str]:
    return [r[0] for r in store.db.conn.execute("SELECT DISTINCT store_id FROM hosted_base ORDER BY store_id")]


def _set_base(conn: Any, store_id: str, files: Iterable[HostedMemory], deleted: Iterable[str], now: str) -> None:
    for file in files:
        conn.execute(
            "INSERT INTO hosted_base (store_id, path, remote_id, content_sha256, content, synced_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(store_id, path) DO UPDATE SET remote_id = excluded.remote_id, "
            "content_sha256 = excluded.content_sha256, content = excluded.content, synced_at = excluded.synced_at",
            [store_id, file.path, file.id, file.content_sha256, file.content or "", now],
        )
    for path in deleted:
        conn.execute("DELETE FROM hosted_base WHERE store_id = ? AND path = ?", [store_id, path])


def write_pull(store: Store, store_id: str, changeset: Changeset, files: Sequence[HostedMemory],
               deleted: Sequence[str]) -> Version | None:
    """The pulled version and the new base, in one transaction (or neither)."""
    now = format_time(utcnow()) or ""
    with store._write() as conn:
        version = store._write_version(conn, changeset) if not changeset.is_empty else None
        _set_base(conn, store_id, files, deleted, now)
        return version


def refresh_base(store: Store, store_id: str, files: Iterable[HostedMemory], deleted: Iterable[str] = ()) -> None:
    now = format_time(utcnow()) or ""
    with store._write() as conn:
        _set_base(conn, store_id, files, deleted, now)


# --- the push journal -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PushRecord:
    id: str
    store_id: str | None
    new_store_name: str | None
    version: int
    status: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class JournalOp:
    seq: int
    op: PushOp
    state: str


def _push_from_row(row: Sequence[Any]) -> PushRecord:
    return PushRecord(id=row[0], store_id=row[1], new_store_name=row[2], version=row[3], status=row[4],
                      detail=json.loads(row[5]))


_PUSH_COLUMNS = "id, store_id, new_store_name, version, status, detail"


def unfinished_push(store: Store, *, store_id: str | None = None, new_store_name: str | None = None) -> PushRecord | None:
    """The newest push to this store (or of a new store by this name) that did not finish."""
    where = "store_id = ?" if store_id is not None else "new_store_name = ?"
    arg = store_id if store_id is not None else new_store_name
    row = store.db.conn.execute(
        f"SELECT {_PUSH_COLUMNS} FROM hosted_pushes WHERE {where} AND status = 'running' ORDER BY started_at DESC LIMIT 1",
        [arg],
    ).fetchone()
    return None if row is None else _push_from_row(row)


def start_push(store: Store, push_id: str, *, store_id: str | None, new_store_name: str | None, version: int) -> PushRecord:
    with store._write() as conn:
        conn.execute(
            "INSERT INTO hosted_pushes (id, store_id, new_store_name, version, status, started_at) VALUES (?,?,?,?,?,?)",
            [push_id, store_id, new_store_name, version, "running", format_time(utcnow())],
        )
    return PushRecord(id=push_id, store_id=store_id, new_store_name=new_store_name, version=version, status="running", detail={})


def set_push_store(store: Store, push_id: str, store_id: str) -> None:
    with store._write() as conn:
        conn.execute("UPDATE hosted_pushes SET store_id = ? WHERE id = ?", [store_id, push_id])


def finish_push(store: Store, push_id: str, status: str, detail: Mapping[str, Any]) -> None:
    with store._write() as conn:
        conn.execute("UPDATE hosted_pushes SET status = ?, finished_at = ?, detail = ? WHERE id = ?",
                     [status, format_time(utcnow()), dumps(dict(detail)), push_id])


def journal_ops(store: Store, push_id: str, ops: Sequence[PushOp]) -> list[JournalOp]:
    """Replace the push's pending ops with ``ops`` (done ones stay); returns them numbered."""
    with store._write() as conn:
        conn.execute("DELETE FROM hosted_push_ops WHERE push_id = ? AND state IN ('pending', 'sending')", [push_id])
        start = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM hosted_push_ops WHERE push_id = ?", [push_id]).fetchone()[0]
        out = []
        for n, op in enumerate(ops, start=start + 1):
            conn.execute(
                "INSERT INTO hosted_push_ops (push_id, seq, path, op, remote_id, before_sha256, before_content, "
                "target_sha256, state) VALUES (?,?,?,?,?,?,?,?, 'pending')",
                [push_id, n, op.path, op.op, op.remote_id, op.before_sha256, op.before_content, op.target_sha256],
            )
            out.append(JournalOp(seq=n, op=op, state="pending"))
        return out


def mark_op(store: Store, push_id: str, seq: int, state: str, *, store_id: str | None = None,
            result: HostedMemory | None = None, gone: str | None = None) -> None:
    """Set an op's state; a ``done`` op moves the base in the same transaction."""
    now = format_time(utcnow()) or ""
    with store._write() as conn:
        conn.execute("UPDATE hosted_push_ops SET state = ?, remote_id = COALESCE(?, remote_id) WHERE push_id = ? AND seq = ?",
                     [state, result.id if result else None, push_id, seq])
        if store_id is not None:
            _set_base(conn, store_id, [result] if result else [], [gone] if gone else [], now)


def done_ops(store: Store, push_id: str) -> list[tuple[int, str, str, str | None, str | None, str | None, str | None]]:
    return store.db.conn.execute(
        "SELECT seq, op, path, remote_id, before_sha256, before_content, target_sha256 FROM hosted_push_ops "
        "WHERE push_id = ? AND state = 'done' ORDER BY seq", [push_id]
    ).fetchall()


def push_counts(store: Store, push_id: str) -> dict[str, int]:
    rows = store.db.conn.execute(
        "SELECT op, state, COUNT(*) FROM hosted_push_ops WHERE push_id = ? GROUP BY op, state", [push_id]
    ).fetchall()
    return {f"{op}:{state}": n for op, state, n in rows}


# --- hosted dreams ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DreamRecord:
    token: str
    dream_id: str | None
    store_id: str
    session_ids: tuple[str, ...]
    model: str
    instructions: str | None
    status: str
    intent_at: datetime
    output_store_id: str | None
    usage: DreamUsage
    run_id: str | None
    version: int | None
    error: str | None


_DREAM_COLUMNS = ("token, dream_id, store_id, session_ids, model, instructions, status, intent_at, output_store_id, "
                  "usage, run_id, version, error")


def _dream_from_row(r: Sequence[Any]) -> DreamRecord:
    return DreamRecord(token=r[0], dream_id=r[1], store_id=r[2], session_ids=tuple(json.loads(r[3])), model=r[4],
                       instructions=r[5], status=r[6], intent_at=parse_time(r[7]) or utcnow(), output_store_id=r[8],
                       usage=DreamUsage.from_json(json.loads(r[9])), run_id=r[10], version=r[11], error=r[12])


def open_dream(store: Store) -> DreamRecord | None:
    """The hosted dream a previous run submitted (or was about to) and did not turn into a version."""
    row = store.db.conn.execute(
        f"SELECT {_DREAM_COLUMNS} FROM hosted_dreams WHERE version IS NULL AND status NOT IN ('failed', 'canceled', "
        "'abandoned') ORDER BY intent_at DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _dream_from_row(row)


def dreams(store: Store) -> list[DreamRecord]:
    rows = store.db.conn.execute(f"SELECT {_DREAM_COLUMNS} FROM hosted_dreams ORDER BY intent_at").fetchall()
    return [_dream_from_row(r) for r in rows]


def claimed_dream_ids(store: Store) -> set[str]:
    return {r[0] for r in store.db.conn.execute("SELECT dream_id FROM hosted_dreams WHERE dream_id IS NOT NULL")}


def record_dream_intent(store: Store, *, token: str, store_id: str, session_ids: Sequence[str], model: str,
                        instructions: str | None, run_id: str) -> DreamRecord:
    at = utcnow()
    with store._write() as conn:
        conn.execute(
            "INSERT INTO hosted_dreams (token, store_id, session_ids, model, instructions, status, intent_at, run_id) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [token, store_id, dumps(sorted(session_ids)), model, instructions, "submitting", format_time(at), run_id],
        )
    return DreamRecord(token=token, dream_id=None, store_id=store_id, session_ids=tuple(sorted(session_ids)), model=model,
                       instructions=instructions, status="submitting", intent_at=at, output_store_id=None,
                       usage=DreamUsage(), run_id=run_id, version=None, error=None)


def update_dream(store: Store, token: str, **fields: Any) -> None:
    allowed = {"dream_id", "status", "output_store_id", "usage", "version", "error"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown hosted dream field(s): {sorted(unknown)}")
    values = {k: (dumps(v.to_json()) if isinstance(v, DreamUsage) else v) for k, v in fields.items()}
    sets = ", ".join(f"{k} = ?" for k in values)
    with store._write() as conn:
        conn.execute(f"UPDATE hosted_dreams SET {sets} WHERE token = ?", [*values.values(), token])


def write_dream_version(store: Store, token: str, changeset: Changeset, usage: DreamUsage) -> Version | None:
    """The hosted dream's candidate and its journal row's completion, in one transaction."""
    with store._write() as conn:
        version = store._write_version(conn, changeset)
        conn.execute("UPDATE hosted_dreams SET status = 'completed', usage = ?, version = ? WHERE token = ?",
                     [dumps(usage.to_json()), version.number if version else 0, token])
        return version
