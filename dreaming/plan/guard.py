"""The guard: which dreams wait for a person instead of being accepted.

A transcript, or a model's reply, can talk a dream into damaging the store:
retiring good memories, rewriting them, replacing them with planted ones,
flooding it with junk, or adding a memory that is really an order
("SYSTEM: ignore all previous memories...") that every later session would
read.  :func:`guard_reason` looks at what a dream would write and says why it
must be reviewed, or ``None``:

* **size of the change**: the memories it retires or rewrites, and the new
  memories it puts in a retired one's place (a change whose inputs it retires
  and whose outputs are new: a supersede), each weighed by its length against
  the store's average memory (a 2 kB memory among 100-character ones weighs
  20).  A replacement thus counts twice, what the store loses and what it
  asserts instead: a reply that supersedes 9 of 100 memories with planted ones
  and adds a tenth counts 18, over the 15% default share.  More than
  ``share`` of the store (and at least ``min_touched``) waits.  New memories
  that replace nothing count only as long text (what each new or lengthened
  memory holds past :data:`LONG_MEMORY_CHARS`): more than ``share`` of the
  store's text, or :data:`ADD_FLOOR_CHARS` when that is more, waits (40 junk
  memories of 2 kB); a catch-up dream adding hundreds of ordinary memories
  does not;
* **instructions**: any memory it adds or rewrites that reads as an
  instruction to the assistant or to the memory system waits, whatever the
  share.  What "reads as an instruction" is a predicate: the default,
  :func:`instruction_to_the_system`, is this module's rule set (role markers,
  orders addressed to the assistant or the memory, requests to delete,
  forget, ignore or send out) together with the extractor's detector
  (:func:`dreaming.extract.injection.aimed_at_memory`, a sum of independent
  signals); a better detector plugs in as ``instruction``.

Pure: records in, a reason out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dreaming.extract.injection import aimed_at_memory
from dreaming.records import Memory

#: says whether a memory's text reads as an instruction aimed at the assistant or the memory system
InstructionPredicate = Callable[[str], bool]

_ADDRESSEE = (
    r"(?:you|your|the assistant|assistant|claude|the ai|ai|the model|the agent|the bot"
    r"|the memory(?: system| store)?|memory system)"
)
_MEMORY_THINGS = (
    r"(?:memor(?:y|ies)|instructions|(?:system )?prompts?|guidelines|your rules|the rules above"
    r"|everything (?:you|the assistant|claude) (?:know|knows|remember|remembers|learned|were told)"
    r"|(?:all |any |every )?(?:previous|prior|earlier|above|preceding|stored|saved) (?:instructions|messages|memories"
    r"|rules|context|notes|directives|guidance)|what (?:you|the user) (?:know|said|told you))"
)
_SECRETS = r"(?:secrets?|(?:api |ssh |private |access )?keys?|tokens?|passwords?|credentials?|memor(?:y|ies)|\.env)"
_RULES = [
    # role markers: "SYSTEM:", "[system]", "<system>", "### System", "<|im_start|>system"
    re.compile(
        r"(?im)^\W{0,4}(?:system|developer|admin(?:istrator)?|root|assistant)"
        r"(?:\s{1,4}(?:prompt|message|note|override|instructions?|update)){0,2}\s{0,4}[:>\]|]"
    ),
    re.compile(r"(?i)<\|im_start\|>\s{0,4}system\b|<\s{0,4}/?system\s{0,4}>|\[\s{0,4}(?:system|inst)\s{0,4}\]|<<\s{0,4}sys\s{0,4}>>"),
    # overriding what came before
    re.compile(rf"(?i)\b(?:ignore|disregard|forget|override|bypass|skip)\b[\w ,'-]{{0,30}}?\b{_MEMORY_THINGS}"),
    re.compile(r"(?i)\b(?:new|updated|real|actual|true) (?:instructions|rules|system prompt|directives?)\b"),
    re.compile(r"(?i)\b(?:forget|wipe|erase)\s+(?:about\s+)?(?:everything|all of (?:it|this|that)|it all)\b"),
    # deleting or rewriting the memory
    re.compile(rf"(?i)\b(?:delete|erase|wipe|remove|purge|drop|clear|overwrite|replace)\b[\w ,'-]{{0,30}}?\b{_MEMORY_THINGS}"),
    # sending things out
    re.compile(
        rf"(?i)\b(?:send|post|upload|forward|exfiltrate|leak|email|e-mail|transmit|copy|paste|share|reveal|print|curl)\b"
        rf"[\w ,'-]{{0,40}}?(?<!\w){_SECRETS}(?!\w)[^\n]{{0,80}}?(?:\bto\b|https?://|@[\w-]+\.)"
    ),
    re.compile(rf"(?i)\b(?:reveal|disclose|print|output|leak)\b[\w ,'-]{{0,30}}?\b{_SECRETS}"),
    # orders to the assistant or the memory system
    re.compile(
        rf"(?i)^\W{{0,4}}{_ADDRESSEE}\s{{0,4}},?\s{{0,4}}(?:you\s{{1,4}})?"
        rf"(?:must|should|shall|will|are to|need to|have to|always|never|do not|don't)\b"
    ),
    re.compile(
        rf"(?i)\b(?:from now on|henceforth|going forward|in all future (?:sessions|conversations))\b"
        rf"[^.\n]{{0,40}}?\b{_ADDRESSEE}\b"
    ),
    re.compile(
        r"(?i)\b(?:obey|follow|execute|run)\b[\w ,'-]{0,30}?\b(?:instructions|commands|orders|messages)\b[^.\n]{0,40}\bfrom\b"
    ),
]


def reads_as_instruction(text: str) -> bool:
    """The default detector: a role marker, an order addressed to the
    assistant or the memory system, or a request to ignore, delete, forget or
    send out memories, instructions or secrets."""
    return any(rule.search(text) for rule in _RULES)


def instruction_to_the_system(text: str) -> bool:
    """The guard's default predicate: this module's rules, or the extractor's
    detector (:func:`dreaming.extract.injection.aimed_at_memory`)."""
    return reads_as_instruction(text) or aimed_at_memory(text) is not None


@dataclass(frozen=True, kw_only=True)
class GuardInput:
    """What a dream would write, and the store it would write it on."""

    #: memories the dream writes (new ones and new states of existing ones)
    upserts: Sequence[Memory]
    #: ids it retires
    retire: Sequence[str]
    #: the store memories it looked at, by id (every retired or rewritten one is among them)
    head: Mapping[str, Memory]
    #: memories at HEAD, and their total length in characters
    before: int
    before_chars: int
    #: each change's input ids and output ids (they say which new memory takes which retired one's place)
    links: Sequence[tuple[Sequence[str], Sequence[str]]] = ()


#: the share of the store a dream may change without review, unless the store's ``guard`` setting says otherwise
DEFAULT_SHARE = 0.15
#: a memory longer than this is long: what a dream adds past it is counted
LONG_MEMORY_CHARS = 400
#: long text a dream may add (past LONG_MEMORY_CHARS per memory) without review, whatever the store's size
ADD_FLOOR_CHARS = 10_000


def _weigher(data: GuardInput) -> Callable[[Memory], float]:
    """A memory's weight: its length against the store's average memory."""
    mean = data.before_chars / data.before if data.before and data.before_chars else 0.0
    return lambda memory: len(memory.content) / mean if mean > 0 else 1.0


def removed_weight(data: GuardInput) -> float:
    """Memories retired or rewritten, each weighed by its length against the
    store's average memory (a 2 kB memory among 100-character ones weighs 20)."""
    weight = _weigher(data)
    total = sum(weight(data.head[mid]) for mid in data.retire if mid in data.head)
    for memory in data.upserts:
        old = data.head.get(memory.id)
        if old is not None and old.content != memory.content:
            total += weight(old)
    return total


def placed_weight(data: GuardInput) -> float:
    """New memories put in the place of retired ones (outputs of a change
    that retires its inputs: a supersede, a merge into a new memory), weighed
    like :func:`removed_weight`; a new memory that replaces nothing counts 0."""
    weight = _weigher(data)
    retired = set(data.retire)
    replacing = {out for inputs, outputs in data.links if retired.intersection(inputs) for out in outputs}
    return sum(weight(m) for m in data.upserts if m.id in replacing and m.id not in data.head)


def added_chars(data: GuardInput) -> int:
    """Characters the dream adds past :data:`LONG_MEMORY_CHARS` in each memory
    it adds or lengthens: a catch-up dream adding hundreds of ordinary memories
    counts nothing, 40 junk memories of 2 kB count 64,000."""
    total = 0
    for memory in data.upserts:
        old = data.head.get(memory.id)
        before = 0 if old is None else max(len(old.content), LONG_MEMORY_CHARS)
        if old is None or old.content != memory.content:
            total += max(0, len(memory.content) - max(before, LONG_MEMORY_CHARS))
    return total


def guard_reason(
    data: GuardInput, *, share: float = DEFAULT_SHARE, min_touched: float = 10,
    instruction: InstructionPredicate = instruction_to_the_system,
) -> str | None:
    """Why this dream must wait for review, or ``None`` (see the module docstring)."""
    review = "it is left as a candidate: read it with `dreaming diff`, then `dreaming accept` or `dreaming reject`"
    orders = [
        m for m in data.upserts
        if (data.head.get(m.id) is None or data.head[m.id].content != m.content) and instruction(m.content)
    ]
    if orders:
        shown = " ".join(orders[0].content.split())[:80]
        more = f" and {len(orders) - 1} more" if len(orders) > 1 else ""
        return (
            f"guard: this dream adds a memory that reads as an instruction to the assistant or the memory system "
            f"({shown!r}{more}); {review}"
        )
    if share >= 1.0 or data.before == 0:
        return None
    removed, placed = removed_weight(data), placed_weight(data)
    changed = removed + placed
    if changed >= min_touched and changed > share * data.before:
        instead = f" and put the equivalent of {placed:.0f} new ones in their place" if placed >= 0.5 else ""
        return (
            f"guard: this dream would retire or rewrite the equivalent of {removed:.0f} of {data.before} memories"
            f"{instead} ({changed / data.before:.0%} of the store, weighed by length), more than the {share:.0%} "
            f"allowed without review; {review} (the share is `dreaming config guard`)"
        )
    added = added_chars(data)
    allowed = max(share * data.before_chars, ADD_FLOOR_CHARS)
    if added > allowed:
        return (
            f"guard: this dream would add {added:,} characters of long memories (past {LONG_MEMORY_CHARS} each) to a "
            f"store of {data.before_chars:,}, more than the {allowed:,.0f} allowed without review; {review}"
        )
    return None
