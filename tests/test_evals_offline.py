"""The offline answerer: plain containment, outdated values read best first, abstention."""

from __future__ import annotations

from dreaming.evals.answerer import Asked
from dreaming.evals.offline import OfflineAnswerer
from dreaming.evals.retrieval import Hit
from dreaming.evals.tasks import Task


def hits(*texts: str, evidence: tuple[frozenset[str], ...] = ()) -> tuple[Hit, ...]:
    ev = evidence or tuple(frozenset() for _ in texts)
    return tuple(
        Hit(memory_id=f"m{i}", content=t, score=float(len(texts) - i), evidence_ids=e)
        for i, (t, e) in enumerate(zip(texts, ev, strict=True))
    )


def score(task: Task, found: tuple[Hit, ...], ks=(1, 2, 10)):
    return OfflineAnswerer().score([Asked(task=task, hits=found)], ks=ks)[0]


def test_plain_task_is_completed_from_the_k_at_which_the_answer_appears():
    task = Task(id="t", question="Which editor?", answer="helix", evidence=("t2",))
    found = hits("User likes tabs", "User prefers Helix", evidence=(frozenset({"t1"}), frozenset({"t2"})))
    at1, at2, at10 = score(task, found)
    assert (at1.k, at1.completed, at1.recall) == (1, False, 0.0)
    assert (at2.completed, at2.recall, at2.answer) == (True, 1.0, "helix")
    assert at10.completed and not at10.stale


def test_list_items_may_come_from_different_memories_but_a_phrase_may_not_span_two():
    task = Task(id="t", question="What does she do?", answer="pottery, camping")
    assert score(task, hits("She loves camping", "Pottery class on Fridays"))[1].completed
    split = Task(id="u", question="Which book?", answer="charlotte's web")
    assert not score(split, hits("Her favourite is Charlotte's", "Web design is her job"))[2].completed


def test_outdated_values_the_first_mention_read_best_first_wins():
    task = Task(id="t", question="Which city?", answer="Oslo", wrong=("Lisbon", "Denver"))
    stale_first = hits("Ana lives in Lisbon.", "Ana is based in Oslo now.")
    at1, at2, _ = score(task, stale_first)
    assert (at1.completed, at1.stale, at1.answer) == (False, True, "Lisbon")
    assert (at2.completed, at2.stale, at2.answer) == (False, True, "Lisbon")
    current_first = hits("Ana is based in Oslo now.", "Ana lives in Lisbon.")
    assert [(o.completed, o.stale) for o in score(task, current_first)] == [(True, False)] * 3
    # within one memory the earlier mention is the answer
    assert score(task, hits("Ana moved from Denver to Oslo."))[0].answer == "Denver"
    nothing = score(task, hits("Ana likes tea."))[0]
    assert (nothing.completed, nothing.stale, nothing.answer) == (False, False, "")


def test_must_not_answer_is_completed_when_the_misleading_answer_is_not_retrieved():
    task = Task(id="t", question="What did Caroline realize after her charity race?", answer=None,
                wrong=("self-care is important",), category="adversarial")
    found = hits("Caroline went hiking.", "Melanie realized self-care is important after her race.")
    at1, at2, _ = score(task, found)
    assert (at1.completed, at1.answer) == (True, "")
    assert (at2.completed, at2.answer) == (False, "self-care is important")
    assert score(task, ())[0].completed  # nothing retrieved: abstained


def test_same_input_same_outcomes():
    task = Task(id="t", question="q", answer="7 May 2023", wrong=("8 May 2023",))
    found = hits("on May 8, 2023 she went", "it was 2023-05-07")
    assert score(task, found) == score(task, found)
    assert score(task, found)[1].answer == "8 May 2023"
