"""Claude through the Anthropic API: request/result records, the client, the fake server.

Importing this package does not import ``anthropic`` (offline runs never
pay for it); the adapter is ``dreaming.llm.client``, the only module that does.
"""

from .replies import Validator
from .requests import ERROR_KINDS, ChatMessage, LLMRequest, LLMResult, ToolSpec

__all__ = ["ERROR_KINDS", "ChatMessage", "LLMRequest", "LLMResult", "ToolSpec", "Validator"]
