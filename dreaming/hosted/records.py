"""What the hosted (Managed Agents) API gives us, as our own records.

``dreaming.llm.hosted`` converts the SDK's types into these; nothing outside
``dreaming/llm/`` sees an SDK object.  All frozen, all pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dreaming.errors import DreamingError

#: a memory's content may hold at most this many UTF-8 bytes (the API's limit)
MAX_CONTENT_BYTES = 102_400
#: a path is at most this many UTF-8 bytes and this many segments
MAX_PATH_BYTES = 1_024
MAX_PATH_SEGMENTS = 20
#: a dream reads 1 to 100 sessions
MAX_DREAM_SESSIONS = 100
DREAM_FINAL = frozenset({"completed", "failed", "canceled"})


class HostedError(DreamingError):
    """A request the hosted API refused or could not answer, as one line.

    ``kind``: ``not_found``, ``auth``, ``conflict``, ``rejected`` (400/413/422:
    retrying will not help), ``rate_limited``, ``server``, ``connection``.
    ``error_type`` is the API's own (``memory_precondition_failed_error``...).
    """

    def __init__(self, message: str, *, kind: str, status: int | None = None, error_type: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.error_type = error_type
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in ("rate_limited", "server", "connection")


@dataclass(frozen=True, kw_only=True)
class HostedStore:
    id: str
    name: str
    description: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    archived: bool = False


@dataclass(frozen=True, kw_only=True)
class HostedMemory:
    """One memory (a text file at a path) of a hosted memory store."""

    id: str
    store_id: str
    path: str
    content_sha256: str
    size: int
    content: str | None = None
    version_id: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class HostedEvent:
    """One session event, reduced to what a transcript keeps."""

    id: str
    type: str
    at: datetime | None
    text: str = ""
    tool_name: str | None = None
    tool_input: Mapping[str, Any] = field(default_factory=dict)
    tool_use_id: str | None = None
    is_error: bool | None = None


@dataclass(frozen=True, kw_only=True)
class HostedSession:
    id: str
    created_at: datetime | None = None
    title: str | None = None
    status: str | None = None


@dataclass(frozen=True, kw_only=True)
class DreamUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DreamUsage:
        return cls(**{k: int(data.get(k, 0) or 0) for k in cls().to_json()})


@dataclass(frozen=True, kw_only=True)
class HostedDream:
    id: str
    status: str
    store_id: str
    session_ids: tuple[str, ...]
    model: str
    instructions: str | None = None
    output_store_id: str | None = None
    usage: DreamUsage = DreamUsage()
    created_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None

    @property
    def final(self) -> bool:
        return self.status in DREAM_FINAL
