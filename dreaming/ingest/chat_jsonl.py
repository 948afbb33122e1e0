"""Generic chat logs, one JSON object per line (format ``chat-jsonl``).

Each line is one turn::

    {"session_id": "s1", "role": "user", "content": "hi", "timestamp": "2025-01-02T10:00:00Z"}
    {"session_id": "s1", "speaker": "Ana", "text": "hello", "id": "t2"}

* ``session_id`` (optional: the file name stands in) - one file may hold
  many sessions, interleaved;
* ``role`` (``user``/``assistant``/``system``/...) or ``speaker`` (a name:
  the turn gets ``role="speaker"``); both may be given;
* ``content`` or ``text``: a string, or Anthropic content blocks (tool calls
  are read as in :mod:`dreaming.ingest.blocks`);
* ``timestamp`` (optional): ISO 8601, or epoch seconds/milliseconds;
* ``id`` or ``turn_id`` (optional): the turn id; otherwise ``line-<n>``
  (stable as long as the file only grows).

Lines without text (and no tool calls) are not turns.  A session's time span is its turns' first and last timestamps, or the
file's mtime when none has one.  Sessions are yielded at the end of the
file (their times are known only then); a session's state is a few fields,
so a file with many sessions is still read in one streaming pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dreaming.ingest.blocks import Conversation, block_text, split_blocks
from dreaming.ingest.common import Item, ReadOptions, Skip, Source, as_id, as_str, iter_json_lines, to_time
from dreaming.records import Session

FORMAT = "chat-jsonl"


def looks_like(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and (isinstance(obj.get("role"), str) or isinstance(obj.get("speaker"), str))
        and ("content" in obj or "text" in obj)
    )


def read(source: Source, options: ReadOptions) -> Iterator[Item]:
    sessions: dict[str, Conversation] = {}
    speakers: dict[str, set[str]] = {}
    for item in iter_json_lines(source, options):
        if isinstance(item, Skip):
            yield item
            continue
        line_no, obj = item
        where = source.at(line_no)
        if not isinstance(obj, Mapping):
            yield Skip(location=where, reason="not a JSON object")
            continue
        role = as_str(obj.get("role"))
        speaker = as_str(obj.get("speaker"))
        if not (role or speaker):
            yield Skip(location=where, reason="missing field 'role' or 'speaker'")
            continue
        content = obj.get("content", obj.get("text"))
        if not isinstance(content, (str, list)):
            yield Skip(location=where, reason="missing field 'content' or 'text' (a string or content blocks)")
            continue
        session_id = as_id(obj.get("session_id")) if obj.get("session_id") is not None else source.path.stem
        if session_id is None:
            yield Skip(location=where, reason="'session_id' is not a string or number")
            continue
        try:
            timestamp = to_time(obj.get("timestamp"))
        except ValueError as err:
            yield Skip(location=where, reason=f"bad timestamp: {err}")
            continue
        turn_id = as_id(obj.get("id", obj.get("turn_id"))) or f"line-{line_no}"
        conv = sessions.get(session_id)
        if conv is None:
            conv = sessions[session_id] = Conversation(session_id=session_id, excerpt_chars=options.excerpt_chars)
            speakers[session_id] = set()
        if speaker:
            speakers[session_id].add(speaker)
        role = (role or "speaker").lower()
        results, rest = split_blocks(content)
        if results:
            conv.add_results(results)
        if role == "assistant" and not speaker:
            yield from conv.add_assistant(turn_id=turn_id, content=content, timestamp=timestamp)
        else:
            text = block_text(rest)
            if text:
                yield from conv.add_user(turn_id=turn_id, text=text, timestamp=timestamp, role=role, speaker=speaker)
    for session_id, conv in sessions.items():
        yield from conv.close()
        if not conv.turns:
            continue
        metadata = {"speakers": sorted(speakers[session_id])} if speakers[session_id] else {}
        yield Session(
            id=session_id, source=str(source.path), format=FORMAT, metadata=metadata,
            **conv.times.fields(source.mtime),
        )
