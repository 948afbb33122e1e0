"""The hosted Managed Agents endpoints of the fake API: memory stores, memories,
memory versions, sessions and their events, and Dreams.

Mounted by :class:`dreaming.testing.fake_server.FakeAnthropicServer` (its
``hosted`` attribute), so the real ``anthropic`` SDK's ``client.beta.memory_stores``,
``.sessions`` and ``.dreams`` run unmodified against it.  Shapes follow the
SDK's types field by field (``anthropic/types/beta/beta_managed_agents_memory*.py``,
``beta_dream*.py``, ``sessions/beta_managed_agents_*_event.py``):

- lists page with an opaque ``page`` cursor and ``next_page``;
- create on an occupied path is 409 ``memory_path_conflict_error``; an update
  whose ``precondition`` hash does not match is 409
  ``memory_precondition_failed_error`` unless the memory already holds the
  requested state (then 200, nothing written); a delete with a wrong
  ``expected_content_sha256`` is 409 too;
- every write appends a memory version (``created`` / ``modified`` / ``deleted``);
- content above 102,400 bytes, a path the API refuses (the documented rules,
  plus any in ``refuse_paths``) and a bad page cursor are 400;
- a key in ``revoked_keys`` is 401; unknown ids are 404;
- a dream is ``pending`` then ``running`` (its output store appears in
  ``outputs``) for ``dream_polls`` retrievals, then ``completed``: its output
  store is written by ``dream_writer`` (default: :func:`default_dream_writer`)
  and ``usage`` is set from the bytes read and written.

Scripting for tests: :meth:`FakeHosted.add_store`, :meth:`add_memory`,
:meth:`agent_write` / :meth:`agent_delete` (a session's agent editing the
store), :meth:`add_session`, and :meth:`fail` (a fault on the n-th call of a
route, e.g. ``fail("memories.list", Fault(status=500), after=1)`` for a 500 on
the second page, or ``Fault(status=429, retry_after=0.01)``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_CONTENT = 102_400
SUPPORTED_DREAM_MODELS = ("claude-opus-4-7", "claude-sonnet-4-6")

Response = tuple[int, dict[str, str], bytes, float]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class _Clock:
    """Strictly increasing timestamps (so lists sort and filters are exact)."""

    def __init__(self) -> None:
        self._last = datetime.now(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            now = max(datetime.now(timezone.utc), self._last + timedelta(microseconds=1))
            self._last = now
            return now


@dataclass(kw_only=True)
class _Memory:
    id: str
    store_id: str
    path: str
    content: str
    version_id: str
    created_at: datetime
    updated_at: datetime

    def to_json(self, *, full: bool) -> dict[str, Any]:
        return {
            "type": "memory", "id": self.id, "memory_store_id": self.store_id, "path": self.path,
            "content_sha256": _sha(self.content), "content_size_bytes": len(self.content.encode("utf-8")),
            "memory_version_id": self.version_id, "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at), "content": self.content if full else None,
        }


@dataclass(kw_only=True)
class _Store:
    id: str
    name: str
    description: str
    metadata: dict[str, str]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None
    memories: dict[str, _Memory] = field(default_factory=dict)
    versions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"type": "memory_store", "id": self.id, "name": self.name, "description": self.description,
                "metadata": dict(self.metadata), "created_at": _iso(self.created_at),
                "updated_at": _iso(self.updated_at), "archived_at": _iso(self.archived_at)}

    def by_path(self, path: str) -> _Memory | None:
        return next((m for m in self.memories.values() if m.path == path), None)


@dataclass(kw_only=True)
class _Session:
    id: str
    title: str | None
    created_at: datetime
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "session", "id": self.id, "title": self.title, "status": "idle",
            "created_at": _iso(self.created_at), "updated_at": _iso(self.created_at), "archived_at": None,
            "agent": {"type": "agent", "id": "agent_fake", "version": 1, "name": "fake agent"},
            "environment_id": "env_fake", "metadata": {}, "outcome_evaluations": [], "resources": [],
            "stats": {"active_seconds": 0.0, "duration_seconds": 0.0}, "usage": {}, "vault_ids": [],
        }


@dataclass(kw_only=True)
class _Dream:
    id: str
    store_id: str
    session_ids: list[str]
    model: str
    instructions: str | None
    output_behavior: dict[str, Any]
    created_at: datetime
    polls_left: int
    status: str = "pending"
    output_store_id: str | None = None
    ended_at: datetime | None = None
    usage: dict[str, int] = field(default_factory=lambda: {
        "input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
    error: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        outputs = [{"type": "memory_store", "memory_store_id": self.output_store_id}] if self.output_store_id else []
        return {
            "type": "dream", "id": self.id, "status": self.status, "created_at": _iso(self.created_at),
            "ended_at": _iso(self.ended_at), "archived_at": None, "error": self.error,
            "inputs": [{"type": "memory_store", "memory_store_id": self.store_id},
                       {"type": "sessions", "session_ids": sorted(self.session_ids)}],
            "instructions": self.instructions, "model": {"id": self.model, "speed": "standard"},
            "output_behavior": self.output_behavior, "outputs": outputs, "session_id": None,
            "usage": dict(self.usage),
        }


class HostedBadRequest(Exception):
    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


DreamWriter = Callable[[Mapping[str, str], Sequence[Sequence[Mapping[str, Any]]], str | None], dict[str, str]]


def _event_text(event: Mapping[str, Any]) -> str:
    return " ".join(str(b.get("text", "")) for b in event.get("content") or [] if isinstance(b, Mapping))


def default_dream_writer(files: Mapping[str, str], sessions: Sequence[Sequence[Mapping[str, Any]]],
                         instructions: str | None) -> dict[str, str]:
    """A plausible, deterministic hosted dream: drop bullets repeated across or within
    files (case and spacing ignored), and file what the user asked to remember
    ("remember ...", "I prefer ...") under ``/dream/from-sessions.md``."""
    seen: set[str] = set()
    out: dict[str, str] = {}
    for path in sorted(files):
        kept = []
        for line in files[path].split("\n"):
            key = " ".join(line.lower().split()).lstrip("-* ")
            if line.strip().startswith(("-", "*")) and key in seen:
                continue
            if line.strip().startswith(("-", "*")):
                seen.add(key)
            kept.append(line)
        text = "\n".join(kept)
        if text.strip():
            out[path] = text
    learnt = []
    for events in sessions:
        for event in events:
            if event.get("type") != "user.message":
                continue
            text = _event_text(event).strip()
            low = text.lower()
            if low.startswith(("remember", "i prefer", "note that")):
                fact = re.sub(r"^(remember( that)?|note that)[:,]?\s*", "", text, flags=re.I).strip()
                fact = fact[:1].upper() + fact[1:]
                if fact and " ".join(fact.lower().split()) not in seen:
                    seen.add(" ".join(fact.lower().split()))
                    learnt.append(f"- {fact}")
    if learnt:
        out["/dream/from-sessions.md"] = "\n".join(learnt) + "\n"
    return out


def seed_demo(hosted: FakeHosted) -> tuple[str, str]:
    """The store and session the README's Managed Agents walk-through uses (``--hosted-demo``)."""
    sid = hosted.add_store("support agent", store_id="memstore_demo")
    hosted.add_memory(sid, "/user/preferences.md", "- Prefers short answers\n- Uses tabs over spaces\n- prefers short answers\n")
    hosted.add_memory(sid, "/projects/atlas.md", "- The Atlas deploy runs on Fridays\n")
    session = hosted.add_session([
        {"type": "user.message", "text": "Remember that the Atlas deploy moved to Thursdays."},
        {"type": "agent.message", "text": "Noted: Atlas deploys on Thursdays from now on."},
        {"type": "agent.tool_use", "name": "write", "input": {"file_path": "/mnt/memory/support-agent/projects/atlas.md",
                                                               "content": "- The Atlas deploy runs on Thursdays"}},
        {"type": "agent.tool_result", "tool_use_id": "", "text": "ok"},
        {"type": "user.message", "text": "I prefer answers in French."},
        {"type": "agent.message", "text": "D'accord."},
    ], title="deploy day", session_id="sesn_demo")
    return sid, session


@dataclass(kw_only=True)
class _Fault:
    after: int
    times: int
    fault: Any


class FakeHosted:
    """State and routes of the hosted endpoints (thread-safe)."""

    def __init__(self, *, new_id: Callable[[str], str], render_fault: Callable[[Any], Response],
                 dream_polls: int = 2) -> None:
        self._new_id = new_id
        self._render_fault = render_fault
        self.dream_polls = dream_polls
        self.dream_writer: DreamWriter = default_dream_writer
        self.dream_outcome = "completed"
        self.stores: dict[str, _Store] = {}
        self.sessions: dict[str, _Session] = {}
        self.dreams: dict[str, _Dream] = {}
        self.revoked_keys: set[str] = set()
        self.refuse_paths: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        #: seconds every hosted reply waits (so a test can kill a client mid-way)
        self.delay = 0.0
        #: seconds a given route's reply waits, after the request took effect (``{"dreams.create": 5}``)
        self.route_delays: dict[str, float] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._lock = threading.RLock()
        self._clock = _Clock()
        self._seen: dict[str, int] = {}

    # -- scripting --------------------------------------------------------------

    def add_store(self, name: str = "agent memory", *, description: str = "", store_id: str | None = None) -> str:
        with self._lock:
            now = self._clock.now()
            sid = store_id or self._new_id("memstore")
            self.stores[sid] = _Store(id=sid, name=name, description=description, metadata={}, created_at=now, updated_at=now)
            return sid

    def add_memory(self, store_id: str, path: str, content: str, *, actor: Mapping[str, Any] | None = None) -> str:
        with self._lock:
            return self._create(self.stores[store_id], path, content, actor or self._actor()).id

    def agent_write(self, store_id: str, path: str, content: str, *, session_id: str = "sesn_agent") -> None:
        """A session's agent writes ``path`` through the mounted filesystem (create or modify)."""
        actor = {"type": "session_actor", "session_id": session_id}
        with self._lock:
            store = self.stores[store_id]
            mem = store.by_path(path)
            if mem is None:
                self._create(store, path, content, actor)
            else:
                self._modify(store, mem, content, None, actor)

    def agent_delete(self, store_id: str, path: str, *, session_id: str = "sesn_agent") -> None:
        with self._lock:
            store = self.stores[store_id]
            mem = store.by_path(path)
            if mem is not None:
                self._delete(store, mem, {"type": "session_actor", "session_id": session_id})

    def files(self, store_id: str) -> dict[str, str]:
        """``{path: content}`` of a store, as it stands."""
        with self._lock:
            return {m.path: m.content for m in self.stores[store_id].memories.values()}

    def add_session(self, events: Sequence[Mapping[str, Any]], *, title: str | None = None,
                    session_id: str | None = None, created_at: datetime | None = None) -> str:
        """A session whose events are given as ``{"type": "user.message", "text": ...}``,
        ``{"type": "agent.tool_use", "name", "input"}``, ``{"type": "agent.tool_result",
        "tool_use_id", "text", "is_error"}``, or any full event object."""
        with self._lock:
            sid = session_id or self._new_id("sesn")
            session = _Session(id=sid, title=title, created_at=created_at or self._clock.now())
            for event in events:
                session.events.append(self._event(dict(event)))
            self.sessions[sid] = session
            return sid

    def add_events(self, session_id: str, events: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            self.sessions[session_id].events.extend(self._event(dict(e)) for e in events)

    def fail(self, route: str, fault: Any, *, after: int = 0, times: int = 1) -> None:
        """Answer calls ``after+1`` .. ``after+times`` (counted from now) of ``route`` with ``fault``."""
        with self._lock:
            base = self._seen.get(route, 0)
            self._faults.setdefault(route, []).append(_Fault(after=base + after, times=times, fault=fault))

    def count(self, route: str) -> int:
        with self._lock:
            return sum(1 for r, _ in self.calls if r == route)

    def take_fault(self, route: str) -> Any:
        with self._lock:
            n = self._seen.get(route, 0)
            self._seen[route] = n + 1
            for f in self._faults.get(route, []):
                if f.after <= n < f.after + f.times:
                    return f.fault
            return None

    # -- model --------------------------------------------------------------------

    def _event(self, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("id", self._new_id("sevt"))
        event.setdefault("processed_at", _iso(self._clock.now()))
        if "text" in event and "content" not in event:
            event["content"] = [{"type": "text", "text": event.pop("text")}]
        return event

    def _version(self, store: _Store, mem: _Memory, operation: str, actor: Mapping[str, Any]) -> str:
        vid = self._new_id("memver")
        deleted = operation == "deleted"
        store.versions.append({
            "type": "memory_version", "id": vid, "memory_id": mem.id, "memory_store_id": store.id,
            "operation": operation, "created_at": _iso(self._clock.now()), "created_by": dict(actor),
            "path": mem.path, "content": None if deleted else mem.content,
            "content_sha256": None if deleted else _sha(mem.content),
            "content_size_bytes": None if deleted else len(mem.content.encode("utf-8")),
            "redacted_at": None, "redacted_by": None,
        })
        return vid

    def _check_path(self, path: Any) -> str:
        if not isinstance(path, str) or not path.startswith("/"):
            raise HostedBadRequest(400, "path: must be a string starting with /")
        segments = path[1:].split("/")
        if not 1 <= len(segments) <= 20 or any(s in ("", ".", "..") for s in segments):
            raise HostedBadRequest(400, f"path: {path!r} must have 1 to 20 segments, none empty, '.' or '..'")
        if len(path.encode("utf-8")) > 1024 or unicodedata.normalize("NFC", path) != path:
            raise HostedBadRequest(400, "path: must be NFC and at most 1,024 bytes")
        if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in path):
            raise HostedBadRequest(400, "path: must not contain control or format characters")
        if any(bad in path for bad in self.refuse_paths):
            raise HostedBadRequest(400, f"path: {path!r} is not allowed in this memory store")
        return path

    @staticmethod
    def _check_content(content: Any) -> str:
        if content is None:
            return ""
        if not isinstance(content, str):
            raise HostedBadRequest(400, "content: expected a string")
        if len(content.encode("utf-8")) > MAX_CONTENT:
            raise HostedBadRequest(400, f"content: {len(content.encode('utf-8')):,} bytes exceeds the maximum of 102,400 bytes")
        return content

    def _writable(self, store: _Store) -> None:
        if store.archived_at is not None:
            raise HostedBadRequest(400, f"memory store {store.id} is archived")

    def _create(self, store: _Store, path: str, content: str, actor: Mapping[str, Any]) -> _Memory:
        if store.by_path(path) is not None:
            raise HostedBadRequest(409, f"a memory already exists at path {path}", "memory_path_conflict_error")
        now = self._clock.now()
        mem = _Memory(id=self._new_id("mem"), store_id=store.id, path=path, content=content, version_id="",
                      created_at=now, updated_at=now)
        mem.version_id = self._version(store, mem, "created", actor)
        store.memories[mem.id] = mem
        return mem

    def _modify(self, store: _Store, mem: _Memory, content: str | None, path: str | None, actor: Mapping[str, Any]) -> None:
        if path is not None and path != mem.path:
            other = store.by_path(path)
            if other is not None:
                raise HostedBadRequest(409, f"a memory already exists at path {path}", "memory_path_conflict_error")
            mem.path = path
        if content is not None:
            mem.content = content
        mem.updated_at = self._clock.now()
        mem.version_id = self._version(store, mem, "modified", actor)

    def _delete(self, store: _Store, mem: _Memory, actor: Mapping[str, Any]) -> None:
        self._version(store, mem, "deleted", actor)
        del store.memories[mem.id]

    # -- routing -------------------------------------------------------------------------

    ROUTES = (
        ("POST", r"/v1/memory_stores", "memory_stores.create"),
        ("GET", r"/v1/memory_stores", "memory_stores.list"),
        ("GET", r"/v1/memory_stores/(?P<store>[^/]+)", "memory_stores.retrieve"),
        ("POST", r"/v1/memory_stores/(?P<store>[^/]+)", "memory_stores.update"),
        ("DELETE", r"/v1/memory_stores/(?P<store>[^/]+)", "memory_stores.delete"),
        ("POST", r"/v1/memory_stores/(?P<store>[^/]+)/archive", "memory_stores.archive"),
        ("POST", r"/v1/memory_stores/(?P<store>[^/]+)/memories", "memories.create"),
        ("GET", r"/v1/memory_stores/(?P<store>[^/]+)/memories", "memories.list"),
        ("GET", r"/v1/memory_stores/(?P<store>[^/]+)/memories/(?P<memory>[^/]+)", "memories.retrieve"),
        ("POST", r"/v1/memory_stores/(?P<store>[^/]+)/memories/(?P<memory>[^/]+)", "memories.update"),
        ("DELETE", r"/v1/memory_stores/(?P<store>[^/]+)/memories/(?P<memory>[^/]+)", "memories.delete"),
        ("GET", r"/v1/memory_stores/(?P<store>[^/]+)/memory_versions", "memory_versions.list"),
        ("GET", r"/v1/memory_stores/(?P<store>[^/]+)/memory_versions/(?P<version>[^/]+)", "memory_versions.retrieve"),
        ("POST", r"/v1/memory_stores/(?P<store>[^/]+)/memory_versions/(?P<version>[^/]+)/redact", "memory_versions.redact"),
        ("GET", r"/v1/sessions", "sessions.list"),
        ("GET", r"/v1/sessions/(?P<session>[^/]+)", "sessions.retrieve"),
        ("GET", r"/v1/sessions/(?P<session>[^/]+)/events", "sessions.events.list"),
        ("POST", r"/v1/dreams", "dreams.create"),
        ("GET", r"/v1/dreams", "dreams.list"),
        ("GET", r"/v1/dreams/(?P<dream>[^/]+)", "dreams.retrieve"),
        ("POST", r"/v1/dreams/(?P<dream>[^/]+)/cancel", "dreams.cancel"),
        ("POST", r"/v1/dreams/(?P<dream>[^/]+)/archive", "dreams.archive"),
    )
    _COMPILED = tuple((m, re.compile(f"^{p}$"), name) for m, p, name in ROUTES)

    @classmethod
    def route_of(cls, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        clean = urlsplit(path).path.rstrip("/")
        for m, pattern, name in cls._COMPILED:
            match = pattern.match(clean)
            if m == method and match:
                return name, match.groupdict()
        return None

    def handle(self, method: str, path: str, body: Any, headers: Mapping[str, str]) -> Response | None:
        """Answer a hosted route, or None when ``path`` is not one."""
        found = self.route_of(method, path)
        if found is None:
            return None
        route, ids = found
        with self._lock:
            self.calls.append((route, path))
        key = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        if key in self.revoked_keys:
            return _error(401, "invalid x-api-key: this API key has been revoked", "authentication_error")
        fault = self.take_fault(route)
        if fault is not None:
            return self._render_fault(fault)
        query = {k: v if len(v) > 1 or k.endswith("[]") or k in ("types", "statuses") else v[0]
                 for k, v in parse_qs(urlsplit(path).query).items()}
        try:
            with self._lock:
                status, data = getattr(self, "_" + route.replace(".", "_"))(ids, query, body if isinstance(body, dict) else {})
        except HostedBadRequest as exc:
            return _error(exc.status, str(exc), exc.error_type)
        return _json(status, data)[:3] + (self.delay + self.route_delays.get(route, 0.0),)

    # -- helpers ------------------------------------------------------------------------------

    def _store(self, ids: Mapping[str, str]) -> _Store:
        store = self.stores.get(ids["store"])
        if store is None:
            raise HostedBadRequest(404, f"memory store {ids['store']} not found", "not_found_error")
        return store

    def _memory(self, store: _Store, ids: Mapping[str, str]) -> _Memory:
        mem = store.memories.get(ids["memory"])
        if mem is None:
            raise HostedBadRequest(404, f"memory {ids['memory']} not found in {store.id}", "not_found_error")
        return mem

    @staticmethod
    def _page(items: Sequence[Any], query: Mapping[str, Any], *, max_limit: int = 100, default: int = 20) -> dict[str, Any]:
        try:
            limit = int(query.get("limit", default))
        except ValueError:
            raise HostedBadRequest(400, "limit: expected an integer") from None
        if not 1 <= limit <= max_limit:
            raise HostedBadRequest(400, f"limit: must be between 1 and {max_limit}")
        cursor = query.get("page")
        start = 0
        if cursor:
            match = re.fullmatch(r"pg_([0-9a-f]+)", str(cursor))
            if not match:
                raise HostedBadRequest(400, f"page: invalid cursor {cursor!r}")
            start = int(match.group(1), 16)
        chunk = list(items[start:start + limit])
        more = start + limit < len(items)
        return {"data": chunk, "next_page": f"pg_{start + limit:x}" if more else None}

    @staticmethod
    def _actor() -> dict[str, str]:
        return {"type": "api_actor", "api_key_id": "apikey_fake"}

    # -- memory stores ------------------------------------------------------------------

    def _memory_stores_create(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise HostedBadRequest(400, "name: 1 to 255 characters required")
        sid = self.add_store(name, description=str(body.get("description") or ""))
        self.stores[sid].metadata = dict(body.get("metadata") or {})
        return 200, self.stores[sid].to_json()

    def _memory_stores_list(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        archived = str(query.get("include_archived", "false")).lower() == "true"
        items = [s.to_json() for s in sorted(self.stores.values(), key=lambda s: s.created_at, reverse=True)
                 if archived or s.archived_at is None]
        return 200, self._page(items, query)

    def _memory_stores_retrieve(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        return 200, self._store(ids).to_json()

    def _memory_stores_update(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        self._writable(store)
        for key in ("name", "description"):
            if body.get(key) is not None:
                setattr(store, key, str(body[key]))
        if body.get("metadata") is not None:
            store.metadata.update({k: v for k, v in body["metadata"].items() if v is not None})
        store.updated_at = self._clock.now()
        return 200, store.to_json()

    def _memory_stores_delete(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        del self.stores[store.id]
        return 200, {"type": "memory_store_deleted", "id": store.id}

    def _memory_stores_archive(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        store.archived_at = store.archived_at or self._clock.now()
        return 200, store.to_json()

    # -- memories ----------------------------------------------------------------------------

    def _memories_create(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        self._writable(store)
        path = self._check_path(body.get("path"))
        content = self._check_content(body.get("content"))
        mem = self._create(store, path, content, self._actor())
        return 200, mem.to_json(full=query.get("view") == "full")

    def _memories_list(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        full = query.get("view") == "full"
        prefix = str(query.get("path_prefix") or "/")
        if not prefix.endswith("/"):
            raise HostedBadRequest(400, "path_prefix: must end with /")
        depth = int(query.get("depth", 0) or 0)
        items: list[dict[str, Any]] = []
        prefixes: set[str] = set()
        for mem in sorted(store.memories.values(), key=lambda m: m.path):
            if not mem.path.startswith(prefix):
                continue
            rest = mem.path[len(prefix):].split("/")
            if depth and len(rest) > depth:
                folder = prefix + "/".join(rest[:depth]) + "/"
                if folder not in prefixes:
                    prefixes.add(folder)
                    items.append({"type": "memory_prefix", "path": folder})
                continue
            items.append(mem.to_json(full=full))
        return 200, self._page(items, query, max_limit=20 if full else 100)

    def _memories_retrieve(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        return 200, self._memory(store, ids).to_json(full=query.get("view", "full") == "full")

    def _memories_update(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        self._writable(store)
        mem = self._memory(store, ids)
        content = self._check_content(body["content"]) if body.get("content") is not None else None
        path = self._check_path(body["path"]) if body.get("path") is not None else None
        precondition = body.get("precondition")
        if precondition is not None:
            wanted_sha = str(precondition.get("content_sha256"))
            if precondition.get("type") != "content_sha256" or not re.fullmatch(r"[0-9a-f]{64}", wanted_sha):
                raise HostedBadRequest(400, "precondition: expected {type: content_sha256, content_sha256: 64 hex}")
            if precondition["content_sha256"] != _sha(mem.content):
                wanted = (content if content is not None else mem.content, path or mem.path)
                if wanted == (mem.content, mem.path):
                    return 200, mem.to_json(full=query.get("view") == "full")  # already the requested state
                raise HostedBadRequest(
                    409, f"precondition failed: memory {mem.id} has content_sha256 {_sha(mem.content)}",
                    "memory_precondition_failed_error")
        if (content is None or content == mem.content) and (path is None or path == mem.path):
            return 200, mem.to_json(full=query.get("view") == "full")
        self._modify(store, mem, content, path, self._actor())
        return 200, mem.to_json(full=query.get("view") == "full")

    def _memories_delete(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        mem = self._memory(store, ids)
        expected = query.get("expected_content_sha256")
        if expected is not None and expected != _sha(mem.content):
            raise HostedBadRequest(409, f"precondition failed: memory {mem.id} has content_sha256 {_sha(mem.content)}",
                                   "memory_precondition_failed_error")
        self._delete(store, mem, self._actor())
        return 200, {"type": "memory_deleted", "id": mem.id}

    # -- memory versions ------------------------------------------------------------------------

    def _memory_versions_list(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        store = self._store(ids)
        full = query.get("view") == "full"
        items = []
        for v in reversed(store.versions):
            if query.get("memory_id") and v["memory_id"] != query["memory_id"]:
                continue
            if query.get("operation") and v["operation"] != query["operation"]:
                continue
            items.append(v if full else {**v, "content": None})
        return 200, self._page(items, query, max_limit=20 if full else 100)

    def _find_version(self, store: _Store, vid: str) -> dict[str, Any]:
        version = next((v for v in store.versions if v["id"] == vid), None)
        if version is None:
            raise HostedBadRequest(404, f"memory version {vid} not found", "not_found_error")
        return version

    def _memory_versions_retrieve(self, ids: Mapping[str, str], query: Mapping[str, Any],
                                  body: dict[str, Any]) -> tuple[int, Any]:
        return 200, self._find_version(self._store(ids), ids["version"])

    def _memory_versions_redact(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        version = self._find_version(self._store(ids), ids["version"])
        version.update(content=None, content_sha256=None, content_size_bytes=None, path=None,
                       redacted_at=_iso(self._clock.now()), redacted_by=self._actor())
        return 200, version

    # -- sessions ----------------------------------------------------------------------------------

    def _sessions_list(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        sessions = sorted(self.sessions.values(), key=lambda s: s.created_at, reverse=query.get("order") != "asc")
        for op in ("gt", "gte", "lt", "lte"):
            bound = query.get(f"created_at[{op}]")
            if bound:
                at = datetime.fromisoformat(str(bound).replace("Z", "+00:00"))
                sessions = [s for s in sessions if _compare(s.created_at, op, at)]
        page = self._page([s.to_json() for s in sessions], query)
        page["prev_page"] = None
        return 200, page

    def _session(self, ids: Mapping[str, str]) -> _Session:
        session = self.sessions.get(ids["session"])
        if session is None:
            raise HostedBadRequest(404, f"session {ids['session']} not found", "not_found_error")
        return session

    def _sessions_retrieve(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        return 200, self._session(ids).to_json()

    def _sessions_events_list(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        events = list(self._session(ids).events)
        if query.get("order") == "desc":
            events.reverse()
        return 200, self._page(events, query, max_limit=1000, default=100)

    # -- dreams --------------------------------------------------------------------------------------

    def _dreams_create(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        inputs = body.get("inputs") or []
        stores = [i for i in inputs if isinstance(i, dict) and i.get("type") == "memory_store"]
        sessions = [i for i in inputs if isinstance(i, dict) and i.get("type") == "sessions"]
        if len(stores) != 1 or len(sessions) != 1 or len(inputs) != 2:
            raise HostedBadRequest(400, "inputs: exactly one memory_store entry and one sessions entry are required")
        store = self._store({"store": str(stores[0].get("memory_store_id"))})
        if store.archived_at is not None:
            raise HostedBadRequest(400, f"memory store {store.id} is archived")
        session_ids = sessions[0].get("session_ids") or []
        if not 1 <= len(session_ids) <= 100 or len(set(session_ids)) != len(session_ids):
            raise HostedBadRequest(400, "inputs.sessions.session_ids: 1 to 100 ids, no duplicates")
        for sid in session_ids:
            self._session({"session": sid})
        model = body.get("model")
        model_id = model.get("id") if isinstance(model, dict) else model
        if model_id not in SUPPORTED_DREAM_MODELS:
            raise HostedBadRequest(400, f"model: {model_id!r} is not supported for dreams ({', '.join(SUPPORTED_DREAM_MODELS)})")
        instructions = body.get("instructions")
        if instructions is not None and not 1 <= len(str(instructions)) <= 4096:
            raise HostedBadRequest(400, "instructions: 1 to 4,096 characters")
        behavior = body.get("output_behavior") or {"type": "create_new"}
        if behavior.get("type") == "update_existing" and behavior.get("memory_store_id") != store.id:
            raise HostedBadRequest(400, "output_behavior.memory_store_id: must be the dream's input memory store")
        dream = _Dream(id=self._new_id("drm"), store_id=store.id, session_ids=list(session_ids), model=str(model_id),
                       instructions=instructions, output_behavior=dict(behavior), created_at=self._clock.now(),
                       polls_left=self.dream_polls)
        self.dreams[dream.id] = dream
        return 200, dream.to_json()

    def _dreams_list(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        dreams = sorted(self.dreams.values(), key=lambda d: d.created_at, reverse=True)
        bound = query.get("created_at[gt]")
        if bound:
            at = datetime.fromisoformat(str(bound).replace("Z", "+00:00"))
            dreams = [d for d in dreams if d.created_at > at]
        return 200, self._page([d.to_json() for d in dreams], query)

    def _dream(self, ids: Mapping[str, str]) -> _Dream:
        dream = self.dreams.get(ids["dream"])
        if dream is None:
            raise HostedBadRequest(404, f"dream {ids['dream']} not found", "not_found_error")
        return dream

    def _dreams_retrieve(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        dream = self._dream(ids)
        if dream.status in ("pending", "running"):
            self._advance(dream)
        return 200, dream.to_json()

    def _advance(self, dream: _Dream) -> None:
        if dream.status == "pending":
            dream.status = "running"
            source = self.stores[dream.store_id]
            if dream.output_behavior.get("type") == "update_existing":
                dream.output_store_id = source.id
            else:
                dream.output_store_id = self.add_store(f"{source.name} (dream {dream.id})")
            return
        if dream.polls_left > 0:
            dream.polls_left -= 1
            return
        if self.dream_outcome == "failed":
            dream.status, dream.ended_at = "failed", self._clock.now()
            dream.error = {"type": "internal_error", "message": "the dream stopped with an internal error"}
            return
        self._complete(dream)

    def _complete(self, dream: _Dream) -> None:
        source = self.stores[dream.store_id]
        files = {m.path: m.content for m in source.memories.values()}
        sessions = [self.sessions[s].events for s in dream.session_ids]
        written = self.dream_writer(files, sessions, dream.instructions)
        out = self.stores[dream.output_store_id or ""]
        actor = {"type": "session_actor", "session_id": f"sesn_dream_{dream.id}"}
        for path, content in sorted(written.items()):
            mem = out.by_path(path)
            if mem is None:
                self._create(out, path, content, actor)
            elif mem.content != content:
                self._modify(out, mem, content, None, actor)
        for mem in list(out.memories.values()):
            if mem.path not in written:
                self._delete(out, mem, actor)
        read = sum(len(t.encode("utf-8")) for t in files.values()) + sum(
            len(json.dumps(e).encode("utf-8")) for events in sessions for e in events)
        wrote = sum(len(t.encode("utf-8")) for t in written.values())
        dream.usage = {"input_tokens": read // 3 + 1000, "output_tokens": wrote // 3 + 200,
                       "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 6000}
        dream.status, dream.ended_at = "completed", self._clock.now()

    def _dreams_cancel(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        dream = self._dream(ids)
        if dream.status in ("pending", "running"):
            dream.status, dream.ended_at = "canceled", self._clock.now()
        return 200, dream.to_json()

    def _dreams_archive(self, ids: Mapping[str, str], query: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        return 200, {**self._dream(ids).to_json(), "archived_at": _iso(self._clock.now())}


def _compare(a: datetime, op: str, b: datetime) -> bool:
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def _json(status: int, data: Any) -> Response:
    return status, {"content-type": "application/json"}, json.dumps(data).encode(), 0.0


def _error(status: int, message: str, error_type: str | None = None) -> Response:
    types = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
             404: "not_found_error", 409: "conflict_error", 429: "rate_limit_error"}
    kind = error_type or types.get(status, "api_error")
    return _json(status, {"type": "error", "error": {"type": kind, "message": message}})
