"""Claude Code session transcripts (format ``claude-code``).

Claude Code writes one JSONL file per session,
``~/.claude/projects/<project>/<sessionId>.jsonl``, plus one per sub-agent:
``<sessionId>/subagents/agent-<id>.jsonl`` (2.1.x) or ``agent-<id>.jsonl``
beside the session (2.0.x).  One JSON object per line, with a ``type``:

``user`` / ``assistant``
    ``uuid``, ``parentUuid``, ``sessionId``, ``timestamp``, ``cwd``,
    ``gitBranch``, ``version``, ``isSidechain``/``agentId`` (sub-agents) and
    ``message`` (an Anthropic Messages message: ``content`` is a string or
    blocks).  One API message is split over several records (one per content
    block) sharing ``message.id``.  ``isMeta`` marks text Claude Code injected
    (caveats, skill bodies); ``isCompactSummary`` the summary ``/compact``
    wrote.
``system`` / ``progress``
    hooks, command output, ``compact_boundary`` (``parentUuid`` null and
    ``logicalParentUuid`` pointing at the record before the compaction).
``summary``
    ``{summary, leafUuid}``: a title for the branch ending at ``leafUuid``.
``file-history-snapshot`` / ``queue-operation``
    checkpoints and queued prompts: nothing to read.

What comes out
--------------
One ``Session`` per file (id = the records' ``sessionId``; the file name for
a file of summaries only) with ``cwd``, ``git_branch``, ``version``, ``slug``
and ``models`` as metadata.  Turns, in file order:

* ``user`` records with text -> ``role="user"`` turns (``kind=
  "compact_summary"`` for ``isCompactSummary``); ``isMeta`` records are left
  out; ``/command`` invocations become ``"/name args"`` with
  ``metadata["command"]``, their output ``metadata["command_output"]``;
* the records of one assistant message -> one ``role="assistant"`` turn whose
  id is the ``uuid`` of the message's first record; its ``tool_use`` blocks
  become ``ToolCall`` s, completed by the ``tool_result`` blocks of the user
  records that answer them (those records are not turns of their own);
* ``summary`` records -> ``role="system"``, ``kind="summary"`` turns with id
  ``summary-<hash of leafUuid and text>``;
* sub-agent files (``isSidechain``) -> turns of the *parent* session with
  ``agent_id`` set; the session record they produce names the parent's file
  as its source, so both files describe the same session.  Warm-up agents
  (Claude Code's internal probe whose first prompt is ``"Warmup"``) are not
  conversations and are left out.

The live branch
---------------
``uuid``/``parentUuid`` (or ``logicalParentUuid`` across a compaction) form a
DAG.  Rewinding or editing an earlier prompt starts a sibling branch; the
abandoned branch stays in the file.  We keep the branch that leads to the
newest record: the ancestors of the newest user/assistant record (by
timestamp, then file order) of each thread (main or sub-agent).  Records off
that path are kept only when they are pieces of a live assistant message
(same ``message.id``: parallel tool calls hang their results off different
pieces) or tool results answering a live call; everything else off the path
(the abandoned prompts and answers) is dropped.  Progress and system records
take part in the DAG (Claude Code sometimes chains messages through them) but
produce no turns.

Streaming
---------
Two passes, never the whole file: the first keeps about 40 bytes per record
(hashes of uuid, parent and message id, time, kind, thread) to choose the
live branch, the second re-reads the file and turns the chosen records into
turns as it goes.  A record's parent is looked up backwards from the record
(parents are written first), falling back to a full index only for files
where that does not work.

Limits: a turn already stored is never rewritten, so a message whose last
pieces were not yet written when the file was ingested keeps the pieces it
had; a tool result that arrives after the next message starts is not paired.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dreaming.ingest.blocks import Conversation, block_text, is_results_only, split_blocks
from dreaming.ingest.common import (
    Item,
    ReadOptions,
    SeqClock,
    SessionTimes,
    Skip,
    Source,
    as_str,
    decode_json_line,
    is_blank,
    iter_raw_lines,
    to_time,
)
from dreaming.records import Session

FORMAT = "claude-code"

RECORD_TYPES = frozenset(
    {"user", "assistant", "system", "progress", "summary", "file-history-snapshot", "queue-operation"}
)

# what the first pass learns about each non-blank line
_OTHER, _USER, _RESULTS, _ASSISTANT, _SUMMARY, _BAD = range(6)
# what the second pass does with it
_SKIP, _EMIT, _JOIN, _SUMMARY_LINE = range(4)

_NO_TIME = -(1 << 62)
_WINDOW = 256  # how far back a parent is looked for before a full search
_MISSES_BEFORE_INDEX = 16

_META_FIELDS = (("cwd", "cwd"), ("gitBranch", "git_branch"), ("version", "version"), ("slug", "slug"))
_COMMAND = re.compile(r"<command-name>(.*?)</command-name>", re.S)
_COMMAND_ARGS = re.compile(r"<command-args>(.*?)</command-args>", re.S)
_STDOUT = re.compile(r"\s*<local-command-(?:stdout|stderr)>(.*?)</local-command-(?:stdout|stderr)>\s*", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def looks_like(obj: Any) -> bool:
    """Is this parsed line a Claude Code record?"""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("type"), str) or obj["type"] not in RECORD_TYPES:
        return False
    return any(k in obj for k in ("uuid", "sessionId", "leafUuid", "messageId", "operation"))


def _key(uuid: str) -> int:
    """A 64-bit stand-in for a uuid (0 means "none")."""
    return hash(uuid) or 1


@dataclass(kw_only=True)
class _Facts:
    """What the first pass keeps: one entry per non-blank line."""

    keys: array[int] = field(default_factory=lambda: array("q"))
    parents: array[int] = field(default_factory=lambda: array("q"))
    messages: array[int] = field(default_factory=lambda: array("q"))
    times: array[int] = field(default_factory=lambda: array("q"))
    kinds: bytearray = field(default_factory=bytearray)
    threads: array[int] = field(default_factory=lambda: array("H"))
    thread_names: list[str | None] = field(default_factory=lambda: [None])
    summary_leaves: dict[int, int] = field(default_factory=dict)
    session_id: str | None = None
    any_session_id: str | None = None
    has_main: bool = False
    #: cwd, git branch, ... from the main thread's records
    meta: dict[str, str] = field(default_factory=dict)
    #: cwd and git branch from the first record of any thread
    agent_meta: dict[str, str] = field(default_factory=dict)

    def thread(self, obj: Mapping[str, Any]) -> int:
        if obj.get("isSidechain") is not True:
            return 0
        name = as_str(obj.get("agentId")) or "sidechain"
        try:
            return self.thread_names.index(name)
        except ValueError:
            if len(self.thread_names) >= 65535:
                return len(self.thread_names) - 1
            self.thread_names.append(name)
            return len(self.thread_names) - 1


def _classify(obj: Any) -> tuple[int, str | None]:
    """``(kind, None)`` or ``(_BAD, reason)`` for one parsed line."""
    if not isinstance(obj, Mapping):
        return _BAD, "not a JSON object"
    rtype = obj.get("type")
    if not isinstance(rtype, str):
        return _BAD, "missing field 'type'"
    if rtype not in RECORD_TYPES:
        return _BAD, f"unknown record type {rtype[:40]!r}"
    if rtype == "summary":
        if not isinstance(obj.get("summary"), str):
            return _BAD, "summary record without a 'summary' string"
        return _SUMMARY, None
    if rtype not in ("user", "assistant"):
        return _OTHER, None
    if not isinstance(obj.get("uuid"), str) or not obj["uuid"]:
        return _BAD, f"{rtype} record without a 'uuid'"
    for name in ("parentUuid", "logicalParentUuid"):
        if obj.get(name) is not None and not isinstance(obj[name], str):
            return _BAD, f"{rtype} record: '{name}' is not a string"
    message = obj.get("message")
    if not isinstance(message, Mapping):
        return _BAD, f"{rtype} record without a 'message' object"
    content = message.get("content")
    if not isinstance(content, (str, list)):
        return _BAD, f"{rtype} record: message has no 'content'"
    try:
        to_time(obj.get("timestamp"))
    except ValueError as err:
        return _BAD, f"{rtype} record: bad timestamp: {err}"
    if rtype == "assistant":
        return _ASSISTANT, None
    return (_RESULTS if is_results_only(content) else _USER), None


def _time_key(obj: Mapping[str, Any]) -> int:
    at = to_time(obj.get("timestamp"))
    return _NO_TIME if at is None else int(at.timestamp() * 1_000_000)


def _scan(source: Source, options: ReadOptions) -> Generator[Skip, None, _Facts]:
    """First pass: yields a Skip per bad line and returns the ``_Facts``."""
    facts = _Facts()
    for line_no, raw in iter_raw_lines(source, options.max_line_bytes):
        if is_blank(raw):
            continue
        obj, problem = decode_json_line(raw, line_no=line_no, max_line_bytes=options.max_line_bytes)
        kind, reason = (_BAD, problem) if problem is not None else _classify(obj)
        if reason is not None:
            yield Skip(location=source.at(line_no), reason=reason)
        key = parent = message = 0
        when = _NO_TIME
        thread = 0
        if kind != _BAD:
            uuid = as_str(obj.get("uuid"))
            key = _key(uuid) if uuid else 0
            parent_uuid = as_str(obj.get("parentUuid")) or as_str(obj.get("logicalParentUuid"))
            parent = _key(parent_uuid) if parent_uuid else 0
            thread = facts.thread(obj)
            session_id = as_str(obj.get("sessionId"))
            if kind in (_USER, _RESULTS, _ASSISTANT):
                when = _time_key(obj)
                message_id = as_str(obj["message"].get("id"))
                if kind == _ASSISTANT and message_id:
                    message = _key(message_id)
                if thread == 0:
                    facts.has_main = True
                    if facts.session_id is None:
                        facts.session_id = session_id
                    for src, dst in _META_FIELDS:
                        if dst not in facts.meta and isinstance(obj.get(src), str):
                            facts.meta[dst] = obj[src]
                if facts.any_session_id is None:
                    facts.any_session_id = session_id
                    for src, dst in _META_FIELDS[:2]:
                        if isinstance(obj.get(src), str):
                            facts.agent_meta[dst] = obj[src]
            elif kind == _SUMMARY:
                leaf = as_str(obj.get("leafUuid"))
                if leaf:
                    facts.summary_leaves[len(facts.keys)] = _key(leaf)
        facts.keys.append(key)
        facts.parents.append(parent)
        facts.messages.append(message)
        facts.times.append(when)
        facts.kinds.append(kind)
        facts.threads.append(thread)
    return facts


class _Finder:
    """Finds a record by uuid hash: near the record first (parents are
    written just before their children), then everywhere."""

    def __init__(self, keys: array[int]) -> None:
        self.keys = keys
        self.misses = 0
        self.index: dict[int, int] | None = None

    def find(self, key: int, near: int) -> int:
        if key == 0:
            return -1
        try:
            return self.keys.index(key, max(0, near - _WINDOW), near)
        except ValueError:
            pass
        if self.index is None:
            self.misses += 1
            if self.misses <= _MISSES_BEFORE_INDEX:
                try:
                    return self.keys.index(key)
                except ValueError:
                    return -1
            self.index = {}
            for i, k in enumerate(self.keys):
                if k:
                    self.index.setdefault(k, i)
        return self.index.get(key, -1)


def _actions(facts: _Facts) -> bytearray:
    """Second-pass action per line: the live branch of each thread."""
    n = len(facts.keys)
    kinds, times, threads = facts.kinds, facts.times, facts.threads
    newest: dict[int, int] = {}
    for i in range(n):
        if kinds[i] in (_USER, _RESULTS, _ASSISTANT):
            t = threads[i]
            j = newest.get(t)
            if j is None or times[i] >= times[j]:
                newest[t] = i
    finder = _Finder(facts.keys)
    live = bytearray(n)
    for start in newest.values():
        i = start
        while i >= 0 and not live[i]:
            live[i] = 1
            i = finder.find(facts.parents[i], i)
    messages = facts.messages
    live_messages = {messages[i] for i in range(n) if live[i] and messages[i]}
    actions = bytearray(n)
    for i in range(n):
        kind = kinds[i]
        if live[i] and kind in (_USER, _RESULTS, _ASSISTANT):
            actions[i] = _EMIT
        elif kind == _ASSISTANT and messages[i] in live_messages:
            actions[i] = _EMIT  # another piece of a live message
        elif kind == _RESULTS:
            actions[i] = _JOIN  # results of parallel calls hang off other pieces
    for i, leaf in facts.summary_leaves.items():
        j = finder.find(leaf, n)
        if j < 0 or live[j]:
            actions[i] = _SUMMARY_LINE
    for i in range(n):
        if kinds[i] == _SUMMARY and i not in facts.summary_leaves:
            actions[i] = _SUMMARY_LINE
    return actions


def _user_text(content: Any) -> tuple[str, dict[str, Any]]:
    """A user message's text, with Claude Code's command markup unwrapped."""
    text = block_text(content)
    if text.startswith("<command-"):
        name = _COMMAND.search(text)
        if name:
            args = _COMMAND_ARGS.search(text)
            command = name.group(1).strip()
            return f"{command} {args.group(1).strip() if args else ''}".strip(), {"command": command}
    if text.startswith("<local-command-"):
        out = _STDOUT.fullmatch(text)
        if out:
            return _ANSI.sub("", out.group(1)).strip(), {"command_output": True}
    return text, {}


def parent_source(path: Path, session_id: str) -> Path:
    """The session file a sub-agent file belongs to."""
    if path.parent.name == "subagents" and path.parent.parent.name == session_id:
        return path.parent.parent.parent / f"{session_id}.jsonl"
    return path.parent / f"{session_id}.jsonl"


def read(source: Source, options: ReadOptions) -> Iterator[Item]:
    """Turns of the live branch, then the session (see the module doc)."""
    facts = yield from _scan(source, options)
    actions = _actions(facts)
    session_id = facts.session_id or facts.any_session_id or source.path.stem
    clock, times = SeqClock(), SessionTimes()
    threads: dict[int, Conversation] = {}
    dropped: set[int] = set()
    summaries = Conversation(session_id=session_id, excerpt_chars=options.excerpt_chars, clock=clock, times=times)
    summary_ids: set[str] = set()
    models: set[str] = set()
    emitted = 0

    def conversation(thread: int) -> Conversation:
        conv = threads.get(thread)
        if conv is None:
            conv = threads[thread] = Conversation(
                session_id=session_id, excerpt_chars=options.excerpt_chars, clock=clock, times=times,
                agent_id=facts.thread_names[thread],
            )
        return conv

    ordinal = -1
    for line_no, raw in iter_raw_lines(source, options.max_line_bytes):
        if is_blank(raw):
            continue
        ordinal += 1
        if ordinal >= len(actions):  # the file changed between the passes
            break
        action = actions[ordinal]
        if action == _SKIP:
            continue
        obj, problem = decode_json_line(raw, line_no=line_no, max_line_bytes=options.max_line_bytes)
        if problem is not None:  # the file changed between the passes
            continue
        if action == _SUMMARY_LINE:
            text = obj["summary"].strip()
            leaf = as_str(obj.get("leafUuid")) or ""
            turn_id = "summary-" + hashlib.sha256(f"{leaf}\n{text}".encode()).hexdigest()[:16]
            if text and turn_id not in summary_ids:
                summary_ids.add(turn_id)
                turns = summaries.add_user(
                    turn_id=turn_id, text=text, timestamp=None, role="system", kind="summary",
                    metadata={"leaf_uuid": leaf} if leaf else None,
                )
                emitted += len(turns)
                yield from turns
            continue
        thread = facts.threads[ordinal]
        if thread in dropped:
            continue
        conv = conversation(thread)
        kind = facts.kinds[ordinal]
        message = obj["message"]
        content = message["content"]
        timestamp = to_time(obj.get("timestamp"))
        turns = []
        if kind == _ASSISTANT:
            message_id = as_str(message.get("id"))
            model = as_str(message.get("model"))
            if model and thread == 0 and not model.startswith("<"):
                models.add(model)
            turns = conv.add_assistant(
                turn_id=obj["uuid"], content=content, timestamp=timestamp, message_id=message_id,
                metadata={"model": model} if model else None,
            )
        else:
            results, rest = split_blocks(content)
            if results:
                conv.add_results(results)
            if kind == _USER and action == _EMIT and obj.get("isMeta") is not True:
                text, extra = _user_text(rest)
                if thread != 0 and conv.turns == 0 and text == "Warmup":
                    dropped.add(thread)
                    continue
                if text:
                    turns = conv.add_user(
                        turn_id=obj["uuid"], text=text, timestamp=timestamp,
                        kind="compact_summary" if obj.get("isCompactSummary") is True else "message",
                        metadata=extra,
                    )
        emitted += len(turns)
        yield from turns
    for thread, conv in threads.items():
        if thread not in dropped:
            turns = conv.close()
            emitted += len(turns)
            yield from turns
    if not emitted:
        return
    if facts.has_main or not threads:
        metadata: dict[str, Any] = dict(facts.meta)
        if models:
            metadata["models"] = sorted(models)
        origin = source.path
    else:  # only sub-agent threads: they belong to the parent session
        metadata = dict(facts.agent_meta)
        origin = parent_source(source.path, session_id)
    yield Session(
        id=session_id,
        source=str(origin),
        format=FORMAT,
        metadata=metadata,
        **times.fields(source.mtime),
    )
