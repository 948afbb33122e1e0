"""Cross-phrasing slots (dreaming.consolidate.slots): phrasings of one
attribute learnt from the store, so a newer value in one phrasing retires an
older value in another -- and never anything unrelated."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dreaming.consolidate import ConsolidationConfig, consolidate, slots
from dreaming.consolidate.engine import _analyse
from dreaming.errors import DreamingError
from dreaming.records import Memory
from dreaming.testing import oracles, synthetic
from dreaming.testing.heldout import HeldoutConfig, generate, score

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def mem(mid: str, content: str, day: int) -> Memory:
    at = T0 + timedelta(days=day)
    return Memory(id=mid, content=content, observed_at=at, created_at=at)


#: Bruno and Chen restate their city in both phrasings: the store's evidence;
#: Dara and Eli moved, so each phrasing is seen to change its value
EVIDENCE = [
    mem("e1", "Bruno lives in Denver.", 1),
    mem("e2", "Bruno's home city is Denver.", 5),
    mem("e3", "Chen lives in Osaka.", 2),
    mem("e4", "Chen's home city is Osaka.", 6),
    mem("e5", "Dara lives in Tallinn.", 3),
    mem("e6", "Dara lives in Riga.", 30),
    mem("e7", "Eli's home city is Oslo.", 4),
    mem("e8", "Eli's home city is Bergen.", 31),
]


def supersedes(memories: list[Memory], **config) -> set[tuple[str, str]]:
    result = consolidate(memories, config=ConsolidationConfig(**config))
    return {(s.old_id, s.new_id) for s in result.supersedes}


def test_a_newer_value_in_another_phrasing_supersedes_with_the_evidence_named() -> None:
    memories = EVIDENCE + [mem("a1", "Ana lives in Lisbon.", 3), mem("a2", "Ana's home city is Quito.", 20)]
    result = consolidate(memories)
    (sup,) = [s for s in result.supersedes if s.old_id == "a1"]
    assert sup.new_id == "a2" and (sup.old_value, sup.new_value) == ("Lisbon", "Quito")
    assert "same attribute as 'X lives in V'" in sup.reason and "2 people restated the same value" in sup.reason
    assert sup.subject.startswith("Ana")
    assert 0 <= sup.score <= 100
    assert ("a1", "a2") not in supersedes(memories, slot_support=0)  # the same phrasing only


def test_a_passive_label_is_read_with_the_agent_as_its_subject() -> None:
    """"Shell used by Ana: bash" is about Ana, not about someone called Shell."""
    memories = [
        mem("e1", "Shell used by Bruno: zsh.", 1),
        mem("e2", "Bruno's login shell is zsh.", 5),
        mem("e3", "Shell used by Chen: fish.", 2),
        mem("e4", "Chen's login shell is fish.", 6),
        mem("e5", "Shell used by Dara: bash.", 3),
        mem("e6", "Shell used by Dara: fish.", 30),
        mem("e7", "Eli's login shell is zsh.", 4),
        mem("e8", "Eli's login shell is bash.", 31),
        mem("a1", "Shell used by Ana: zsh.", 3),
        mem("a2", "Ana's login shell is nushell.", 20),
    ]
    result = consolidate(memories)
    (sup,) = [s for s in result.supersedes if s.old_id == "a1"]
    assert sup.new_id == "a2" and sup.subject.startswith("Ana")
    assert ("e5", "e6") in supersedes(memories)  # the same phrasing, read by the parser
    assert not any(s.old_id in ("e1", "e3") or s.new_id in ("e1", "e3") for s in result.supersedes)


def test_one_person_is_not_evidence() -> None:
    memories = EVIDENCE[:2] + EVIDENCE[4:] + [mem("a1", "Ana lives in Lisbon.", 3), mem("a2", "Ana's home city is Quito.", 20)]
    assert ("a1", "a2") not in supersedes(memories)


def test_the_user_is_a_subject_too() -> None:
    memories = EVIDENCE + [mem("u1", "I live in Lisbon.", 3), mem("u2", "My home city is Quito.", 20)]
    assert ("u1", "u2") in supersedes(memories)


def test_two_people_sharing_a_value_never_retire_each_other() -> None:
    memories = EVIDENCE + [mem("a1", "Ana lives in Quito.", 3), mem("b1", "Bruno's home city is Quito.", 20)]
    pairs = supersedes(memories)
    assert not any(old == "a1" for old, _ in pairs)
    assert ("e1", "b1") in pairs and ("e2", "b1") in pairs  # Bruno moved


@pytest.mark.parametrize(
    ("other", "why"),
    [
        ("{p} likes {v}.", "a multi-valued verb that names no attribute"),
        ("{p} visited {v}.", "a multi-valued verb that names no attribute"),
        ("{p} was born in {v}.", "verbs the parser tells apart"),
    ],
)
def test_look_alike_relations_never_join_even_when_people_restate_values_in_them(other: str, why: str) -> None:
    """Bruno and Chen like / visited / were born in the city they live in; Ana
    then moves: her other relation to Lisbon stays."""
    memories = EVIDENCE + [
        mem("x1", other.format(p="Bruno", v="Denver"), 9),
        mem("x2", other.format(p="Chen", v="Osaka"), 10),
        mem("a1", other.format(p="Ana", v="Lisbon"), 3),
        mem("a2", "Ana lives in Quito.", 20),
    ]
    assert not any(old == "a1" for old, _ in supersedes(memories)), why


def test_a_value_restated_after_another_keeps_phrasings_apart() -> None:
    """'X's birthplace is V' is single-valued like 'X lives in V', and three
    people state the same city in both; but Eli's birthplace is stated again
    after he moved, which one attribute cannot explain."""
    memories = [
        mem("b1", "Bruno's birthplace is Denver.", 1), mem("b2", "Bruno lives in Denver.", 5),
        mem("c1", "Chen's birthplace is Osaka.", 2), mem("c2", "Chen lives in Osaka.", 6),
        mem("d1", "Dara's birthplace is Tallinn.", 2), mem("d2", "Dara lives in Tallinn.", 7),
        mem("e1", "Eli lives in Oslo.", 1), mem("e2", "Eli's birthplace is Quito.", 4), mem("e3", "Eli lives in Quito.", 8),
        mem("e4", "Eli lives in Lima.", 12), mem("e5", "Eli's birthplace is Quito.", 15),
        mem("a1", "Ana's birthplace is Lisbon.", 3), mem("a2", "Ana lives in Rome.", 20),
    ]
    assert ("a1", "a2") not in supersedes(memories)


def test_a_phrasing_never_seen_to_change_does_not_join() -> None:
    """Three people were born where they live and nobody restates a
    birthplace after a move, so the store cannot tell 'X's birthplace is V'
    from a paraphrase of 'X lives in V'; but no birthplace ever changed
    while residences did: a fixed attribute never takes part in an update."""
    memories = [
        mem("b1", "Bruno's birthplace is Denver.", 1), mem("b2", "Bruno lives in Denver.", 5),
        mem("c1", "Chen's birthplace is Osaka.", 2), mem("c2", "Chen lives in Osaka.", 6),
        mem("d1", "Dara's birthplace is Tallinn.", 2), mem("d2", "Dara lives in Tallinn.", 7),
        mem("e1", "Eli lives in Oslo.", 1), mem("e2", "Eli lives in Lima.", 12),
        mem("a1", "Ana's birthplace is Lisbon.", 3), mem("a2", "Ana lives in Rome.", 20),
    ]
    pairs = supersedes(memories)
    assert ("a1", "a2") not in pairs
    assert ("e1", "e2") in pairs  # the same phrasing still updates


def test_a_multi_valued_phrasing_naming_the_attribute_joins() -> None:
    """'X uses a V laptop' (use: values accumulate) names the laptop of the
    single-valued 'X's work laptop is a V'."""
    memories = [
        mem("b1", "Bruno uses a ThinkPad laptop.", 1), mem("b2", "Bruno's work laptop is a ThinkPad.", 4),
        mem("c1", "Chen uses a MacBook laptop.", 2), mem("c2", "Chen's work laptop is a MacBook.", 5),
        mem("a1", "Ana uses a Framework laptop.", 3), mem("a2", "Ana's work laptop is a Pixelbook.", 9),
        mem("a3", "Ana uses vim.", 4), mem("a4", "Ana uses Slack.", 10),
        # each phrasing is seen to change: Dara's and Eli's laptops were replaced
        mem("d1", "Dara's work laptop is a Dell.", 1), mem("d2", "Dara's work laptop is a Lenovo.", 8),
        mem("e1", "Eli uses a Dell laptop.", 1), mem("e2", "Eli uses a Lenovo laptop.", 8),
    ]
    pairs = supersedes(memories)
    assert ("a1", "a2") in pairs
    assert not any(old in ("a3", "a4") for old, _ in pairs)


def test_slot_support_is_checked() -> None:
    with pytest.raises(DreamingError, match="slot_support"):
        ConsolidationConfig(slot_support=1)


def _decisions(memories: list[Memory]) -> tuple:
    result = consolidate(memories)
    return (
        tuple((s.old_id, s.new_id, s.reason, s.score) for s in result.supersedes),
        tuple(c.ids for c in result.conflicts),
        tuple(a.ids for a in result.ambiguous),
    )


def test_deterministic_under_shuffling() -> None:
    memories = list(generate(HeldoutConfig(seed=3)).memories)
    expected = _decisions(memories)
    rng = random.Random(5)
    for _ in range(3):
        rng.shuffle(memories)
        assert _decisions(memories) == expected


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_held_out_phrasings_retire_no_unrelated_fact_and_most_stale_values(seed: int) -> None:
    world = generate(HeldoutConfig(seed=seed))
    off = score(world, consolidate(list(world.memories), config=ConsolidationConfig(slot_support=0)))
    on = score(world, consolidate(list(world.memories)))
    assert on.unrelated == 0
    assert on.current_kept == 1.0
    assert on.stale_active < off.stale_active  # the phrasings were learnt
    assert on.stale_left <= 0.3


# -- the fast chooser against the plain one -------------------------------------------------------


def _entries(memories: list[Memory]) -> tuple[list[slots.Entry], frozenset[str]]:
    """Entries as the engine builds them (one per memory, unmerged)."""
    texts, lexicon = _analyse({m.content for m in memories})
    out = []
    for m in memories:
        text = texts[m.content]
        at = m.observed_at
        out.append(slots.Entry(m.content, at, text.statement, text.capitals, at, at))
    return out, lexicon.names


def _same_choices(memories: list[Memory]) -> int:
    """``slots._choose`` equals ``oracles.slot_choices`` restricted to phrasings
    two subjects choose (all the rest of ``infer`` reads); returns how many."""
    entries, names = _entries(memories)
    subjects, chosen = oracles.slot_choices(entries, names)
    by_key: dict[str, set[tuple[str, ...]]] = {}
    for index, reading in chosen.items():
        by_key.setdefault(reading.key, set()).add(subjects[index][0])
    kept = {i: r for i, r in chosen.items() if len(by_key[r.key]) >= 2}
    fast = slots._choose(entries, names)
    assert fast.entry_index == sorted(kept)
    fast_subjects, fast_chosen = {}, {}
    for position, index in enumerate(fast.entry_index):
        subject_text, fast_chosen[index] = fast.read(position, entries, names)
        fast_subjects[index] = (fast.subject[position], subject_text)
        assert (fast.key[position], fast.value[position]) == (kept[index].key, kept[index].value)
    assert fast_chosen == kept
    assert fast_subjects == {i: subjects[i] for i in kept}
    return len(kept)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_fast_choice_equals_the_plain_one_on_held_out_stores(seed: int) -> None:
    assert _same_choices(list(generate(HeldoutConfig(seed=seed)).memories)) > 50


def test_fast_choice_equals_the_plain_one_on_the_benchmark_generator() -> None:
    assert _same_choices(list(synthetic.generate(4000, seed=11).memories)) > 500


_PEOPLE = ("Ana", "Bruno", "Chen", "Dara", "Eli", "Fay")
_PHRASINGS = (
    "{p} lives in {v}.", "{p}'s home city is {v}.", "{p} was born in {v}.", "{p} likes {v}.",
    "My home city is {v}.", "I live in {v}.", "{p} Moreno drinks {v} tea daily.", "{p} is {v}.",
    "{p} does not like {v}.", "The team of {p} uses {v}.",
    # two value positions: the choice between them falls to the tie-breaks
    "{p} drinks {v} with {w}.", "{p} keeps {v} cats in {w}.",
)
_VALUES = ("Oslo", "Quito", "Lisbon", "Porto", "green", "matcha", "42", "Bruno")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_PHRASINGS) - 1), st.integers(0, len(_PEOPLE) - 1),
                          st.integers(0, len(_VALUES) - 1), st.integers(0, len(_VALUES) - 1), st.integers(0, 40)),
                max_size=60))
def test_fast_choice_equals_the_plain_one_on_random_stores(facts: list[tuple[int, int, int, int, int]]) -> None:
    memories = [
        mem(f"m{n}", _PHRASINGS[f].format(p=_PEOPLE[p], v=_VALUES[v], w=_VALUES[w]), day)
        for n, (f, p, v, w, day) in enumerate(facts)
    ]
    _same_choices(memories)


def test_fast_choice_breaks_ties_as_the_plain_one() -> None:
    """Two shared phrasings in one memory: the one more subjects use, then
    more values, then the first by its text is its phrasing."""
    memories = [
        mem("t1", "Ana drinks tea with milk.", 1),  # "X drinks V with milk": 2 people, 2 values
        mem("t2", "Bruno drinks coffee with milk.", 2),
        mem("t3", "Ana drinks tea with honey.", 3),  # "X drinks tea with V": 2 people, 3 values
        mem("t4", "Bruno drinks tea with sugar.", 4),
        mem("t5", "Dara drinks cola with ice.", 5),  # "X drinks V with ice" / "X drinks cola with V": 2 and 2
        mem("t6", "Eli drinks juice with ice.", 6),
        mem("t7", "Eli drinks cola with lime.", 7),
    ]
    assert _same_choices(memories) == 5  # t2 and t7 alone in the phrasing each chose: left out
    entries, names = _entries(memories)
    kept = slots._choose(entries, names)
    chosen = dict(zip(kept.entry_index, kept.value))
    assert chosen[0] == ("milk",)  # more values
    assert chosen[4] == ("cola",)  # "\0S drink \0V with ice" sorts first


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 4), st.integers(0, 3)),
        min_size=0,
        max_size=80,
    ),
    st.integers(1, 17),
)
def test_fast_evidence_equals_the_plain_one(said: list[tuple[int, int, int, int]], phrasings_count: int) -> None:
    """``slots._supporters`` against ``oracles.slot_supporters`` on random
    statements (person, value, phrasing, day), including people who state
    one value in more phrasings than count as evidence."""
    from datetime import datetime, timedelta, timezone

    people = [("ana",), ("bruno",), ("user",), ("chen", "li"), ("dara",), ("eli",)]
    values = [("oslo",), ("42",), ("green", "tea"), ("ana",)]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    keys = [f"\x00S phrasing {k} \x00V" for k in range(phrasings_count)]
    # a person restating one value in many phrasings (more than _MAX_PHRASINGS with 17)
    rows = [*said, *((0, 0, k, k % 2) for k in range(phrasings_count))]
    kept = slots._Kept(
        entry_index=list(range(len(rows))),
        key=[keys[k % phrasings_count] for _, _, k, _ in rows],
        subject=[people[p] for p, _, _, _ in rows],
        value=[values[v] for _, v, _, _ in rows],
        option=[0] * len(rows),
    )
    phrasings: dict[str, list[int]] = {}
    for position, key in enumerate(kept.key):
        phrasings.setdefault(key, []).append(position)
    observed = [start + timedelta(days=day) for _, _, _, day in rows]
    fast = slots._supporters(kept, phrasings, observed)
    assert dict(fast) == dict(oracles.slot_supporters(kept, phrasings, observed))
