"""Tool workarounds: a call that failed, then a call that worked for the same goal.

"pdftotext failed (command not found); uv run --with pypdf worked" is the
kind of lesson that makes the next session faster.  The rule is strict:

* the failed call has ``is_error`` true and was not refused by the user --
  or it "succeeded" with nothing to show (:func:`came_back_empty`: a lone
  0, "No appointments found for ...", "(0 rows)", ``[]``; a blank result is
  how many commands say they succeeded, so it is not one), and the fix is the
  same program called with an option the first call lacked
  (:func:`called_differently`) that returned something;
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


#: a line that only reports how a command ended ("exit=0", "exit code: 0", "done")
_STATUS_LINE = re.compile(r"^\s*(?:exit(?:\s*code)?\s*[=:]?\s*\d+|status\s*[=:]\s*\d+|done|ok|success)\s*$", re.I)
#: a result that says it found nothing: "no <things> found", "0 rows", "(0 rows)", "[]", "{}", "null", "0"
_NOTHING = re.compile(
    r"^\s*(?:no\s+[\w\s'-]{1,40}?\s+(?:found|returned|matched|matching|available|to show)\b.*"
    r"|(?:found|returned|matched)\s+(?:0|no|zero)\b.*"
    r"|\(?\s*(?:0|zero|no)\s+(?:rows?|results?|matches|items?|records?|entries|files?|lines?|hits?)\b.*"
    r"|\[\s*\]|\{\s*\}|null|none|nil|0)\s*$",
    re.I | re.S,
)


def came_back_empty(call: ToolCall) -> bool:
    """A call that did not fail but brought nothing back: a blank result, or one that only says it found
    nothing (closed forms: "no ... found", "0 rows", "[]", a lone 0) beside lines reporting its exit."""
    if call.is_error is not False:
        return False
    lines = [ln for ln in (call.result_excerpt or "").splitlines() if ln.strip() and not _STATUS_LINE.match(ln)]
    return bool(lines) and len(lines) <= 2 and all(_NOTHING.match(ln) for ln in lines)


def _flags(text: str) -> set[str]:
    return {f.split("=")[0] for f in re.findall(r"(?<!\S)--?[A-Za-z][\w-]*(?:=\S+)?", text)}


def called_differently(failed: ToolCall, fixed: ToolCall) -> bool:
    """The same program called with an option the first call lacked ("vetcal list --day D" -> "vetcal list
    --day D --location pearl"): what makes an empty answer a lesson rather than a search that found nothing."""
    a, b = failed.input_summary.split(), fixed.input_summary.split()
    return bool(a) and bool(b) and a[0] == b[0] and bool(_flags(fixed.input_summary) - _flags(failed.input_summary))


def find_workarounds(calls: Sequence[ToolCall]) -> Iterator[Workaround]:
    used: set[int] = set()
    for i, failed in enumerate(calls):
        empty = came_back_empty(failed)
        if not (failed.is_error is True or empty) or _REFUSED.search(failed.result_excerpt or ""):
            continue
        for j in range(i + 1, min(len(calls), i + 1 + LOOKAHEAD)):
            fixed = calls[j]
            if j in used or fixed.name != failed.name or fixed.is_error is not False or came_back_empty(fixed):
                continue
            if empty and not called_differently(failed, fixed):
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
    if came_back_empty(w.failed):
        said = " ".join((w.failed.result_excerpt or "").split())
        outcome = f"returned nothing ({_short(said, 100)})" if said else "returned nothing"
        return (f"Tool workaround ({w.tool}): `{_short(w.failed.input_summary)}` {outcome}; "
                f"`{_short(w.fixed.input_summary)}` worked for the same goal.")
    error = _short((w.failed.result_excerpt or "error").strip().splitlines()[0] if w.failed.result_excerpt else "error", 100)
    return (
        f"Tool workaround ({w.tool}): `{_short(w.failed.input_summary)}` failed ({error}); "
        f"`{_short(w.fixed.input_summary)}` worked for the same goal."
    )
