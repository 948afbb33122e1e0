"""Every rule that can make a change, by its stable id: the decision trail's vocabulary.

Each :class:`~dreaming.records.Change` names the rule that fired
(``Change.rule``) and that rule's inputs (``Change.rule_inputs``: the ids,
subject, values, scores it decided on); the store keeps both, ``dreaming
diff --json`` carries them and ``dreaming why MEMORY_ID`` explains a memory
with them.  A change without a rule id cannot be made.

**Adding a rule** (a new way the core merges, supersedes or flags; a new
extractor; a new kind of change): give it an id here, in :data:`RULES`, with
one line saying what it decides; return that id where the decision is made
(``PairDecision(kind, reason, rule)`` in :mod:`dreaming.consolidate.rules`,
a ``Candidate.rule`` for an extractor, ``Change(rule=...)`` elsewhere); and
add a labelled case that produces it (``tests/test_rule_ids.py`` checks that
every id here is produced by at least one case).  Ids are stable: stores keep
them, so rename none that has shipped.

Ids ending in ``:`` in :data:`FAMILIES` are open families: ``judge:claude``
names the judge stage implementation that decided.
"""

from __future__ import annotations

#: rule id -> what it decides, in one line.
RULES: dict[str, str] = {
    # -- the consolidation core: duplicates (merge) --------------------------
    "same-words": "the same content words once normalised (case, punctuation, word order, stems): one fact said twice",
    "same-words-typos": "the same content words up to typos the rules can prove (one edit in a long word, a swapped pair)",
    "keyed-duplicate": "the same explicit key, the same value and polarity, however far apart the wording",
    # -- the consolidation core: newer values (supersede) --------------------
    "keyed-update": "the same explicit key (one subject), a different value observed later: the later replaces the earlier",
    "slot-update": "one attribute of one subject, stated in two phrasings, with a new value observed later",
    "polarity-reversed": "the same subject and value with the polarity reversed, observed later",
    "number-changed": "the same statement where only a number changed, observed later",
    "single-value-update": "a single-valued subject (one editor, one home town) with a new value observed later",
    "label-update": "the same label ('Desk: 3.14' / 'Desk: 3.20') with a new value observed later, in one file",
    "names-old-value": "a later memory names the old value as the one it replaces ('kofi has taken over from bea')",
    # -- the second pass by meaning (sentence vectors and the pair model) -----
    "meaning:duplicate": "the pair model calls two memories the same fact in other words, with high confidence",
    "meaning:update": "the pair model calls the later memory a new value of the same fact, with high confidence",
    # -- the consolidation core: flags ----------------------------------------
    "same-time-values": "different values of one subject observed at the same time: all kept, flagged as a conflict",
    # -- the judge ------------------------------------------------------------
    "judge:claude": "Claude judged a look-alike pair the offline rules could not settle (a duplicate or an update)",
    # -- the plan -------------------------------------------------------------
    "restatement-fold": "a candidate drawn from the very turn a stored memory cites adds the date it carries to that memory",
    "recurring-community": "related memories recur across sessions: a new pattern memory citing them",
    "pattern-again": "a stored pattern found again (same key) reads differently now: it is rewritten",
    "topic-path": "a memory without a chosen path is filed under its topic (reorganise)",
    # -- extraction: why a new memory was added -----------------------------
    "memory-tool:create": "Claude's memory tool created a memory file with this entry (lines it no longer holds leave)",
    "memory-tool:str_replace": "Claude's memory tool replaced a line with this one (the old line is superseded)",
    "memory-tool:insert": "Claude's memory tool inserted this entry",
    "memory-tool:delete": "Claude's memory tool deleted the memory file that held this entry",
    "memory-tool:rename": "Claude's memory tool renamed the memory file that holds this entry",
    "user-preference": "the user stated how they like things done",
    "user-instruction": "the user gave a standing instruction",
    "user-fact": "the user stated a fact about themselves",
    "project-fact": "the user stated a fact about their project",
    "user-statement": "the user said something about themselves in passing (a declarative sentence)",
    "speaker-statement": "a named speaker said something about themselves (first person)",
    "workaround": "a tool call failed and another call then worked for the same goal",
    "summary": "a summary record of the session",
    "compact-summary": "the summary /compact wrote of the session",
    "claude-extract": "Claude read the session and proposed this memory",
    # -- the store ------------------------------------------------------------
    "import": "imported from a file",
    "reimport": "imported again from a file, with new content for the same id",
    "rollback": "a rollback restored the memory as it stood in an earlier version",
    "purge": "`dreaming purge` erased the memory for good (a secret)",
    "net-difference": "the net difference between two versions not covered by a recorded change",
    "legacy": "written before changes recorded their rule",
}

#: open families: prefix -> what a member decides (the part after the prefix names who, or how)
FAMILIES: dict[str, str] = {
    "judge:": "the named judge stage implementation decided a pair the offline rules could not settle",
    "claude.md:": "the agent wrote CLAUDE.md (the tool after the colon: write, edit, multiedit)",
    "claude.local.md:": "the agent wrote CLAUDE.local.md (the tool after the colon: write, edit, multiedit)",
    "memory.md:": "the agent wrote MEMORY.md (the tool after the colon: write, edit, multiedit)",
    "hosted-pull:": "`dreaming pull` found the line in (add) or gone from (remove) a Managed Agents memory store's file",
    "hosted-dream:": "Anthropic's hosted Dream's output store, read as before/after (add, merge, supersede, remove)",
}


def describe(rule: str) -> str | None:
    """The one line that says what ``rule`` decides (``None``: an unknown id)."""
    if rule in RULES:
        return RULES[rule]
    for prefix, line in FAMILIES.items():
        if rule.startswith(prefix) and len(rule) > len(prefix):
            return line
    return None


def extraction_rule(candidate_rule: str) -> str:
    """The rule id of a change an extracted candidate (or the agent's own
    memory edit) brings: the extractor's rule name, with a memory file's name
    in lower case (``CLAUDE.md:edit`` -> ``claude.md:edit``; the name as the
    extractor wrote it seeds the candidate's id, so it stays as it is there)."""
    base, colon, tool = candidate_rule.partition(":")
    if colon and base.lower() + ":" in FAMILIES:
        return f"{base.lower()}:{tool}"
    return candidate_rule


def judge_rule(name: str) -> str:
    """The rule id of a change a judge decided: ``judge:<its stage name>``."""
    return f"judge:{name}"
