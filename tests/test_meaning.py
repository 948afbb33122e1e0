"""The second pass by meaning: offline vectors, the pair scorer, and what it may decide."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import numpy as np
import pytest

from dreaming.consolidate import meaning, scope
from dreaming.consolidate.pairs import LABELS, DocumentFrequency, Side, features, shipped_model, substitution
from dreaming.consolidate.results import Consolidation
from dreaming.consolidate.vectors import WordLlamaEmbedder
from dreaming.records import Memory, parse_time

T0 = parse_time("2026-01-05T10:00:00Z")


def _mem(mid: str, content: str, path: str = "/notes.md", days: int = 0) -> Memory:
    at = T0 + timedelta(days=days)
    return Memory(id=mid, content=content, path=path, observed_at=at, created_at=at)


def test_vectors_load_offline_without_touching_the_network() -> None:
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network touched')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\nsocket.getaddrinfo = refuse\n"
        "from dreaming.consolidate.vectors import WordLlamaEmbedder\n"
        "v = WordLlamaEmbedder().embed(['Our CI runs on GitHub Actions', 'The CI pipeline is GitHub Actions.'])\n"
        "print(v.shape, v.dtype, round(float(v[0] @ v[1]), 2))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    shape, dtype, cos = out.stdout.split(") ")[0] + ")", out.stdout.split()[2], float(out.stdout.split()[-1])
    assert shape == "(2, 256)" and dtype == "float32"
    assert cos > 0.6


def test_paraphrases_are_closer_than_unrelated_memories() -> None:
    v = WordLlamaEmbedder().embed([
        "Staging lives at https://stg.example.org", "The staging URL is https://stg.example.org",
        "Mira is allergic to peanuts", "Deploys go out on Thursdays",
    ])
    assert float(v[0] @ v[1]) > 0.6 > float(v[2] @ v[3])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize(
    ("a", "b", "spans", "swap", "at"),
    [
        ("editor is vim".split(), "editor is helix".split(), 1, True, 2),
        ("billing service runs go 1.21".split(), "search service runs go 1.23".split(), 2, False, 0),
        ("kitchen printer at desk".split(), "bar printer at desk".split(), 1, True, 0),
        ("same words here".split(), "same words here".split(), 0, False, -1),
    ],
)
def test_substitution(a: list[str], b: list[str], spans: int, swap: bool, at: int) -> None:
    assert substitution(a, b) == (spans, swap, at)


def test_the_shipped_model_calls_clear_cases() -> None:
    model, df = shipped_model(), DocumentFrequency([])
    e = WordLlamaEmbedder()

    def call(x: str, y: str, days: int = 30) -> str:
        v = e.embed([x, y])
        sa = Side(text=x, path="/p.md", observed_at=T0)
        sb = Side(text=y, path="/p.md", observed_at=T0 + timedelta(days=days))
        return model.call(features(sa, sb, cos=float(v[0] @ v[1]), df=df)).label

    assert call("Deploys go out on Thursdays.", "Mira is allergic to peanuts.") == "distinct"
    assert call("The release freeze starts on 4 March.", "the release freeze now starts on 11 March") == "update"
    assert set(LABELS) == {"duplicate", "update", "distinct"}


def test_refine_merges_paraphrases_and_keeps_apart_what_it_must() -> None:
    store = [
        _mem("m1", "Mira is allergic to peanuts, so no satay", "/family.md"),
        _mem("m2", "Avoid peanuts in suggestions: Mira has an allergy.", "/family.md", days=40),
        _mem("m7", "Our CI runs on GitHub Actions", "/project.md"),
        _mem("m8", "The CI pipeline is GitHub Actions.", "/project.md", days=40),
        _mem("m3", "Tier: Pro (annual)", "/clients/harbor-bikes.md"),
        _mem("m4", "Tier: Pro (annual)", "/clients/elmwood-dental.md", days=1),
        _mem("m5", "Kitchen printer: Epson at 192.168.1.50", "/pos.md", days=2),
        _mem("m6", "Bar printer: Epson at 192.168.1.51", "/pos.md", days=3),
    ]
    out = meaning.refine(Consolidation(), store, fresh=None)
    merged = {frozenset(m.members) for m in out.merges}
    assert frozenset({"m1", "m2"}) in merged
    # a near call is at least put to the judge, never dropped
    assert frozenset({"m7", "m8"}) in merged | {frozenset(a.ids) for a in out.ambiguous}
    retired = {i for m in out.merges for i in m.retired} | {s.old_id for s in out.supersedes}
    assert not retired & {"m3", "m4", "m5", "m6"}
    assert scope.apart(store[4], store[5])


def test_refine_looks_only_at_pairs_with_a_fresh_side() -> None:
    store = [_mem("m1", "Mira is allergic to peanuts, so no satay", "/family.md"),
             _mem("m2", "Avoid peanuts in suggestions: Mira has an allergy.", "/family.md", days=3)]
    assert meaning.refine(Consolidation(), store, fresh=[]) == Consolidation()
    assert meaning.refine(Consolidation(), store, fresh=["m2"]).merges


def test_the_bucket_search_finds_what_the_exact_search_finds() -> None:
    """The fast path (random-hyperplane buckets) against the exact all-pairs search, on the corpus texts."""
    import json
    from pathlib import Path

    from dreaming.consolidate.meaning import MeaningConfig, _bucket_neighbours, _candidate_pairs
    from dreaming.consolidate.pairs import DocumentFrequency

    root = Path(__file__).resolve().parents[1] / "evals" / "scenarios" / "dev"
    texts = [json.loads(line)["content"] for f in sorted(root.glob("*/store.jsonl"))
             for line in f.read_text().splitlines() if line.strip()]
    memories = [_mem(f"m{i:04d}", t) for i, t in enumerate(texts)]
    vectors = WordLlamaEmbedder().embed(texts)
    fresh = list(range(0, len(memories), 3))
    exact_config = MeaningConfig(rare_holders=0)
    exact = _candidate_pairs(memories, fresh, vectors, DocumentFrequency([]), exact_config)
    fast = _bucket_neighbours(vectors, fresh, MeaningConfig())
    assert set(fast) <= {(min(i, j), max(i, j)) for i in range(len(texts)) for j in range(len(texts)) if i != j}
    assert all(c >= exact_config.min_cosine for c in fast.values())
    close = {p for p, c in exact.items() if c >= 0.7}
    assert close and len(close & set(fast)) / len(close) >= 0.9


def test_a_large_first_dream_only_looks_again_at_the_cores_unsure_pairs() -> None:
    """Above the comparison budget (a first dream over a big import) the pass scores only the pairs the core
    left ambiguous, so its cost does not grow with the square of the store."""
    from dreaming.consolidate import consolidate
    from dreaming.consolidate.meaning import MeaningConfig

    store = [_mem("m1", "Mira is allergic to peanuts, so no satay", "/family.md"),
             _mem("m2", "Avoid peanuts in suggestions: Mira has an allergy.", "/family.md", days=3),
             _mem("m3", "Staging lives at https://stg.example.org", days=1),
             _mem("m4", "Staging is at https://stg.example.org", days=2)]
    core = consolidate(store)
    assert {frozenset(a.ids) for a in core.ambiguous} == {frozenset({"m3", "m4"})}
    out = meaning.refine(core, store, fresh=None, config=MeaningConfig(exact_budget=1))
    looked_at = {frozenset(m.members) for m in out.merges} | {frozenset(a.ids) for a in out.ambiguous}
    assert looked_at <= {frozenset({"m3", "m4"})}
    assert frozenset({"m1", "m2"}) in {frozenset(m.members) for m in meaning.refine(core, store, fresh=None).merges}


@pytest.mark.parametrize("x, y, same", [
    ("qtrly", "quarterly", True), ("mtg", "meeting", True), ("thu", "thursdays", True), ("rm", "room", True),
    ("res", "resolution", True), ("thursdays", "thursday", True), ("11am", "11:00", True), ("11am", "11", True),
    ("3.5s", "3.5", True), ("4°c", "4", True),
    # different values and different words stay different
    ("3.14", "3.20", False), ("55102", "61877", False), ("2025", "2026", False), ("11am", "11pm", False),
    ("billing", "search", False), ("rm", "arm", False), ("go", "good", False),
])
def test_words_that_say_the_same_thing(x, y, same):
    from dreaming.consolidate.pairs import same_word

    assert same_word(x, y) is same
    assert same_word(y, x) is same


def test_abbreviated_paraphrases_share_their_words_and_a_number_written_two_ways_does_not_differ():
    from dreaming.consolidate.meaning import _numbers_differ
    from dreaming.consolidate.pairs import aligned, content_words

    a = content_words("Lab meeting is Thursdays at 11:00 in room 3.14.")
    b = content_words("lab mtg thu 11am rm 3.14")
    assert set(aligned(a, b)) <= set(a)
    assert not _numbers_differ("Lunch order from Mother India by 11am.", "get the order in before 11")
    assert _numbers_differ("Desk: 3.14", "Sunil moved to desk 3.20")


def test_a_newer_memory_that_names_the_value_it_replaced_replaces_only_a_memory_holding_it() -> None:
    newer = _mem("n", "The tier 1 daily limit is now 300,000 (was 50,000).", days=30)
    assert meaning._may_be_the_old_value(_mem("o", "Tier 1 daily limit: 50,000"), newer)
    assert not meaning._may_be_the_old_value(_mem("o", "Tier 2 daily limit: 1,000,000"), newer)
    # a newer memory that does not say what it replaced may replace any
    assert meaning._may_be_the_old_value(_mem("o", "Tier 2 daily limit: 1,000,000"),
                                         _mem("n", "Tier 1 daily limit is 300,000.", days=30))


@pytest.mark.parametrize("a, b, other", [
    ("exp-41 planned end: 2026-02-16", "exp-42 planned end: 2026-03-02", True),
    ("Unit 4 rent is £42,000 pa", "Unit 9 rent is £31,000 pa", True),
    ("Tier 1 daily limit is 50,000", "tier 2 limit: 1,000,000 a day", True),
    # the same numbered thing, or numbers that are values rather than names
    ("exp-41 runs until 16 February 2026", "we extended exp-41 until 23 February 2026 for more data", False),
    ("Desk: 3.14", "Sunil moved to desk 3.20", False),
])
def test_numbered_things_with_different_numbers_are_different_subjects(a: str, b: str, other: bool) -> None:
    assert meaning._other_subject(_mem("a", a), _mem("b", b, days=5)) is other


def test_a_label_that_names_its_file_is_the_subject_not_an_attribute() -> None:
    from dreaming.consolidate.updates import label_updates

    old = _mem("o", "settlement-svc: nightly CronJob at 01:30 UTC", path="/services/settlement-svc.md")
    new = _mem("n", "settlement-svc: owned by the payments team", path="/services/settlement-svc.md", days=9)
    assert label_updates([old, new]) == []
    old = _mem("o", "Signing target: 15 May 2026", path="/deal/timeline.md")
    new = _mem("n", "Signing target: 29 May 2026", path="/deal/timeline.md", days=9)
    assert [(u.old_id, u.new_id) for u in label_updates([old, new])] == [("o", "n")]


def test_a_newer_value_replaces_the_memory_an_older_pair_of_duplicates_was_merged_into() -> None:
    store = [
        _mem("m6", "Friday lunch is paid by the partners - order from Mother India by 11am.", path="/office/rituals.md"),
        _mem("m7", "- fri lunch: partners pay, mother india, get the order in before 11", path="/office/rituals.md",
             days=100),
        _mem("n", "The partner-paid team lunch (Mother India, order by 11am) moves from Fridays to Thursdays, "
                  "starting the week of 2 February 2026.", days=180),
    ]
    out = meaning.refine(Consolidation(), store, fresh=["m7", "n"])
    [merge] = out.merges
    assert set(merge.members) == {"m6", "m7"}
    [sup] = out.supersedes
    assert (sup.old_id, sup.new_id) == (merge.memory.id, "n")
    assert sup.rule == meaning.RULE_UPDATE


def test_change_markers_that_let_an_uncertain_update_through() -> None:
    from dreaming.consolidate.pairs import says_it_changed

    assert says_it_changed("Prod runs on Aurora now.") and says_it_changed("We moved billing from Go 1.21 to 1.23")
    assert not says_it_changed("Prod runs on Aurora.")


def test_two_groups_the_core_merged_become_one_merge_of_all_their_members() -> None:
    from dreaming.consolidate.merged import merged_memory
    from dreaming.consolidate.results import Merge

    a1 = _mem("a1", "Deploys happen on Tuesdays and Thursdays only.", days=0)
    a2 = _mem("a2", "deploys happen on tuesdays and thursdays only", days=5)
    b1 = _mem("b1", "Deploys happen only on Tuesdays and Thursdays.", days=10)
    b2 = _mem("b2", "deploys happen only on tuesdays and thursdays", days=12)
    core = Consolidation(merges=(
        Merge(memory=merged_memory([a1, a2]), members=("a1", "a2"), score=99.0, reason="same words", rule="same-words",
              rules=("same-words",)),
        Merge(memory=merged_memory([b1, b2]), members=("b1", "b2"), score=99.0, reason="same words", rule="same-words",
              rules=("same-words",)),
    ))
    out = meaning.refine(core, [a1, a2, b1, b2], fresh=None)
    assert len(out.merges) == 1
    [merge] = out.merges
    assert merge.members == ("a1", "a2", "b1", "b2") and merge.memory.id == "a1"
    assert set(merge.rules) == {"same-words", meaning.RULE_DUPLICATE}


def test_the_user_by_name_is_the_same_subject_as_the_user() -> None:
    names = meaning._user_names(meaning._user_full_names([_mem("n", "User's name is Dana Whitfield.")]))
    a = _mem("a", "User is the SRE on call this week.")
    b = _mem("b", "Dana Whitfield is the SRE on call this week.", days=1)
    assert not meaning._other_subject(a, b, names=names)
    assert meaning._other_subject(a, _mem("c", "Bob Tanaka is the SRE on call this week.", days=1), names=names)
    assert meaning._as_user("Dana Whitfield is on call.", ("Dana Whitfield",)) == "User is on call."


@pytest.mark.parametrize("a, b, differ", [
    ("our maya goes to bed at 8:15pm", "Ava's bed time hasn't changed, still 8:00pm.", True),
    # the same name, or a name the other mentions, or no name at the start: not told apart by names
    ("Sunil has moved to desk 3.20", "Desk: 3.14", False),
    ("i switched from pycharm to neovim", "User's editor is PyCharm", False),
    ("Kofi has taken over on-call from Bea", "Bea is on call this week", False),
])
def test_memories_that_open_with_different_names_are_about_different_things(a: str, b: str, differ: bool) -> None:
    assert meaning._names_differ(a, b) is differ


def test_a_hyphenated_code_anywhere_names_the_thing() -> None:
    assert meaning._other_subject(_mem("a", "Imogen Hale handles billing at ACC-1490"),
                                  _mem("b", "ACC-1469 billing contact: Imogen Hale", days=3))
