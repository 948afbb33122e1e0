"""What the assistant said back: a user's statement as the assistant restated it.

People type facts in passing ("which also means i can't really be fire
warden anymore. aileen said she'll take it over"); an agent usually answers
by saying the fact back, whole and explicit ("Noted: Aileen takes over as
3rd-floor fire warden from you."): the subject named instead of "it", the
relative date made absolute, the old value named beside the new one.  That
reply is the better memory, and the user's turn is its evidence.

A sentence of the assistant's reply (the assistant's text before the user's
next message) is a *restatement* of the user's message when it is made of
the user's words, measured, never matched against a phrasing:

* it states something: not a question, and not the assistant speaking of
  itself ("I'll flag it", "I haven't changed anything", "let me check");
* at least two of its content words, one of them *specific* (a name, a
  number, a code: :func:`dreaming.extract.declaratives.specific`), are words
  of the user's message, and they are at least 40% of its content words
  (dates and weekdays the assistant resolved are not counted against it);
* a short acknowledgment before a colon or a dash ("Noted:", "Got it,
  Sunil -") is dropped: a lead of at most three words, none specific except
  a person the sessions know.

A user sentence the restatements cover (at least half of its specific words
appear in them) is replaced by them; the user's other sentences are kept as
they were.  "You" in the restatement is the user who spoke (their name in a
shared store, else "User").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from dreaming.extract.declaratives import mentions_secret, specific
from dreaming.extract.phrasing import conjugate
from dreaming.records import Turn
from dreaming.text.words import IRREGULAR_PAST

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+|;\s+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+'’-]*[A-Za-z0-9]|[A-Za-z0-9]")
#: the assistant speaking of itself: its own actions and plans are not the user's facts
_SELF = re.compile(r"\b(?:I|I'm|I've|I'll|I'd|me|my|mine|myself|let me|let's|we'll)\b|\bI’(?:m|ve|ll|d)\b")
#: the least share of a restatement's content words that are the user's (the rest: names completed, context)
_SHARE = 0.4
#: the assistant reporting what it did, its "I" left out ("Changed to ...", "Updated Bluefin to Growth",
#: "Booked the engineer for ...", "Creating the file"): a verb in the past or in -ing opens the sentence
_REPORT = re.compile(r"^(?:[A-Z][a-z]+(?:ed|ing)|" + "|".join(
    w.capitalize() for w in sorted(IRREGULAR_PAST)) + r")\b(?!\s+(?:is|are|was|were|has|have)\b)")
_ACK_LEAD = re.compile(r"^(?P<lead>[^:\-–—]{1,40}?)\s*(?::|\s[-–—]|—)\s+(?=\S)")
#: words of a date or a time the assistant may add when it resolves "next tuesday" (closed classes)
_DATE_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun "
    "january february march april may june july august september october november december jan feb mar apr jun "
    "jul aug sep sept oct nov dec am pm from until till to on at by".split()
)
_FUNCTION = frozenset(
    "a an the and or but so to of in on at for with from by about as into is are was were be been being am "
    "you your yours it its they them their he him his she her this that these those there here have has had do does "
    "did not no yes just really very also too some any all more most much many can could will would should might "
    "may must then than now still only even again already yet noted got thanks thank ok okay sure done right "
    "understood great".split()
)
#: a quoted passage of the reply (a draft email, a message to send): written for someone else, not restated
_QUOTED = re.compile(r"[\"“][^\"”]{25,}[\"”]")
#: an adverb that may stand between "you" and the verb ("you still plan")
_ADVERBS = frozenset("also still now usually always never just only really already then".split())
#: words after "you" that are not a verb to put in the third person (they are rewritten whole below)
_NOT_VERBS = frozenset("are have will were had can could would should must may might did do does don't didn't "
                       "won't can't cannot aren't weren't haven't hadn't".split())
_YOU = [
    (re.compile(r"\byou(?:'re|’re| are)\b", re.I), "{S} is"),
    (re.compile(r"\byou(?:'ve|’ve| have)\b", re.I), "{S} has"),
    (re.compile(r"\byou(?:'ll|’ll| will)\b", re.I), "{S} will"),
    (re.compile(r"\byou(?:'d|’d)\b", re.I), "{S} would"),
    (re.compile(r"\byou were\b", re.I), "{S} was"),
    (re.compile(r"\byourself\b", re.I), "{S}"),
    (re.compile(r"\byours\b", re.I), "{P}"),
    (re.compile(r"\byour\b", re.I), "{P}"),
    (re.compile(r"\byou\b", re.I), "{S}"),
]


def _stem(word: str) -> str:
    w = re.sub(r"['’]s$", "", word.lower().strip("'’.,:;()"))  # "Oskar's" is Oskar
    for suffix in ("ing", "ed", "es", "s"):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _content(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in _FUNCTION]


@dataclass(frozen=True)
class Restatement:
    """One sentence of the reply that says the user's message back, in the third person."""

    text: str
    #: the user's words it is made of (stems)
    shared: frozenset[str]
    #: the assistant reporting what it did ("Added Kamala arriving Friday 13 March"): used only when the
    #: user's own sentences gave no statement
    report: bool = False


def reply_to(turns: Sequence[Turn], index: int) -> list[Turn]:
    """The main assistant's turns with text after ``turns[index]``, up to the user's next message."""
    out = []
    for t in turns[index + 1 :]:
        if t.role == "user" and t.agent_id is None and t.text:
            break
        if t.role == "assistant" and t.agent_id is None and t.text and t.kind == "message":
            out.append(t)
    return out


def _sentences(text: str) -> list[str]:
    """Sentences, a title's full stop ("Prof. Baines", "Dr. Alvarez", "St. Kevin's") not ending one."""
    out: list[str] = []
    for piece in _SENTENCE.split(text):
        if out and re.search(r"(?:^|\s)[A-Z][a-z]{0,3}\.$", out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _without_lead(sentence: str, people: Collection[str]) -> str:
    m = _ACK_LEAD.match(sentence)
    if not m:
        return sentence
    lead = [w for w in _WORD.findall(m.group("lead"))]
    if len(lead) > 3 or any(specific(w) and w.lower() not in people for w in lead):
        return sentence
    return sentence[m.end():]


def _third_person(sentence: str, subject: str) -> str:
    possessive = f"{subject}'" if subject.endswith("s") else f"{subject}'s"
    text = re.sub(r"\byou\s+\([^)]{1,30}\)", "you", sentence, flags=re.I)
    verb = re.match(r"^you\s+(?:(" + "|".join(sorted(_ADVERBS)) + r")\s+)?([a-z]+)\b", text, re.I)
    if verb and verb.group(2).lower() not in _NOT_VERBS:
        adverb = f"{verb.group(1)} " if verb.group(1) else ""
        text = f"you {adverb}{conjugate(verb.group(2))}" + text[verb.end():]
    for pattern, repl in _YOU:
        text = pattern.sub(repl.format(S=subject, P=possessive), text)
    text = text.strip().rstrip(" ,;:")
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "!")) else text + "."


def restatements(user_text: str, reply: str, *, subject: str, people: Collection[str] = ()) -> list[Restatement]:
    """The sentences of ``reply`` that restate ``user_text`` (see the module doc), rewritten about ``subject``."""
    said = {_stem(w) for w in _content(user_text)}
    known = {p.lower() for p in people}
    out: list[Restatement] = []
    for raw in _sentences(_QUOTED.sub(" ", reply)):
        sentence = raw.strip().strip("\"'")
        if not sentence or sentence.endswith("?") or "`" in sentence or len(sentence) > 300 \
                or mentions_secret(sentence):
            continue
        sentence = _without_lead(sentence, known)
        if _SELF.search(sentence):
            continue
        report = bool(_REPORT.match(sentence))
        shared: set[str] = set()
        new: set[str] = set()
        specifics = False
        for w in _content(sentence):
            stem = _stem(w)
            if stem in said:
                shared.add(stem)
                specifics = specifics or specific(w)
            elif w.lower() not in _DATE_WORDS and not re.fullmatch(r"\d{1,4}(?:st|nd|rd|th)?", w):
                new.add(stem)  # a date or a weekday the assistant resolved is not counted against it
        if len(shared) >= 2 and specifics and len(shared) >= _SHARE * (len(shared) + len(new)):
            out.append(Restatement(text=_third_person(sentence, subject), shared=frozenset(shared), report=report))
    return out


def covered(sentence: str, by: Sequence[Restatement]) -> bool:
    """``sentence`` (a user's) is said again by the restatements: at least half of its specific words, or
    of its content words when it has no specific one, are in them."""
    if not by:
        return False
    words = _content(sentence)
    pool = {_stem(w) for w in words if specific(w)} or {_stem(w) for w in words}
    if not pool:
        return False
    said = set().union(*(_stem_all(r.text) for r in by))
    return len(pool & said) * 2 >= len(pool)


def _stem_all(text: str) -> set[str]:
    return {_stem(w) for w in _content(text)}
