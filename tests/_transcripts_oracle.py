"""Reference implementations the streaming readers are tested against.

Obviously correct, not fast: they load the whole file, build dicts, and
group globally where the real readers stream.  They share only the small
pure helpers (record validation, text cleanup, block text) with the code
under test, not the DAG walk, the joining or the pairing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dreaming.ingest import claude_code
from dreaming.ingest.blocks import block_text, input_summary, split_blocks
from dreaming.ingest.common import clip, to_time

CONVERSATIONAL = {"user", "assistant"}


def _records(path: Path) -> list[dict[str, Any]]:
    out = []
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (ValueError, RecursionError):
                continue
            kind, reason = claude_code._classify(obj)
            if reason is None:
                out.append(obj)
    return out


def _thread(rec: dict[str, Any]) -> str | None:
    if rec.get("isSidechain") is not True:
        return None
    return rec.get("agentId") if isinstance(rec.get("agentId"), str) else "sidechain"


def _parent(rec: dict[str, Any]) -> str | None:
    for name in ("parentUuid", "logicalParentUuid"):
        if isinstance(rec.get(name), str) and rec[name]:
            return rec[name]
    return None


def _time(rec: dict[str, Any]) -> float:
    at = to_time(rec.get("timestamp"))
    return float("-inf") if at is None else at.timestamp()


def claude_code_turns(path: Path, excerpt_chars: int = 500) -> list[tuple]:
    """``(id, role, kind, agent_id, text, tool calls)`` of the live turns."""
    records = _records(path)
    by_uuid: dict[str, int] = {}
    for i, rec in enumerate(records):
        if isinstance(rec.get("uuid"), str):
            by_uuid.setdefault(rec["uuid"], i)
    newest: dict[str | None, int] = {}
    for i, rec in enumerate(records):
        if rec["type"] in CONVERSATIONAL:
            t = _thread(rec)
            if t not in newest or _time(rec) >= _time(records[newest[t]]):
                newest[t] = i
    live: set[int] = set()
    for start in newest.values():
        i: int | None = start
        while i is not None and i not in live:
            live.add(i)
            parent = _parent(records[i])
            i = by_uuid.get(parent) if parent else None
    live_messages = {
        records[i]["message"].get("id") for i in live if records[i]["type"] == "assistant"
    } - {None}
    keep = sorted(
        i for i, r in enumerate(records)
        if i in live and r["type"] in CONVERSATIONAL
        or r["type"] == "assistant" and r["message"].get("id") in live_messages
    )
    results: dict[str, dict[str, Any]] = {}
    for r in records:
        if r["type"] == "user":
            for block in split_blocks(r["message"]["content"])[0]:
                results.setdefault(block.get("tool_use_id"), block)
    # group assistant pieces by message id, globally
    pieces: dict[str, list[dict[str, Any]]] = {}
    for i in keep:
        r = records[i]
        if r["type"] == "assistant" and isinstance(r["message"].get("id"), str):
            pieces.setdefault(r["message"]["id"], []).append(r)
    turns: list[tuple] = []
    dropped: set[str | None] = set()
    seen_turns: dict[str | None, int] = {}
    done_messages: set[str] = set()
    for i in keep:
        r = records[i]
        thread = _thread(r)
        if thread in dropped:
            continue
        if r["type"] == "assistant":
            mid = r["message"].get("id")
            group = pieces[mid] if isinstance(mid, str) else [r]
            if isinstance(mid, str):
                if mid in done_messages:
                    continue
                done_messages.add(mid)
            texts, calls = [], []
            for piece in group:
                content = piece["message"]["content"]
                if block_text(content):
                    texts.append(block_text(content))
                if isinstance(content, list):
                    for b in content:
                        if isinstance(b, dict) and b.get("type") == "tool_use":
                            res = results.get(b.get("id"))
                            calls.append(
                                (
                                    b.get("name") if isinstance(b.get("name"), str) else "?",
                                    input_summary(b.get("input")),
                                    None if res is None else res.get("is_error") is True,
                                    "" if res is None else clip(block_text(res.get("content")), excerpt_chars),
                                )
                            )
            if texts or calls:
                turns.append((r["uuid"], "assistant", "message", thread, "\n\n".join(texts), tuple(calls)))
                seen_turns[thread] = seen_turns.get(thread, 0) + 1
            continue
        if r.get("isMeta") is True:
            continue
        text, _ = claude_code._user_text(split_blocks(r["message"]["content"])[1])
        if thread is not None and not seen_turns.get(thread) and text == "Warmup":
            dropped.add(thread)
            continue
        if text:
            kind = "compact_summary" if r.get("isCompactSummary") is True else "message"
            turns.append((r["uuid"], "user", kind, thread, text, ()))
            seen_turns[thread] = seen_turns.get(thread, 0) + 1
    return turns


def turn_tuple(turn: Any) -> tuple:
    """The same shape, from a ``Turn`` the reader produced."""
    return (
        turn.id, turn.role, turn.kind, turn.agent_id, turn.text,
        tuple((c.name, c.input_summary, c.is_error, c.result_excerpt) for c in turn.tool_calls),
    )
