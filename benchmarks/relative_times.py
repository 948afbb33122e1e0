"""The relative-time resolver on its labelled table, dev and validation apart (and `dateparser`, if installed).

    python -m benchmarks.relative_times [--show dev] [--dateparser]

Scores ``dreaming.normalise.times.absolutize`` on tests/data/relative_times.txt: a case passes when the
rewrite equals the expected text exactly.  ``--show dev`` lists the dev cases it gets wrong (design on dev
only; never list validation while designing).  ``--dateparser`` also scores ``dateparser.search.search_dates``
(anchored with ``RELATIVE_BASE`` at the turn's time) on the same cases, by the date it finds: an unchanged
case passes when it finds none; a case whose rewrite names a day passes when it finds that day; one that
names a month, when it finds a day in that month; one that names only a week, weekend, quarter or year
cannot be expressed as one date and counts as a miss.  Speed is measured on the whole table, per 1,000
sentences.
"""

from __future__ import annotations

import argparse
import calendar
import re
import time
from datetime import date, datetime
from pathlib import Path

from dreaming.normalise.times import absolutize, fmt_day

from .common import report

TABLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "relative_times.txt"
_MONTHS = "|".join(calendar.month_name[1:])
_DAY = re.compile(rf"\b(\d{{1,2}}) ({_MONTHS}) (\d{{4}})\b")
_MONTH = re.compile(rf"\b({_MONTHS}) (\d{{4}})\b")


def load() -> tuple[dict[str, datetime], list[dict[str, str]]]:
    anchors: dict[str, datetime] = {}
    cases = []
    group = ""
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("@"):
            _, name, stamp, *_ = line.split()
            anchors[name] = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        elif line.startswith("# ") and "|" not in line and not line.startswith("# Relative"):
            group = line[2:].strip()
        elif line.strip() and not line.startswith("#"):
            split, anchor, text, expected = (part.strip() for part in line.split(" | "))
            cases.append({"split": split, "anchor": anchor, "text": text, "group": group,
                          "expected": text if expected == "=" else expected})
    return anchors, cases


def target(case: dict[str, str], anchor: datetime) -> tuple[str, object]:
    """What one date would have to be for the expected rewrite: none, a day, a month, or not one date."""
    if case["expected"] == case["text"]:
        return "none", None
    said = fmt_day(anchor.date())
    days = [m for m in _DAY.finditer(case["expected"]) if m.group(0) != said and m.group(0) not in case["text"]]
    if days:
        d, month, y = days[-1].groups()
        return "day", date(int(y), list(calendar.month_name).index(month), int(d))
    months = [m for m in _MONTH.finditer(case["expected"]) if m.group(0) not in case["text"]]
    if months and "Q" not in case["expected"] and "week" not in case["expected"]:
        month, y = months[-1].groups()
        return "month", (int(y), list(calendar.month_name).index(month))
    return "other", None


def score_dateparser(anchors: dict[str, datetime], cases: list[dict[str, str]]
                     ) -> tuple[dict[str, int], dict[str, list[int]], float]:
    from dateparser.search import search_dates

    passed = {"dev": 0, "val": 0}
    by_kind: dict[str, list[int]] = {}
    start = time.perf_counter()
    for case in cases:
        anchor = anchors[case["anchor"]]
        found = search_dates(case["text"], languages=["en"],
                             settings={"RELATIVE_BASE": anchor.replace(tzinfo=None)}) or []
        kind, want = target(case, anchor)
        got = [d.date() for _, d in found]
        ok = (kind == "none" and not got) or (kind == "day" and want in got) or (
            kind == "month" and any((d.year, d.month) == want for d in got))
        passed[case["split"]] += ok
        by_kind.setdefault(kind, [0, 0])[0] += ok
        by_kind[kind][1] += 1
    return passed, by_kind, (time.perf_counter() - start) / len(cases) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", choices=["dev"], help="list the dev cases the resolver gets wrong")
    parser.add_argument("--dateparser", action="store_true", help="also score dateparser (if installed)")
    args = parser.parse_args()
    anchors, cases = load()
    total = {"dev": sum(c["split"] == "dev" for c in cases), "val": sum(c["split"] == "val" for c in cases)}
    passed = {"dev": 0, "val": 0}
    start = time.perf_counter()
    for case in cases:
        got = absolutize(case["text"], anchors[case["anchor"]])[0]
        ok = got == case["expected"]
        passed[case["split"]] += ok
        if not ok and args.show == "dev" and case["split"] == "dev":
            print(f"[{case['anchor']}] {case['text']}\n   want {case['expected']}\n   got  {got}")
    ours_ms = (time.perf_counter() - start) / len(cases) * 1000
    rows = [("dreaming resolver", f"{passed['dev']}/{total['dev']}", f"{passed['val']}/{total['val']}",
             round(ours_ms * 1000 / 1000, 3))]
    data: dict[str, object] = {"cases": len(cases), "resolver": {"passed": passed, "total": total,
                                                                  "ms_per_1000": round(ours_ms * 1000, 1)}}
    if args.dateparser:
        dp, by_kind, dp_ms = score_dateparser(anchors, cases)
        rows.append(("dateparser search_dates", f"{dp['dev']}/{total['dev']}", f"{dp['val']}/{total['val']}",
                     round(dp_ms, 3)))
        data["dateparser"] = {"passed": dp, "total": total, "ms_per_1000": round(dp_ms * 1000, 1),
                              "speed_ratio": round(dp_ms / ours_ms, 1),
                              "right_by_kind": {k: f"{v[0]}/{v[1]}" for k, v in by_kind.items()}}
    report("relative_times", "Relative times: table cases right (exact rewrite; dateparser by date)",
           ["what", "dev", "validation", "ms per sentence"], rows, data)


if __name__ == "__main__":
    main()
