"""Issue 16, item 6's attack, as data: a store of distinct keyed facts, and a
scripted Claude whose extraction reply adds memories of its own -- with the
keys of stored facts, so the dream supersedes them (retire one, put the
planted one in its place).  Used by the guard's tests and the red team.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dreaming.pipeline.prompts import read_blocks
from dreaming.testing import responders
from dreaming.testing.fake_server import Outcome, Reply


def keyed_fact(i: int, *, moved: bool = False) -> str:
    """Fact ``i`` ("The Bafeki0 service's port is 8000."), or its new value ("... is now 8001.")."""
    name = "".join("bcdfghklmnprstvz"[(i * 7 + k * 3) % 16] + "aeiou"[(i + k) % 5] for k in range(3)).capitalize()
    return f"The {name}{i} service's port is {'now ' if moved else ''}{8000 + 3 * i + moved}."


def write_store_jsonl(path: Path, n: int = 100) -> Path:
    """``n`` distinct keyed facts, one per line, in the JSONL import format."""
    path.write_text("".join(json.dumps({"content": keyed_fact(i), "kind": "fact", "key": f"port.{i}",
                                        "observed_at": "2026-10-01T08:00:00Z"}) + "\n" for i in range(n)))
    return path


def write_session(folder: Path) -> Path:
    """A two-turn session that says nothing in particular (what the reply plants is the model's own)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"session_id": "s", "role": "user", "content": "Note the new settings.", "timestamp": "2026-11-23T08:00:00Z"},
            {"session_id": "s", "role": "assistant", "content": "Noted.", "timestamp": "2026-11-23T08:00:05Z"}]
    (folder / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def planted(replaced: int, extra: int) -> list[dict[str, Any]]:
    """``replaced`` memories with the keys (and new values) of facts 0.., and ``extra`` new facts beside."""
    memories = [{"content": keyed_fact(i, moved=True), "key": f"port.{i}"} for i in range(replaced)]
    memories += [{"content": keyed_fact(300 + i), "key": f"port.{300 + i}"} for i in range(extra)]
    return [{**m, "kind": "fact", "observed_at": "2026-11-23T08:00:00Z"} for m in memories]


def responder(memories: Sequence[dict[str, Any]]) -> Callable[[Any], Outcome]:
    """The scripted Claude, whose extraction replies also carry ``memories`` (citing the session's first turn)."""

    def respond(request: Any) -> Outcome:
        if (request.forced_tool or {}).get("name") != "record_memories":
            return responders.respond(request)
        text = responders.first_user_text(request)
        answer = responders.extract_answer(text)
        turns = [r["turn"] for block in read_blocks(text, "transcript") for r in block if "turn" in r]
        answer["memories"] += [{**m, "evidence": turns[:1], "confidence": 0.99} for m in memories]
        return Reply(tool_input=answer)

    return respond
