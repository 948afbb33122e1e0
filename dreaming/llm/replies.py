"""Judge a reply: does it carry the structured answer the request asked for?

Pure functions over plain content blocks (dicts), shared by sync and batch
mode so both apply exactly the same rules: a forced tool call must be
present, its input must match the tool's schema, and then the stage's own
validator (ids that exist, times that parse) must accept it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dreaming.llm import schema as json_schema
from dreaming.llm.requests import LLMRequest
from dreaming.text.redact import Redactor
from dreaming.text.unicode import fix_value

#: A stage's semantic check: None when the data is acceptable, else why not.
#: Raising ``ValueError`` (e.g. a pydantic ``ValidationError``) counts as a "why not".
Validator = Callable[[LLMRequest, Mapping[str, Any]], "str | None"]

MAX_SHOWN_ERRORS = 3


@dataclass(frozen=True, kw_only=True)
class ReplyCheck:
    data: Mapping[str, Any] | None
    text: str
    problem: str | None = None
    """Why the reply is unusable (None when it is usable)."""
    kind: str | None = None
    """``invalid`` (worth one re-ask) or ``refused`` (final)."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def read_reply(
    request: LLMRequest, content: list[dict[str, Any]], stop_reason: str | None, validate: Validator | None
) -> ReplyCheck:
    text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
    if stop_reason == "refusal":
        return ReplyCheck(data=None, text=text, problem="the model declined to answer (stop_reason refusal)", kind="refused")
    truncated = f" (reply cut off at max_tokens={request.max_tokens})" if stop_reason == "max_tokens" else ""
    if request.tool is None:
        if truncated:
            return ReplyCheck(data=None, text=text, problem=f"incomplete answer{truncated}", kind="invalid")
        return ReplyCheck(data=None, text=text)
    call = next((b for b in content if b.get("type") == "tool_use" and b.get("name") == request.tool.name), None)
    if call is None:
        return ReplyCheck(data=None, text=text, problem=f"no call to tool {request.tool.name}{truncated}", kind="invalid")
    data = fix_value(call.get("input"))  # a lone surrogate would fail the store's insert
    if not isinstance(data, dict):
        return ReplyCheck(
            data=None,
            text=text,
            problem=f"tool input is {type(data).__name__}, not an object{truncated}",
            kind="invalid",
        )
    errors = json_schema.errors(data, request.tool.input_schema)
    if errors:
        more = f" (+{len(errors) - MAX_SHOWN_ERRORS} more)" if len(errors) > MAX_SHOWN_ERRORS else ""
        shown = "; ".join(errors[:MAX_SHOWN_ERRORS])
        return ReplyCheck(
            data=None,
            text=text,
            problem=f"tool input does not match the schema: {shown}{more}{truncated}",
            kind="invalid",
        )
    if validate is not None:
        try:
            problem = validate(request, data)
        except ValueError as exc:
            problem = _one_line(str(exc)) or type(exc).__name__
        if problem:
            return ReplyCheck(data=None, text=text, problem=_one_line(problem), kind="invalid")
    return ReplyCheck(data=Redactor().value(data), text=text)  # a model can echo a secret it was shown
