"""The review page and the terminal diff as a candidate grows.

    python -m benchmarks.review [--quick]

Made-up candidates (``dreaming.testing.review_candidates``) of 100, 300, 900
and 2,700 changes.  For each: building the page's model from the store
(diff, quotes, word diffs, change graph), rendering its HTML, the terminal
diff (``dreaming diff`` in-process, summary and every change), and, where
Debian's Chromium is installed, loading the page in it until its script is
ready and filtering it by a word.  The ratio column is seconds per change
against the 100-change candidate's: near 1.0 means linear.

Target: a 900-change candidate loads in the browser in a few seconds and
filters in well under one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from dreaming.cli import cli
from dreaming.review.server import Review, load_page, render_page, serving
from dreaming.store.core import Store
from dreaming.testing.review_candidates import big_candidate

from .common import report

CHROMIUM = Path(os.environ.get("DREAMING_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def browser_times(store_path: Path, page_model) -> tuple[float, float] | None:
    if not CHROMIUM.exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with serving(Review(store_path=store_path, page=page_model)) as running, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
        start = time.perf_counter()
        page.goto(running.url)
        page.wait_for_selector("body[data-ready]")
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        page.fill("#q", "lisbon")
        page.wait_for_function("!document.querySelector('#shown').textContent.startsWith(String(window.dreamingReview.items))")
        filtered = time.perf_counter() - start
        browser.close()
    return loaded, filtered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 900 changes only")
    args = parser.parse_args()
    sizes = (100, 900) if args.quick else (100, 300, 900, 2700)
    rows, results = [], []
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"c{n}.db"
            with Store.open(path) as store:
                big_candidate(store, n=n)
                start = time.perf_counter()
                model = load_page(store)
                built = time.perf_counter() - start
            start = time.perf_counter()
            html = render_page(model, "t")
            rendered = time.perf_counter() - start
            start = time.perf_counter()
            out = CliRunner().invoke(cli, ["--store", str(path), "diff", "--no-pager"])
            terminal = time.perf_counter() - start
            assert out.exit_code == 0, out.output
            browser = browser_times(path, model)
            per_change = (built + rendered) / n
            base = base or per_change
            row = {"changes": n, "build_s": built, "render_s": rendered, "html_mb": len(html) / 1e6,
                   "diff_cli_s": terminal, "browser_load_s": browser[0] if browser else None,
                   "browser_filter_s": browser[1] if browser else None, "per_change_ratio": per_change / base}
            results.append(row)
            rows.append([n, built, rendered, round(len(html) / 1e6, 2), terminal,
                         browser[0] if browser else "n/a", browser[1] if browser else "n/a", per_change / base])
    report("review", "The review page and the terminal diff by candidate size (seconds)",
           ["changes", "page model", "HTML", "HTML MB", "dreaming diff", "browser load", "browser filter",
            "s/change vs 100"], rows, {"results": results})


if __name__ == "__main__":
    main()
