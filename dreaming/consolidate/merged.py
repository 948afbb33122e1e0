"""The merge rule: one memory for a group of duplicates.

Every way of finding duplicates calls :func:`merged_memory`: the offline core
(:func:`dreaming.consolidate.engine.consolidate`, after choosing the best
wording of its group), the second pass by meaning
(:mod:`dreaming.consolidate.meaning`, with the wording that says more) and the
judge (:mod:`dreaming.plan.changes`, with the wording the judge wrote).  So a merged memory's id, times, key and provenance
follow one rule, whoever decided the merge.
"""

from __future__ import annotations

from collections.abc import Sequence

from dreaming.records import Memory, merge_provenance


def keeper(members: Sequence[Memory]) -> Memory:
    """The member whose id a merge keeps: the one known first -- the earliest first seen (else observed, else
    created; ties: the earliest created, then the smallest id).  A memory a store has held since before a
    session keeps its id when the session says it again, even when the store was imported after the session."""
    return min(members, key=lambda m: (m.first_seen or m.observed_at or m.created_at, m.created_at, m.id))


def merged_memory(members: Sequence[Memory], *, content: str | None = None, keep: Memory | None = None) -> Memory:
    """One memory standing for ``members`` (duplicates of one fact).

    * **id**, ``created_at``, ``kind``, ``path`` and ``metadata``: the
      :func:`keeper`'s (the member known first);
    * **content**: ``content``, the wording whoever decided the merge chose
      (the core's best spelt wording, the judge's merged text), else the
      keeper's;
    * **key**: the keeper's, else the smallest key any member has;
    * **observed_at**: the newest any member has (the merged fact was still
      true then); ``None`` when none has one;
    * **first_seen** / **last_seen**: the earliest / latest of each member's
      ``first_seen`` / ``last_seen``, else its ``observed_at``, else its
      ``created_at``;
    * **mentions**: summed; **provenance**: the union of the members'
      (:func:`dreaming.records.merge_provenance`).

    ``keep`` overrides the keeper when a decider must keep a given id (the
    second pass by meaning keeps the id of a memory the core already merged
    others into, since that merge names it).

    Times are taken as given (the records are timezone-aware).
    """
    kept = keep if keep is not None else keeper(members)
    first = min(m.first_seen or m.observed_at or m.created_at for m in members)
    last = max(m.last_seen or m.observed_at or m.created_at for m in members)
    observed = [m.observed_at for m in members if m.observed_at is not None]
    keys = [m.key for m in members if m.key is not None]
    return kept.replace(
        content=kept.content if content is None else content,
        key=kept.key if kept.key is not None else (min(keys) if keys else None),
        first_seen=first,
        last_seen=last,
        observed_at=max(observed) if observed else None,
        mentions=sum(m.mentions for m in members),
        provenance=merge_provenance(*(m.provenance for m in members)),
    )
