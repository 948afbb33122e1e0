"""The Managed Agents adapter: memory stores, sessions and Dreams through the SDK.

Only this module (and ``client.py``) imports ``anthropic``.  It turns the
SDK's types (``BetaManagedAgentsMemory``, ``BetaDream``, session events...)
into our records (:mod:`dreaming.hosted.records`) and every failure into one
:class:`HostedError` line.  Retries are ours (the SDK's ``max_retries=0``):
429 (honouring ``retry-after``), 5xx and dropped connections are retried
with exponential backoff; everything else is final.  ``pace`` spaces requests
so a long pull stays under the organisation's rate limit (the documents
disagree, 60 or 300 creates and 600 reads a minute: pick yours with
``DREAMING_HOSTED_RPM``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import anthropic

from dreaming.errors import DreamingError
from dreaming.hosted.records import (
    DreamUsage,
    HostedDream,
    HostedError,
    HostedEvent,
    HostedMemory,
    HostedSession,
    HostedStore,
)

T = TypeVar("T")
MAX_RETRY_AFTER = 600.0


@dataclass(frozen=True, kw_only=True)
class HostedConfig:
    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    timeout: float = 60.0
    #: requests per minute at most (0: no pacing)
    requests_per_minute: float = 0.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HostedConfig:
        env = os.environ if env is None else env

        def number(name: str, default: float) -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = float(raw)
            except ValueError:
                raise DreamingError(f"{name} must be a number, got {raw!r}") from None
            if value < 0:
                raise DreamingError(f"{name} must not be negative, got {raw!r}")
            return value

        return cls(max_retries=int(number("DREAMING_HOSTED_RETRIES", 4)),
                   backoff_base=number("DREAMING_HOSTED_BACKOFF", 1.0),
                   requests_per_minute=number("DREAMING_HOSTED_RPM", 0.0))


def _message(exc: anthropic.APIStatusError) -> tuple[str, str | None]:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            return " ".join(str(inner.get("message") or f"HTTP {exc.status_code}").split()), inner.get("type")
    return f"HTTP {exc.status_code}", None


def _retry_after(exc: anthropic.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return None if value is None else min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None


def to_hosted_error(exc: Exception, what: str) -> HostedError:
    """One line for a failed request (``what`` names it: ``listing memories of memstore_x``)."""
    if isinstance(exc, anthropic.APITimeoutError):
        return HostedError(f"{what}: no reply from the Anthropic API in time", kind="connection")
    if isinstance(exc, anthropic.APIConnectionError):
        return HostedError(f"{what}: cannot reach the Anthropic API ({exc.__cause__ or exc})", kind="connection")
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        detail, etype = _message(exc)
        if status in (401, 403):
            return HostedError(f"{what}: the Anthropic API refused the key ({status}): {detail}; check ANTHROPIC_API_KEY",
                               kind="auth", status=status, error_type=etype)
        if status == 404:
            return HostedError(f"{what}: not found (404): {detail}", kind="not_found", status=status, error_type=etype)
        if status == 409:
            return HostedError(f"{what}: conflict (409 {etype}): {detail}", kind="conflict", status=status, error_type=etype)
        if status == 429:
            return HostedError(f"{what}: rate limited (429): {detail}", kind="rate_limited", status=status,
                               error_type=etype, retry_after=_retry_after(exc))
        if status >= 500:
            return HostedError(f"{what}: Anthropic API error ({status}): {detail}", kind="server", status=status,
                               error_type=etype, retry_after=_retry_after(exc))
        return HostedError(f"{what}: the Anthropic API rejected the request ({status}): {detail}", kind="rejected",
                           status=status, error_type=etype)
    if isinstance(exc, anthropic.APIError):
        return HostedError(f"{what}: {exc}", kind="server")
    if any(cls.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore") for cls in type(exc).__mro__):
        return HostedError(f"{what}: connection dropped ({exc})", kind="connection")
    raise exc


# --- conversions -------------------------------------------------------------------


def _memory(item: Any) -> HostedMemory:
    return HostedMemory(id=item.id, store_id=item.memory_store_id, path=item.path, content_sha256=item.content_sha256,
                        size=int(item.content_size_bytes), content=item.content, version_id=item.memory_version_id,
                        updated_at=item.updated_at)


def _store(item: Any) -> HostedStore:
    return HostedStore(id=item.id, name=item.name, description=item.description or "",
                       metadata=dict(item.metadata or {}), archived=item.archived_at is not None)


def _blocks_text(blocks: Any) -> str:
    parts = []
    for block in blocks or []:
        kind = getattr(block, "type", None)
        if kind == "text":
            parts.append(str(block.text))
        elif kind is not None:
            parts.append(f"[{kind}]")
    return "\n".join(parts)


def _event(item: Any) -> HostedEvent:
    kind = str(getattr(item, "type", "unknown"))
    at: datetime | None = getattr(item, "processed_at", None)
    if kind in ("agent.tool_use", "agent.mcp_tool_use", "agent.custom_tool_use"):
        return HostedEvent(id=item.id, type=kind, at=at, tool_name=str(getattr(item, "name", "tool")),
                           tool_input=dict(getattr(item, "input", None) or {}))
    if kind in ("agent.tool_result", "agent.mcp_tool_result", "user.custom_tool_result", "user.tool_result"):
        return HostedEvent(id=item.id, type=kind, at=at, text=_blocks_text(getattr(item, "content", None)),
                           tool_use_id=getattr(item, "tool_use_id", None) or getattr(item, "mcp_tool_use_id", None)
                           or getattr(item, "custom_tool_use_id", None),
                           is_error=getattr(item, "is_error", None))
    return HostedEvent(id=item.id, type=kind, at=at, text=_blocks_text(getattr(item, "content", None)))


def _dream(item: Any) -> HostedDream:
    store_id, sessions = "", ()
    for entry in item.inputs:
        if entry.type == "memory_store":
            store_id = entry.memory_store_id
        elif entry.type == "sessions":
            sessions = tuple(entry.session_ids)
    usage = item.usage
    return HostedDream(
        id=item.id, status=item.status, store_id=store_id, session_ids=sessions, model=item.model.id,
        instructions=item.instructions, output_store_id=item.outputs[0].memory_store_id if item.outputs else None,
        usage=DreamUsage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                         cache_creation_input_tokens=usage.cache_creation_input_tokens,
                         cache_read_input_tokens=usage.cache_read_input_tokens),
        created_at=item.created_at, ended_at=item.ended_at,
        error=f"{item.error.type}: {item.error.message}" if item.error else None,
    )


class HostedClient:
    """Memory stores, sessions and dreams of one organisation, as our records."""

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None, config: HostedConfig | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise DreamingError("no Anthropic API key: set ANTHROPIC_API_KEY to reach your Managed Agents memory stores")
        self.config = config or HostedConfig.from_env()
        self._sdk = anthropic.Anthropic(api_key=key, base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or None,
                                        max_retries=0, timeout=self.config.timeout)
        self._sleep, self._clock = sleep, clock
        self._lock = threading.Lock()
        self._last = -1e18
        self.requests = 0

    def close(self) -> None:
        self._sdk.close()

    def __enter__(self) -> HostedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------

    def _pace(self) -> None:
        rpm = self.config.requests_per_minute
        with self._lock:
            if rpm > 0:
                wait = self._last + 60.0 / rpm - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last = self._clock()
            self.requests += 1

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """``fn()`` with our retries; a final failure raises one ``HostedError`` line."""
        attempt = 0
        while True:
            attempt += 1
            self._pace()
            try:
                return fn()
            except Exception as exc:  # to_hosted_error re-raises what is not an API failure
                error = to_hosted_error(exc, what)
            if not error.retryable or attempt > self.config.max_retries:
                if attempt > 1:
                    error.args = (f"{error} (gave up after {attempt} attempts)",)
                raise error
            backoff = min(self.config.backoff_base * 2 ** (attempt - 1), self.config.backoff_max)
            self._sleep(error.retry_after if error.retry_after is not None else backoff)

    def _pages(self, what: str, first: Callable[[], Any]) -> Iterator[Any]:
        """Every item of a paged list; each page is one retried request."""
        page = self.call(what, first)
        while True:
            yield from page.data
            if not page.has_next_page():
                return
            page = self.call(what, page.get_next_page)

    # -- memory stores ----------------------------------------------------------------------

    def store(self, store_id: str) -> HostedStore:
        return _store(self.call(f"memory store {store_id}", lambda: self._sdk.beta.memory_stores.retrieve(store_id)))

    def create_store(self, name: str, *, description: str = "", metadata: Mapping[str, str] | None = None) -> HostedStore:
        return _store(self.call(f"creating memory store {name!r}", lambda: self._sdk.beta.memory_stores.create(
            name=name, description=description, metadata=dict(metadata or {}))))

    def stores(self) -> list[HostedStore]:
        return [_store(s) for s in self._pages("listing memory stores", lambda: self._sdk.beta.memory_stores.list(limit=100))]

    def memories(self, store_id: str) -> list[HostedMemory]:
        """Every memory of a store, without content (hashes and sizes only), all pages."""
        items = self._pages(f"listing the memories of {store_id}",
                            lambda: self._sdk.beta.memory_stores.memories.list(store_id, limit=100, view="basic"))
        return [_memory(i) for i in items if getattr(i, "type", "memory") == "memory"]

    def memory(self, store_id: str, memory_id: str) -> HostedMemory:
        return _memory(self.call(f"reading memory {memory_id} of {store_id}",
                                 lambda: self._sdk.beta.memory_stores.memories.retrieve(
                                     memory_id, memory_store_id=store_id, view="full")))

    def create_memory(self, store_id: str, path: str, content: str) -> HostedMemory:
        return _memory(self.call(f"creating {path} in {store_id}", lambda: self._sdk.beta.memory_stores.memories.create(
            store_id, path=path, content=content)))

    def update_memory(self, store_id: str, memory_id: str, path: str, content: str, *, expected_sha256: str) -> HostedMemory:
        return _memory(self.call(f"updating {path} in {store_id}", lambda: self._sdk.beta.memory_stores.memories.update(
            memory_id, memory_store_id=store_id, content=content,
            precondition={"type": "content_sha256", "content_sha256": expected_sha256})))

    def delete_memory(self, store_id: str, memory_id: str, path: str, *, expected_sha256: str) -> None:
        self.call(f"deleting {path} from {store_id}", lambda: self._sdk.beta.memory_stores.memories.delete(
            memory_id, memory_store_id=store_id, expected_content_sha256=expected_sha256))

    # -- sessions ---------------------------------------------------------------------------------

    def session(self, session_id: str) -> HostedSession:
        item = self.call(f"session {session_id}", lambda: self._sdk.beta.sessions.retrieve(session_id))
        return HostedSession(id=item.id, created_at=item.created_at, title=item.title, status=item.status)

    def sessions_since(self, since: datetime) -> list[HostedSession]:
        items = self._pages("listing sessions",
                            lambda: self._sdk.beta.sessions.list(created_at_gte=since, order="asc", limit=100))
        return [HostedSession(id=i.id, created_at=i.created_at, title=i.title, status=i.status) for i in items]

    def events(self, session_id: str) -> list[HostedEvent]:
        items = self._pages(f"listing the events of session {session_id}",
                            lambda: self._sdk.beta.sessions.events.list(session_id, limit=100, order="asc"))
        return [_event(i) for i in items]

    # -- dreams -------------------------------------------------------------------------------------

    def create_dream(self, store_id: str, session_ids: Sequence[str], *, model: str, instructions: str | None) -> HostedDream:
        inputs: list[Any] = [{"type": "memory_store", "memory_store_id": store_id},
                             {"type": "sessions", "session_ids": list(session_ids)}]
        extra: dict[str, Any] = {"instructions": instructions} if instructions else {}
        return _dream(self.call("submitting a dream", lambda: self._sdk.beta.dreams.create(
            inputs=inputs, model=model, output_behavior={"type": "create_new"}, **extra)))

    def dream(self, dream_id: str) -> HostedDream:
        return _dream(self.call(f"dream {dream_id}", lambda: self._sdk.beta.dreams.retrieve(dream_id)))

    def dreams_since(self, since: datetime) -> list[HostedDream]:
        pages = self._pages("listing dreams", lambda: self._sdk.beta.dreams.list(created_at_gt=since, limit=100))
        return [_dream(d) for d in pages]


def open_hosted(env: Mapping[str, str] | None = None, **options: Any) -> HostedClient:
    env = os.environ if env is None else env
    return HostedClient(api_key=env.get("ANTHROPIC_API_KEY"), base_url=env.get("ANTHROPIC_BASE_URL") or None,
                        config=HostedConfig.from_env(env), **options)
