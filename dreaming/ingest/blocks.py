"""Anthropic Messages content blocks -> turn text and tool calls.

Claude Code records and Anthropic Messages conversations carry the same
content: a string, or a list of blocks (``text``, ``thinking``, ``image``,
``tool_use`` on assistant messages, ``tool_result`` on user messages).  A
:class:`Conversation` turns a stream of such messages into ``Turn`` records:

* an assistant message becomes one turn: its text blocks joined (thinking is
  left out: it is the model's scratch work, not what it said) and one
  ``ToolCall`` per ``tool_use`` block (name, a short input summary, id; the
  full input only for the memory writes extraction mines: Claude's memory
  tool, Write/Edit/MultiEdit of CLAUDE.md or MEMORY.md);
* a user message made only of ``tool_result`` blocks is not a turn of its
  own: each result is paired with its call on the open assistant turn by
  ``tool_use_id`` (``is_error`` and a result excerpt);
* any other user message closes the open assistant turn and becomes a turn.

Pieces of one API message that arrive separately (Claude Code writes one
record per content block) are joined when they share a message id.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dreaming.ingest.common import INPUT_SUMMARY_CHARS, SeqClock, SessionTimes, as_id, as_str, clip
from dreaming.records import ToolCall, Turn
from dreaming.text.memory_files import MEMORY_FILES, MEMORY_TOOL_NAMES

#: the input fields that best say what a tool call did, by tool: the target ...
_TARGET_KEYS = ("command", "file_path", "path", "pattern", "url", "query", "description", "prompt", "skill")
#: ... and the text it wrote (Write, Edit, Claude's memory tool)
_TEXT_KEYS = ("file_text", "new_str", "insert_text", "new_string", "content")


def block_text(content: Any) -> str:
    """The visible text of a message: a string, or its text blocks joined
    (images as ``[image]``; thinking, tool_use and tool_result left out)."""
    if isinstance(content, str):
        return content.strip()
    if not isinstance(content, list):
        return ""
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block.strip())
        elif isinstance(block, Mapping):
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                parts.append(block["text"].strip())
            elif kind == "image":
                parts.append("[image]")
    return "\n\n".join(p for p in parts if p)


def input_summary(tool_input: Any) -> str:
    """A short line saying what a tool was asked to do: its target (a
    command, a path, a pattern, ...) and the start of any text it wrote,
    e.g. ``create /memories/user/profile.md: - Dana is on call``; other
    inputs as compact JSON."""
    if isinstance(tool_input, Mapping):
        words = [" ".join(v.split()) for k in _TARGET_KEYS if isinstance(v := tool_input.get(k), str) and v.strip()]
        if words:
            head = words[0]
            paths = [tool_input[k] for k in ("path", "file_path") if isinstance(tool_input.get(k), str)]
            if " " not in head and tool_input.get("command") == head and paths:
                head = f"{head} {paths[0]}"  # e.g. the memory tool: "view /memories"
            text = next((v for k in _TEXT_KEYS if isinstance(v := tool_input.get(k), str) and v.strip()), None)
            if text is not None:
                head = f"{head}: {' '.join(text.split())}"
            return clip(head, INPUT_SUMMARY_CHARS)
    if tool_input is None or tool_input == {}:
        return ""
    try:
        text = json.dumps(tool_input, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(tool_input)
    return clip(text, INPUT_SUMMARY_CHARS)


def keeps_input(name: str, tool_input: Any) -> bool:
    """Does this call keep its full input?  Only memory writes do (see
    :mod:`dreaming.extract.memory_writes`); other inputs are summarised."""
    if not isinstance(tool_input, Mapping):
        return False
    name = name.lower()
    if name in MEMORY_TOOL_NAMES:
        return True
    path = tool_input.get("file_path")
    return (
        name in ("write", "edit", "multiedit")
        and isinstance(path, str)
        and posixpath.basename(path).lower() in MEMORY_FILES
    )


def split_blocks(content: Any) -> tuple[list[Mapping[str, Any]], Any]:
    """``(tool_result blocks, the rest)`` of a user message's content."""
    if not isinstance(content, list):
        return [], content
    results = [b for b in content if isinstance(b, Mapping) and b.get("type") == "tool_result"]
    if not results:
        return [], content
    return results, [b for b in content if not (isinstance(b, Mapping) and b.get("type") == "tool_result")]


def is_results_only(content: Any) -> bool:
    """True for a user message made only of tool results."""
    results, rest = split_blocks(content)
    return bool(results) and not rest


@dataclass(kw_only=True)
class _Draft:
    """An assistant turn still collecting pieces and tool results."""

    id: str
    message_id: str | None
    timestamp: datetime | None
    texts: list[str] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


class Conversation:
    """Builds the turns of one session (or one sub-agent thread of it).

    ``add_*`` methods return the turns they finish, in order; call
    :meth:`close` at the end for the last one.  ``times`` collects the
    turns' times for the session record.
    """

    def __init__(
        self,
        *,
        session_id: str,
        excerpt_chars: int,
        clock: SeqClock | None = None,
        times: SessionTimes | None = None,
        agent_id: str | None = None,
    ) -> None:
        self.session_id = session_id
        self.excerpt_chars = excerpt_chars
        self.clock = clock if clock is not None else SeqClock()
        self.times = times if times is not None else SessionTimes()
        self.agent_id = agent_id
        self.turns = 0
        self._open: _Draft | None = None

    @property
    def open_message_id(self) -> str | None:
        return self._open.message_id if self._open is not None else None

    def add_assistant(
        self,
        *,
        turn_id: str,
        content: Any,
        timestamp: datetime | None,
        message_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Turn]:
        """An assistant message, or one piece of it (same ``message_id``)."""
        done: list[Turn] = []
        draft = self._open
        if draft is None or message_id is None or draft.message_id != message_id:
            done = self.close()
            draft = self._open = _Draft(id=turn_id, message_id=message_id, timestamp=timestamp)
            if metadata:
                draft.metadata.update(metadata)
        text = block_text(content)
        if text:
            draft.texts.append(text)
        if isinstance(content, list):
            for block in content:
                if isinstance(block, Mapping) and block.get("type") == "tool_use":
                    self._add_call(draft, block)
        return done

    def _add_call(self, draft: _Draft, block: Mapping[str, Any]) -> None:
        name = as_str(block.get("name")) or "?"
        call_id = as_id(block.get("id")) or f"#{len(draft.order)}"
        if call_id in draft.calls:
            return
        tool_input = block.get("input")
        draft.calls[call_id] = {"name": name, "input_summary": input_summary(tool_input), "id": call_id}
        if isinstance(tool_input, Mapping) and keeps_input(name, tool_input):
            draft.calls[call_id]["input"] = dict(tool_input)
        draft.order.append(call_id)

    def add_results(self, blocks: list[Mapping[str, Any]]) -> None:
        """Pair ``tool_result`` blocks with the open turn's calls; results
        for calls it does not have (an abandoned branch, a lost turn) are
        dropped."""
        draft = self._open
        if draft is None:
            return
        for block in blocks:
            call = draft.calls.get(as_id(block.get("tool_use_id")) or "")
            if call is None:
                continue
            flag = block.get("is_error")
            call["is_error"] = flag if isinstance(flag, bool) else False
            call["result_excerpt"] = clip(block_text(block.get("content")), self.excerpt_chars)

    def add_user(
        self,
        *,
        turn_id: str,
        text: str,
        timestamp: datetime | None,
        role: str = "user",
        kind: str = "message",
        speaker: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Turn]:
        """A turn that is not an assistant message: closes the open one."""
        done = self.close()
        done.append(self._turn(turn_id, role, text, timestamp, kind=kind, speaker=speaker, metadata=metadata))
        return done

    def close(self) -> list[Turn]:
        """Finish the open assistant turn (if it has anything to say)."""
        draft, self._open = self._open, None
        if draft is None or not (draft.texts or draft.calls):
            return []
        calls = tuple(ToolCall(**draft.calls[k]) for k in draft.order)
        return [
            self._turn(
                draft.id, "assistant", "\n\n".join(draft.texts), draft.timestamp,
                tool_calls=calls, metadata=draft.metadata,
            )
        ]

    def _turn(
        self,
        turn_id: str,
        role: str,
        text: str,
        timestamp: datetime | None,
        *,
        kind: str = "message",
        speaker: str | None = None,
        tool_calls: tuple[ToolCall, ...] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> Turn:
        self.times.see(timestamp)
        self.turns += 1
        return Turn(
            id=turn_id,
            session_id=self.session_id,
            seq=self.clock.next(timestamp),
            role=role,
            text=text,
            timestamp=timestamp,
            speaker=speaker,
            kind=kind,
            tool_calls=tool_calls,
            agent_id=self.agent_id,
            metadata=dict(metadata or {}),
        )
