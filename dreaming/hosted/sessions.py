"""Managed Agents session events as sessions and turns (format ``managed-agents``).

The same shape every transcript reader yields (see :mod:`dreaming.ingest.common`):
a user message is a user turn; the agent's messages and tool calls up to the
next user message are one assistant turn (its id is the first event's id, so
re-reading a session that grew adds only the new turns), each tool result
completes its call, and a context compaction is counted in the session's
metadata (the event carries no summary text).  Thinking and status events
carry nothing a memory needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from dreaming.hosted.records import HostedEvent, HostedSession
from dreaming.ingest.blocks import Conversation
from dreaming.records import Session, Turn

FORMAT = "managed-agents"
_AGENT = ("agent.message", "agent.tool_use", "agent.mcp_tool_use", "agent.custom_tool_use")
_RESULTS = ("agent.tool_result", "agent.mcp_tool_result", "user.custom_tool_result", "user.tool_result")


def source_path(session_id: str) -> str:
    """How the ``sources`` table names a hosted session."""
    return f"managed-agents:{session_id}"


def read_events(session: HostedSession, events: Sequence[HostedEvent], *, excerpt_chars: int = 500,
                fallback_time: datetime | None = None) -> Iterator[Session | Turn]:
    """The session's turns as they are built, then its ``Session`` record."""
    convo = Conversation(session_id=session.id, excerpt_chars=excerpt_chars)
    group = 0
    compactions = 0
    for event in events:
        if event.type == "user.message":
            group += 1
            yield from convo.add_user(turn_id=event.id, text=event.text, timestamp=event.at)
        elif event.type == "agent.message":
            yield from convo.add_assistant(turn_id=event.id, content=[{"type": "text", "text": event.text}],
                                           timestamp=event.at, message_id=f"g{group}")
        elif event.type in _AGENT:
            block = {"type": "tool_use", "id": event.id, "name": event.tool_name or "tool", "input": dict(event.tool_input)}
            yield from convo.add_assistant(turn_id=event.id, content=[block], timestamp=event.at, message_id=f"g{group}")
        elif event.type in _RESULTS:
            convo.add_results([{"tool_use_id": event.tool_use_id, "content": event.text, "is_error": event.is_error}])
        elif event.type == "agent.thread_context_compacted":
            compactions += 1
    yield from convo.close()
    metadata: dict[str, object] = {"events": len(events)}
    if session.title:
        metadata["title"] = session.title
    if compactions:
        metadata["compactions"] = compactions
    times = convo.times.fields(session.created_at or fallback_time or datetime.now().astimezone())
    yield Session(id=session.id, source=source_path(session.id), format=FORMAT, metadata=metadata, **times)
