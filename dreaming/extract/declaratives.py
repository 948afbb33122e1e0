"""What people state, the way they type it: declarative sentences of a session's user.

The rules in :mod:`.statements` read a few precise forms ("I prefer ...",
"from now on ...", "my X is Y") and give them keys.  People mostly type
otherwise: "team lunch is moving to thursdays from this week", "prod stays
on fly.io in mad tho", "daniel is on sabbatical from next month".  This
module keeps such sentences as memories when they *state* something, decided
by the shape of the sentence, never by its topic:

* **a statement, not a request or a question**: it has a finite verb -- an
  auxiliary or copula ("is", "'re", "has", "will", "won't"), a past tense, or
  a third-person verb after its subject ("prod stays", "tomas gets") -- and
  does not open with an imperative the assistant is asked to carry out
  ("run the tests", "can you ...", "please ..."); a question mark, a
  question word or an inverted auxiliary ("is it ...") drops it;
* **lasting, not chatter**: at least two content words, one of them
  *specific* -- a name, a number, a code, or a word that is not among the
  common English words (word counts shipped in ``pyspellchecker``'s wheel):
  "the tests are failing again" says nothing a later session needs; "the
  staging db is a neon branch" does;
* **not a plan of the moment or a feeling**: "i need to", "let me", "i'm
  going to", "i think", "i hope" open transient talk;
* **not a secret**: a sentence holding a redaction marker, or talking about a
  password, a key, a token or a credential, is dropped whole (its value may
  have escaped redaction).

Sentences are split on end punctuation followed by a space (lower-case text
included: "3.14" and "railway.app" stay whole) and on line breaks; leading
discourse markers ("ok", "btw", "also", "big news,") are dropped.  The
speaker of a session (:func:`speaker_of`) replaces "I": a name a person
gives ("pedro here", "it's ruth", "hedda." at the start of a message, when
the store or the sessions know that name), else the user name of the
session's working folder (``/home/mei/lab``) when several people share the
store, else "User".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from dreaming.extract.statements import Statement, prose_lines
from dreaming.text.english import commonness, english_counts

_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+|\s+[-–—]\s+(?=[a-z])")
_LEADER = re.compile(
    r"^(?:(?:ok|okay|k|so|also|and|but|btw|fyi|oh|hey|hi|hello|yes|yeah|yep|yup|no|nope|right|anyway|well|cool|nice|"
    r"great|good|fine|sure|thanks|thx|ty|alright|hmm|ah|ugh|lol|morning|update|news|big news|heads up|quick one|now|"
    r"quick thing|one more thing|note|side note|separately|first|also note|just so you know|for the record|"
    r"reminder)\b[,:!.]*\s+)+",
    re.I,
)
_QUESTION_START = re.compile(
    r"^(?:what|why|how|where|who|whom|whose|which|when|whats|what's|hows|how's|wheres|"
    r"(?:is|are|was|were|do|does|did|can|could|would|will|should|shall|may|might|have|has|had|am)"
    r"\s+(?:i|you|we|it|they|he|she|there|this|that|the|a|an|my|our|your)\b)",
    re.I,
)
_REQUEST = re.compile(
    r"^(?:please|pls|plz|kindly|can u|can you|could you|could u|would you|will you|let's|lets|let me|go ahead|"
    r"make sure|try|remind me|tell me|show me|give me|help me|send me|find me|check|see if|look at|look into)\b",
    re.I,
)
_TRANSIENT = re.compile(
    r"^(?:i|we)(?:'m| am|'re| are)?\s+(?:just\s+|really\s+|still\s+|also\s+)*(?:need to|needs to|want to|wanna|"
    r"have to|gotta|got to|going to|gonna|about to|trying to|think|thought|guess|hope|wonder|feel|felt|"
    r"wish|was wondering|would like|'d like|like to|love to|can't wait|cant wait|will|'ll|might|may|should|"
    r"could|can|don't know|dont know|forgot|remember)\b",
    re.I,
)
#: an auxiliary or a copula: the sentence has a finite verb
_FINITE = re.compile(
    r"\b(?:is|are|was|were|am|isn't|aren't|wasn't|weren't|isnt|arent|wasnt|has|have|had|hasn't|haven't|hasnt|"
    r"havent|will|won't|wont|would|can't|cant|cannot|don't|dont|doesn't|doesnt|didn't|didnt|does|did|do|"
    r"shall|must|should|stays|gets|goes|runs|lives|moves|takes|needs|wants|uses|works|starts|ends|keeps|"
    r"comes|leaves|means|becomes|remains|belongs|covers|handles|owns|prefers|hates|likes|loves)\b"
    r"|'s\b|'re\b|'m\b|'ve\b|'ll\b|'d\b|\b(?:i|we|they|he|she|you)\s+\w+",
    re.I,
)
_PAST = re.compile(r"\b[a-z]{3,}ed\b|\b(?:went|got|made|took|came|left|began|brought|bought|built|wrote|ran|met|paid|"
                   r"sent|spent|won|lost|sold|held|put|set|cut|quit|drove|flew|grew|chose|fell|said|told|gave|"
                   r"found|kept|swapped|moved|signed|slipped|dropped)\b", re.I)
_SUBJECT_START = re.compile(
    r"^(?:i|i'm|im|i've|ive|i'd|id|i'll|we|we're|were|we've|our|my|he|she|they|their|his|her|it|it's|its|there|"
    r"this|that|these|those|the|a|an|all|every|each|no|both|[a-z0-9][\w.-]*(?:\s+[a-z0-9][\w./-]*){0,3}\s+"
    r"(?:is|are|was|were|'s|has|have|had|will|won't|stays|gets|goes|runs|lives|moves|takes|moved|starts|ends))\b",
    re.I,
)
_LABEL = re.compile(r"^[^:]{1,30}:\s+")
_TIME_LEAD = re.compile(
    r"^(?:from|since|as of|starting|until|till|after|before|on|this|next|last)\b[\w\s]{0,20}?,?\s+"
    r"(?=(?:i|we|my|our|the)\b)",
    re.I,
)
#: a short noun phrase, then a finite or past verb ("team lunch is moving", "zeiss engineer is coming")
_NP_VERB = re.compile(r"^[\w.'/-]+(?:\s+[\w.'/-]+){0,3}?\s+(?:" + _PAST.pattern + "|" + _FINITE.pattern + ")", re.I)
#: a sentence about a credential is never kept whole (the value may have escaped redaction)
_CREDENTIAL = re.compile(r"\b(?:passwords?|passphrases?|passcodes?|pins?|api[ _-]?keys?|secret(?: key)?s?|tokens?|"
                         r"credentials?|private keys?|wifi|wi-fi)\b", re.I)
_MARKER = re.compile(r"\[REDACTED|<redacted|\*{4,}", re.I)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+'-]*")
_FUNCTION = frozenset(
    "a an the and or but so to of in on at for with from by about as into is are was were be been being am i me my we "
    "our us you your it its they them their he him his she her this that these those there here have has had do does "
    "did not no yes just really very also too some any all more most much many can could will would should might may "
    "must then than now still only even again already yet tho though im ive id ill dont doesnt didnt isnt arent wasnt "
    "it's i'm i've we're they're that's there's can't won't don't doesn't didn't".split()
)
#: user names of a working folder that name no person
_ACCOUNTS = frozenset("user users root admin ubuntu debian ec2-user runner vscode node dev developer home app "
                      "workspace workspaces build ci src code projects project tmp".split())
_MIN_WORDS, _MAX_WORDS = 3, 40


def third_person_verb(word: str) -> bool:
    """``word`` reads as a verb in the third person ("reopens", "arrives", "carries"): it ends in -s and its
    stem is an English word that also takes -ed and -ing (counts shipped in ``pyspellchecker``'s wheel) --
    a statistic of English, not a list of verbs.  Plural nouns of verb-like stems ("requests") pass too;
    they only let a sentence be considered, the other tests still apply."""
    w = word.lower()
    if len(w) < 4 or not w.isalpha() or not w.endswith("s") or w.endswith("ss") or w in _FUNCTION:
        return False
    counts, _ = english_counts()
    for stem in (w[:-1], w[:-2], w[:-3] + "y"):
        if len(stem) < 3 or stem not in counts:
            continue
        bare = stem[:-1] if stem.endswith("e") else stem
        past = stem + "d" if stem.endswith("e") else (bare[:-1] + "ied" if stem.endswith("y") else stem + "ed")
        ing = bare + "ing" if not stem.endswith("y") else stem + "ing"
        if past in counts and ing in counts:
            return True
    return False


def specific(word: str) -> bool:
    """A word that names something: a number, a code, a name, or a word outside common English."""
    w = word.strip("'.,:;()")
    if not w or w.lower() in _FUNCTION:
        return False
    if any(c.isdigit() for c in w) or any(c in w for c in "/@:._-") and len(w) > 2:
        return True
    return commonness(w) < 3.0


def mentions_secret(sentence: str) -> bool:
    """The sentence holds a redaction marker or talks about a credential (its value may have escaped)."""
    return bool(_MARKER.search(sentence) or _CREDENTIAL.search(sentence))


def _sentences(text: str) -> Iterator[str]:
    for stripped in prose_lines(text):
        for part in _SPLIT.split(stripped):
            part = part.strip(" \"'")
            if part:
                yield part


def typed_i(text: str) -> str:
    """The pronoun "i" typed in lower case, and its contractions ("im", "ive"), as written English has them."""
    text = re.sub(r"\bi\b", "I", text)
    return re.sub(r"\b(?:I|i)(m|ve|ll|d)\b", lambda m: "I'" + m.group(1), text)


def _clean(sentence: str) -> str:
    s = sentence.strip()
    while (shorter := _LEADER.sub("", s)) != s:
        s = shorter
    return typed_i(re.sub(r"\s+", " ", s).strip(" ,;:"))


def is_statement(s: str) -> bool:
    """See the module doc: a statement with a finite verb, not a question, request or transient talk."""
    words = _WORD.findall(s)
    if not (_MIN_WORDS <= len(words) <= _MAX_WORDS):
        return False
    if s.endswith("?") or _QUESTION_START.match(s) or _REQUEST.match(s) or _TRANSIENT.match(s):
        return False
    if _MARKER.search(s) or _CREDENTIAL.search(s):
        return False
    body = _LABEL.sub("", s)  # "rig A change: from next week I'm ...": the label is context, the rest is the claim
    body = _TIME_LEAD.sub("", body)
    lead = _WORD.findall(body)[:5]
    # "the shop reopens", "kamala arrives", "regrade requests close": a verb after a short subject
    subject_verb = any(third_person_verb(w) for w in lead[1:5])
    if not (_FINITE.search(s) or _PAST.search(s) or subject_verb):
        return False
    if not _SUBJECT_START.match(body) and not _NP_VERB.match(body) and not subject_verb:
        return False  # no subject before the verb: an imperative ("run the tests on it")
    content = [w for w in words if w.lower() not in _FUNCTION]
    return len(content) >= 2 and any(specific(w) for w in content)


def declaratives(text: str) -> Iterator[str]:
    """The statements in one message of a user (first person kept; see :func:`is_statement`)."""
    for raw in _sentences(text):
        s = _clean(raw)
        if s and is_statement(s):
            yield s.rstrip(".!") + "."


_INTRO = re.compile(
    r"^\W*(?:(?:hi|hey|hello|morning|hiya|yo)[,!.]?\s+)?(?:(?:it's|its|this is)\s+(?P<a>[a-z][\w-]*)\b"
    r"|(?P<b>[a-z][\w-]*)\s+here\b|(?P<c>[a-z][\w-]*)\s*[.:,]\s)",
    re.I,
)


def speaker_of(text: str, known: Collection[str]) -> str | None:
    """The name a message opens with ("pedro here", "it's ruth", "hedda. ..."), if it is a known person's."""
    m = _INTRO.match(text.strip())
    if not m:
        return None
    if m.group("a") or m.group("b"):  # "it's ruth", "pedro here": a name given as a name
        name = (m.group("a") or m.group("b")).lower()
        return None if name in _FUNCTION or commonness(name) >= 4.0 else name
    name = (m.group("c") or "").lower()
    return name if name in known else None


def account_of(cwd: str | None) -> str | None:
    """The person whose home folder a session ran in (``/home/mei/lab`` -> ``mei``), if it names one."""
    if not cwd:
        return None
    m = re.match(r"^/(?:home|Users)/([A-Za-z][\w.-]*)", cwd)
    if not m:
        return None
    name = m.group(1).lower()
    return None if name in _ACCOUNTS else name


def as_memory(sentence: str, subject: str) -> Statement:
    from dreaming.extract.phrasing import third_person

    return Statement(content=third_person(sentence, subject), kind="fact", rule="user-statement", confidence=0.55)
