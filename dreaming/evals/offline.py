"""The offline answerer: deterministic, no model, no network.

It does not generate an answer; it checks whether the top-k retrieved
memories hold it (see :mod:`dreaming.evals.answer_match` for how texts are
compared; each memory is matched on its own, so a phrase never spans two
memories).

- **Plain task** (a gold answer, nothing known to be wrong): completed when
  the top-k memories contain the gold answer (every item of a list answer,
  each item somewhere in the top k).
- **Task with outdated values** (drift suite): the answer is the value —
  gold or outdated — mentioned first when the top-k memories are read best
  first (within a memory, the earlier mention).  Completed when that value
  is the gold one; *stale* when it is an outdated one.  A store that still
  holds old values next to the new one is penalised exactly when retrieval
  puts an old value first, as an agent reading its context top-down would.
- **Must-not-answer task** (LoCoMo adversarial): the question's premise is
  false and LoCoMo records the misleading answer a careless reader would
  give.  The offline answerer *abstains* when none of the top-k memories
  contains that misleading answer, and it is scored as completed then.
  This is a proxy: it rewards a store that does not surface the misleading
  fact for the question, and says nothing about whether an agent would
  notice the false premise (the Claude answerer judges that).

Evidence recall@k is computed for every task that lists evidence ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from dreaming.evals.answer_match import answer_items, answer_terms, find
from dreaming.evals.answerer import Asked, Outcome
from dreaming.evals.retrieval import evidence_recall


def _mention(hit_tokens: Sequence[tuple[str, ...]], answer: str) -> tuple[int, int] | None:
    """(rank, position) where every item of ``answer`` has been seen, reading best first; None: never."""
    items = answer_items(answer)
    if not items:
        return None
    where: list[tuple[int, int]] = []
    for item in items:
        for rank, tokens in enumerate(hit_tokens):
            start = find(tokens, item)
            if start >= 0:
                where.append((rank, start))
                break
        else:
            return None
    return max(where)


class OfflineAnswerer:
    """Completion by normalised containment of the gold answer in the top-k memories."""

    name = "offline"

    def ks(self, requested: Sequence[int]) -> tuple[int, ...]:
        return tuple(requested)

    def score(self, asked: Sequence[Asked], *, ks: Sequence[int]) -> list[tuple[Outcome, ...]]:
        return [self.score_one(item, ks=ks) for item in asked]

    def cost(self) -> None:
        return None

    def score_one(self, asked: Asked, *, ks: Sequence[int]) -> tuple[Outcome, ...]:
        tokens = [answer_terms(hit.content) for hit in asked.hits]
        return tuple(self._at(asked, tokens[:k], k) for k in ks)

    @staticmethod
    def _at(asked: Asked, tokens: Sequence[tuple[str, ...]], k: int) -> Outcome:
        task = asked.task
        recall = evidence_recall(task.evidence, asked.hits[:k])
        if task.answer is None:
            found = [w for w in task.wrong if _mention(tokens, w) is not None]
            return Outcome(k=k, completed=not found, recall=recall, answer=found[0] if found else "")
        if not task.wrong:
            hit = _mention(tokens, task.answer) is not None
            return Outcome(k=k, completed=hit, recall=recall, answer=task.answer if hit else "")
        mentions = [(m, value) for value in (task.answer, *task.wrong) if (m := _mention(tokens, value)) is not None]
        if not mentions:
            return Outcome(k=k, completed=False, recall=recall)
        _, value = min(mentions, key=lambda pair: pair[0])
        first = value == task.answer
        return Outcome(k=k, completed=first, stale=not first, recall=recall, answer=value)
