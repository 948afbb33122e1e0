"""What people state about themselves, their project and how they want work done.

Two families of rules, both precision-first (a wrong memory costs more than
a missing one):

* **user statements** in agent sessions (role ``user``): preferences ("I
  prefer ..."), standing instructions ("always ...", "from now on ...",
  "never ..."), facts about the user (name, role, employer, location) and about
  the project ("we upgraded X to Y", "the release freeze moved to ...").
  One-off task requests ("can you fix this", "I want to create a file") are
  not memories and are skipped.
* **speaker statements** in conversations between named people (LoCoMo-style
  chats): first-person declaratives of each speaker ("I went to a support
  group yesterday"), phrased in the third person with the speaker's name.

Each rule gives a kind, a confidence and, where the statement fills a known
slot (the user's editor, name, role; "the staging database"), a ``key`` so
that a later value supersedes the earlier one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dreaming.extract.phrasing import third_person
from dreaming.text import tokens
from dreaming.text.words import STATEMENT_STOP_WORDS

_NOISE_MARKERS = ("<command-", "<local-command", "<system-reminder>", "Caveat:", "[Request interrupted", "<bash-")
_HEDGES = re.compile(
    r"^(?:if|when|whether|maybe|perhaps|i think|i guess|i wonder|i suppose|i'm not sure|i am not sure|"
    r"can you|could you|would you|will you|please (?:fix|check|look|run|make|create|add|help|explain|show|tell|write)|"
    r"let's|let us|do you|did you|are you|is it|what|why|how|where|who)\b",
    re.I,
)
_LEADERS = re.compile(
    r"^(?:also|and|oh|ok|okay|so|btw|by the way|fyi|heads up|note|just so you know|for the record)[,:]?\s+", re.I
)
_PHATIC = re.compile(
    r"\b(?:thanks|thank you|appreciate|glad|awesome|wow|haha|lol|congrats|congratulations|sounds (?:great|good|fun)|"
    r"that's (?:great|awesome|cool|amazing)|nice|cool|hope|miss you|take care|good luck|see you|bye)\b",
    re.I,
)
EDITORS = (
    r"(?:vim|neovim|nvim|emacs|helix|vs ?code|visual studio code|sublime(?: text)?|zed|nano|intellij|pycharm|cursor"
    r"|kakoune|jetbrains)"
)

_MAX_WORDS = 45
_MIN_WORDS = 3


@dataclass(frozen=True, kw_only=True)
class Statement:
    content: str
    kind: str
    rule: str
    confidence: float
    key: str | None = None
    standalone: bool = True
    """False when it points at something outside itself ("I made it yesterday"): it may only
    add to a memory drawn from the same turn that names the thing (see :mod:`dreaming.normalise.restatements`)."""


_TAG_QUESTION = re.compile(r",\s*(?:remember|right|ok|okay|you know|as you know)\?$", re.I)
_CLAUSE_SPLIT = re.compile(r",?\s+and\s+(?=(?:I|I'm|I've|my|My)\b)")
# "A lot's happened - I joined ...": what comes before the dash is an aside, unless it is the
# speaker's own statement ("I had a day out last weekend - we went biking"), whose time the rest shares
_DASH_SPLIT = re.compile(
    r"^(?!(?:\W*\w+\W+){0,2}?(?:I|I'm|I've|I'd|My|We|We're|we|my)\b)(.+?)\s+[-–—]+\s+(?=(?:I|I'm|I've|My|We)\b)"
)


def prose_lines(text: str) -> Iterator[str]:
    """The lines of a message that are prose: code blocks, quotes and markup lines dropped, a list
    item's bullet or number removed."""
    in_code = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not stripped or stripped.startswith((">", "|", "<", "#", "$ ", "    ")):
            continue
        yield re.sub(r"^[-*+]\s+|^\d+[.)]\s+", "", stripped)


def sentences(text: str) -> Iterator[str]:
    """Split prose into sentences and "..., and I ..." or "... - I ..." clauses; code blocks,
    quotes and markup lines are dropped; a trailing tag question
    (", remember?") does not make a statement a question."""
    for stripped in prose_lines(text):
        for part in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'(])", stripped):
            part = _TAG_QUESTION.sub(".", part.strip())
            part = _DASH_SPLIT.sub("", part, count=1)
            for clause in _CLAUSE_SPLIT.split(part):
                clause = clause.strip()
                if clause:
                    yield clause


def _clean(sentence: str) -> str:
    s = sentence.strip()
    while (shorter := _LEADERS.sub("", s)) != s:  # "Oh, btw, I ..."
        s = shorter
    s = _INVITATION.sub("", s)
    s = re.sub(r",?\s+(?:btw|by the way)(?=[.!]*$)", "", s, flags=re.I)  # "..., btw."
    s = re.sub(r"\s+", " ", s)
    return s.strip(" \"'")


def _content_words(text: str) -> list[str]:
    return [w for w in tokens.letter_words(text) if w not in STATEMENT_STOP_WORDS and len(w) > 2]


#: a closing invitation to look at a photo ("..., take a look!") says nothing about the speaker
_INVITATION = re.compile(
    r"\s*[,;:\-–—]+\s*(?:take a look|have a look|check (?:it|this|them) out|look at (?:this|that|these|it))\b.*$", re.I
)
_BARE_OBJECT = re.compile(
    r"^(?:i|we|user)(?:'ve|'d|'ll| have| had| will| would)?(?:\s+(?:just|also|even|really|already|\w+ly))*"
    r"\s+[a-z]+\s+(it|them|this|that|these|those)\b\W*([a-z]*)",
    re.I,
)
_AFTER_BARE = set(
    "because after before when while since as so and but or for to with at in on by from last yesterday today "
    "tonight too again there here now then".split()
)


def refers_outside(sentence: str) -> bool:
    """The verb's object is a bare pronoun ("I painted it because ...", "I made
    this!"): the turn points at something said before or shown, and a memory
    made of it would not say what it is about.  "I made this bowl" names it."""
    m = _BARE_OBJECT.match(sentence)
    if m is None:
        return False
    pronoun, after = m.group(1).lower(), m.group(2).lower()
    return pronoun in ("it", "them") or not after or after in _AFTER_BARE


def is_noise(text: str) -> bool:
    return any(marker in text for marker in _NOISE_MARKERS)


def _key(*parts: str) -> str:
    out: list[str] = []
    for part in parts:
        out.extend(w for w in tokens.words(part) if w not in ("the", "a", "an", "our", "my"))
    return ".".join(out)


# --- user statements -----------------------------------------------------------

_INSTRUCTION = re.compile(
    r"^(?:please\s+)?(?:(?:always|never)\s+\w+|don't\s+ever\s+\w+|from now on\b|going forward\b"
    r"|in (?:this|the) (?:repo|project|codebase),?\s+(?:always|never|use|prefer)\b)",
    re.I,
)
_PREFERENCE = re.compile(
    r"^i\s+(?:really\s+|strongly\s+|generally\s+|usually\s+|still\s+|much\s+)?"
    r"(?:prefer|like|love|hate|dislike|can't stand|'d rather|would rather)\b"
    r"|^i(?:'d| would) (?:like|prefer) (?:you )?to (?:always|never)\b"
    r"|^i want (?:you to )?(?:always|never)\b"
    r"|^i(?: always| usually| mostly)? use\s+\S"
    r"|^i (?:switched|moved|migrated|changed) (?:from \S+ )?(?:to|over to)\b",
    re.I,
)
_PERSONAL_FACT = re.compile(
    r"^my name is\s+(?P<name>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,3})"
    r"|^(?:i'm|i am)\s+(?P<role>(?:the|a|an)\s+[\w-]+(?:\s+[\w-]+){0,6})"
    r"|^i (?:work|live) (?P<prep>at|for|in|on)\s+(?P<place>.+)"
    r"|^my (?P<slot>[\w-]+(?:\s+[\w-]+){0,2}) is\s+(?P<value>.+)",
    re.I,
)
_PROJECT_FACT = re.compile(
    r"^(?:we|the team)\s+(?:just\s+|recently\s+|finally\s+)?(?P<verb>upgraded|moved|migrated|switched|changed|bumped|renamed)\s+"
    r"(?P<subject>(?:the\s+|our\s+)?[\w./-]+(?:\s+[\w./-]+){0,3}?)\s+(?:from\s+\S+(?:\s+\S+)?\s+)?to\s+(?P<value>.+)"
    r"|^(?:we|the team)\s+(?:now\s+)?(?:use|are using|deploy (?:to|on|with)|run|host (?:on|with))\s+(?P<uses>.+)"
    r"|^(?:the|our)\s+(?P<thing>[\w./-]+(?:\s+[\w./-]+){0,3}?)\s+"
    r"(?P<fverb>is now|now runs|runs|moved to|has moved to|was moved to|is moving to|starts on|starts|is due|is on"
    r"|is scheduled for|was upgraded to)\s+(?P<fvalue>.+)",
    re.I,
)
_ROLE_NOUNS = re.compile(
    r"\b(?:engineer|developer|sre|lead|manager|designer|scientist|analyst|architect|admin|administrator|student|"
    r"researcher|owner|founder|intern|consultant|on call|maintainer|reviewer|tester|writer|teacher|nurse|doctor)\b",
    re.I,
)


def user_statements(text: str) -> Iterator[Statement]:
    """Memories in what the user of an agent session said."""
    if is_noise(text):
        return
    for raw in sentences(text):
        if raw.endswith("?"):
            continue
        s = _clean(raw)
        words = s.split()
        if not (_MIN_WORDS <= len(words) <= _MAX_WORDS) or _HEDGES.match(s) or refers_outside(s):
            continue
        editor = re.search(rf"\b(?:to|use|prefer|like)\s+{EDITORS}\b", s, re.I)
        if _INSTRUCTION.match(s):
            body = re.sub(r"^please\s+", "", s, flags=re.I)
            yield Statement(content=f"Standing instruction: {body[0].lower() + body[1:]}".rstrip(".!") + ".",
                            kind="procedure", rule="user-instruction", confidence=0.85)
            continue
        if _PREFERENCE.match(s):
            key = "user.editor" if editor or re.search(rf"\b{EDITORS}\b.*\beditor\b|\beditor\b", s, re.I) else None
            if key is None and re.search(r"\btabs?\b.*\bspaces?\b|\bspaces?\b.*\btabs?\b|\bindent", s, re.I):
                key = "user.indentation"
            yield Statement(content=third_person(s, "User"), kind="preference", rule="user-preference",
                            confidence=0.8, key=key)
            continue
        fact = _PERSONAL_FACT.match(s)
        if fact:
            key = None
            if fact.group("name"):
                key = "user.name"
            elif fact.group("role"):
                if not _ROLE_NOUNS.search(fact.group("role")):
                    continue
                key = "user.role"
            elif fact.group("place"):
                key = "user.location" if fact.group("prep").lower() == "in" and "live" in s.lower() else "user.work"
            elif fact.group("slot"):
                key = _key("user", fact.group("slot"))
            yield Statement(content=third_person(s, "User"), kind="fact", rule="user-fact", confidence=0.75, key=key)
            continue
        project = _PROJECT_FACT.match(s)
        if project:
            subject = project.group("subject") or project.group("thing")
            key = _key(subject) if subject else None
            if project.group("uses"):
                key = None  # "we use X" adds a fact; it does not replace one
            yield Statement(content=third_person(s, "User"), kind="fact", rule="project-fact", confidence=0.75, key=key)


# --- speaker statements (conversations between named people) -----------------

_PERIOD = (r"(?:night|morning|afternoon|evening|week|weekend|month|year|summer|winter|spring|fall|autumn|"
           r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues?|thu(?:rs?)?|fri)")
#: a time word that may open a statement ("Last week, I ..."); "this book I read" is not one
_LEAD_TIME = rf"yesterday|today|tonight|last {_PERIOD}|this {_PERIOD}|recently|lately|finally"
_FIRST_PERSON_START = re.compile(
    rf"^(?:(?:{_LEAD_TIME}|actually|well|yeah|yes|so|and|but|oh|also|"
    r"guess what|you know what)[,!]?\s+)?(?:i|i'm|i've|i'd|i'll|my|we|we're|we've|our)\b",
    re.I,
)


_FEELING_OR_INTENT = re.compile(
    r"^(?:i|we)(?:'m| am| are|'re)?\s+(?:so |really |just |totally |super |very |also |still )*"
    r"(?:excited|glad|happy|thrilled|pumped|stoked|grateful|thankful|proud|sure|hoping|hope|wish|feel|felt|feeling|"
    r"think|thought|guess|believe|bet|can't wait|cannot wait|will|'ll|would|'d|could|can|might|should|gonna|"
    r"going to(?! (?:a|an|the|my|our)\b)|wanna|want to|need to|have to|got to|gotta|keep|love that|loved that|"
    r"appreciate|agree|know|knew|mean|"
    r"totally|definitely|bet|wonder|miss|missed|understand|see|saw what|get it|hear you|like that)\b",
    re.I,
)
_PAST_VERB = r"\w+ed|" + "|".join(
    sorted({"went", "got", "made", "took", "came", "saw", "gave", "found", "told", "became", "left", "began", "brought",
            "bought", "built", "wrote", "ran", "met", "paid", "sent", "spent", "won", "lost", "sold", "taught", "caught",
            "held", "heard", "put", "set", "quit", "drove", "flew", "grew", "chose", "fell", "had", "did", "was",
            "were", "read", "ate", "drew", "sang", "swam", "rode", "threw", "wore", "broke", "spoke", "woke", "hosted",
            "gotten", "been", "done", "seen", "taken", "given"}))
_PAST = re.compile(rf"^(?:i|we)\s+(?:just |recently |finally |also |actually |even |all |both )?({_PAST_VERB})\b", re.I)
#: a chat sentence that leaves out its "I" ("Lost my job yesterday", "Took a short trip to Rome last week"):
#: a past verb, then what it did (an object, a particle or an -ing verb), and "my" or a time word
_DROPPED_I = re.compile(
    rf"^(?!(?:excited|stoked|thrilled|pumped|blessed|tired|amazed|bored|scared|worried|stressed|relieved|surprised|"
    rf"impressed|inspired|interested|obsessed|glad|pleased|touched|moved|floored|hooked|used|supposed|been)\b)"
    rf"(?:{_PAST_VERB})\s+(?:my|a|an|the|some|to|up|out|back|into|home|\w+ing)\b",
    re.I,
)
#: "Been practicing a lot lately" is "I've been ..."; "Been a busy week" is not about the speaker
_DROPPED_IVE = re.compile(r"^been\s+(?:\w+ing|to)\b", re.I)
_MY = re.compile(r"\b(?:my|me|myself)\b", re.I)
_HAVE = re.compile(r"^(?:i|we)(?:'ve| have)?\s+(?:got|have|own|adopted|started|joined|finished)\b|^(?:i|we)'ve\s+\w+", re.I)
_HABIT = re.compile(
    r"^(?:i|we)\s+(?:\w+ly\s+)?(?:work|live|study|teach|play|volunteer|paint|write|collect|run|own|use|practice|"
    r"practise|train|coach|mentor|attend|visit|go|ride|cook|bake|dance|sing|read|swim|hike|travel)s?\b",
    re.I,
)
_STATE = re.compile(r"^(?:i'm|i am|we're|we are)\s+(?:a|an|the|from|in|at|into|on|part of|now|currently|still|"
                    r"\w+ing)\b", re.I)
_POSSESSIVE = re.compile(r"^(?:my|our)\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:is|are|was|were|has|have|had|\w+ed)\b", re.I)
_TIME = re.compile(
    r"\b(?:yesterday|today|tonight|last \w+|this (?:morning|week|weekend|month|year)|next \w+|ago|recently|"
    r"in (?:19|20)\d\d|since|years? old|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)
_IMAGE = re.compile(r"\s*\[image:[^\]]*\]")


def is_factual(sentence: str) -> bool:
    """A first-person sentence that reports something (an event, a possession,
    a habit, a state or a dated fact), not a feeling, a wish or a plan."""
    if _FEELING_OR_INTENT.match(sentence):
        return False
    return bool(
        _PAST.match(sentence) or _HAVE.match(sentence) or _HABIT.match(sentence) or _STATE.match(sentence)
        or _POSSESSIVE.match(sentence) or _TIME.search(sentence)
    )


def speaker_statements(text: str, speaker: str, *, listener: str) -> Iterator[Statement]:
    """First-person declaratives of a named speaker that report something
    (see :func:`is_factual`), in the third person."""
    text = _IMAGE.sub("", text)
    for raw in sentences(text):
        if raw.endswith("?") or raw.endswith("?!"):
            continue
        s = _clean(raw)
        if (_DROPPED_I.match(s) or _DROPPED_IVE.match(s)) and (_MY.search(s) or _TIME.search(s)):
            s = f"{'I have' if _DROPPED_IVE.match(s) else 'I'} {s[0].lower()}{s[1:]}"
        words = s.split()
        if not (4 <= len(words) <= _MAX_WORDS) or not _FIRST_PERSON_START.match(s):
            continue
        if _HEDGES.match(s) or _PHATIC.search(s) and len(_content_words(s)) < 4:
            continue
        if len(_content_words(s)) < 2:
            continue
        # move a leading time word after the subject so the sentence starts with the pronoun
        lead = re.match(rf"^({_LEAD_TIME})[,]?\s+", s, re.I)
        tail = ""
        if lead:
            tail = f" {lead.group(1).lower()}"
            s = s[lead.end():]
        else:
            s = re.sub(r"^(?:actually|well|yeah|yes|so|and|but|oh|also|guess what|you know what)[,!]?\s+", "", s, flags=re.I)
        if not is_factual(s) and not (tail and not _FEELING_OR_INTENT.match(s)):
            continue
        standalone = not refers_outside(s)
        s = s.rstrip(".!")
        content = third_person(s + tail, speaker, listener=listener)
        yield Statement(content=content, kind="fact", rule="speaker-statement", confidence=0.6, standalone=standalone)
