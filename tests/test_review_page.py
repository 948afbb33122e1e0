"""`dreaming review`: the page's model, its server's security, and the page
itself in a real headless Chromium (Debian's package, driven by Playwright;
no browser is ever downloaded)."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dreaming import Change, Changeset, DreamConfig, Evidence, Memory, Store, dream, import_file
from dreaming.records import Session, Turn
from dreaming.review.page import word_diff
from dreaming.review.server import Review, load_page, render_page, serving
from dreaming.store.core import SourceState
from dreaming.testing.review_candidates import big_candidate

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "dream"
ARTIFACTS = Path(os.environ.get("DREAMING_TEST_ARTIFACTS", REPO / "tests" / "artifacts"))
CHROMIUM = Path(os.environ.get("DREAMING_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
EVIL = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"><b>bold?</b>'


@pytest.fixture
def candidate(store_path) -> Path:
    """The fixture dream in review mode: a candidate with 3 adds, a merge and a supersede."""
    with Store.open(store_path) as store:
        import_file(store, FIXTURE / "memories.jsonl")
        report = dream(store, DreamConfig(transcripts=(FIXTURE / "transcripts",), review=True))
        assert report.version_status == "candidate"
    return store_path


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode(), dict(reply.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


def post(url: str, body: object, token: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"X-Review-Token": token} if token else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        text = err.read().decode()
        return err.code, json.loads(text) if text.startswith("{") else {"error": text}
    except (urllib.error.URLError, ConnectionError) as err:
        return -1, {"error": str(err)}


def base(url: str) -> str:
    return url.split("/?", 1)[0]


# --- the model -------------------------------------------------------------------------------------


def test_word_diff_marks_words_not_characters():
    left, right = word_diff("User's editor is vim.", "User's editor is helix, since October.")
    assert left == [("eq", "User's editor is "), ("del", "vim"), ("eq", ".")]
    assert right == [("eq", "User's editor is "), ("ins", "helix, since October"), ("eq", ".")]
    assert word_diff("same", "same") == ([("eq", "same")], [("eq", "same")])


def test_page_groups_by_op_and_path_with_counts(candidate):
    with Store.open(candidate) as store:
        page = load_page(store)
    assert not page.readonly and page.total == 5
    assert page.by_op == {"add": 3, "merge": 1, "supersede": 1}
    assert [(g.op, g.path, len(g.items)) for g in page.groups] == [
        ("add", "/facts.md", 1), ("add", "/procedures.md", 1), ("add", "/tools/pdftotext.md", 1),
        ("merge", "/user/preferences.md", 1), ("supersede", "/user/tools.md", 1)]
    supersede = page.groups[-1].items[0]
    assert supersede.quotes[0].text == "I switched to helix as my editor last month."
    assert supersede.quotes[0].who == "user" and supersede.quotes[0].session_id == "sess-a"
    assert [m.side for m in supersede.memories] == ["before", "after"]
    assert ("del", "vim") in supersede.memories[0].segments


def test_the_bill_and_the_guard_are_at_the_top(server, store_path, candidate):
    from dreaming.llm.runtime import ClaudeConfig

    with Store.open(candidate) as store:
        offline = load_page(store)
    assert offline.bill == ("bill: $0 (an offline dream: nothing was sent to Claude)",) and offline.warnings == ()
    other = store_path.parent / "claude.db"
    env = {"ANTHROPIC_API_KEY": "test", "ANTHROPIC_BASE_URL": server.base_url}
    with Store.open(other) as store:
        import_file(store, FIXTURE / "memories.jsonl")
        dream(store, DreamConfig(transcripts=(FIXTURE / "transcripts",), review=True, llm="sync",
                                 claude=ClaudeConfig()), env=env)
        page = load_page(store)
    assert page.bill[0].startswith("bill: $") and "requests" in page.bill[1] and "input tokens" in page.bill[1]
    assert any(line.startswith("naive whole-store dream") for line in page.bill)
    html = render_page(page, "t0k")
    assert page.bill[0] in html.replace("&#39;", "'")
    big = store_path.parent / "big.db"
    with Store.open(big) as store:
        big_candidate(store, n=60)
        warning = load_page(store).warnings[0]
    assert warning.startswith("guard: this dream would retire or rewrite ") and "more than the 15%" in warning


def test_a_store_without_candidate_shows_a_read_only_diff(candidate):
    with Store.open(candidate) as store:
        store.accept()
        page = load_page(store)
        html = render_page(page, "t0k")
    assert page.readonly and page.total == 5 and "Diff: version 1 → version 2" in html
    assert 'class="accept"' not in html and 'id="submit"' not in html


# --- the server --------------------------------------------------------------------------------------


def test_every_request_needs_the_token_and_only_loopback_is_bound(candidate):
    with Store.open(candidate) as store:
        page = load_page(store)
    review = Review(store_path=candidate, page=page, who="tester")
    with serving(review) as running:
        assert running.sock.getsockname()[0] == "127.0.0.1"
        root = base(running.url)
        status, body, headers = get(running.url)
        assert status == 200 and "Review candidate version 2" in body
        assert "script-src 'self'" in headers["content-security-policy"]
        for url in (root + "/", root + "/?token=wrong", root + "/static/review.js",
                    root + "/api/turns?session=sess-a&turn=line-1"):
            assert get(url)[0] == 403, url
        assert get(root + f"/static/review.js?token={review.token}")[0] == 200
        assert get(root + "/static/../server.py", {"X-Review-Token": review.token})[0] in (403, 404)
        status, body, _ = get(root + "/api/turns?session=sess-a&turn=line-3", {"X-Review-Token": review.token})
        turns = json.loads(body)["turns"]
        assert status == 200 and [t["cited"] for t in turns].count(True) == 1 and len(turns) >= 3
        assert get(running.url, {"Host": "evil.example:80"})[0] == 400  # DNS rebinding
        assert post(root + "/api/decide", {"version": 2, "accepted": [1, 2, 3, 4, 5], "rejected": []}, None)[0] == 403
        code, reply = post(root + "/api/decide", {"version": 2, "accepted": [1, 3], "rejected": [2]}, review.token)
        assert code == 400 and "decide every change" in reply["error"]
        code, reply = post(root + "/api/decide", {"version": 2, "accepted": [1, 3, 4, 5], "rejected": [2]},
                           review.token)
        assert code == 200 and reply["head"] == 2 and reply["status"] == "accepted"
        code, reply = post(root + "/api/decide", {"version": 2, "accepted": [1, 3, 4, 5], "rejected": [2]},
                           review.token)
        assert code in (409, -1)  # already submitted, or the server has stopped
    with Store.open(candidate) as store:
        assert store.head == 2 and [c.seq for c in store.changes(2) if c.decision == "rejected"] == [2]
        decision = store.decisions(2)[0]
        assert (decision.who, decision.via, decision.rejected) == ("tester", "review", (2,))


# --- in the browser -------------------------------------------------------------------------------------


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium; this machine could not")
    return sync_playwright


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def start_cli(store: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "DREAMING_REVIEWER": "browser-test"}
    proc = subprocess.Popen([sys.executable, "-m", "dreaming", "--store", str(store), "review"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
    if not sel.select(timeout=60):
        proc.kill()
        raise AssertionError(f"`dreaming review` printed no URL: {proc.stderr.read()}")  # type: ignore[union-attr]
    url = proc.stdout.readline().strip()  # type: ignore[union-attr]
    assert url.startswith("http://127.0.0.1:") and "token=" in url, url
    return proc, url


def visible_seqs(page) -> list[int]:
    return page.eval_on_selector_all("article.change:not([hidden])", "els => els.map(e => Number(e.dataset.seq))")


def test_review_a_candidate_in_the_browser(browser, candidate):
    started = time.perf_counter()
    proc, url = start_cli(candidate)
    try:
        # Playwright's waits evaluate strings, which the page's CSP forbids: this context bypasses it
        # (the XSS test below runs under the CSP)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(url)
        page.wait_for_selector("body[data-ready]")
        assert page.locator("h1").inner_text() == "Review candidate version 2"
        assert visible_seqs(page) == [3, 4, 5, 1, 2]  # grouped: add, merge, supersede; by path inside
        # filters: an op, a text search (through `/`), then cleared
        page.check("input[name=op][value=add]")
        assert visible_seqs(page) == [3, 4, 5]
        assert page.locator("#shown").inner_text() == "3 of 5 changes shown"
        page.uncheck("input[name=op][value=add]")
        page.keyboard.press("/")
        page.keyboard.type("helix")
        page.wait_for_function("document.querySelectorAll('article.change:not([hidden])').length === 1")
        assert visible_seqs(page) == [2]
        page.fill("#min-score", "0.8")
        page.wait_for_function("document.querySelectorAll('article.change:not([hidden])').length === 0")
        page.click("#clear")
        assert visible_seqs(page) == [3, 4, 5, 1, 2]
        # a quote expands to its surrounding turns
        page.click("article#c2 li.quote button.context")
        page.wait_for_selector("article#c2 ol.context li.cited")
        context = page.locator("article#c2 ol.context li").all_inner_texts()
        assert any("Noted, helix from now on." in t for t in context) and len(context) >= 3
        # the keyboard: reject #3 (the first shown) and #2 (the last), accept the rest
        page.locator("h1").click()
        for key in "jraaar":
            page.keyboard.press(key)
        assert page.locator("#tally").inner_text() == "3 accepted · 2 rejected · 0 undecided"
        assert page.locator("article.change.rejected").evaluate_all("els => els.map(e => e.dataset.seq)") == ["3", "2"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=False)
        page.click("#submit")
        page.wait_for_function("document.body.classList.contains('done')")
        assert "Accepted 3 of 5 changes: version 2 is HEAD" in page.locator("#notice").inner_text()
        assert errors == []
        assert proc.wait(timeout=30) == 0  # the server stops once the decision is in
        assert "Accepted 3 of 5 changes" in proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
    with Store.open(candidate) as store:
        texts = {m.content for m in store.snapshot()}
        assert store.head == 2 and store.candidate() is None
        assert texts == {
            "User prefers tabs.", "User's editor is vim.", "Alice likes tea.", "Bob likes tea.",
            "Standing instruction: always run the linter before committing.",
            "Tool workaround (Bash): `pdftotext reports/q3.pdf -` failed (pdftotext: command not found); "
            "`uv run --with pypdf python extract.py reports/q3.pdf` worked for the same goal.",
        }
        decision = store.decisions(2)[0]
        assert (decision.who, decision.via, decision.accepted, decision.rejected) == (
            "browser-test", "review", (1, 4, 5), (2, 3))
    print(f"browser review test: {time.perf_counter() - started:.1f} s")


def test_memory_text_is_shown_as_text_never_run(browser, store_path):
    with Store.open(store_path) as store:
        store.import_memories([Memory(id="m_old", content="Plain old fact.")])
        when = Turn(id="t1", session_id="s1", seq=0, role="user", speaker="Mallory", text=EVIL)
        store.record_ingest(SourceState(path="/x.json", format="chat", size=1, mtime=0.0, sha256="x"),
                            [when, Session(id="s1", source="/x.json", format="chat")])
        store.write_version(Changeset(
            upserts=(Memory(id="m_evil", content=EVIL, path="/<i>path</i>.md",
                            provenance=(Evidence(session_id="s1", turn_ids=("t1",)),)),),
            changes=(Change(op="add", rule=EVIL, outputs=("m_evil",), reason=EVIL, score=0.5,
                            evidence=(Evidence(session_id="s1", turn_ids=("t1",)),), details={"rule": EVIL}),),
            status="candidate", origin="dream"))
        page_model = load_page(store)
    review = Review(store_path=store_path, page=page_model)
    with serving(review) as running:
        # escaping alone keeps it text (the CSP bypassed) ...
        for bypass in (True, False):  # ... and the page works under its own CSP
            page = browser.new_page(bypass_csp=bypass)
            errors: list[str] = []
            page.on("pageerror", lambda err, seen=errors: seen.append(str(err)))
            page.goto(running.url)
            page.wait_for_selector("body[data-ready]")
            page.click("article#c1 button.context")
            page.wait_for_selector("article#c1 ol.context li.cited")
            assert page.evaluate("window.__xss") is None
            assert page.locator("article#c1 .memory.after .text").inner_text() == EVIL
            assert page.locator("article#c1 .reason").inner_text() == EVIL
            assert page.locator("article#c1 blockquote").inner_text() == EVIL
            assert page.locator("article#c1 ol.context .turn-text").inner_text() == EVIL
            assert page.locator("article#c1 .rule").inner_text() == EVIL
            assert page.locator("article#c1 b, article#c1 img, article#c1 script").count() == 0
            page.fill("#q", "<script>")
            page.locator("#shown").filter(has_text="1 of 1 changes shown").wait_for()
            page.locator("h1").click()
            page.keyboard.press("j")
            page.keyboard.press("r")
            assert page.locator("#tally").inner_text() == "0 accepted · 1 rejected · 0 undecided"
            assert errors == []
            page.close()


def test_a_900_change_candidate_loads_filters_and_submits_fast(browser, store_path):
    with Store.open(store_path) as store:
        made = big_candidate(store, n=900)
        t0 = time.perf_counter()
        page_model = load_page(store)
        built = time.perf_counter() - t0
    review = Review(store_path=store_path, page=page_model)
    with serving(review) as running:
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
        t0 = time.perf_counter()
        page.goto(running.url)
        page.wait_for_selector("body[data-ready]")
        loaded = time.perf_counter() - t0
        assert page.locator("article.change").count() == made.changes == 900
        t0 = time.perf_counter()
        page.fill("#q", "lisbon")
        page.wait_for_function("document.querySelector('#shown').textContent.startsWith('900') === false")
        filtered = time.perf_counter() - t0
        shown = len(visible_seqs(page))
        assert 0 < shown < 900
        page.click("#reject-all")
        page.click("#clear")
        page.click("#accept-all")  # the rest: accepting all shown overrides, so reject the Lisbon ones again
        page.fill("#q", "lisbon")
        page.wait_for_function(f"document.querySelectorAll('article.change:not([hidden])').length === {shown}")
        page.click("#reject-all")
        page.click("#submit")
        page.wait_for_function("document.body.classList.contains('done')", timeout=60_000)
    with Store.open(store_path) as store:
        decision = store.decisions(made.version)[0]
        assert len(decision.rejected) == shown and len(decision.accepted) == 900 - shown
        assert store.head == made.version
    print(f"900 changes: page built in {built:.2f} s, loaded in the browser in {loaded:.2f} s, "
          f"filtered in {filtered:.2f} s")
    assert loaded < 20, f"the page took {loaded:.1f} s to load"


def test_a_refused_combination_is_one_line_and_writes_nothing(store_path):
    from .test_review_decisions import linked_candidate

    with Store.open(store_path) as store:
        linked_candidate(store)
        page_model = load_page(store)
    assert page_model.graph["needs"] == {"2": [1], "4": [3, 5]}
    review = Review(store_path=store_path, page=page_model)
    with serving(review) as running:
        code, reply = post(base(running.url) + "/api/decide",
                           {"version": 2, "accepted": [2, 3, 4, 5], "rejected": [1]}, review.token)
        assert code == 409 and "\n" not in reply["error"]
        assert reply["error"].startswith("change 2 (supersede) needs change 1 (merge), which is rejected")
    with Store.open(store_path) as store:
        assert store.candidate() is not None and store.decisions() == []


def test_ctrl_c_stops_the_server_with_nothing_decided(candidate):
    import signal

    proc, url = start_cli(candidate)
    try:
        assert get(url)[0] == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "Stopped; nothing was decided (version 2 still awaits review)." in proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
    with Store.open(candidate) as store:
        assert store.candidate().number == 2 and store.decisions() == []


def test_the_submit_waits_for_a_dream_holding_the_lock(candidate):
    from dreaming.unattended.lock import LockConfig, acquire, dream_lock

    with Store.open(candidate) as store:
        page_model = load_page(store)
    review = Review(store_path=candidate, page=page_model, holding=lambda store: dream_lock(store, command="review"))
    lock = acquire(candidate, config=LockConfig(heartbeat=0.05, stale_after=30, poll=0.02), command="dreaming run")
    try:
        with serving(review) as running:
            body = {"version": 2, "accepted": [1, 2, 3, 4, 5], "rejected": []}
            code, reply = post(base(running.url) + "/api/decide", body, review.token)
            assert code == 409 and "another dream holds the store's lock" in reply["error"]
            assert "\n" not in reply["error"]
            lock.release()
            code, reply = post(base(running.url) + "/api/decide", body, review.token)
            assert code == 200 and reply["head"] == 2
    finally:
        lock.release()
