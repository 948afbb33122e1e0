"""The relative-time resolver against its labelled table (tests/data/relative_times.txt).

The table was split once into dev and validation halves; both are run here. A case the
resolver does not get right yet is listed in KNOWN_MISSES with the reason, so that the
test fails when it starts passing (strict xfail) and the pass rates stay honest.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from dreaming.normalise.times import absolutize

TABLE = Path(__file__).parent / "data" / "relative_times.txt"

#: (split, sentence) -> why the resolver still gets it wrong
KNOWN_MISSES: dict[tuple[str, str], str] = {}


def load_table(path: Path = TABLE) -> tuple[dict[str, datetime], list[tuple[str, str, str, str]]]:
    anchors: dict[str, datetime] = {}
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("@"):
            _, name, stamp, *_ = line.split()
            anchors[name] = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        elif line.strip() and not line.startswith("#"):
            split, anchor, text, expected = (part.strip() for part in line.split(" | "))
            cases.append((split, anchor, text, text if expected == "=" else expected))
    return anchors, cases


ANCHORS, CASES = load_table()


def _param(case: tuple[str, str, str, str]):
    split, anchor, text, expected = case
    marks = []
    if (split, text) in KNOWN_MISSES:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[(split, text)]))
    return pytest.param(anchor, text, expected, marks=marks, id=f"{split}-{anchor}-{text[:40]}")


def test_table_is_split_and_large_enough():
    splits = [c[0] for c in CASES]
    assert len(CASES) >= 150
    assert set(splits) == {"dev", "val"}
    assert abs(splits.count("dev") - splits.count("val")) <= 1
    assert sum(c[3] == c[2] for c in CASES) >= 40  # negatives: sentences that must stay unchanged


@pytest.mark.parametrize("anchor, text, expected", [_param(c) for c in CASES])
def test_relative_time_table(anchor, text, expected):
    assert absolutize(text, ANCHORS[anchor])[0] == expected


def test_rewrites_name_what_changed():
    text, rewrites = absolutize("from next Tuesday, and we met last fri", ANCHORS["W"])
    assert text == "from Tuesday 10 March 2026, and we met the Friday before 4 March 2026 (27 February 2026)"
    assert [(r.original, r.replacement) for r in rewrites] == [
        ("next Tuesday", "Tuesday 10 March 2026"),
        ("last fri", "the Friday before 4 March 2026 (27 February 2026)"),
    ]


def test_output_is_stable_when_run_again():
    """A rewritten text holds absolute dates only: resolving it again changes nothing."""
    for split, anchor, text, _expected in CASES:
        if split == "dev":
            once = absolutize(text, ANCHORS[anchor])[0]
            assert absolutize(once, ANCHORS[anchor])[0] == once, text


@pytest.mark.parametrize("text, expected", [
    ("Added Kamala arriving Friday 13 March, staying 3 nights.", "Friday 13 March 2026"),  # not the past 2025
    ("We met on Thu 13 March.", "Thu 13 March 2025"),  # 13 March 2026 is a Friday
    ("Booked for Sat 6 December.", "Sat 6 December 2025"),
])
def test_a_weekday_with_the_date_picks_the_year_they_agree_in(text: str, expected: str) -> None:
    out, _ = absolutize(text, datetime.fromisoformat("2026-03-04T10:00:00+00:00"))
    assert expected in out


@pytest.mark.parametrize("text, expected", [
    ("Heads up: the release freeze moved to December 18.", "18 December 2026"),  # where it moved: ahead
    ("It was delayed until 3 May.", "3 May 2027"),
    ("We went to Rome on 3 May.", "3 May 2026"),  # when it happened: behind
])
def test_a_date_a_change_moves_to_is_ahead_even_in_the_past_tense(text: str, expected: str) -> None:
    out, _ = absolutize(text, datetime.fromisoformat("2026-11-21T10:00:00+00:00"))
    assert expected in out
