"""Normal forms and statements: the two readings every decision rests on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dreaming.consolidate import normal_form
from dreaming.consolidate.subjects import MULTI, SINGLE, UNSURE, kind_of, parse
from dreaming.consolidate.text import stem, tokenize


@pytest.mark.parametrize(
    "variants",
    [
        ["User prefers tabs.", "user prefers tabs", "USER PREFERS TABS!", "  User   prefers\ttabs  "],
        [
            "The user really prefers using tabs.",
            "I prefer tabs",
            "Note: the user prefers tabs",
            "Tabs are preferred by the user.",
        ],
        ["Alice likes hiking.", "Alice liked hiking", "alice is liking hiking"],
        ["Bob's favourite colour is blue.", "Bob's favorite color is blue", "The favorite color of Bob is blue."],
        ["User doesn't like tea.", "User does not like tea", "user dont like tea"],
        ["The server port is 8,080.", "Server port: 8080"],
        [
            "User wants short answers without emojis.",
            "User wants short answers, no emojis.",
            "user wants short answers; no emojis",
        ],
        ["User doesn't like tea.", "No, the user does not like tea.", "Nope, user doesn't like tea"],
    ],
)
def test_wordings_of_one_fact_share_a_normal_form(variants: list[str]) -> None:
    assert len({normal_form(v) for v in variants}) == 1, [normal_form(v) for v in variants]


@pytest.mark.parametrize(
    "a, b",
    [
        ("User likes tea.", "User does not like tea."),
        ("User moved to Berlin.", "User moved from Berlin."),
        ("The server port is 8080.", "The server port is 8081."),
        ("Alice likes tea.", "Bob likes tea."),
        ("Deploy before merging.", "Deploy after merging."),
        ("User likes tea.", "No, the user does not like tea."),
        ("The user has pets.", "The user has no pets."),
        ("Alice lives in Berlin.", "Alice lives in Berlin, no longer in Paris."),
    ],
)
def test_different_facts_keep_different_normal_forms(a: str, b: str) -> None:
    assert normal_form(a) != normal_form(b)


def test_stemming_is_consistent_across_inflections() -> None:
    for family in (["like", "likes", "liked", "liking"], ["prefer", "prefers", "preferred", "preferring"],
                   ["study", "studies", "studied", "studying"], ["class", "classes"], ["run", "runs", "running", "ran"],
                   ["use", "uses", "used", "using"], ["morning", "mornings"]):
        assert len({stem(w) for w in family}) == 1, family


WORD = st.sampled_from("alice bob prefers likes tabs tea server port 8080 paris lives in deadline project".split())


@settings(max_examples=200, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=8), st.randoms(use_true_random=False), st.sampled_from([" ", "  ", "\t", " , "]))
def test_case_order_spacing_and_punctuation_do_not_change_the_normal_form(words, rnd, gap) -> None:
    shuffled = list(words)
    rnd.shuffle(shuffled)
    restyled = gap.join(w.upper() if rnd.random() < 0.3 else w.title() for w in shuffled) + rnd.choice(["", ".", "!", "?"])
    assert normal_form(restyled) == normal_form(" ".join(words))


def statement(text: str):
    st_ = parse(tokenize(text))
    assert st_ is not None, text
    return st_


def test_statements_name_subject_predicate_value_and_context() -> None:
    s = statement("For indentation, the user prefers tabs.")
    assert (s.subject, s.predicate, s.value, s.context, s.kind) == ((), "prefer", ("tab",), ("indentation",), SINGLE)
    s = statement("Alice's editor is Vim.")
    assert s.subject == tuple(sorted((stem("alice"), "editor"))) and s.value == ("vim",) and s.possessive
    s = statement("User no longer lives in Paris.")
    assert (s.predicate, s.value, s.negated, s.kind) == ("live", ("paris",), True, SINGLE)
    s = statement("Alice hates olives.")
    assert (s.predicate, s.negated, s.kind) == ("like", True, MULTI)
    s = statement("Bob has moved to Berlin.")
    assert (s.subject, s.predicate, s.value) == (("bob",), "live", ("berlin",))
    s = statement("Tea is liked by Alice.")
    assert (s.subject, s.predicate, s.value) == ((stem("alice"),), "like", ("tea",))
    s = statement("Note: Bob works at Acme.")
    assert (s.subject, s.predicate, s.value, s.kind) == (("bob",), "work at", ("acm",), SINGLE)
    s = statement("The favorite drink of Pedro is matcha.")
    assert s.predicate == "be" and "drink" in s.subject


def test_a_relative_clause_before_the_main_verb_joins_the_subject() -> None:
    s = statement("The laptop Ana works on is a ThinkPad.")
    assert (s.subject, s.predicate, s.value) == (tuple(sorted(("ana", "laptop", "work"))), "be", ("thinkpad",))
    assert kind_of(s, names={"ana"}) == SINGLE  # one laptop at a time, unlike "works on" a team
    s = statement("The programming language Ana works in most is Rust.")
    assert s.predicate == "be" and s.value == ("rust",) and "work" in s.subject
    s = statement("The editor Ana uses is Helix.")
    assert (s.subject, s.predicate, s.value) == (tuple(sorted(("ana", "editor", "use"))), "be", ("helix",))
    # the first verb stays the verb when no second one follows, or no noun precedes it
    s = statement("Ana works on the platform team.")
    assert (s.subject, s.predicate, s.value) == (("ana",), "work", ("platform", "team"))
    s = statement("Ana uses vim as the editor.")
    assert (s.predicate, s.value, s.context) == ("use", ("vim",), ("editor",))
    assert statement("The project lead is Priya.").subject == tuple(sorted((stem("lead"), stem("project"))))


def test_a_passive_label_before_a_colon_is_a_label() -> None:
    s = statement("Shell used by Ana: bash.")
    assert (s.subject, s.predicate, s.value, s.labelled) == (tuple(sorted(("ana", "shell", "use"))), "be", ("bash",), True)
    assert kind_of(s, names={"ana"}) == SINGLE
    # a verb after the colon makes the colon a plain label again
    s = statement("Shell used by Ana: she likes bash.")
    assert s.predicate != "be"


def test_kind_of_be_depends_on_the_subject() -> None:
    assert kind_of(statement("The user is a teacher."), names=set()) == UNSURE
    assert kind_of(statement("The deadline is May 5."), names=set()) == SINGLE
    assert kind_of(statement("Alice is a doctor."), names=set()) == UNSURE
    assert kind_of(statement("Editor: vim"), names=set()) == SINGLE
    assert kind_of(statement("alice is 34"), names={stem("alice")}) == UNSURE


def test_texts_without_a_known_predicate_have_no_statement() -> None:
    assert parse(tokenize("Ticket ABC-123 tracks the login bug.")) is None
    assert parse(tokenize("ThinkPad X1")) is None


def test_the_documented_examples_hold() -> None:
    import doctest

    from dreaming.consolidate import text

    assert doctest.testmod(text).failed == 0


def test_a_contrast_after_a_comma_denies_only_its_own_item() -> None:
    """", no emojis" / ", not npm" qualify the value; "No," answers; neither
    denies the statement.  A denial of the verb still does."""
    for text, negated in [
        ("User wants short answers, no emojis.", False),
        ("Use pnpm, not npm.", False),
        ("User prefers tabs; not spaces.", False),
        ("No, the user does not like tea.", True),
        ("No, my name is Dana.", False),
        ("The user has no pets.", True),
        ("Deploys are not allowed on Fridays, no exceptions.", True),
    ]:
        statement = parse(tokenize(text))
        assert statement is not None and statement.negated is negated, text
