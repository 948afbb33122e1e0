"""Claude judgement: the look-alike pairs the offline core could not settle.

Only those cases reach Claude (``dreaming.consolidate`` settles the clear
ones itself), several per request (``cases_per_request``).  Each case shows
the two memories as ``a`` and ``b``; the reply gives one verdict per case:
``duplicate`` with the merged wording, ``update`` naming which of ``a``/``b``
is current, or ``distinct``.  :func:`check_reply` insists on exactly the case
ids of that request, each once, and on the field each decision needs; a
reply that fails is re-asked once, then dropped with a warning and its cases
stay ``undecided`` (both memories kept, as offline).

A verdict can only act on the pair it names: ``dreaming.plan.changes`` merges a
duplicate into one memory or retires the older value *citing the current
one*; nothing else can leave the store.  And a merge must keep what both
memories say: the merged wording needs a token-set similarity of at least
``MERGE_KEEPS`` with each of them, so a reply that would quietly replace a
memory with something else ("deleted", an instruction lifted from a
transcript) is re-asked, then dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz, utils

from dreaming.llm.requests import LLMRequest, ToolSpec
from dreaming.pipeline.claude import checked, fell_back, model_for, send
from dreaming.pipeline.prompts import DATA_RULE, data_block, json_line, memory_record
from dreaming.pipeline.stages import JudgeCase, JudgeDecision, JudgeVerdict, StageContext

#: what Claude may answer (``undecided`` is only ever ours)
DECISIONS: tuple[JudgeDecision, ...] = ("duplicate", "update", "distinct")
#: least token-set similarity (0-100) of a merged wording with each memory it merges
MERGE_KEEPS = 50.0

#: The cached system prompt: the stage's stable instructions (the data goes in the user message).
JUDGE_SYSTEM = f"""\
You settle cases that a memory-consolidation engine could not settle by itself. Each case holds two
memories, "a" and "b", from an agent's memory store (or just extracted from a new session) that
look alike: their similarity score and the reason they were paired are given. For each case decide:

- "duplicate": a and b say the same thing (possibly in other words, or one more completely). Give
  "merged": one wording that keeps every detail either of them states (names, versions, dates,
  commands), no more. The engine keeps one memory with that wording and the other leaves the store
  with a record of the merge.
- "update": a and b are two values of the same thing at different times, and only one is true now
  (the user switched editors; the deadline moved). Give "current": "a" or "b", the one that holds
  now. Usually the later observed_at is current, unless the text says otherwise. The engine keeps
  both in history and retires the other, citing the current one.
- "distinct": they are about different things, or both can be true at once (two different
  preferences; a fact and an exception to it). Both stay. When in doubt, choose distinct: wrongly
  merging or retiring a memory loses information, keeping two costs little.

Read each memory with its "path" (the file it is in): the same line in two different entity files
("Tier: Pro (annual)" for two clients) is two facts, distinct. Different entities that share an
attribute (two services, two people) are distinct, never an update of each other. A paraphrase with
no shared words can still be a duplicate ("Our CI runs on GitHub Actions" / "The CI pipeline is
GitHub Actions"). Two events ("went to Rome", then "went to Paris") are distinct: events add up; an
update replaces a value that can only have one value at a time. An older value that the text says
still holds for something ("staging stays on Fly while prod moved") is distinct, not an update.

For every case give a short "reason" a human reviewer can check, and a "confidence" from 0 to 1.

{DATA_RULE}
Answer by calling the record_verdicts tool exactly once, with exactly one verdict for every case id
in the block and no other case ids.
"""



@dataclass(frozen=True, kw_only=True)
class ClaudeJudgeConfig:
    cases_per_request: int = 10
    #: output ceiling per request (about 200 tokens a verdict)
    max_tokens: int = 4096
    cache_ttl: Literal["5m", "1h"] = "5m"

    def __post_init__(self) -> None:
        if self.cases_per_request < 1 or self.max_tokens < 256:
            raise ValueError("cases_per_request must be at least 1 and max_tokens at least 256")


VERDICTS_TOOL = ToolSpec(
    name="record_verdicts",
    description="Record one verdict for every case.",
    input_schema={
        "type": "object",
        "properties": {
            "verdicts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "case": {"type": "string"},
                        "decision": {"type": "string", "enum": list(DECISIONS)},
                        "current": {"type": ["string", "null"], "enum": ["a", "b", None]},
                        "merged": {"type": ["string", "null"], "maxLength": 4000},
                        "reason": {"type": "string", "minLength": 1, "maxLength": 1000},
                        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                    "required": ["case", "decision", "current", "merged", "reason", "confidence"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["verdicts"],
        "additionalProperties": False,
    },
)


@dataclass(frozen=True, kw_only=True)
class CaseGroup:
    custom_id: str
    cases: Mapping[str, JudgeCase]


def case_record(case: JudgeCase) -> dict[str, Any]:
    return {"case": case.case_id, "score": round(case.score, 3), "paired_because": case.why,
            "a": memory_record(case.a), "b": memory_record(case.b)}


def user_message(group: CaseGroup) -> str:
    lines = [json_line(case_record(c)) for c in group.cases.values()]
    return (
        f"Give a verdict for each of these {len(lines)} cases (data, one per line).\n\n" + data_block("cases", lines)
    )


def check_reply(group: CaseGroup, data: Mapping[str, Any]) -> str | None:
    """Why this (schema-valid) reply cannot be used for ``group``, or None."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, v in enumerate(data["verdicts"]):
        case = v["case"]
        if case not in group.cases:
            problems.append(f"verdicts[{i}] names case {case!r}, which is not in this request")
        elif case in seen:
            problems.append(f"case {case!r} has more than one verdict")
        seen.add(case)
        if v["decision"] == "update" and v["current"] not in ("a", "b"):
            problems.append(f"verdicts[{i}]: an update must say which memory is current ('a' or 'b')")
        if v["decision"] == "duplicate":
            merged = (v["merged"] or "").strip()
            if not merged:
                problems.append(f"verdicts[{i}]: a duplicate needs the merged wording")
            elif case in group.cases and not keeps_both(merged, group.cases[case]):
                problems.append(f"verdicts[{i}]: the merged wording must keep what both a and b say")
    missing = [c for c in group.cases if c not in seen]
    if missing:
        problems.append(f"no verdict for case(s) {', '.join(missing[:5])}")
    if not problems:
        return None
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return "; ".join(problems[:3]) + more


def keeps_both(merged: str, case: JudgeCase) -> bool:
    """Does ``merged`` still say what each of the two memories says?"""
    return all(
        fuzz.token_set_ratio(merged, m.content, processor=utils.default_process, score_cutoff=MERGE_KEEPS) > 0
        for m in (case.a, case.b)
    )


def to_verdicts(group: CaseGroup, data: Mapping[str, Any], *, model: str) -> list[JudgeVerdict]:
    out = []
    for v in data["verdicts"]:
        case = group.cases[v["case"]]
        decision = v["decision"]
        out.append(
            JudgeVerdict(
                case_id=case.case_id,
                decision=decision,
                reason=f"{' '.join(v['reason'].split())} ({model})",
                current=(case.a.id if v["current"] == "a" else case.b.id) if decision == "update" else None,
                merged=" ".join(v["merged"].split()) if decision == "duplicate" else None,
                confidence=float(v["confidence"]),
            )
        )
    return out


def undecided(case: JudgeCase, why: str) -> JudgeVerdict:
    return JudgeVerdict(case_id=case.case_id, decision="undecided", reason=f"left for review: {why}")


class ClaudeJudge:
    """Judgement by Claude; cases it could not answer stay undecided (both memories kept)."""

    name = "claude"

    def __init__(self, **options: Any):
        self.config = ClaudeJudgeConfig(**options)

    def groups(self, cases: Sequence[JudgeCase]) -> list[CaseGroup]:
        size = self.config.cases_per_request
        return [
            CaseGroup(custom_id=f"judge-{n}", cases={c.case_id: c for c in cases[start:start + size]})
            for n, start in enumerate(range(0, len(cases), size), start=1)
        ]

    def request(self, group: CaseGroup, model: str) -> LLMRequest:
        return LLMRequest.ask(
            custom_id=group.custom_id, stage="judge", model=model, system=JUDGE_SYSTEM, user=user_message(group),
            tool=VERDICTS_TOOL, max_tokens=self.config.max_tokens, cache_ttl=self.config.cache_ttl,
        )

    def requests(self, cases: Sequence[JudgeCase], ctx: StageContext) -> list[LLMRequest]:
        model = model_for(ctx, "judge")
        return [self.request(g, model) for g in self.groups(cases)]

    def judge(self, cases: Sequence[JudgeCase], ctx: StageContext) -> list[JudgeVerdict]:
        ids = [c.case_id for c in cases]
        if len(set(ids)) != len(ids):
            raise ValueError("judge case ids must be unique")
        model = model_for(ctx, "judge")
        groups = self.groups(cases)
        results = send(
            ctx,
            "judge",
            [self.request(g, model) for g in groups],
            checked(check_reply, {g.custom_id: g for g in groups}),
        )
        out: list[JudgeVerdict] = []
        failures = []
        for group, result in zip(groups, results):
            if result.ok and result.data is not None:
                out.extend(to_verdicts(group, result.data, model=model))
            else:
                failures.append((result, f"cases {', '.join(group.cases)}"))
                out.extend(undecided(c, "Claude gave no usable verdict") for c in group.cases.values())
        fell_back(ctx, "judge", failures, "those pairs were left as they were, for review")
        return out
