"""Anthropic Messages conversations, as JSON (format ``messages-json``).

Either a list of messages::

    [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"type": "text", "text": "hello"}]}]

or an object holding them, as a request body or an export looks::

    {"session_id": "s1", "system": "...", "model": "...", "metadata": {...},
     "started_at": "...", "ended_at": "...", "messages": [...]}

Each message is ``{role, content}`` (``content`` a string or content blocks)
with optional ``id`` and ``timestamp``/``created_at``.  The turn id is the
message ``id``, else ``m<index>``; a ``system`` prompt becomes a
``role="system"`` turn with id ``system``.  Assistant messages carry tool
calls; user messages made only of tool results complete them (see
:mod:`dreaming.ingest.blocks`).

One session per file: id ``session_id`` (top level or in ``metadata``), else
the file name.  Times: the messages' timestamps, else the object's
``started_at``/``ended_at`` (or ``created_at``/``updated_at``), else the
file's mtime.

A top-level list is read element by element; a top-level object is parsed
whole (its size is bounded by the ingest size limit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dreaming.errors import InputError
from dreaming.ingest.blocks import Conversation, block_text, split_blocks
from dreaming.ingest.common import Item, ReadOptions, Skip, Source, as_id, as_str, to_time
from dreaming.ingest.jsonstream import first_char, iter_json_array, load_document
from dreaming.records import Session

FORMAT = "messages-json"

ROLES = frozenset({"user", "assistant"})


def looks_like_message(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and isinstance(obj.get("role"), str)
        and obj["role"] in ROLES
        and isinstance(obj.get("content"), (str, list))
    )


def looks_like_document(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and isinstance(obj.get("messages"), list)
        and (not obj["messages"] or looks_like_message(obj["messages"][0]))
    )


def read(source: Source, options: ReadOptions) -> Iterator[Item]:
    start = first_char(source)
    if start == "[":
        yield from _read_messages(source, options, iter_json_array(source), {})
        return
    if start != "{":
        raise InputError("not an Anthropic Messages conversation (expected a JSON list or object)", location=source.display)
    try:
        doc = load_document(source)
    except ValueError as err:
        raise InputError(str(err), location=source.display) from None
    if not looks_like_document(doc):
        raise InputError(
            "not an Anthropic Messages conversation (an object needs a 'messages' list of {role, content})",
            location=source.display,
        )
    elements = ((None, m) for m in doc["messages"])
    yield from _read_messages(source, options, elements, doc)


def _read_messages(
    source: Source, options: ReadOptions, elements: Iterator[Any], doc: Mapping[str, Any]
) -> Iterator[Item]:
    meta = doc.get("metadata")
    if not isinstance(meta, Mapping):
        meta = {}
    session_id = as_id(doc.get("session_id")) or as_id(meta.get("session_id")) or source.path.stem
    conv = Conversation(session_id=session_id, excerpt_chars=options.excerpt_chars)
    system = block_text(doc.get("system"))
    if system:
        yield from conv.add_user(turn_id="system", text=system, timestamp=None, role="system")
    index = -1
    for item in elements:
        if isinstance(item, Skip):
            yield item
            continue
        index += 1
        line, message = item
        where = source.at(line)
        label = f"message {index}"
        if not isinstance(message, Mapping):
            yield Skip(location=where, reason=f"{label}: not a JSON object")
            continue
        role = message.get("role")
        content = message.get("content")
        if not isinstance(role, str) or role not in ROLES:
            yield Skip(location=where, reason=f"{label}: 'role' must be 'user' or 'assistant'")
            continue
        if not isinstance(content, (str, list)):
            yield Skip(location=where, reason=f"{label}: missing field 'content'")
            continue
        try:
            timestamp = to_time(message.get("timestamp", message.get("created_at")))
        except ValueError as err:
            yield Skip(location=where, reason=f"{label}: bad timestamp: {err}")
            continue
        turn_id = as_id(message.get("id")) or f"m{index}"
        if role == "assistant":
            yield from conv.add_assistant(turn_id=turn_id, content=content, timestamp=timestamp)
            continue
        results, rest = split_blocks(content)
        if results:
            conv.add_results(results)
        text = block_text(rest)
        if text:
            yield from conv.add_user(turn_id=turn_id, text=text, timestamp=timestamp)
    yield from conv.close()
    if not conv.turns:
        return
    times = conv.times.fields(source.mtime)
    if times["time_source"] == "file_mtime":
        try:
            started = to_time(doc.get("started_at", doc.get("created_at")))
            ended = to_time(doc.get("ended_at", doc.get("updated_at"))) or started
        except ValueError as err:
            yield Skip(location=source.display, reason=f"bad conversation timestamp: {err}")
            started = ended = None
        if started is not None and ended is not None:
            times = {"started_at": started, "ended_at": ended, "time_source": "transcript"}
    metadata: dict[str, Any] = dict(meta)
    if as_str(doc.get("model")):
        metadata["model"] = doc["model"]
    yield Session(id=session_id, source=str(source.path), format=FORMAT, metadata=metadata, **times)
