"""A deterministic, conservative token approximation over Messages API bodies.

Why: ``dreaming estimate`` must work without an API key, the budget cap needs
a worst case when the token-counting endpoint is unavailable, and the fake
server must report usage that tests can predict.  All three use this one
function, so a test can compute the usage the fake will report.

The rule (documented in ``--help`` of ``dreaming estimate``): **one token per
3 UTF-8 bytes, rounded up**, for every text the model reads, plus 4 tokens of
framing per message and per tool definition.  Claude's tokenizer averages
about 3.5-4 characters per token on English prose and code, so this
over-counts English by roughly 15-30 % and is about right for non-Latin
scripts (3 bytes per character, about a token each): an estimate, never an
under-count in the common case.  Real usage always comes from the API.

Order of the prompt matches the API's cache order (tools, then system, then
messages): the *cached prefix* is everything up to and including the last
``cache_control`` block among the tools and system blocks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BYTES_PER_TOKEN = 3
FRAMING_TOKENS = 4


def approx_tokens(text: str) -> int:
    """Tokens in a piece of text under the documented rule (0 for empty text)."""
    if not text:
        return 0
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def _json_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _block_tokens(block: Any) -> int:
    """Tokens of one content block: the text the model reads in it."""
    if isinstance(block, str):
        return approx_tokens(block)
    if not isinstance(block, Mapping):
        return approx_tokens(_json_text(block))
    kind = block.get("type")
    if kind == "text":
        return approx_tokens(str(block.get("text", "")))
    if kind == "tool_use":
        return approx_tokens(str(block.get("name", ""))) + approx_tokens(_json_text(block.get("input", {})))
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return sum(_block_tokens(item) for item in content)
        return approx_tokens(str(content))
    return approx_tokens(_json_text({k: v for k, v in block.items() if k != "cache_control"}))


def _content_tokens(content: Any) -> int:
    if isinstance(content, list):
        return sum(_block_tokens(block) for block in content)
    return _block_tokens(content)


@dataclass(frozen=True, kw_only=True)
class TokenSplit:
    """Input tokens of a request: the cacheable prefix and the rest."""

    prefix: int
    """Tokens up to and including the last tools/system block marked ``cache_control`` (0 when none is)."""
    rest: int
    """Every other input token (the uncached system blocks after it, and the messages)."""
    ttl: str | None
    """``"5m"`` or ``"1h"`` for the cached prefix; None when nothing is marked."""

    @property
    def total(self) -> int:
        return self.prefix + self.rest


def _ttl(block: Mapping[str, Any]) -> str | None:
    control = block.get("cache_control")
    if not isinstance(control, Mapping):
        return None
    return "1h" if control.get("ttl") == "1h" else "5m"


def split_request_tokens(body: Mapping[str, Any]) -> TokenSplit:
    """Approximate input tokens of a Messages API request body (a plain dict).

    Works on the wire format, so the client, the estimator and the fake server
    count exactly the same thing.
    """
    pieces: list[tuple[int, str | None]] = []
    for tool in body.get("tools") or []:
        plain = {k: v for k, v in tool.items() if k != "cache_control"} if isinstance(tool, Mapping) else tool
        pieces.append((FRAMING_TOKENS + approx_tokens(_json_text(plain)), _ttl(tool) if isinstance(tool, Mapping) else None))
    system = body.get("system")
    if isinstance(system, str):
        pieces.append((approx_tokens(system), None))
    elif isinstance(system, list):
        for block in system:
            pieces.append((_block_tokens(block), _ttl(block) if isinstance(block, Mapping) else None))
    last_marked = max((i for i, (_, ttl) in enumerate(pieces) if ttl), default=-1)
    prefix = sum(tokens for tokens, _ in pieces[: last_marked + 1])
    rest = sum(tokens for tokens, _ in pieces[last_marked + 1 :])
    for message in body.get("messages") or []:
        content = message.get("content", "") if isinstance(message, Mapping) else message
        rest += FRAMING_TOKENS + _content_tokens(content)
    ttl = pieces[last_marked][1] if last_marked >= 0 else None
    return TokenSplit(prefix=prefix, rest=rest, ttl=ttl)


def output_tokens(content: Sequence[Mapping[str, Any]]) -> int:
    """Approximate output tokens of a reply's content blocks (at least 1, as the API reports)."""
    return max(1, _content_tokens(list(content)))
