"""A stand-in for Claude behind the fake server: plausible answers to the three stage tools, offline.

Why: to try ``dreaming run --llm sync`` with no key and no network (the
README's walk-through), to measure what a run sends and receives
(``benchmarks/tokens.py``), and as the well-behaved baseline tests then
perturb.  It reads the prompt the way Claude would have to (the delimited
JSON-lines blocks of :mod:`.prompts`) and answers deterministically:

* ``record_memories``: the offline extraction rules applied to the turns in
  the transcript block, cited by their aliases;
* ``record_verdicts``: ``duplicate`` above a 0.9 score (the longer wording),
  ``update`` for two values of the same key (the later one current),
  otherwise ``distinct``;
* ``record_pattern``: the community's most recent memory as the insight,
  citing every member and session shown.

Run it with ``python -m dreaming.testing.fake_server --responder dreaming.testing.responders:respond``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from dreaming.extract import OfflineExtractor
from dreaming.pipeline.prompts import read_blocks
from dreaming.records import PendingSession, Session, ToolCall, Turn, format_time, parse_time
from dreaming.testing.fake_server import FakeRequest, Outcome, Reply, default_responder

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def first_user_text(request: FakeRequest) -> str:
    """The original question (a re-ask appends turns after it)."""
    messages = request.body.get("messages") or []
    content = messages[0].get("content", "") if messages else ""
    if isinstance(content, str):
        return content
    return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, Mapping))


def _header(text: str) -> dict[str, Any]:
    for line in text.splitlines():
        if line.startswith("Header: "):
            header: dict[str, Any] = json.loads(line[len("Header: "):])
            return header
    return {}


def _turn(record: Mapping[str, Any], session_id: str, seq: int) -> Turn:
    calls = tuple(
        ToolCall(name=t["name"], input_summary=t.get("input", ""), is_error=t.get("error"),
                 result_excerpt=t.get("result", ""), input=t.get("full_input") or {})
        for t in record.get("tools", [])
    )
    return Turn(id=record["turn"], session_id=session_id, seq=seq, role=record["role"], text=record.get("text", ""),
                timestamp=parse_time(record.get("time")), speaker=record.get("speaker"),
                kind=record.get("kind", "message"), tool_calls=calls,
                agent_id="subagent" if record.get("subagent") else None)


def extract_answer(text: str) -> dict[str, Any]:
    header = _header(text)
    sid = str(header.get("session", "session"))
    started = parse_time(header.get("started_at"))
    turns = tuple(_turn(r, sid, i) for block in read_blocks(text, "transcript") for i, r in enumerate(block))
    session = Session(id=sid, source="fake", format=str(header.get("format", "fake")), started_at=started)
    memories = []
    for c in OfflineExtractor().extract([PendingSession(session=session, turns=turns)]):
        m = c.memory
        if "edit" in m.metadata:  # edits are replayed by the pipeline itself; a model proposes memories
            continue
        memories.append({
            "content": m.content,
            "kind": m.kind if m.kind != "pattern" else "note",
            "key": m.key,
            "observed_at": format_time(m.observed_at or started or _EPOCH),
            "evidence": [t for e in m.provenance for t in e.turn_ids],
            "confidence": c.confidence,
        })
    return {"memories": memories}


def judge_answer(text: str) -> dict[str, Any]:
    verdicts = []
    for block in read_blocks(text, "cases"):
        for case in block:
            a, b = case["a"], case["b"]
            verdict: dict[str, Any] = {"case": case["case"], "current": None, "merged": None, "confidence": 0.8}
            if case["score"] >= 0.9:
                verdict.update(decision="duplicate", merged=max((a["content"], b["content"]), key=len),
                               reason="same statement in other words")
            elif a.get("key") and a.get("key") == b.get("key"):
                later = "b" if (b.get("observed_at") or "") >= (a.get("observed_at") or "") else "a"
                verdict.update(decision="update", current=later, reason=f"two values of {a['key']}; the later one holds")
            else:
                verdict.update(decision="distinct", reason="about different things")
            verdicts.append(verdict)
    return {"verdicts": verdicts}


def pattern_answer(text: str) -> dict[str, Any]:
    blocks = read_blocks(text, "community")
    if not blocks or len(blocks[0]) < 3:
        return {"found": False, "content": "", "members": [], "sessions": [], "reason": "nothing shown", "confidence": 0.0}
    header, members = blocks[0][0], blocks[0][1:]
    lead = max(members, key=lambda m: (m.get("observed_at") or "", m["ref"]))
    terms = ", ".join(f"`{t}`" for t in header.get("shared_terms", [])[:3])
    return {
        "found": True,
        "content": f"Keeps coming back across {len(header['sessions'])} sessions ({terms}): {lead['content']}",
        "members": [m["ref"] for m in members],
        "sessions": list(header["sessions"]),
        "reason": "the same subject recurs in every session shown",
        "confidence": 0.7,
    }


ANSWERS = {"record_memories": extract_answer, "record_verdicts": judge_answer, "record_pattern": pattern_answer}


def respond(request: FakeRequest) -> Outcome:
    """The responder for ``FakeAnthropicServer(responder=respond)``."""
    tool = request.forced_tool
    answer = ANSWERS.get(tool.get("name", "")) if tool else None
    if answer is None:
        return default_responder(request)
    return Reply(tool_input=answer(first_user_text(request)))
