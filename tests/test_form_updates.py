"""Updates read from a memory's form: the same label with a new value; a newer memory naming the old value."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dreaming.consolidate.updates import label_of, label_updates, names_old_value
from dreaming.records import Memory, parse_time

T0 = parse_time("2026-01-05T10:00:00Z")


def _m(mid: str, content: str, days: int = 0, path: str = "/p.md") -> Memory:
    at = T0 + timedelta(days=days)
    return Memory(id=mid, content=content, path=path, observed_at=at, created_at=at)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Signing target: 15 May 2026", ("signing target", "15 May 2026")),
        ("- deploy region = fra", ("deploy region", "fra")),
        ("Tier — Pro (annual)", ("tier", "Pro (annual)")),
        ("We moved the standup to 9:30 because people asked", None),  # a sentence, not a label
        ("The: thing", None),  # a label of function words only
    ],
)
def test_label_of(text: str, expected: tuple[str, str] | None) -> None:
    assert label_of(text) == expected


@pytest.mark.parametrize(
    ("older", "newer", "retired"),
    [
        ("Signing target: 15 May 2026", "Signing target: 29 May 2026 - slipped two weeks", True),
        ("Desk: 3.14", "Desk: 3.20", True),
        ("Desk: 3.14", "Desk: 3.14", False),  # the same value: a duplicate, not an update
        ("leo: mild asthma, blue inhaler in his school bag and one in the kitchen drawer",
         "leo: swimming on thursdays", False),  # a fact about Leo, not a value of 'leo'
    ],
)
def test_label_updates(older: str, newer: str, retired: bool) -> None:
    found = label_updates([_m("a", older), _m("b", newer, days=10)])
    assert bool(found) == retired
    if retired:
        assert (found[0].old_id, found[0].new_id, found[0].rule) == ("a", "b", "label-update")


def test_a_label_held_by_a_list_is_not_an_attribute() -> None:
    items = [_m("a", "Rule: tabs in makefiles"), _m("b", "Rule: no force pushes", 1), _m("c", "Rule: squash merges", 2)]
    assert label_updates(items) == []


def test_labels_of_different_files_are_different_attributes() -> None:
    assert label_updates([_m("a", "Owner: Rafael", path="/x/a.md"), _m("b", "Owner: Lena", 3, path="/x/b.md")]) == []


@pytest.mark.parametrize(
    ("older", "newer", "retired"),
    [
        ("Gravedigger - base HP 70, starting relic: Rusted Spade.", "Gravedigger: HP 64 (was 70, nerfed after playtest)", True),
        ("-80 freezer is in room 3.10", "we moved the -80 from 3.10 to 3.02", True),
        ("on call this week: bea", "kofi has taken over on call from bea", True),
        ("Pedro covers Cascais/Estoril", "pedro is covering sintra now too, not only cascais/estoril", False),  # adds
        ("Farah works from the Lisbon office", "Luis moved to lisbon, working from the office there", False),
        ("Harbourline Property is the asset manager; contact Felix for quayside", "noor takes over quayside from felix", False),
    ],
)
def test_names_old_value(older: str, newer: str, retired: bool) -> None:
    found = names_old_value(_m("a", older), _m("b", newer, days=10))
    assert (found is not None) == retired
    # never backwards in time
    assert names_old_value(_m("b", newer, days=10), _m("a", older)) is None
