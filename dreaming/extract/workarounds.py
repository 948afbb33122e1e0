"""Tool workarounds: a call that failed, then a call that worked for the same goal.

"pdftotext failed (command not found); uv run --with pypdf worked" is the
kind of lesson that makes the next session faster.  The rule is strict:

* the failed call has ``is_error`` true and was not refused by the user;
* the fix is one of the next few calls of the **same tool**, succeeded
  (``is_error`` false), and shares the goal: a file path, URL or identifier
  in common, or the same description, or closely similar input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from dreaming.records import ToolCall

LOOKAHEAD = 4
_REFUSED = re.compile(
    r"user (?:doesn't|does not|didn't) want|rejected|interrupted|permission denied by user|was blocked|denied by hook",
    re.I,
)
_TOKEN = re.compile(r"[\w./~-]*[./][\w./~-]+|[A-Za-z_][\w-]{5,}")


@dataclass(frozen=True, kw_only=True)
class Workaround:
    tool: str
    failed: ToolCall
    fixed: ToolCall
    score: float

    @property
    def command(self) -> str:
        """The failing program or action, e.g. ``pdftotext``."""
        first = self.failed.input_summary.strip().split()
        return re.sub(r"[^\w.-]", "", first[0]) if first else self.tool.lower()


def _tokens(text: str) -> set[str]:
    return {t.strip("./") for t in _TOKEN.findall(text) if len(t.strip("./")) >= 4}


def same_goal(a: ToolCall, b: ToolCall) -> float:
    """0..100: how sure we are that ``b`` pursues ``a``'s goal (0: not at all)."""
    shared = _tokens(a.input_summary) & _tokens(b.input_summary)
    if shared:
        return 90.0
    score = fuzz.token_set_ratio(a.input_summary, b.input_summary, processor=default_process, score_cutoff=70)
    return float(score)


def find_workarounds(calls: Sequence[ToolCall]) -> Iterator[Workaround]:
    used: set[int] = set()
    for i, failed in enumerate(calls):
        if failed.is_error is not True or _REFUSED.search(failed.result_excerpt or ""):
            continue
        for j in range(i + 1, min(len(calls), i + 1 + LOOKAHEAD)):
            fixed = calls[j]
            if j in used or fixed.name != failed.name or fixed.is_error is not False:
                continue
            if fixed.input_summary.strip() == failed.input_summary.strip():
                continue  # a plain retry is not a workaround
            score = same_goal(failed, fixed)
            if score >= 70:
                used.add(j)
                yield Workaround(tool=failed.name, failed=failed, fixed=fixed, score=score / 100)
                break


def _short(text: str, limit: int = 140) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def describe(w: Workaround) -> str:
    error = _short((w.failed.result_excerpt or "error").strip().splitlines()[0] if w.failed.result_excerpt else "error", 100)
    return (
        f"Tool workaround ({w.tool}): `{_short(w.failed.input_summary)}` failed ({error}); "
        f"`{_short(w.fixed.input_summary)}` worked for the same goal."
    )
