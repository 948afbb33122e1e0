"""``dreaming review``: the review page, served on 127.0.0.1 only.

Starlette routes behind a token check; uvicorn serves them on a socket bound
to 127.0.0.1 on a free port.  Every request must carry the random token of
the page's URL (in the query string, or the ``X-Review-Token`` header for the
page's own API calls): anything else gets 403.  The Host header must name the
loopback address too (no DNS rebinding), and the page's content security
policy lets it load nothing but its own files.

The page is built once, when the server starts.  A decision is submitted
once: ``POST /api/decide`` calls :meth:`dreaming.store.core.Store.decide`
(one transaction, the closure rules checked there) and the server stops
after answering.  Each request opens the store itself (SQLite connections are
not shared across threads).
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import uvicorn
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from dreaming.errors import DreamingError
from dreaming.plan.guard import DEFAULT_SHARE, GuardInput, guard_reason
from dreaming.records import Version
from dreaming.review.diff import build_diff, cited_evidence
from dreaming.review.page import Page, build_page
from dreaming.store.core import Store

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_FILES = {"review.js": "text/javascript", "review.css": "text/css"}
HOST = "127.0.0.1"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: turns shown on each side of a quoted turn
AROUND = 3


@dataclass(kw_only=True)
class Review:
    """What one review server serves, and how its decision went."""

    store_path: Path
    page: Page
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    who: str = ""
    #: what the submit holds while it writes (the CLI passes the store's dream lock, so a
    #: decision never lands in the middle of a dream); nothing by default
    holding: Callable[[Store], AbstractContextManager[Any]] = lambda store: nullcontext()
    #: set after a decision was written: (version number, message)
    outcome: tuple[int, str] | None = None
    on_decided: Callable[[], None] = lambda: None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _usd(value: Any) -> str:
    amount = float(value)
    return f"${amount:,.2f}" if amount >= 1 or amount == 0 else f"${amount:.4f}"


def bill_lines(cost: dict[str, Any]) -> list[str]:
    """The run's bill in a few lines (nothing for an offline run)."""
    if not cost:
        return []
    from dreaming.cost.meter import CostReport

    bill = CostReport.from_json(cost)
    u = bill.usage
    if not u.requests and bill.total == Decimal(0):
        return ["bill: $0 (offline run: nothing was sent to Claude)"]
    lines = [
        f"bill: {_usd(bill.total)} (tokens {_usd(bill.usd.tokens)}, runtime {_usd(bill.usd.runtime)}, "
        f"web search {_usd(bill.usd.web_search)})",
        f"{u.requests:,} requests · {u.total_input_tokens:,} input tokens · {u.output_tokens:,} output tokens",
    ]
    if bill.naive is not None and bill.naive.input_tokens:
        lines.append(
            f"naive whole-store dream: {bill.naive.input_tokens:,} input tokens, {_usd(bill.naive.usd)}; "
            f"this run sent {u.total_input_tokens / bill.naive.input_tokens:.1%} of it"
        )
    return lines


def load_page(store: Store, number: int | None = None, *, against: int | None = None) -> Page:
    """The page for candidate ``number`` (default: the candidate awaiting
    review), or a read-only diff when it is not a candidate: from ``against``
    (default its parent) to ``number`` (default HEAD)."""
    cand = store.candidate()
    if number is None:
        number = cand.number if cand is not None else store.head
    version = store.version(number) if number else None
    readonly = version is None or version.status != "candidate" or against is not None
    frm = against if against is not None else ((version.parent or 0) if version else 0)
    changes = store.diff(frm, number)
    turns = store.quotes(cited_evidence(changes))
    report = build_diff(changes, turns, from_version=frm, to_version=number, quote_chars=1 << 30)
    bill: list[str] = []
    warnings: list[str] = []
    graph: dict[str, Any] = {}
    rejected_before = 0
    if version is not None:
        run = store.run(version.run_id) if version.run_id else None
        if run is not None:
            bill = bill_lines(dict(run.cost))
            if not bill and run.llm == "off":
                bill = ["bill: $0 (an offline dream: nothing was sent to Claude)"]
            if run.status == "partial":
                warnings.append("partial run: Claude could not do every stage; the offline result was used there")
            warnings.extend(w for w in (run.cost or {}).get("warnings", []) if w)
        rejected_before = version.counts.get("rejected_changes", 0) if against is None else 0
        if version.origin == "dream" and version.parent is not None:
            warning = _guard(store, version, [c for c in changes if c.version == number])
            if warning:
                warnings.insert(0, warning)
    if not readonly:
        graph = store.change_graph(number).to_json()
    return build_page(report, version=version, readonly=readonly, graph=graph, bill=bill, warnings=warnings,
                      rejected_before=rejected_before)


def _guard(store: Store, version: Version, changes: list[Any]) -> str | None:
    """The guard's reason (:mod:`dreaming.plan.guard`) for this candidate, from
    its stored changes (the run does not store its warnings)."""
    parent = version.parent or 0
    head = {m.id: m for c in changes for m in c.before}
    after = {m.id: m for c in changes for m in c.after}
    data = GuardInput(
        upserts=[m for i, m in after.items() if i not in head or head[i].content != m.content],
        retire=[i for i in head if i not in after], head=head,
        before=store.count(parent) if parent else 0, before_chars=store.content_chars(parent) if parent else 0,
        links=[(tuple(m.id for m in c.before), tuple(m.id for m in c.after)) for c in changes],
    )
    return guard_reason(data, share=float(store.get_config("guard", DEFAULT_SHARE)))


def _json_script(data: Any) -> Markup:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end it early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render_page(page: Page, token: str) -> str:
    return _templates.get_template("review.html").render(page=page, token=token, data_json=_json_script(page.data()))


class TokenGate:
    """403 for any request without the review's token (query ``token`` or header ``X-Review-Token``)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = request.headers.get("x-review-token") or request.query_params.get("token") or ""
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            response = PlainTextResponse(
                "403 forbidden: open the review page with the URL `dreaming review` printed (it holds the token)",
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store"}


def make_app(review: Review) -> Starlette:
    html = render_page(review.page, review.token)

    async def index(request: Request) -> Response:
        return HTMLResponse(html, headers=_headers())

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers=_headers())

    def turns(request: Request) -> Response:
        session = request.query_params.get("session", "")
        turn = request.query_params.get("turn", "")
        with Store.open(review.store_path, create=False) as store:
            all_turns = store.turns(session)
        at = next((i for i, t in enumerate(all_turns) if t.id == turn), None)
        if at is None:
            return JSONResponse({"error": f"no turn {turn!r} in session {session!r}"}, status_code=404)
        window = all_turns[max(0, at - AROUND): at + AROUND + 1]
        return JSONResponse(
            {"turns": [{"turn_id": t.id, "who": t.speaker or t.role, "timestamp": t.timestamp.isoformat()
                        if t.timestamp else "", "text": t.text, "cited": t.id == turn} for t in window]},
            headers=_headers(),
        )

    async def decide(request: Request) -> Response:
        if review.page.readonly:
            return JSONResponse({"error": "this page is read-only: no candidate awaits review"}, status_code=409)
        try:
            body = await request.json()
            accepted = [int(s) for s in body["accepted"]]
            rejected = [int(s) for s in body["rejected"]]
            number = int(body["version"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "a decision is {version, accepted: [seq...], rejected: [seq...]}"},
                                status_code=400)
        seqs = {item.seq for g in review.page.groups for item in g.items}
        if number != review.page.version or set(accepted) | set(rejected) != seqs or set(accepted) & set(rejected):
            return JSONResponse({"error": "decide every change of this candidate once: accept it or reject it"},
                                status_code=400)
        # seq 0: a net difference no recorded change explains; it stays only when every change is accepted
        return _decide(review, number, [s for s in accepted if s])

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/turns", turns),
        Route("/api/decide", decide, methods=["POST"]),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=[HOST, "localhost"]),
                  Middleware(TokenGate, token=review.token)]
    return Starlette(routes=routes, middleware=middleware)


def _decide(review: Review, number: int, accepted: list[int]) -> Response:
    with review.lock:
        if review.outcome is not None:
            return JSONResponse({"error": "this review was already submitted"}, status_code=409)
        try:
            with Store.open(review.store_path, create=False) as store, review.holding(store):
                version = store.decide(number, accepted, who=review.who, via="review")
                head = store.head
        except DreamingError as err:
            return JSONResponse({"error": str(err)}, status_code=409)
        total = review.page.total
        if version.status == "rejected":
            message = f"Rejected version {number}: HEAD stays at version {head}. You can close this tab."
        else:
            message = (f"Accepted {len(accepted)} of {total} changes: version {number} is HEAD. "
                       f"You can close this tab.")
        review.outcome = (number, message)
    return JSONResponse({"version": number, "head": head, "status": version.status, "message": message},
                        background=BackgroundTask(review.on_decided))


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (``port`` 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError as err:
        sock.close()
        raise DreamingError(f"cannot listen on {HOST}:{port}: {err.strerror or err}") from None
    sock.listen(64)
    return sock


@dataclass
class Running:
    url: str
    review: Review
    server: uvicorn.Server
    sock: socket.socket


def _server(app: Starlette) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


def serve(review: Review, *, port: int = 0, ready: Callable[[str], None] = lambda url: None) -> None:
    """Serve until Ctrl-C or until the decision is submitted."""
    sock = bind(port)
    server = _server(make_app(review))
    review.on_decided = lambda: setattr(server, "should_exit", True)
    url = f"http://{HOST}:{sock.getsockname()[1]}/?token={review.token}"
    ready(url)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def serving(review: Review, *, port: int = 0) -> Iterator[Running]:
    """The server in a background thread (tests, embedding); stopped on exit."""
    sock = bind(port)
    server = _server(make_app(review))
    review.on_decided = lambda: setattr(server, "should_exit", True)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.01)
    try:
        yield Running(url=f"http://{HOST}:{sock.getsockname()[1]}/?token={review.token}", review=review,
                      server=server, sock=sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


__all__ = ["Review", "load_page", "render_page", "make_app", "serve", "serving", "bind", "bill_lines", "HOST"]
