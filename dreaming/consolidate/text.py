"""Normalisation: the words a memory says, stripped of how it says them.

Two memories are duplicates when they say the same words; differences of
case, punctuation, whitespace, word order, inflection and filler words must
not count.  This module turns a memory's text into

* a sequence of :class:`Token` (stem, class, capitalisation) that the subject
  parser (:mod:`.subjects`) reads in order, and
* its *normal form* (:func:`normal_form`): the content stems, sorted and joined
  by single spaces.  Sorting makes word order irrelevant; the stems make
  inflection irrelevant; dropping fillers, articles, copulas and the default
  subject ("the user", "I") makes phrasing irrelevant.  Typos are the one
  difference left, and rapidfuzz's ``ratio`` on normal forms scores them.

Negation is kept in the normal form as the word ``not`` (``don't``,
``doesn't``, ``never``, ``no longer``, ``dislike`` ... all become ``not``), so
"likes tea" and "does not like tea" never normalise to the same string.

The stemmer is deliberately crude (suffix stripping, applied until nothing
changes): it needs to be *consistent* -- every inflection of a word lands on
the same stem -- not linguistically right.  ``like``/``likes``/``liked``/
``liking`` all become ``lik``.  Every lookup is cached per distinct surface
token, so the cost per memory is one regex scan plus dictionary hits.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from rapidfuzz.distance import OSA

# Token classes -----------------------------------------------------------
WORD = 0  #: a content word (kept in the normal form)
NUMBER = 1  #: contains a digit: numbers, dates, times, versions (kept, never typo-matched)
NEG = 2  #: a negation marker (kept as ``not``)
FILLER = 3  #: articles, hedges, intensifiers, discourse words (dropped)
SELF = 4  #: the default subject: "user", "I", "my" ... (dropped)
AUX = 5  #: auxiliary verbs: do, does, will, can ... (dropped)
COPULA = 6  #: is, are, was ... (dropped from the normal form, read by the parser)
PREP = 7  #: light prepositions: of, in, at, for ... (dropped; the parser splits on them)
POSS = 8  #: a possessive marker ('s), emitted after its word (dropped)

#: Classes whose stems make up the normal form.
CONTENT = frozenset({WORD, NUMBER})


class Token(NamedTuple):
    """One word of a memory after lexical lookup."""

    stem: str
    cls: int
    #: "title" (Alice), "upper" (AWS) or "" (lower case / not a word)
    case: str
    #: the word as written (case kept), for human-readable values
    surface: str
    #: an article or possessive determiner ("the", "my", "their"): what
    #: follows it is a noun ("the favorite drink"), not a verb
    det: bool = False
    #: ``surface`` in lower case (how the word is spelt, for typo checks)
    spelt: str = ""


_FILLERS = frozenset(
    """a an the really very actually just basically definitely certainly honestly literally
    truly quite also too so generally typically usually always currently now still indeed
    please note noted remember that fyi btw anymore nowadays these days""".split()
)
#: "using" as in "prefers using tabs" says nothing "prefers tabs" does not; nor
#: does "it" in "make test; it needs Docker" what "make test (needs Docker)" does.
_FILLERS = _FILLERS | {"using", "it"}
_SELF = frozenset("user i me my mine myself".split())
_AUX = frozenset("do does did doing done will would can could should shall might must let".split())
_COPULAS = frozenset("is are was were am be been being".split())
_NEGATIONS = frozenset("not no never nope none neither nor".split())
#: Prepositions that carry little meaning of their own ("tabs are preferred by
#: the user" = "the user prefers tabs").  Those that do ("from", "without",
#: "before", "after", "over" ...) stay content words: "moved from Berlin" is
#: not "moved to Berlin".
_PREPOSITIONS = frozenset("in on at for to with by of as via into onto about per".split())

#: surface form -> (stem, class) pairs it expands to.
_CONTRACTIONS: dict[str, tuple[tuple[str, int], ...]] = {}
for _word, _parts in {
    "don't dont": (("do", AUX), ("not", NEG)),
    "doesn't doesnt": (("do", AUX), ("not", NEG)),
    "didn't didnt": (("do", AUX), ("not", NEG)),
    "isn't isnt": (("be", COPULA), ("not", NEG)),
    "aren't arent": (("be", COPULA), ("not", NEG)),
    "wasn't wasnt": (("be", COPULA), ("not", NEG)),
    "weren't werent": (("be", COPULA), ("not", NEG)),
    "can't cant cannot": (("can", AUX), ("not", NEG)),
    "won't wont": (("will", AUX), ("not", NEG)),
    "wouldn't wouldnt": (("would", AUX), ("not", NEG)),
    "shouldn't shouldnt": (("should", AUX), ("not", NEG)),
    "couldn't couldnt": (("could", AUX), ("not", NEG)),
    "hasn't hasnt": (("have", AUX), ("not", NEG)),
    "haven't havent": (("have", AUX), ("not", NEG)),
    "hadn't hadnt": (("have", AUX), ("not", NEG)),
    "i'm im": (("i", SELF), ("be", COPULA)),
    "i've ive": (("i", SELF), ("have", AUX)),
    "i'd": (("i", SELF), ("would", AUX)),
    "i'll": (("i", SELF), ("will", AUX)),
}.items():
    for _surface in _word.split():
        _CONTRACTIONS[_surface] = _parts

#: Verbs the stemmer cannot reach (irregular forms), and spelling variants.
_IRREGULAR = {
    "has": "have", "had": "have", "having": "have", "have": "have",
    "use": "use", "uses": "use", "used": "use", "using": "use",
    "goes": "go", "went": "go", "gone": "go", "going": "go",
    "ran": "run", "runs": "run", "running": "run",
    "bought": "buy", "thought": "think", "taught": "teach", "spoke": "speak", "spoken": "speak",
    "wrote": "write", "written": "write", "drove": "drive", "driven": "drive", "ate": "eat",
    "eaten": "eat", "drank": "drink", "knew": "know", "known": "know", "made": "make",
    "born": "born", "news": "news", "always": "always", "series": "series",
    "favourite": "favorit", "favourites": "favorit", "favorite": "favorit", "favorites": "favorit",
    "colour": "color", "colours": "color", "prefered": "prefer",
}

#: words (with inner apostrophes, dots, colons, slashes, hyphens: "user's",
#: "node.js", "10:30", "2024-05-01") or a colon, which reads as "is"
#: ("Editor: vim").
#: Words that carry no content: a misspelt one left over beside an otherwise
#: identical text is noise (see ``rules``).
FUNCTION_WORDS = _FILLERS | _SELF | _AUX | _COPULAS | _PREPOSITIONS | frozenset("and or note the".split())


_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {ch: row[max(0, i - 1) : i] + row[i + 1 : i + 2] for row in _KEYBOARD_ROWS for i, ch in enumerate(row)}


def _slips(word: str) -> set[str]:
    """Single slips of the keyboard: two neighbours swapped, a letter doubled
    or dropped, a key next to the right one ("teh", "thhe", "th", "tje")."""
    out = {word[:k] + word[k + 1] + word[k] + word[k + 2 :] for k in range(len(word) - 1)}
    out.update(word[: k + 1] + word[k] + word[k + 1 :] for k in range(len(word)))
    out.update(word[:k] + word[k + 1 :] for k in range(len(word)))
    out.update(word[:k] + c + word[k + 1 :] for k in range(len(word)) for c in _NEIGHBOURS.get(word[k], ""))
    return {slip for slip in out if len(slip) >= 2} - {word}


#: The commonest slips on the commonest function words are read as the word
#: itself, so "Teh user prefers tabs" normalises like "The user prefers tabs"
#: -- except slips that are words of their own ("he", "fir", "not", "wit").
_REAL_WORDS = frozenset(
    "he thee fir foe fro or ad an ans hat tat wit mote not ote nite bote tha thy alway realy".split()
)
_SLIPPED = {
    slip: word
    for word in sorted(
        {"the", "for", "and", "that", "with", "note", "just", "always", "really", "actually", "remember",
         "definitely", "currently", "basically", "generally", "typically", "usually", "literally",
         "honestly", "certainly"}
    )
    for slip in sorted(_slips(word))
    if slip not in _REAL_WORDS and slip not in _FILLERS | _SELF | _AUX | _COPULAS | _PREPOSITIONS | _NEGATIONS
}


_DETERMINERS = frozenset("the a an my your his her its our their this that these those every each".split())

_TOKEN_RE = re.compile(r"[^\W_]+(?:['.:/-][^\W_]+)*|:")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
#: "Note: ...", "Remember that ...": a preamble, not part of the fact.
_PREFIX_RE = re.compile(r"^\s*(?:note|notes|nb|fyi|btw|remember|reminder|memo)\b(?:\s+that\b)?\s*[:,-]?\s*", re.I)
#: A misspelt "Note:" ("Not:", "Noet:", "Nite:") is a preamble too -- but
#: "Node: 20" is a label.
_LABEL_RE = re.compile(r"^\s*([A-Za-z]{2,6})\s*:\s+")
_REAL_LABELS = frozenset("node nose none nope vote tone nate mote rote nota".split())
#: "For indentation, the user prefers tabs": a fronted qualifier is moved to
#: the end so the subject parser finds the subject first.
#: ", no emojis", ", not npm" after a clause: a contrast inside the value
#: ("short answers, no emojis" = "short answers without emojis"; "use pnpm,
#: not npm" is about pnpm), not a denial of the whole statement.
_CONTRAST_RE = re.compile(r"(?<=\w)[,;]\s*(?:no|not)\s+(?!longer\b|anymore\b|more\b|one\b)(?=[^\W\d_])", re.I)
#: "No, ..." opening a sentence answers what came before; it denies nothing in it
_ANSWER_RE = re.compile(r"^\s*(?:no|nope)\s*,\s*(?=\S)", re.I)
_FRONTED_RE = re.compile(
    r"^\s*((?:for|in|on|at|when|during|with|as|while|before|after)\b[^,.;:!?]{1,60}),\s*(.+)$", re.I | re.S
)
_HAS_DIGIT_RE = re.compile(r"\d")


def stem(word: str) -> str:
    """Crude, consistent suffix stripping of a lower-case word (see module doc)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    for _ in range(3):
        if word.endswith(("ies", "ied")) and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("sses"):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
            word = word[:-1]
        elif word.endswith("ing") and len(word) > 5:
            word = _undouble(word[:-3])
        elif word.endswith("ed") and len(word) > 4:
            word = _undouble(word[:-2])
        else:
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


def _case(surface: str) -> str:
    if not surface[:1].isalpha():
        return ""
    if surface.isupper() and len(surface) > 1:
        return "upper"
    if surface[0].isupper():
        return "title"
    return ""


def lookup(surface: str) -> tuple[Token, ...]:
    """The tokens one surface word expands to (cached: the vocabulary is small)."""
    found = _LOOKUP.get(surface)
    if found is None:
        if len(_LOOKUP) >= _LOOKUP_LIMIT:
            _LOOKUP.clear()
        found = _LOOKUP[surface] = _lookup(surface)
    return found


_LOOKUP: dict[str, tuple[Token, ...]] = {}
_LOOKUP_LIMIT = 1 << 18


def trim_cache(limit: int = 1 << 14) -> None:
    """Forget the cached lookups when there are more than ``limit``.

    A million memories leave ~200k surface words cached (~70 MB) that the
    rest of a run rarely asks for again; a small store's few keep serving
    the next run.
    """
    if len(_LOOKUP) > limit:
        _LOOKUP.clear()


def _lookup(surface: str) -> tuple[Token, ...]:
    det = surface.casefold() in _DETERMINERS
    return tuple(t._replace(det=det, spelt=t.surface.casefold()) for t in _expand(surface))


def _expand(surface: str) -> tuple[Token, ...]:
    if surface == ":":
        return (Token("be", COPULA, "", surface),)
    case = _case(surface)
    lower = surface.casefold()
    if lower in _CONTRACTIONS:
        return tuple(Token(s, c, "", surface) for s, c in _CONTRACTIONS[lower])
    if "/" in lower:  # paths and alternatives: "sidecar/379", "tabs/spaces"
        return tuple(t for p in surface.split("/") if p for t in lookup(p))
    if _HAS_DIGIT_RE.search(lower):
        return (Token(lower, NUMBER, "", surface),)
    if "'" in lower:
        base, _, rest = lower.partition("'")
        head = lookup(surface[: len(base)])
        if rest in ("s", "ss", ""):
            return head + (Token("'s", POSS, "", "'s"),)
        return head + lookup(surface[len(base) + 1 :])
    if "-" in lower or ":" in lower:
        parts = re.split(r"[-:]", surface)
        return tuple(t for p in parts if p for t in lookup(p))
    if "." in lower:  # node.js, e.g.: keep as one word, unstemmed
        return (Token(lower, WORD, case, surface),)
    if lower in _SLIPPED:
        lower = _SLIPPED[lower]
    if lower in _NEGATIONS:
        return (Token("not", NEG, "", surface),)
    if lower in _FILLERS:
        return (Token(lower, FILLER, "", surface),)
    if lower in _SELF:
        return (Token("user", SELF, "", surface),)
    if lower in _AUX:
        return (Token(lower, AUX, "", surface),)
    if lower in _COPULAS:
        return (Token("be", COPULA, "", surface),)
    if lower in _PREPOSITIONS:
        return (Token(lower, PREP, "", surface),)
    stemmed = stem(lower)
    if stemmed == "user":  # "users", "user's" without apostrophe
        return (Token("user", SELF, "", surface),)
    return (Token(stemmed, WORD, case, surface),)


def tokenize(content: str) -> list[Token]:
    """The memory's words, in order, after lexical lookup.

    Two-word negations ("no longer") become one ``not``.
    """
    text = unicodedata.normalize("NFKC", content)
    while True:
        found = _PREFIX_RE.match(text)
        if found is None:
            label = _LABEL_RE.match(text)
            word = label[1].casefold() if label else ""
            if not word or word in _REAL_LABELS or OSA.distance(word, "note", processor=None, score_cutoff=1) > 1:
                break
            found = label
        if found is None or found.end() == 0:
            break
        text = text[found.end() :]
    if "\u2019" in text:
        text = text.replace("\u2019", "'")
    if "," in text:
        text = _THOUSANDS_RE.sub("", text)
        text = _ANSWER_RE.sub("", text)
    if "," in text or ";" in text:
        text = _CONTRAST_RE.sub(", without ", text)
    if "," in text:
        fronted = _FRONTED_RE.match(text)
        if fronted:
            text = f"{fronted[2]} {fronted[1]}"
    out: list[Token] = []
    get = _LOOKUP.get
    for surface in _TOKEN_RE.findall(text):
        out.extend(get(surface) or lookup(surface))
    if "longer" in text or "LONGER" in text or "Longer" in text:
        # "no longer" = not
        out = [t for i, t in enumerate(out) if not (t.stem in ("longer", "long") and i and out[i - 1].cls == NEG)]
    return out


def norm_of(tokens: list[Token]) -> str:
    """Normal form of a tokenized memory: content stems (and ``not``), sorted."""
    return " ".join(sorted([t.stem for t in tokens if t.cls in CONTENT or t.cls == NEG]))


def normal_form(content: str) -> str:
    """The normal form of a memory's text; also the rapidfuzz ``processor``.

    >>> normal_form("The user really prefers using Tabs.")
    'prefer tab'
    >>> normal_form("tabs, preferred by user")
    'prefer tab'
    >>> normal_form("User doesn't like tea")
    'lik not tea'
    """
    return norm_of(tokenize(content))
