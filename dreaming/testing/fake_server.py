"""A local stand-in for the Anthropic API, for tests and the offline demo.

Why: tests must exercise the real ``anthropic`` SDK (its retries, error
classes, batch ``results_url`` flow) without the internet and without
patching it.  This is a real HTTP server on 127.0.0.1 that speaks enough of
the Messages API for ``Anthropic(base_url=server.base_url, api_key="test")``
to work unmodified:

- ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``;
- ``POST /v1/messages/batches`` (create), ``GET .../batches`` (list),
  ``GET .../batches/{id}`` (retrieve), ``GET .../batches/{id}/results``
  (JSONL), ``POST .../batches/{id}/cancel``, ``DELETE .../batches/{id}``.

Replies are scripted: a queue (``push``) is used first, then the
``responder`` callable (``FakeRequest -> Reply | Fault | ...``), then a
default that answers a forced tool call with a minimal schema-conforming
input (``dreaming.llm.schema.example``) and anything else with ``"ok"``.

Usage is deterministic: input and output tokens follow
``dreaming.llm.tokens`` (one token per 3 UTF-8 bytes, plus 4 per message and
tool), and a tools/system prefix marked ``cache_control`` is a cache *write*
the first time the server sees it (for that model) and a cache *read* after,
split into ``ephemeral_5m``/``ephemeral_1h`` by its ``ttl``.  Cache entries
never expire (``clear_cache()`` forgets them).  A reply may override any
usage field, e.g. to reproduce a published worked example.

Faults: ``Fault(status=429, retry_after=2)`` (any status; error type derived
from it), ``Reply(..., delay=5)`` for slow replies, ``Malformed()`` for a
body that is not JSON, ``Dropped()`` for a connection lost mid-reply,
``Reply(tool_input={...})`` with whatever input a
test wants (schema-violating, citing ids that do not exist), ``Expired()``
for a batch request that expired.  ``fail_next(route, fault)`` injects a
fault into any endpoint (e.g. ``"batches.create"``).

Batches stay ``in_progress`` for ``batch_polls`` retrievals, then end; each
request's reply is drawn (queue, responder, default) when the batch ends.
Every HTTP request is recorded in ``requests`` (``calls(route)`` filters),
every message request the server processed, sync or batched, in
``processed``, and every message it returned (with its usage) in ``answered``.

Run ``python -m dreaming.testing.fake_server --port 8765`` for a server with the
default responder (``--responder module:function`` to plug one in).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import itertools
import json
import re
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from dreaming.llm import schema as json_schema
from dreaming.llm.tokens import output_tokens, split_request_tokens
from dreaming.testing.fake_hosted import FakeHosted

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type_for(status: int) -> str:
    return ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


@dataclass(frozen=True, kw_only=True)
class Reply:
    """A successful message.  ``tool_input`` makes a ``tool_use`` block (any JSON, valid or not)."""

    text: str | None = None
    tool_input: Any = None
    tool_name: str | None = None
    """Defaults to the tool the request forced (or its only tool)."""
    stop_reason: str | None = None
    """Defaults to ``tool_use`` when there is a tool block, else ``end_turn``."""
    usage: Mapping[str, Any] | None = None
    """Fields replacing the computed usage (e.g. ``{"input_tokens": 50_000}``)."""
    web_search_requests: int = 0
    delay: float = 0.0
    """Seconds to wait before answering (sync only), to provoke client timeouts."""


@dataclass(frozen=True, kw_only=True)
class Fault:
    """An HTTP error (sync) or an ``errored`` result (inside a batch)."""

    status: int
    message: str = "injected fault"
    error_type: str | None = None
    retry_after: float | None = None
    delay: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Malformed:
    """A 200 reply whose body is not valid JSON (in a batch: a text block holding ``body``)."""

    body: str = '{"type": "message", "content": [{"type": "tool_use", "input": {'
    delay: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Dropped:
    """The connection drops half-way through a 200 reply (any route, via ``push`` or ``fail_next``)."""


@dataclass(frozen=True, kw_only=True)
class Expired:
    """A batch request that expired before it was processed (a 500 outside batches)."""


Outcome = Reply | Fault | Malformed | Dropped | Expired


@dataclass(frozen=True, kw_only=True)
class FakeRequest:
    """What a responder sees: the message parameters and, inside a batch, the ids."""

    body: Mapping[str, Any]
    custom_id: str | None = None
    batch_id: str | None = None

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def system_text(self) -> str:
        system = self.body.get("system") or ""
        if isinstance(system, str):
            return system
        return "\n".join(str(block.get("text", "")) for block in system if isinstance(block, Mapping))

    @property
    def user_text(self) -> str:
        """Text of the last user message (string content or its text blocks)."""
        for message in reversed(self.body.get("messages") or []):
            if message.get("role") == "user":
                content = message.get("content", "")
                if isinstance(content, str):
                    return content
                return "\n".join(
                    str(b.get("text") or b.get("content") or "") for b in content if isinstance(b, Mapping)
                )
        return ""

    @property
    def forced_tool(self) -> Mapping[str, Any] | None:
        """The tool definition ``tool_choice`` forces, if any."""
        choice = self.body.get("tool_choice") or {}
        if choice.get("type") != "tool":
            return None
        return next((t for t in self.body.get("tools") or [] if t.get("name") == choice.get("name")), None)


Responder = Callable[[FakeRequest], Outcome]


def default_responder(request: FakeRequest) -> Outcome:
    """Answer a forced tool call with a minimal conforming input, anything else with ``ok``."""
    tool = request.forced_tool
    if tool is not None:
        return Reply(tool_input=json_schema.example(tool.get("input_schema") or {}))
    return Reply(text="ok")


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """One HTTP request the server received."""

    route: str
    method: str
    path: str
    headers: Mapping[str, str]
    body: Any


class _BadRequest(Exception):
    pass


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


@dataclass(kw_only=True)
class _Batch:
    id: str
    requests: list[dict[str, Any]]
    polls_left: int
    created_at: datetime = field(default_factory=_now)
    status: str = "in_progress"
    ended_at: datetime | None = None
    cancel_initiated_at: datetime | None = None
    results: list[dict[str, Any]] = field(default_factory=list)


class FakeAnthropicServer:
    """The fake API; use as a context manager (``with FakeAnthropicServer() as server:``)."""

    def __init__(
        self,
        *,
        responder: Responder | None = None,
        batch_polls: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.responder = responder
        self.batch_polls = batch_polls
        self.requests: list[Recorded] = []
        self.processed: list[FakeRequest] = []
        self.answered: list[dict[str, Any]] = []
        self.batches: dict[str, _Batch] = {}
        self._replies: deque[Outcome] = deque()
        self._faults: dict[str, deque[Fault | Dropped]] = {}
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._batch_lock = threading.Lock()  # batch state transitions (held while a batch is processed)
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd = _QuietServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread: threading.Thread | None = None
        #: the Managed Agents endpoints (memory stores, sessions, dreams): see ``fake_hosted``
        self.hosted = FakeHosted(new_id=self._new_id, render_fault=self._render_fault)

    # -- lifecycle ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAnthropicServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-anthropic", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow replies
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting ---------------------------------------------------------

    def push(self, *replies: Outcome) -> None:
        """Queue replies for the next messages (sync or batched), in order."""
        with self._lock:
            self._replies.extend(replies)

    def fail_next(self, route: str, fault: Fault | Dropped, *, times: int = 1) -> None:
        """Answer the next ``times`` calls to ``route`` (e.g. ``"batches.retrieve"``) with ``fault``."""
        with self._lock:
            self._faults.setdefault(route, deque()).extend([fault] * times)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def calls(self, route: str) -> list[Recorded]:
        """The recorded HTTP requests to one route (``messages``, ``count_tokens``, ``batches.create``...)."""
        with self._lock:
            return [r for r in self.requests if r.route == route]

    @property
    def pending_replies(self) -> int:
        with self._lock:
            return len(self._replies)

    # -- behaviour ---------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_fake_{next(self._ids):06d}"

    def _next_outcome(self, request: FakeRequest) -> Outcome:
        with self._lock:
            self.processed.append(request)
            if self._replies:
                return self._replies.popleft()
        return (self.responder or default_responder)(request)

    def _next_fault(self, route: str) -> Fault | Dropped | None:
        with self._lock:
            queue = self._faults.get(route)
            return queue.popleft() if queue else None

    def _usage(self, body: Mapping[str, Any], content: list[dict[str, Any]], reply: Reply, *, batch: bool) -> dict[str, Any]:
        split = split_request_tokens(body)
        written = {"5m": 0, "1h": 0}
        read = 0
        if split.ttl is not None:
            key = _prefix_key(body)
            with self._lock:
                hit = key in self._cache
                self._cache.add(key)
            if hit:
                read = split.prefix
            else:
                written[split.ttl] = split.prefix
        usage: dict[str, Any] = {
            "input_tokens": split.total if split.ttl is None else split.rest,
            "output_tokens": output_tokens(content),
            "cache_creation_input_tokens": written["5m"] + written["1h"],
            "cache_read_input_tokens": read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": written["5m"],
                "ephemeral_1h_input_tokens": written["1h"],
            },
            "server_tool_use": (
                {"web_search_requests": reply.web_search_requests, "web_fetch_requests": 0}
                if reply.web_search_requests
                else None
            ),
            "service_tier": "batch" if batch else "standard",
        }
        usage.update(reply.usage or {})
        return usage

    def _message(self, body: Mapping[str, Any], reply: Reply, *, batch: bool) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.text is not None:
            content.append({"type": "text", "text": reply.text})
        if reply.tool_input is not None:
            request = FakeRequest(body=body)
            tools = body.get("tools") or []
            name = reply.tool_name or (request.forced_tool or (tools[0] if tools else {})).get("name", "tool")
            content.append({"type": "tool_use", "id": self._new_id("toolu"), "name": name, "input": reply.tool_input})
        if not content:
            content.append({"type": "text", "text": ""})
        stop = reply.stop_reason or ("tool_use" if reply.tool_input is not None else "end_turn")
        message = {
            "id": self._new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": self._usage(body, content, reply, batch=batch),
        }
        with self._lock:
            self.answered.append(message)
        return message

    def _batch_json(self, batch: _Batch) -> dict[str, Any]:
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if batch.status == "ended":
            for item in batch.results:
                counts[item["result"]["type"]] += 1
        else:
            counts["processing"] = len(batch.requests)
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": batch.status,
            "request_counts": counts,
            "created_at": _iso(batch.created_at),
            "expires_at": _iso(batch.created_at + timedelta(hours=24)),
            "ended_at": _iso(batch.ended_at),
            "cancel_initiated_at": _iso(batch.cancel_initiated_at),
            "archived_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch.id}/results" if batch.status == "ended" else None,
        }

    def _finish(self, batch: _Batch) -> None:
        """Process every request of a batch (or cancel them) and mark it ended."""
        for item in batch.requests:
            custom_id, params = item["custom_id"], item["params"]
            if batch.cancel_initiated_at is not None:
                result: dict[str, Any] = {"type": "canceled"}
            else:
                outcome = self._next_outcome(FakeRequest(body=params, custom_id=custom_id, batch_id=batch.id))
                result = self._batch_result(params, outcome)
            batch.results.append({"custom_id": custom_id, "result": result})
        batch.status = "ended"
        batch.ended_at = _now()

    def _batch_result(self, params: Mapping[str, Any], outcome: Outcome) -> dict[str, Any]:
        if isinstance(outcome, Expired):
            return {"type": "expired"}
        if isinstance(outcome, Fault):
            error = {"type": outcome.error_type or error_type_for(outcome.status), "message": outcome.message}
            return {"type": "errored", "error": {"type": "error", "error": error, "request_id": self._new_id("req")}}
        if isinstance(outcome, (Malformed, Dropped)):
            outcome = Reply(text=outcome.body if isinstance(outcome, Malformed) else "")
        return {"type": "succeeded", "message": self._message(params, outcome, batch=True)}

    # -- routes ------------------------------------------------------------

    def _render_fault(self, fault: Fault | Dropped) -> tuple[int, dict[str, str], bytes, float]:
        return _dropped() if isinstance(fault, Dropped) else _fault(fault)

    def handle(
        self, method: str, path: str, body: Any, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes, float]:
        """Route one request: (status, headers, body bytes, delay seconds)."""
        hosted = self.hosted.handle(method, path, body, headers or {})
        if hosted is not None:
            return hosted
        route, batch_id = _route(method, path)
        if route in ("messages", "count_tokens") and isinstance(body, dict):
            body = _platform_body(path, body)
        if route is None:
            return _error(404, f"no route {method} {path}")
        fault = self._next_fault(route)
        if isinstance(fault, Dropped):
            return _dropped()
        if fault is not None:
            return _fault(fault)
        try:
            if route == "messages":
                _check_params(body)
                outcome = self._next_outcome(FakeRequest(body=body))
                if isinstance(outcome, Fault):
                    return _fault(outcome)
                if isinstance(outcome, Malformed):
                    return 200, {"content-type": "application/json"}, outcome.body.encode(), outcome.delay
                if isinstance(outcome, Dropped):
                    return _dropped()
                if isinstance(outcome, Expired):
                    return _error(500, "Expired() only applies to batch requests")
                return _json(200, self._message(body, outcome, batch=False)) + (outcome.delay,)
            if route == "count_tokens":
                _check_params(body, count=True)
                return _json(200, {"input_tokens": split_request_tokens(body).total}) + (0.0,)
            if route == "batches.create":
                return _json(200, self._batch_json(self._create_batch(body))) + (0.0,)
            if route == "batches.list":
                with self._lock:
                    batches = sorted(self.batches.values(), key=lambda b: b.id, reverse=True)
                data = [self._batch_json(b) for b in batches]
                page = {"data": data, "has_more": False, "first_id": data[0]["id"] if data else None,
                        "last_id": data[-1]["id"] if data else None}
                return _json(200, page) + (0.0,)
            batch = self.batches.get(batch_id or "")
            if batch is None:
                return _error(404, f"message batch {batch_id} not found")
            if route == "batches.retrieve":
                with self._batch_lock:
                    if batch.status != "ended":
                        if batch.polls_left > 0 and batch.cancel_initiated_at is None:
                            batch.polls_left -= 1
                        else:
                            self._finish(batch)
                    return _json(200, self._batch_json(batch)) + (0.0,)
            if route == "batches.results":
                if batch.status != "ended":
                    return _error(404, f"message batch {batch.id} has not ended")
                lines = "".join(json.dumps(item) + "\n" for item in batch.results)
                return 200, {"content-type": "application/binary"}, lines.encode(), 0.0
            if route == "batches.cancel":
                with self._batch_lock:
                    if batch.status == "in_progress":
                        batch.status = "canceling"
                        batch.cancel_initiated_at = _now()
                    return _json(200, self._batch_json(batch)) + (0.0,)
            if route == "batches.delete":
                if batch.status != "ended":
                    return _error(400, f"message batch {batch.id} is still processing; cancel it first")
                with self._lock:
                    del self.batches[batch.id]
                return _json(200, {"id": batch.id, "type": "message_batch_deleted"}) + (0.0,)
        except _BadRequest as exc:
            return _error(400, str(exc))
        return _error(404, f"no route {method} {path}")  # pragma: no cover - every route returns above

    def _create_batch(self, body: Any) -> _Batch:
        requests = body.get("requests") if isinstance(body, Mapping) else None
        if not isinstance(requests, list) or not requests:
            raise _BadRequest("requests: expected a non-empty list")
        seen: set[str] = set()
        for i, item in enumerate(requests):
            custom_id = item.get("custom_id") if isinstance(item, Mapping) else None
            if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id):
                raise _BadRequest(f"requests.{i}.custom_id: must match {CUSTOM_ID.pattern}")
            if custom_id in seen:
                raise _BadRequest(f"requests.{i}.custom_id: duplicate {custom_id!r}")
            seen.add(custom_id)
            try:
                _check_params(item.get("params"))
            except _BadRequest as exc:
                raise _BadRequest(f"requests.{i}.params.{exc}") from None
        batch = _Batch(id=self._new_id("msgbatch"), requests=list(requests), polls_left=self.batch_polls)
        with self._lock:
            self.batches[batch.id] = batch
        return batch

    def record(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> None:
        route, _ = _route(method, path)
        hosted = FakeHosted.route_of(method, path)
        if hosted is not None:
            route = hosted[0]
        with self._lock:
            self.requests.append(Recorded(route=route or "unknown", method=method, path=path, headers=headers, body=body))

    def wait(self, seconds: float) -> None:
        """Sleep for a slow reply, waking early when the server stops."""
        if seconds > 0:
            self._stopping.wait(seconds)


def _prefix_key(body: Mapping[str, Any]) -> str:
    """Identity of the cached prefix: model, tools and system blocks through the last ``cache_control``."""
    system = body.get("system")
    blocks = system if isinstance(system, list) else []
    marked = [i for i, b in enumerate(blocks) if isinstance(b, Mapping) and b.get("cache_control")]
    prefix = blocks[: marked[-1] + 1] if marked else []
    text = json.dumps([body.get("model"), body.get("tools") or [], prefix], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


_BATCH_PATH = re.compile(r"^/v1/messages/batches/([^/]+)(/results|/cancel)?$")


#: Amazon Bedrock (``AnthropicBedrock``): POST /model/{model}/invoke; Google Vertex AI
#: (``AnthropicVertex``): POST /projects/{p}/locations/{r}/publishers/anthropic/models/{model}:rawPredict
#: and .../models/count-tokens:rawPredict.  The model is in the path, not the body.
_BEDROCK_PATH = re.compile(r"^/model/(?P<model>[^/]+)/invoke$")
_VERTEX_PATH = re.compile(r"^(?:/v1)?/projects/[^/]+/locations/[^/]+/publishers/anthropic/models/(?P<model>[^/:]+):rawPredict$")


def _platform_body(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A Bedrock or Vertex body as a Messages body: the model from the path, ``anthropic_version`` dropped."""
    clean = unquote(urlsplit(path).path)
    match = _BEDROCK_PATH.match(clean) or _VERTEX_PATH.match(clean)
    if match is None:
        return body
    out = {k: v for k, v in body.items() if k not in ("anthropic_version", "anthropic_beta")}
    if match.group("model") != "count-tokens":
        out["model"] = match.group("model")
    return out


def _route(method: str, path: str) -> tuple[str | None, str | None]:
    path = unquote(urlsplit(path).path).rstrip("/")
    if method == "POST" and _BEDROCK_PATH.match(path):
        return "messages", None
    vertex = _VERTEX_PATH.match(path) if method == "POST" else None
    if vertex:
        return ("count_tokens" if vertex.group("model") == "count-tokens" else "messages"), None
    if method == "POST" and path == "/v1/messages":
        return "messages", None
    if method == "POST" and path == "/v1/messages/count_tokens":
        return "count_tokens", None
    if path == "/v1/messages/batches":
        return {"POST": "batches.create", "GET": "batches.list"}.get(method), None
    match = _BATCH_PATH.match(path)
    if match:
        tail = match.group(2)
        name = {
            ("GET", None): "batches.retrieve",
            ("DELETE", None): "batches.delete",
            ("GET", "/results"): "batches.results",
            ("POST", "/cancel"): "batches.cancel",
        }.get((method, tail))
        return name, match.group(1)
    return None, None


def _check_params(body: Any, *, count: bool = False) -> None:
    """Reject what the real API rejects, so client bugs surface in tests."""
    if not isinstance(body, Mapping):
        raise _BadRequest("body: expected a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _BadRequest("model: field required")
    if not count and (not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1):
        raise _BadRequest("max_tokens: expected a positive integer")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRequest("messages: expected a non-empty list")
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
            raise _BadRequest(f"messages.{i}.role: expected 'user' or 'assistant'")
    system = body.get("system")
    for i, block in enumerate(system if isinstance(system, list) else []):
        control = block.get("cache_control") if isinstance(block, Mapping) else None
        if control is not None and (control.get("type") != "ephemeral" or control.get("ttl", "5m") not in ("5m", "1h")):
            raise _BadRequest(f"system.{i}.cache_control: expected type 'ephemeral' and ttl '5m' or '1h'")
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping) and choice.get("type") == "tool":
        names = [t.get("name") for t in body.get("tools") or [] if isinstance(t, Mapping)]
        if choice.get("name") not in names:
            raise _BadRequest(f"tool_choice.name: {choice.get('name')!r} is not one of the tools")


def _json(status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(data).encode()


def _error(status: int, message: str, error_type: str | None = None) -> tuple[int, dict[str, str], bytes, float]:
    body = {"type": "error", "error": {"type": error_type or error_type_for(status), "message": message}}
    return _json(status, body) + (0.0,)


def _fault(fault: Fault) -> tuple[int, dict[str, str], bytes, float]:
    status, headers, body, _ = _error(fault.status, fault.message, fault.error_type)
    if fault.retry_after is not None:
        headers["retry-after"] = f"{fault.retry_after:g}"
    return status, headers, body, fault.delay


DROP_HEADER = "x-fake-drop"


def _dropped() -> tuple[int, dict[str, str], bytes, float]:
    """A 200 whose body stops half-way (the handler closes the connection)."""
    return (
        200,
        {"content-type": "application/json", DROP_HEADER: "1"},
        b'{"type": "message", "id": "msg_dropped", "content": [',
        0.0,
    )


class _QuietServer(ThreadingHTTPServer):
    """A client killed mid-request (the crash tests) is not an error worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def _handler_for(server: FakeAnthropicServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                server.record(method, self.path, headers, raw.decode("utf-8", "replace"))
                self._send(*_error(400, "body: not valid JSON"))
                return
            server.record(method, self.path, headers, body)
            if not headers.get("x-api-key") and not headers.get("authorization"):
                self._send(*_error(401, "x-api-key header is required"))
                return
            self._send(*server.handle(method, self.path, body, headers))

        def _send(self, status: int, headers: dict[str, str], body: bytes, delay: float) -> None:
            server.wait(delay)
            try:
                dropped = headers.pop(DROP_HEADER, None) is not None
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("request-id", server._new_id("req"))
                self.send_header("content-length", str(len(body) * (2 if dropped else 1)))
                self.end_headers()
                self.wfile.write(body)
                if dropped:
                    self.wfile.flush()
                    self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler


def _load_responder(spec: str) -> Responder:
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise SystemExit(f"--responder: expected module:function, got {spec!r}")
    responder: Responder = getattr(importlib.import_module(module_name), attr)
    return responder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dreaming.testing.fake_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--batch-polls", type=int, default=1, help="retrievals a batch stays in_progress")
    parser.add_argument("--responder", help="module:function taking a FakeRequest, returning a Reply")
    parser.add_argument("--hosted-demo", action="store_true",
                        help="serve the README's Managed Agents store (memstore_demo) and session (sesn_demo)")
    args = parser.parse_args(argv)
    responder = _load_responder(args.responder) if args.responder else None
    server = FakeAnthropicServer(responder=responder, batch_polls=args.batch_polls, host=args.host, port=args.port)
    if args.hosted_demo:
        from dreaming.testing.fake_hosted import seed_demo

        seed_demo(server.hosted)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        print(f"fake Anthropic API on {server.base_url}  (export ANTHROPIC_BASE_URL={server.base_url})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
