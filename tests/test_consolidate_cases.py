"""The hand-labelled cases in tests/data/consolidation_cases.jsonl.

Each case is a few memories and the decisions a careful reader would make
about them: which merge, which value supersedes which, which conflict, which
pairs the offline core should hand on as ambiguous -- and nothing else.
Every case runs on its own, through both candidate paths (exact and
blocked), and must come out exactly as labelled.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dreaming.consolidate import Consolidation, ConsolidationConfig, consolidate
from dreaming.records import Evidence, Memory

CASES_FILE = Path(__file__).parent / "data" / "consolidation_cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def build(case: dict) -> list[Memory]:
    """Memories ``mem_<n>`` observed at the labelled dates, created in order."""
    out = []
    for index, row in enumerate(case["memories"]):
        content, day = row[0], row[1]
        key = row[2] if len(row) > 2 else None
        observed = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
        out.append(
            Memory(
                id=f"mem_{index}",
                content=content,
                key=key,
                observed_at=observed,
                created_at=observed + timedelta(minutes=index),
                provenance=(Evidence(source=f"{case['id']}:{index}"),),
            )
        )
    return out


def decisions(result: Consolidation) -> dict[str, set]:
    """The result in the data file's terms: memory indices."""

    def index(mid: str) -> int:
        return int(mid.split("_")[1])

    return {
        "merge": {tuple(sorted(index(m) for m in merge.members)) for merge in result.merges},
        "supersede": {(index(s.old_id), index(s.new_id)) for s in result.supersedes},
        "conflict": {tuple(sorted(index(i) for i in c.ids)) for c in result.conflicts},
        "ambiguous": {tuple(sorted(index(i) for i in a.ids)) for a in result.ambiguous},
    }


def expected(case: dict) -> dict[str, set]:
    want = case["expect"]
    return {
        "merge": {tuple(sorted(g)) for g in want.get("merge", [])},
        "supersede": {tuple(p) for p in want.get("supersede", [])},
        "conflict": {tuple(sorted(g)) for g in want.get("conflict", [])},
        "ambiguous": {tuple(sorted(p)) for p in want.get("ambiguous", [])},
    }


@pytest.mark.parametrize("strategy", ["exact", "blocked"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict, strategy: str) -> None:
    result = consolidate(build(case), config=ConsolidationConfig(candidates=strategy))
    assert decisions(result) == expected(case), f"{case['rule']}: {case['memories']}"


def test_every_decision_says_why() -> None:
    for case in CASES:
        result = consolidate(build(case))
        records = [*result.merges, *result.supersedes, *result.conflicts]
        for record in records:
            assert record.reason.strip()
            assert 0 <= record.score <= 100
        for item in result.ambiguous:
            assert item.why.strip() and 0 <= item.score <= 100


def test_the_set_covers_every_rule() -> None:
    assert len(CASES) >= 150
    assert len({c["id"] for c in CASES}) == len(CASES)
    kinds = Counter(c["rule"].split(":")[0] for c in CASES)
    assert kinds["duplicate"] >= 60 and kinds["update"] >= 40 and kinds["conflict"] >= 8
    assert kinds["distinct"] >= 25 and kinds["ambiguous"] >= 10
    rules = " ".join(c["rule"] for c in CASES)
    for needed in (
        "case", "punctuation", "whitespace", "typo", "word order", "inflection", "filler",
        "number", "date", "name", "preference", "place", "negation", "explicit key",
        "other person", "short entries", "values accumulate",
    ):
        assert needed in rules, needed
