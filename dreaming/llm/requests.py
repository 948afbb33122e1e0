"""Our own request and result records for Claude calls, and their wire form.

Why our own: stages describe *what* to ask (a cached system prompt, the
messages, the tool whose input is the answer) and get back validated data,
without ever seeing an SDK type; the client converts at its edge.  These
records are plain, frozen and checked on construction, so a malformed
request fails in the stage that built it, not in an HTTP 400 an hour into a
batch.  Nothing here imports ``anthropic``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dreaming.cost.meter import Usage
from dreaming.llm import schema as json_schema

#: The Batches API's rule for custom ids (also used for tool names).
ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

#: Why a result carries no data.  ``budget``: refused by ``--max-cost``;
#: ``invalid``: the reply did not validate (after the re-ask); the others map
#: API and network failures, ``fatal`` ones stop every later request.
ERROR_KINDS = (
    "budget", "invalid", "refused", "rate_limited", "overloaded", "server", "timeout", "connection",
    "malformed", "rejected", "auth", "expired", "canceled",
)


@dataclass(frozen=True, kw_only=True)
class ChatMessage:
    role: Literal["user", "assistant"]
    text: str

    def __post_init__(self) -> None:
        if self.role not in ("user", "assistant"):
            raise ValueError(f"message role must be 'user' or 'assistant', got {self.role!r}")


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """The tool the model is forced to call; its input is the structured answer."""

    name: str
    description: str
    input_schema: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not ID_PATTERN.match(self.name):
            raise ValueError(f"tool name {self.name!r} must match {ID_PATTERN.pattern}")
        json_schema.check_schema(self.input_schema)
        if self.input_schema.get("type") != "object":
            raise ValueError(f"tool {self.name}: input_schema must have type 'object'")


@dataclass(frozen=True, kw_only=True)
class LLMRequest:
    """One question to Claude.  ``system`` is sent as a cached block (``cache_ttl`` None: uncached)."""

    custom_id: str
    """Unique within one ``LLMClient.run`` call; matches results to requests (batch rules apply)."""
    stage: str
    """Which pipeline stage asks (the cost report's per-stage line)."""
    model: str
    system: str
    messages: tuple[ChatMessage, ...]
    tool: ToolSpec | None = None
    max_tokens: int = 1024
    cache_ttl: Literal["5m", "1h"] | None = "5m"
    temperature: float | None = None

    def __post_init__(self) -> None:
        if not ID_PATTERN.match(self.custom_id):
            raise ValueError(f"custom_id {self.custom_id!r} must match {ID_PATTERN.pattern}")
        object.__setattr__(self, "messages", tuple(self.messages))
        if not self.messages or self.messages[0].role != "user":
            raise ValueError(f"request {self.custom_id}: messages must start with a user message")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError(f"request {self.custom_id}: max_tokens must be a positive integer")
        if self.cache_ttl not in (None, "5m", "1h"):
            raise ValueError(f"request {self.custom_id}: cache_ttl must be '5m', '1h' or None")

    @classmethod
    def ask(cls, *, custom_id: str, stage: str, model: str, system: str, user: str, **options: Any) -> LLMRequest:
        """The common case: one user message."""
        return cls(custom_id=custom_id, stage=stage, model=model, system=system,
                   messages=(ChatMessage(role="user", text=user),), **options)


@dataclass(frozen=True, kw_only=True)
class LLMResult:
    """The answer to one ``LLMRequest``: validated tool input, or an error that says why not."""

    custom_id: str
    stage: str
    model: str
    data: Mapping[str, Any] | None = None
    """The tool input, validated against the schema and the stage's validator."""
    text: str = ""
    """Text blocks of the final reply (the answer itself when the request has no tool)."""
    error: str | None = None
    """One line for the run log; None when ``ok``."""
    error_kind: str | None = None
    """One of ``ERROR_KINDS``."""
    usage: Usage = field(default_factory=Usage)
    """Usage of every attempt, as the API returned it."""
    stop_reason: str | None = None
    attempts: int = 0
    """HTTP attempts (sync) or batch rounds (batch) made."""
    batched: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def cache_group(request: LLMRequest) -> tuple[Any, ...] | None:
    """Requests in one group share a cached prefix (None: the request is not cached)."""
    if not (request.cache_ttl and request.system):
        return None
    return (request.model, request.system, request.cache_ttl, request.tool.name if request.tool else None)


def cache_control(ttl: str | None) -> dict[str, str] | None:
    if ttl is None:
        return None
    return {"type": "ephemeral", "ttl": "1h"} if ttl == "1h" else {"type": "ephemeral"}


def build_params(request: LLMRequest) -> dict[str, Any]:
    """The Messages API body for a request (plain JSON, the same for sync, batch and counting)."""
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": [{"role": m.role, "content": m.text} for m in request.messages],
    }
    if request.system:
        block: dict[str, Any] = {"type": "text", "text": request.system}
        control = cache_control(request.cache_ttl)
        if control:
            block["cache_control"] = control
        params["system"] = [block]
    if request.tool is not None:
        params["tools"] = [
            {"name": request.tool.name, "description": request.tool.description, "input_schema": dict(request.tool.input_schema)}
        ]
        params["tool_choice"] = {"type": "tool", "name": request.tool.name}
    if request.temperature is not None:
        params["temperature"] = request.temperature
    return params


def follow_up(params: Mapping[str, Any], reply: list[dict[str, Any]], problem: str, tool: ToolSpec | None) -> dict[str, Any]:
    """The re-ask after an invalid reply: the reply, then a user turn naming the problem.

    Every ``tool_use`` block of the reply gets its ``tool_result`` (the API
    requires it); empty text blocks are dropped (the API rejects them).
    """
    name = tool.name if tool else "the tool"
    assistant = [b for b in reply if not (b.get("type") == "text" and not b.get("text"))]
    calls = [b for b in assistant if b.get("type") == "tool_use"]
    message = f"Your reply was not usable: {problem}. Answer by calling {name} again with input that fixes this."
    if calls:
        answer: list[dict[str, Any]] = [
            {"type": "tool_result", "tool_use_id": call["id"], "is_error": True, "content": message} for call in calls
        ]
    else:
        answer = [{"type": "text", "text": message}]
    turns = [{"role": "assistant", "content": assistant}] if assistant else []
    return {**params, "messages": [*params["messages"], *turns, {"role": "user", "content": answer}]}
