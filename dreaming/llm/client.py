"""The Anthropic adapter: the only module that imports ``anthropic``.

A stage hands ``LLMClient.run`` a list of ``LLMRequest`` and gets back one
``LLMResult`` per request, in the same order, each either validated data or
a one-line error.  Nothing in here raises for an API problem: a run that
loses Claude half-way finishes with the offline result for what is missing.

Modes
- ``sync``: requests run concurrently on a thread pool (``concurrency``).
  Requests sharing a cached prefix (model, system prompt, tool) send their
  first member alone, then the rest, so the rest read the cache the first one
  wrote instead of all paying for a write.
- ``batch``: one Message Batch per round (create, poll with growing
  intervals, read the JSONL results); a re-ask or transient error goes into
  the next round.  Time asleep between polls is not active runtime.

Retries are ours, not the SDK's (``max_retries=0`` on the SDK client) so
they are explicit, counted, and fast in tests (``sleep`` is injected):
429, 529, 408/409, other 5xx, timeouts, dropped connections and unparsable
bodies are retried ``max_retries`` times with exponential backoff (base,
doubling, capped), honouring a ``retry-after`` header.  An invalid reply
(no tool call, schema violation, rejected by the stage's validator) is
re-asked ``invalid_retries`` times with the problem stated, then dropped.
A 401/403 stops every later request: the key will not get better.

Budget: before each attempt the request's worst case (input tokens from the
token-counting endpoint, or ``tokens.split_request_tokens`` when that fails
or ``count_tokens="approx"``; every input token at the dearer of input and
cache-write price; ``max_tokens`` of output; halved in batch) is reserved on
the ``CostMeter``; a request that could take the run past ``max_cost`` is not
sent and gets a ``budget`` error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeVar, cast

import anthropic
from anthropic.types.messages.batch_create_params import Request

from dreaming.cost.meter import CostMeter, Usage, worst_case_cost
from dreaming.errors import DreamingError
from dreaming.llm.platforms import Platform, make_sdk
from dreaming.llm.replies import Validator, read_reply
from dreaming.llm.requests import LLMRequest, LLMResult, build_params, cache_group, follow_up
from dreaming.llm.tokens import split_request_tokens

T = TypeVar("T")

#: Batch ``errored`` types worth another round (the rest are final).
TRANSIENT_BATCH_ERRORS = frozenset({"api_error", "overloaded_error", "rate_limit_error", "timeout_error"})
FATAL_KINDS = frozenset({"auth"})
MAX_RETRY_AFTER = 600.0


@dataclass(frozen=True, kw_only=True)
class LLMConfig:
    mode: Literal["sync", "batch"] = "sync"
    concurrency: int = 4
    """Requests in flight at once (sync mode; also token counting)."""
    timeout: float = 300.0
    """Seconds per HTTP request before it counts as timed out (and is retried)."""
    max_retries: int = 4
    """Retries of a transient failure (429, 529, 5xx, timeout, connection, bad body)."""
    invalid_retries: int = 1
    """Re-asks after a reply that does not validate."""
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    poll_interval: float = 10.0
    poll_backoff: float = 1.5
    poll_max_interval: float = 120.0
    batch_max_wait: float = 24 * 3600.0
    """Seconds of polling after which the batch is canceled (what ended is still used)."""
    count_tokens: Literal["api", "approx"] = "api"
    """How the budget counts a request's input: the token-counting endpoint, or the approximation."""

    def __post_init__(self) -> None:
        if self.mode not in ("sync", "batch"):
            raise DreamingError(f"LLM mode must be 'sync' or 'batch', got {self.mode!r}")
        if self.concurrency < 1:
            raise DreamingError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.timeout <= 0 or self.poll_interval < 0 or self.max_retries < 0 or self.invalid_retries < 0:
            raise DreamingError("timeout must be positive; poll interval and retry counts must not be negative")
        if self.count_tokens not in ("api", "approx"):
            raise DreamingError(f"count_tokens must be 'api' or 'approx', got {self.count_tokens!r}")


@dataclass(frozen=True, kw_only=True)
class Failure:
    """An API call that did not succeed, mapped to one line."""

    kind: str
    message: str
    retryable: bool
    retry_after: float | None = None


def _api_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and inner.get("message"):
            return " ".join(str(inner["message"]).split())
    return f"HTTP {exc.status_code}"


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return min(max(float(value) / scale, 0.0), MAX_RETRY_AFTER)
            except ValueError:
                continue
    return None


def _is_transport_error(exc: Exception) -> bool:
    """A network error the SDK did not wrap: it happens while a streamed body (batch results) is read.

    Matched by the HTTP library's package name, because the SDK has used both
    ``httpx`` and ``httpx2`` and we do not import either.
    """
    return any(cls.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore") for cls in type(exc).__mro__)


def classify(exc: Exception, *, timeout: float) -> Failure:
    """Map an SDK (or body-parsing) exception to a ``Failure``; other exceptions are bugs and propagate."""
    if isinstance(exc, anthropic.APITimeoutError):
        return Failure(kind="timeout", message=f"no reply from the Anthropic API within {timeout:g}s", retryable=True)
    if isinstance(exc, anthropic.APIConnectionError):
        return Failure(kind="connection", message=f"cannot reach the Anthropic API: {exc.__cause__ or exc}", retryable=True)
    if isinstance(exc, anthropic.APIStatusError):
        status, detail = exc.status_code, _api_message(exc)
        after = _retry_after(exc.response)
        if status == 429:
            return Failure(
                kind="rate_limited",
                message=f"rate limited by the Anthropic API (429): {detail}",
                retryable=True,
                retry_after=after,
            )
        if status == 529:
            return Failure(
                kind="overloaded",
                message=f"the Anthropic API is overloaded (529): {detail}",
                retryable=True,
                retry_after=after,
            )
        if status >= 500 or status in (408, 409):
            return Failure(kind="server", message=f"Anthropic API error ({status}): {detail}", retryable=True, retry_after=after)
        if status in (401, 403):
            return Failure(
                kind="auth",
                message=f"the Anthropic API refused the key ({status}): {detail}; check ANTHROPIC_API_KEY",
                retryable=False,
            )
        return Failure(kind="rejected", message=f"the Anthropic API rejected the request ({status}): {detail}", retryable=False)
    if _is_transport_error(exc):
        return Failure(kind="connection", message=f"connection to the Anthropic API dropped: {exc}", retryable=True)
    if isinstance(exc, anthropic.APIResponseValidationError | ValueError):
        return Failure(
            kind="malformed",
            message=f"unreadable reply from the Anthropic API: {' '.join(str(exc).split())[:200]}",
            retryable=True,
        )
    if isinstance(exc, anthropic.APIError):
        return Failure(kind="server", message=f"Anthropic API error: {exc}", retryable=False)
    raise exc


def usage_from_api(usage: Any, *, batched: bool) -> tuple[Usage, bool]:
    """Our ``Usage`` from an SDK usage object; also whether the API billed it at the batch tier."""
    breakdown = getattr(usage, "cache_creation", None)
    written = int(getattr(usage, "cache_creation_input_tokens", 0) or 0)
    one_hour = int(getattr(breakdown, "ephemeral_1h_input_tokens", 0) or 0) if breakdown else 0
    five_min = int(getattr(breakdown, "ephemeral_5m_input_tokens", 0) or 0) if breakdown else 0
    five_min += max(written - one_hour - five_min, 0)  # no breakdown: the default 5-minute cache
    tools = getattr(usage, "server_tool_use", None)
    tier = getattr(usage, "service_tier", None)
    return (
        Usage(
            input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
            cache_write_5m_tokens=five_min,
            cache_write_1h_tokens=one_hour,
            cache_read_tokens=int(getattr(usage, "cache_read_input_tokens", 0) or 0),
            web_search_requests=int(getattr(tools, "web_search_requests", 0) or 0) if tools else 0,
            requests=1,
        ),
        tier == "batch" if tier else batched,
    )


def _content(message: Any) -> list[dict[str, Any]]:
    """Plain dicts for the blocks we read (text, tool_use); other block types are ignored."""
    blocks: list[dict[str, Any]] = []
    for block in getattr(message, "content", None) or []:
        kind = getattr(block, "type", None)
        if kind == "text":
            blocks.append({"type": "text", "text": str(getattr(block, "text", ""))})
        elif kind == "tool_use":
            blocks.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
    return blocks


class LLMClient:
    """Sends ``LLMRequest``s through the official SDK and meters what they cost."""

    def __init__(
        self,
        config: LLMConfig,
        meter: CostMeter,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        platform: Platform | None = None,
    ) -> None:
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        self.platform = platform or Platform(name="anthropic")
        self.config = config
        self.meter = meter
        self._sleep = sleep
        self._sdk = make_sdk(self.platform, api_key=key, base_url=base_url, timeout=config.timeout)
        if config.mode == "batch" and not self.platform.batch:  # the platform has no batches: sync, and say so
            self.config = replace(config, mode="sync")
            meter.notes.append(self.platform.batch_note)
        if not self.platform.count_tokens:
            self.config = replace(self.config, count_tokens="approx")
        #: where submitted batches are recorded and found again after a crash (set by the pipeline)
        self.batch_log: BatchLog | None = None
        self._fatal: Failure | None = None
        self._counts: dict[str, int] = {}
        self._counting_failure: Failure | None = None

    def close(self) -> None:
        self._sdk.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API --------------------------------------------------------

    def run(self, requests: Sequence[LLMRequest], *, validate: Validator | None = None) -> list[LLMResult]:
        """One result per request, in order; never raises for API failures."""
        ids = [r.custom_id for r in requests]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate custom_id(s) in one run: {', '.join(duplicates)}")
        if not requests:
            return []
        if self.config.mode == "batch":
            return self._run_batch(list(requests), validate)
        return self._run_sync(list(requests), validate)

    def count_tokens(self, request: LLMRequest) -> tuple[int, str]:
        """Input tokens of a request and how they were counted (``"api"`` or ``"approx"``)."""
        params = self.platform.map_params(build_params(request))
        return self._count(params)

    def count_many(self, requests: Sequence[LLMRequest]) -> list[tuple[int, str]]:
        """``count_tokens`` for many requests, concurrently (for ``dreaming estimate``)."""
        with ThreadPoolExecutor(max_workers=max(1, self.config.concurrency)) as pool:
            return list(pool.map(self.count_tokens, requests))

    # -- shared pieces -----------------------------------------------------

    def _with_retries(self, call: Callable[[], T]) -> tuple[T | None, Failure | None, int]:
        """Run ``call`` until it succeeds, fails for good, or retries run out: (value, failure, attempts)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return call(), None, attempt
            except Exception as exc:  # classify() re-raises anything that is not an API failure
                failure = classify(exc, timeout=self.config.timeout)
            if not failure.retryable or attempt > self.config.max_retries:
                suffix = f" (gave up after {attempt} attempts)" if attempt > 1 else ""
                return None, replace(failure, message=failure.message + suffix), attempt
            backoff = min(self.config.backoff_base * 2 ** (attempt - 1), self.config.backoff_max)
            self._sleep(failure.retry_after if failure.retry_after is not None else backoff)

    def _count(self, params: Mapping[str, Any]) -> tuple[int, str]:
        key = json.dumps(params, sort_keys=True)
        if key in self._counts:
            return self._counts[key], "api"
        if self.config.count_tokens == "api" and self._counting_failure is None:
            fields = {k: v for k, v in params.items() if k in ("model", "system", "messages", "tools", "tool_choice")}
            counted, failure, _ = self._with_retries(lambda: self._sdk.messages.count_tokens(**fields))
            if failure is None and counted is not None:
                self._counts[key] = int(counted.input_tokens)
                return self._counts[key], "api"
            self._counting_failure = failure  # approximate from now on rather than fail (and wait) again
        return split_request_tokens(params).total, "approx"

    def _worst_case(self, request: LLMRequest, params: Mapping[str, Any], *, batched: bool) -> Decimal:
        if self.meter.max_cost is None:
            return Decimal(0)  # no cap: no need to count
        tokens, _ = self._count(params)
        return worst_case_cost(
            self.meter.prices, request.model, input_tokens=tokens, max_tokens=request.max_tokens,
            cache_ttl=request.cache_ttl, batched=batched,
        )

    def _refusal(self, request: LLMRequest, worst: Decimal, usage: Usage, attempts: int, batched: bool) -> LLMResult:
        headroom = self.meter.headroom()
        return LLMResult(
            custom_id=request.custom_id, stage=request.stage, model=request.model, usage=usage, attempts=attempts,
            batched=batched, error_kind="budget",
            error=f"not sent: its worst case ${worst:.4f} exceeds what is left of --max-cost "
            f"${self.meter.max_cost} (${max(headroom or Decimal(0), Decimal(0)):.4f})",
        )

    def _failed(self, request: LLMRequest, failure: Failure, usage: Usage, attempts: int, batched: bool) -> LLMResult:
        if failure.kind in FATAL_KINDS:
            self._fatal = failure
        return LLMResult(
            custom_id=request.custom_id, stage=request.stage, model=request.model, usage=usage,
            attempts=attempts, batched=batched, error_kind=failure.kind, error=failure.message,
        )

    # -- sync ------------------------------------------------------------------

    def _run_sync(self, requests: list[LLMRequest], validate: Validator | None) -> list[LLMResult]:
        """Leaders of each cache group first, then everything else, concurrently."""
        leaders: dict[tuple[Any, ...], int] = {}
        for index, request in enumerate(requests):
            group = cache_group(request)
            if group is not None:
                leaders.setdefault(group, index)
        first = sorted(leaders.values())
        lead = set(first)
        rest = [i for i in range(len(requests)) if i not in lead]
        results: dict[int, LLMResult] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.config.concurrency)) as pool:
            for wave in (first, rest):
                for index, result in zip(wave, pool.map(lambda i: self._one_sync(requests[i], validate), wave)):
                    results[index] = result
        return [results[i] for i in range(len(requests))]

    def _one_sync(self, request: LLMRequest, validate: Validator | None) -> LLMResult:
        params = self.platform.map_params(build_params(request))
        usage, attempts, re_asks = Usage(), 0, self.config.invalid_retries
        while True:
            if self._fatal is not None:
                return self._failed(request, self._fatal, usage, attempts, False)
            worst = self._worst_case(request, params, batched=False)
            reservation = self.meter.reserve(worst)
            if reservation is None:
                return self._refusal(request, worst, usage, attempts, False)
            try:
                # the lambda is called within this iteration
                message, failure, tries = self._with_retries(lambda: self._sdk.messages.create(**params))  # noqa: B023
                attempts += tries
                if failure is not None:
                    return self._failed(request, failure, usage, attempts, False)
                assert message is not None  # _with_retries gives a value or a failure
                spent, batched = usage_from_api(message.usage, batched=False)
                self.meter.record(stage=request.stage, model=request.model, usage=spent, batched=batched)
                usage += spent
            finally:
                self.meter.release(reservation)
            content, stop_reason = _content(message), message.stop_reason
            verdict = read_reply(request, content, stop_reason, validate)
            if verdict.problem is None:
                return LLMResult(custom_id=request.custom_id, stage=request.stage, model=request.model, data=verdict.data,
                                 text=verdict.text, usage=usage, stop_reason=stop_reason, attempts=attempts)
            if verdict.kind != "invalid" or re_asks <= 0:
                return LLMResult(custom_id=request.custom_id, stage=request.stage, model=request.model, text=verdict.text,
                                 usage=usage, stop_reason=stop_reason, attempts=attempts,
                                 error_kind=verdict.kind, error=verdict.problem)
            re_asks -= 1
            params = follow_up(params, content, verdict.problem, request.tool)

    # -- batch -----------------------------------------------------------------

    def _run_batch(self, requests: list[LLMRequest], validate: Validator | None) -> list[LLMResult]:
        state = {
            r.custom_id: _Pending(request=r, params=self.platform.map_params(build_params(r)),
                                  re_asks=self.config.invalid_retries, retries=self.config.max_retries)
            for r in requests
        }
        results: dict[str, LLMResult] = {}
        pending = [r.custom_id for r in requests]
        while pending:
            admitted = self._admit(pending, state, results)
            if not admitted:
                break
            pending = self._batch_round(admitted, state, results, validate)
        return [results[r.custom_id] for r in requests]

    def _admit(self, pending: list[str], state: dict[str, _Pending], results: dict[str, LLMResult]) -> dict[str, Any]:
        """Reserve budget for each pending request (in order); the refused get their result now."""
        with ThreadPoolExecutor(max_workers=max(1, self.config.concurrency)) as pool:
            worsts = list(pool.map(lambda cid: self._worst_case(state[cid].request, state[cid].params, batched=True), pending))
        admitted: dict[str, Any] = {}
        for cid, worst in zip(pending, worsts):
            item = state[cid]
            if self._fatal is not None:
                results[cid] = self._failed(item.request, self._fatal, item.usage, item.rounds, True)
                continue
            reservation = self.meter.reserve(worst)
            if reservation is None:
                results[cid] = self._refusal(item.request, worst, item.usage, item.rounds, True)
            else:
                admitted[cid] = reservation
        return admitted

    def _batch_round(
        self, admitted: dict[str, Any], state: dict[str, _Pending], results: dict[str, LLMResult], validate: Validator | None
    ) -> list[str]:
        """Send one batch, read its results; return the custom ids that go into the next round."""
        again: list[str] = []
        try:
            for cid in admitted:
                state[cid].rounds += 1
            items = [{"custom_id": cid, "params": state[cid].params} for cid in admitted]
            batch_id, failure = self._submit(items)
            lines: list[Any] = []
            if failure is None and batch_id is not None:
                lines, failure = self._await_batch(batch_id)
            if failure is not None:
                for cid in admitted:
                    results[cid] = self._failed(state[cid].request, failure, state[cid].usage, state[cid].rounds, True)
                return []
            seen: set[str] = set()
            for line in lines:
                cid = line.custom_id
                if cid not in admitted or cid in seen:
                    continue
                seen.add(cid)
                if self._settle(state[cid], line.result, results, validate):
                    again.append(cid)
            for cid in admitted:
                if cid not in seen:
                    results[cid] = self._failed(
                        state[cid].request,
                        Failure(
                            kind="server", message="the batch returned no result for this request", retryable=False
                        ),
                        state[cid].usage,
                        state[cid].rounds,
                        True,
                    )
        finally:
            for reservation in admitted.values():
                self.meter.release(reservation)
        return again

    def _submit(self, items: list[dict[str, Any]]) -> tuple[str | None, Failure | None]:
        """The batch answering ``items``: one a killed run already submitted
        for exactly these requests (found in ``batch_log``, still known to the
        API), else a new one, recorded in ``batch_log`` before it is polled."""
        digest = batch_digest(items)
        log = self.batch_log
        known = log.find(digest) if log is not None else None
        if known is not None:
            found, failure, _ = self._with_retries(lambda: self._sdk.messages.batches.retrieve(known))
            if failure is None and found is not None and getattr(found, "processing_status", None) != "canceling":
                return known, None
        # items hold the Messages API's parameters as plain dicts; the SDK types a batch request as a TypedDict
        requests = [cast(Request, item) for item in items]
        batch, failure, _ = self._with_retries(lambda: self._sdk.messages.batches.create(requests=requests))
        if failure is not None or batch is None:
            return None, failure
        if log is not None:
            log.record(digest, batch.id)
        return batch.id, None

    def _await_batch(self, batch_id: str) -> tuple[list[Any], Failure | None]:
        """Poll until the batch ends (asleep = not active runtime), then read every result line.
        The store's dream lock is let go meanwhile (``batch_log.waiting``)."""
        log = self.batch_log
        with log.waiting() if log is not None else contextlib.nullcontext():
            return self._poll_batch(batch_id)

    def _poll_batch(self, batch_id: str) -> tuple[list[Any], Failure | None]:
        interval, waited, canceled = self.config.poll_interval, 0.0, False
        while True:
            with self.meter.waiting():
                self._sleep(interval)
            waited += interval
            batch, failure, _ = self._with_retries(lambda: self._sdk.messages.batches.retrieve(batch_id))
            if failure is not None or batch is None:
                return [], failure
            if batch.processing_status == "ended":
                break
            if waited >= self.config.batch_max_wait:
                if canceled:
                    return [], Failure(kind="timeout", message=f"batch {batch_id} did not end after cancelation", retryable=False)
                self._with_retries(lambda: self._sdk.messages.batches.cancel(batch_id))
                canceled = True
            interval = min(interval * self.config.poll_backoff, self.config.poll_max_interval)
        lines, failure, _ = self._with_retries(lambda: list(self._sdk.messages.batches.results(batch_id)))
        return lines or [], failure

    def _settle(self, item: _Pending, result: Any, results: dict[str, LLMResult], validate: Validator | None) -> bool:
        """Record one batch result; True when the request goes into the next round."""
        request, kind = item.request, getattr(result, "type", None)
        if kind == "succeeded":
            message = result.message
            spent, batched = usage_from_api(message.usage, batched=True)
            self.meter.record(stage=request.stage, model=request.model, usage=spent, batched=batched)
            item.usage += spent
            content = _content(message)
            verdict = read_reply(request, content, message.stop_reason, validate)
            if verdict.problem is None:
                results[request.custom_id] = LLMResult(
                    custom_id=request.custom_id, stage=request.stage, model=request.model, data=verdict.data,
                    text=verdict.text, usage=item.usage, stop_reason=message.stop_reason, attempts=item.rounds, batched=True,
                )
                return False
            if verdict.kind == "invalid" and item.re_asks > 0:
                item.re_asks -= 1
                item.params = follow_up(item.params, content, verdict.problem, request.tool)
                return True
            results[request.custom_id] = LLMResult(
                custom_id=request.custom_id, stage=request.stage, model=request.model, text=verdict.text,
                usage=item.usage, stop_reason=message.stop_reason, attempts=item.rounds, batched=True,
                error_kind=verdict.kind, error=verdict.problem,
            )
            return False
        if kind == "errored":
            error = getattr(getattr(result, "error", None), "error", None)
            etype, detail = getattr(error, "type", "api_error"), " ".join(str(getattr(error, "message", "")).split())
            if etype in TRANSIENT_BATCH_ERRORS and item.retries > 0:
                item.retries -= 1
                return True
            failure = Failure(
                kind="overloaded"
                if etype == "overloaded_error"
                else "rejected"
                if etype == "invalid_request_error"
                else "server",
                message=f"batch request errored ({etype}): {detail}",
                retryable=False,
            )
        elif kind == "expired":
            failure = Failure(kind="expired", message="batch request expired before it was processed", retryable=False)
        else:
            failure = Failure(kind="canceled", message="batch request canceled (batch_max_wait reached)", retryable=False)
        results[request.custom_id] = self._failed(request, failure, item.usage, item.rounds, True)
        return False


class BatchLog(Protocol):
    """Where a run keeps the batches it submitted (the store's run row)."""

    def find(self, digest: str) -> str | None:
        """The batch a run that never finished submitted for these requests."""

    def record(self, digest: str, batch_id: str) -> None:
        """Keep ``batch_id`` before it is polled."""

    def waiting(self) -> AbstractContextManager[None]:
        """Around the polling: the dream lock is released and taken back."""


def batch_digest(items: Sequence[Mapping[str, Any]]) -> str:
    """What identifies a batch's requests (the same dream rerun sends the same ones)."""
    return hashlib.sha256(json.dumps(items, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(kw_only=True)
class _Pending:
    """A batched request between rounds (mutable: it carries its retry allowances)."""

    request: LLMRequest
    params: dict[str, Any]
    re_asks: int
    retries: int
    rounds: int = 0
    usage: Usage = Usage()
