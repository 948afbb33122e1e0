"""Restatements: a candidate from the very turn a stored memory cites is folded into it."""

from __future__ import annotations

from datetime import datetime, timezone

from dreaming.normalise.restatements import NEEDS_CONTEXT, fold_restatements
from dreaming.records import Candidate, Evidence, Memory

T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)


def stored(mid: str, content: str, turn: str) -> Memory:
    return Memory(id=mid, content=content, kind="fact", observed_at=T0, created_at=T0,
                  provenance=(Evidence(session_id="s1", turn_ids=(turn,)),))


def candidate(content: str, turn: str, **metadata: object) -> Candidate:
    memory = Memory(id=f"mem_c_{turn}_{len(content)}", content=content, kind="fact", observed_at=T0, created_at=T0,
                    metadata=dict(metadata), provenance=(Evidence(session_id="s1", turn_ids=(turn,)),))
    return Candidate(memory=memory, rule="speaker-statement", confidence=0.6)


def test_a_restatement_gives_the_stored_memory_its_date():
    store = [stored("mem_a", "Ravi made a clay vase in his evening class.", "t4")]
    c = candidate("Ravi made a clay vase in class on 1 March 2026.", "t4", normalised=["yesterday -> on 1 March 2026"])
    remaining, [fold] = fold_restatements([c], store)
    assert remaining == [] and fold.target.id == "mem_a"
    assert fold.memory.content == "Ravi made a clay vase in his evening class (on 1 March 2026)."
    assert {t for e in fold.memory.provenance for t in e.turn_ids} == {"t4"}


def test_the_same_words_from_another_turn_are_not_a_restatement():
    store = [stored("mem_a", "Ravi made a clay vase in his evening class.", "t4")]
    c = candidate("Ravi made a clay vase in class.", "t9")
    assert fold_restatements([c], store) == ([c], [])


def test_a_dependent_statement_dates_the_memory_that_names_its_thing():
    # "I made it yesterday": the stored memory from the same turn says what "it" is
    store = [stored("mem_a", "Ravi made a clay vase in his evening class.", "t4")]
    c = candidate("Ravi made it in evening class on 1 March 2026.", "t4", normalised=["yesterday -> on 1 March 2026"],
                  **{NEEDS_CONTEXT: True})
    remaining, [fold] = fold_restatements([c], store)
    assert remaining == [] and fold.memory.content.endswith("(on 1 March 2026).")


def test_a_dependent_statement_restating_nothing_is_dropped():
    store = [stored("mem_a", "Ravi adopted a cat called Miso.", "t4")]
    dependent = candidate("Ravi painted it on 1 March 2026.", "t7", **{NEEDS_CONTEXT: True})
    standalone = candidate("Ravi painted a harbour at dawn on 1 March 2026.", "t7")
    assert fold_restatements([dependent, standalone], store) == ([standalone], [])


def test_an_anchor_is_added_without_the_clause_it_closes():
    store = [stored("mem_a", "Ravi got accepted for a design internship.", "t4")]
    c = candidate("Ravi just got accepted for an internship (as of 2 March 2026).", "t4",
                  normalised=["just got accepted for an internship -> just got accepted for an internship "
                              "(as of 2 March 2026)"])
    _, [fold] = fold_restatements([c], store)
    assert fold.memory.content == "Ravi got accepted for a design internship (as of 2 March 2026)."
