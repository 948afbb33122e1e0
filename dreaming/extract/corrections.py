"""Corrections a user keeps making: one rule, citing every time it was said.

"httpx!!! how many times", "again w/ requests 🙄 httpx", "p < .001!!! not
0.000. third time i think": a user who corrects the assistant the same way
twice is stating a rule, and a later session should not need a third time.
A *correction* is found by the form of the user's message, never its topic:

* it answers the assistant (the turn before it is the assistant's);
* it is not a question or a request ("can you ...");
* it says it repeats itself -- "how many times", "third time", "i told you",
  "every time", "for real" -- or it is emphatic (``!!``), or it opens by
  saying no ("nah not requests, ..."), or says "again" together with a
  contrast ("not", "never", "no", "don't");

Corrections of one run that share a specific word (a name, a code, a word
outside common English: :func:`dreaming.extract.declaratives.specific`) are
one rule; a single correction is one too when it says it was made before.
The rule is worded from the assistant's commitment in its reply when it made
one ("I'll stick to httpx whenever HTTP is needed" -> "Stick to httpx
whenever HTTP is needed."), else from the user's words; it cites every turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dreaming.extract.acknowledged import reply_to
from dreaming.extract.declaratives import mentions_secret, specific
from dreaming.records import PendingSession, Turn

_EMPHATIC = re.compile(r"!{2,}")
#: the user says the correction was made before (closed-class discourse markers)
_REPEATED = re.compile(
    r"\b(?:how many times|(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time|i (?:already )?told you|"
    r"i(?:'ve| have)? said|every (?:single )?time|for real|yet again|once again)\b",
    re.I,
)
#: the part of those markers that only complains ("third time i think"), dropped from the rule's wording
_COMPLAINT = re.compile(r"\b(?:how many times|(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time|"
                        r"i (?:already )?told you|i(?:'ve| have)? said)\b", re.I)
#: an answer that opens by saying the assistant got it wrong ("nah not requests, we use httpx", "no, ...")
_REFUSAL = re.compile(r"^\W*(?:no|nah|nope|wrong|not)\b[\s,.!:;-]", re.I)
_AGAIN = re.compile(r"\bagain\b", re.I)
_CONTRAST = re.compile(r"\b(?:not|never|no|don't|dont|doesn't|isn't|stop)\b", re.I)
_QUESTION = re.compile(r"\?\s*$|^\s*(?:what|why|how|where|who|which|when|whats|what's|is|are|do|does|can|could|"
                       r"would|will|should)\b", re.I)
_REQUEST = re.compile(r"^\s*(?:please|pls|can you|could you|would you|let's|lets)\b", re.I)
#: a commitment of the assistant in its reply: "I'll ...", "I will ...", "from now on I ...", "I check ... every time"
_COMMITMENT = re.compile(
    r"(?:^|(?<=[.;:!—–-])\s*)(?:from now on,?\s*)?I(?:'ll|’ll| will)?\s+(?:always\s+|now\s+)?"
    r"(?P<verb>[a-z]+)(?P<rest>(?:[^.;!]|[.](?=[\w`]))*)",
    re.I,
)
_SELF_WORDS = frozenset("am was have had did do can could would should might must may think see".split())
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+<>'-]*")
_MAX_WORDS = 40


@dataclass(frozen=True)
class Correction:
    session: PendingSession
    turn: Turn
    reply: Turn | None
    words: frozenset[str]
    said_before: bool


def is_correction(text: str) -> bool:
    """See the module doc."""
    t = text.strip()
    if not t or len(_WORD.findall(t)) > _MAX_WORDS or _QUESTION.search(t) or _REQUEST.match(t) or mentions_secret(t):
        return False
    if _REPEATED.search(t) or _EMPHATIC.search(t) or _REFUSAL.match(t):
        return True
    return bool(_AGAIN.search(t) and _CONTRAST.search(t))


def _specific_words(text: str) -> frozenset[str]:
    return frozenset(w.lower().strip("'.,:;") for w in _WORD.findall(text) if specific(w) and len(w) >= 2)


def corrections(sessions: Sequence[PendingSession]) -> list[Correction]:
    out = []
    for session in sessions:
        turns = [t for t in session.turns if t.agent_id is None and t.kind == "message"]
        for i, turn in enumerate(turns):
            if turn.role != "user" or not turn.text or i == 0 or turns[i - 1].role != "assistant":
                continue
            if not is_correction(turn.text):
                continue
            reply = next(iter(reply_to(turns, i)), None)
            out.append(Correction(session=session, turn=turn, reply=reply, words=_specific_words(turn.text),
                                  said_before=bool(_REPEATED.search(turn.text))))
    return out


def _groups(found: Sequence[Correction]) -> list[list[Correction]]:
    """Corrections sharing a specific word, joined transitively (in the order they were made)."""
    groups: list[list[Correction]] = []
    for c in found:
        joined = [g for g in groups if any(c.words & o.words for o in g)]
        merged = [c] + [x for g in joined for x in g]
        groups = [g for g in groups if g not in joined] + [merged]
    return [sorted(g, key=lambda c: (c.turn.timestamp is None, c.turn.timestamp, c.turn.seq)) for g in groups]


def _commitment(reply: Turn | None) -> str | None:
    """The assistant's promise in its reply, as a rule ("I'll stick to httpx ..." -> "Stick to httpx ...")."""
    if reply is None:
        return None
    for m in _COMMITMENT.finditer(reply.text):
        verb = m.group("verb")
        if verb.lower() in _SELF_WORDS or len(m.group("rest").split()) < 1:
            continue
        rule = (verb[0].upper() + verb[1:] + m.group("rest")).strip().strip("`\"'")
        rule = re.sub(r"\byou\b", "the user", rule, flags=re.I)
        return rule.rstrip(" ,") + "."
    return None


def _said(text: str) -> str:
    """The user's correction, tidied: emphasis calmed, short complaints that it is repeated dropped ("third
    time i think", "how many times")."""
    parts = [p.strip() for p in re.split(r"(?<=[.!])\s+", _EMPHATIC.sub("!", " ".join(text.split()))) if p.strip()]
    kept = [p for p in parts if not (_COMPLAINT.search(p) and len(p.split()) <= 5)
            and len(re.findall(r"[A-Za-z]{2,}", p)) >= 2] or parts  # "👌 finally." says nothing
    said = " ".join(kept).rstrip(" .!") + "."
    return said[0].upper() + said[1:]


@dataclass(frozen=True)
class Rule:
    """A correction made ``times`` times in the run (once: the user said it was made before), as a rule."""

    content: str
    turns: tuple[tuple[PendingSession, Turn], ...]
    times: int


def repeated_corrections(sessions: Sequence[PendingSession]) -> list[Rule]:
    """One rule per group of corrections made at least twice (or once, saying it was made before)."""
    rules = []
    for group in _groups(corrections(sessions)):
        if len(group) < 2 and not group[0].said_before:
            continue
        wording = next((w for c in reversed(group) if (w := _commitment(c.reply))), None) or _said(group[-1].turn.text)
        cited: list[tuple[PendingSession, Turn]] = []
        for c in group:
            cited.append((c.session, c.turn))
            if c.reply is not None:
                cited.append((c.session, c.reply))
        rules.append(Rule(content=wording, turns=tuple(cited), times=len(group)))
    return rules
