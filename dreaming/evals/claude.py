"""The Claude answerer: Claude answers from the retrieved memories, a second call judges.

Two calls per task, at the main k only (they cost money):

1. **answer**: the top-k memories (content only, best first) and the
   question; Claude calls ``give_answer`` with a short answer, or
   ``known: false`` when the memories do not hold it.
2. **judge** (LLM-as-judge, as published memory benchmarks grade): the
   question, the gold answer (or, for a must-not-answer question, that the
   right behaviour is to say it is not known), the outdated values if the
   task has any, and Claude's answer; the judge calls ``grade`` with
   ``correct``, ``outdated``, ``abstained`` or ``incorrect``.

A task is completed when the verdict is ``correct`` (answerable) or
``abstained`` (must-not-answer); ``outdated`` counts as a stale answer.  A
request that fails (API error, ``--max-cost`` budget) leaves its task not
completed, with the error in the outcome's details.  Every call goes through
``dreaming.llm`` and is metered by its ``CostMeter``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dreaming.evals.answerer import Asked, Outcome
from dreaming.evals.engine import main_k
from dreaming.evals.retrieval import evidence_recall
from dreaming.llm import LLMRequest, ToolSpec
from dreaming.llm.client import LLMClient

DEFAULT_MODEL = "claude-haiku-4-5"
VERDICTS = ("correct", "outdated", "abstained", "incorrect")

ANSWER_SYSTEM = (
    "You answer questions about the past from an agent's memory. Use only the memories given; do not guess. "
    "If they do not hold the answer, or the question assumes something they contradict, set known to false. "
    "Answer briefly: a name, a date, a place, a number or a short phrase. Prefer the most recent information "
    "when memories disagree."
)
ANSWER_TOOL = ToolSpec(
    name="give_answer",
    description="Give the answer to the question, or say that the memories do not hold it.",
    input_schema={
        "type": "object",
        "properties": {
            "answer": {"type": "string", "description": "The short answer; empty when known is false."},
            "known": {"type": "boolean", "description": "False when the memories do not hold the answer."},
        },
        "required": ["answer", "known"],
        "additionalProperties": False,
    },
)
JUDGE_SYSTEM = (
    "You grade an answer to a question against the reference. Grade meaning, not wording: a paraphrase, "
    "another date format or an answer with extra correct detail is correct. Verdicts: correct (matches the "
    "reference), outdated (gives one of the outdated values listed), abstained (says it does not know, or "
    "rejects the question's premise), incorrect (anything else)."
)
GRADE_TOOL = ToolSpec(
    name="grade",
    description="Record the verdict on the answer.",
    input_schema={
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": list(VERDICTS)},
            "reason": {"type": "string"},
        },
        "required": ["verdict", "reason"],
        "additionalProperties": False,
    },
)


def answer_prompt(asked: Asked, k: int) -> str:
    lines = [f"{i}. {' '.join(hit.content.split())}" for i, hit in enumerate(asked.hits[:k], start=1)]
    memories = "\n".join(lines) if lines else "(no memory matched the question)"
    return f"Memories, best match first:\n{memories}\n\nQuestion: {asked.task.question}"


def judge_prompt(asked: Asked, answer: str, known: bool) -> str:
    task = asked.task
    given = answer if known and answer.strip() else "(the answerer said it does not know)"
    if task.answer is None:
        reference = (
            "This question must not be answered: its premise is false or the information is not available. "
            "The right answer says it is not known (abstained)."
        )
        if task.wrong:
            reference += f" A misleading answer would be: {'; '.join(task.wrong)}."
    else:
        reference = f"Reference answer: {task.answer}"
        if task.wrong:
            reference += f"\nOutdated values (no longer true): {'; '.join(task.wrong)}"
    return f"Question: {task.question}\n{reference}\n\nAnswer given: {given}"


class ClaudeAnswerer:
    """Answers and judges through the project's Anthropic adapter."""

    name = "claude"

    def __init__(self, client: LLMClient, *, model: str = DEFAULT_MODEL, judge_model: str | None = None):
        self.client = client
        self.model = model
        self.judge_model = judge_model or model

    def ks(self, requested: Sequence[int]) -> tuple[int, ...]:
        return (main_k(requested),)

    def cost(self) -> Mapping[str, Any]:
        return self.client.meter.report().to_json()

    def score(self, asked: Sequence[Asked], *, ks: Sequence[int]) -> list[tuple[Outcome, ...]]:
        (k,) = ks
        answers = self.client.run(
            [
                LLMRequest.ask(
                    custom_id=f"answer-{i}", stage="eval-answer", model=self.model, system=ANSWER_SYSTEM,
                    user=answer_prompt(item, k), tool=ANSWER_TOOL, max_tokens=300,
                )
                for i, item in enumerate(asked)
            ]
        )
        replies = [
            (str(r.data.get("answer", "")), bool(r.data.get("known"))) if r.ok and r.data is not None else None
            for r in answers
        ]
        to_judge = [(i, reply) for i, reply in enumerate(replies) if reply is not None]
        grades = self.client.run(
            [
                LLMRequest.ask(
                    custom_id=f"judge-{i}", stage="eval-judge", model=self.judge_model, system=JUDGE_SYSTEM,
                    user=judge_prompt(asked[i], *reply), tool=GRADE_TOOL, max_tokens=300,
                )
                for i, reply in to_judge
            ]
        )
        graded = {i: grade for (i, _), grade in zip(to_judge, grades, strict=True)}
        out: list[tuple[Outcome, ...]] = []
        for i, item in enumerate(asked):
            recall = evidence_recall(item.task.evidence, item.hits[:k])
            reply, grade = replies[i], graded.get(i)
            if reply is None or grade is None or not grade.ok or grade.data is None:
                error = answers[i].error if reply is None else (grade.error if grade is not None else "not judged")
                out.append((Outcome(k=k, completed=False, recall=recall, details={"error": error}),))
                continue
            verdict = str(grade.data["verdict"])
            target = "correct" if item.task.answerable else "abstained"
            out.append(
                (
                    Outcome(
                        k=k, completed=verdict == target, stale=verdict == "outdated", recall=recall,
                        answer=reply[0] if reply[1] else "", details={"verdict": verdict, "reason": grade.data["reason"]},
                    ),
                )
            )
        return out
