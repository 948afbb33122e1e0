"""Claude through the Anthropic API: request/result records, the client (the transport only).

Importing this package does not import ``anthropic`` (offline runs never
pay for it); the adapter is ``dreaming.llm.client``, the only module that does.
"""

from dreaming.llm.replies import Validator
from dreaming.llm.requests import ERROR_KINDS, ChatMessage, LLMRequest, LLMResult, ToolSpec

__all__ = ["ERROR_KINDS", "ChatMessage", "LLMRequest", "LLMResult", "ToolSpec", "Validator"]
