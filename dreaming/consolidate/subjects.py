"""Subject and value: what a memory is about, and what it says about it.

A retirement needs a *same-subject* match, never just a similar sentence:
"Alice likes tea" and "Bob likes tea" are 80% alike and about different
people.  This module reads a tokenized memory as a small statement:

    text                                  subject           predicate  value    context
    "The server port is 8080."            (port, server)    be         (8080)   ()
    "User prefers tabs for indentation."  () -- the user    prefer     (tab)    (indentation)
    "Alice likes tea."                    (alice)           like       (tea)    ()

from a fixed lexicon of predicates (a relative clause before the main verb
joins the subject: "The laptop Ana works on is a ThinkPad" is about (Ana,
laptop, work)), and says how many values the predicate
can hold at once (:data:`SINGLE`, :data:`MULTI` or :data:`UNSURE`).  A memory
whose sentence does not fit (no known predicate) has no statement: it can
still be a duplicate, and it is retired only through an explicit ``key``.

The rules built on it (:mod:`.rules`):

* SINGLE (``be`` with a non-person subject such as "editor" or "server port",
  ``live in``/``move to``, ``work at``, ``born in``, ``be called``, and any
  ``prefer``/``use`` with a context such as "for indentation"): one current
  value.  A later different value supersedes the earlier one.
* MULTI (``like``, ``have``, ``speak``, ``use`` without context ...): values
  accumulate.  "likes tea" and "likes coffee" are both kept.  Only a flip of
  polarity ("likes tea" -> "does not like tea") or a changed number ("has 2
  cats" -> "has 3 cats") updates them.
* UNSURE (``prefer`` without context; ``be`` about a person: "the user is a
  teacher"): could be either, so a changed value is handed on as *ambiguous*.

Negation is a value, not a difference of subject: "likes tea" and "does not
like tea" are the same subject (user, like, tea) with opposite polarity, so
the later one supersedes the earlier and equal times are a conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from dreaming.consolidate.text import AUX, COPULA, FILLER, NEG, NUMBER, POSS, PREP, SELF, WORD, Token, stem

SINGLE = "single"
MULTI = "multi"
UNSURE = "unsure"

#: lemma -> (canonical predicate, kind, negates, particles that may follow)
_LEXICON: dict[str, tuple[str, str, bool, frozenset[str]]] = {}


def _add(words: str, lemma: str, kind: str, *, negates: bool = False, particles: str = "") -> None:
    for w in words.split():
        _LEXICON[stem(w)] = (lemma, kind, negates, frozenset(particles.split()))


_add("prefer favor favour", "prefer", UNSURE)
_add("like love enjoy adore", "like", MULTI)
_add("dislike hate detest loathe", "like", MULTI, negates=True)
_add("live reside", "live", SINGLE, particles="in at")
_add("move relocate", "live", SINGLE, particles="to")
_add("born", "born", SINGLE, particles="in on at")
_add("called named", "name", SINGLE)
_add("work", "work", MULTI, particles="at for on with")
_add("use", "use", MULTI)
_add("have own", "have", MULTI)
_add(
    """speak know play visit want need eat drink read watch study attend follow drive run
    listen host deploy support teach write build maintain wear collect practice practise""",
    "",
    MULTI,
)

#: "was born in", "is called", "is named": a verb only after a copula
#: ("Born Diaz likes tea" is about someone called Born).
_NEEDS_COPULA = frozenset({stem("born"), stem("called"), stem("named")})
#: stems the parser reads as predicates (a name that is one reads wrongly)
PREDICATE_WORDS = frozenset(_LEXICON) | {stem("based")}
#: "works at/for X" is an employer (one at a time); "works on/with X" is not.
_PARTICLE_KIND = {("work", "at"): ("work at", SINGLE), ("work", "for"): ("work at", SINGLE)}
#: "lives"/"moved"/"based" read as a predicate only with their particle.
_NEEDS_PARTICLE = frozenset({stem("based")})
_LEXICON[stem("based")] = ("live", SINGLE, False, frozenset({"in", "at"}))

#: Words that start a qualifying phrase after the value ("for indentation").
_CONTEXT_WORDS = frozenset("for as when while during in on at with via under".split())
_PRONOUNS = frozenset("he she they him her them it we".split())
_NO_PARTICLES: frozenset[str] = frozenset()
_NOUN_MARKERS = frozenset({stem("favorite"), stem("favourite"), stem("preferred"), "main", "usual", "daily"})


@dataclass(frozen=True, slots=True)
class Statement:
    """A memory read as subject / predicate / value (see module doc)."""

    #: sorted content stems of the subject; () is the user
    subject: tuple[str, ...]
    predicate: str
    #: SINGLE, MULTI or UNSURE; for ``be`` it depends on the subject, see :func:`kind_of`
    kind: str
    #: content stems of the value, in order (numbers as written)
    value: tuple[str, ...]
    #: the value with numbers blanked: "has 2 cats" and "has 3 cats" agree
    masked_value: tuple[str, ...]
    #: sorted content stems of the qualifying phrase ("for indentation")
    context: tuple[str, ...]
    negated: bool
    #: the subject was possessive ("Alice's editor", "the port of the server")
    possessive: bool
    #: the sentence starts with a bare verb ("Build step 3 ...", "Use pnpm"):
    #: an instruction rather than a fact about someone
    imperative: bool
    #: "Editor: vim" -- a labelled value, written as a colon
    labelled: bool
    #: every subject word is capitalised ("Alice", "Project Falcon")
    proper_subject: bool
    subject_text: str
    value_text: str

    def describe_subject(self) -> str:
        """"server port", "user live", "Alice prefer (for indentation)"."""
        parts = [self.subject_text or "user"]
        if self.predicate != "be":
            parts.append(self.predicate)
        if self.context:
            parts.append("(" + " ".join(self.context) + ")")
        return " ".join(parts)


def kind_of(statement: Statement, names: Collection[str]) -> str:
    """The statement's kind, resolving ``be``: a person's "is" is UNSURE.

    "The user is a teacher" / "the user is vegetarian", "Alice is a doctor":
    a person can be many things at once.  "The editor is vim", "Alice's editor
    is vim", "the deadline is May 5", "Editor: vim": an attribute has one value.
    A subject of one or two capitalised words ("Alice", "Project Falcon") is
    taken for a name, which may be a person, so it is UNSURE too.
    """
    if statement.predicate != "be":
        return statement.kind
    if statement.possessive or statement.labelled:
        return SINGLE  # "Alice's editor is vim", "Editor: vim"
    subject = statement.subject
    if not subject or all(w in names or w in _PRONOUNS for w in subject):
        return UNSURE
    if statement.proper_subject and len(subject) <= 2:
        return UNSURE  # "Alice is ...", "Project Falcon is ...": a name, maybe a person
    return SINGLE


def parse(tokens: list[Token], intern: Callable[[Any], Any] = lambda x: x) -> Statement | None:
    """Read tokens as a statement, or ``None`` when no known predicate fits.

    ``intern`` may return a shared copy of each tuple and string it is given
    (callers analysing a million texts share the many repeated subjects).
    """
    n = len(tokens)
    label_end = _label_end(tokens)
    verb = -1
    auxiliaries: list[int] = []
    for i in range(label_end, n):
        tok = tokens[i]
        cls = tok.cls
        if cls == COPULA:
            pass
        elif cls != WORD or tok.stem not in _LEXICON or not _is_verb(tokens, i):
            continue
        if cls == COPULA or tok.stem == "have":
            # "is based in", "is called", "has moved to": an auxiliary
            nxt = _next_content(tokens, i + 1)
            if nxt is not None and tokens[nxt].stem in _LEXICON and _is_verb(tokens, nxt):
                auxiliaries.append(i)
                continue
        verb = i
        break
    if verb < 0:
        return None
    verb = _main_verb(tokens, verb, label_end)
    head = tokens[verb]
    negated = False
    for t in tokens:
        if t.cls == NEG:
            negated = not negated
    if head.cls == COPULA:
        predicate, kind, particles = "be", UNSURE, _NO_PARTICLES
    else:
        predicate, kind, negates, particles = _LEXICON[head.stem]
        predicate = predicate or head.stem
        negated ^= negates
    start = verb + 1
    while start < n and tokens[start].cls == FILLER:
        start += 1
    if start < n and tokens[start].stem in particles:
        predicate, kind = _PARTICLE_KIND.get((predicate, tokens[start].stem), (predicate, kind))
        start += 1
    subject_tokens: list[Token] = []
    possessive = False
    for i in range(label_end, verb):
        t = tokens[i]
        if t.cls == WORD or t.cls == NUMBER:
            if i not in auxiliaries:
                subject_tokens.append(t)
        elif t.cls == POSS or t.stem == "of":
            possessive = True
    value_tokens: list[Token] = []
    context_tokens: list[Token] = []
    by = _passive_agent(tokens, start, auxiliaries)
    if by is not None:
        # "Tea is liked by Alice" = "Alice likes tea"
        value_tokens = subject_tokens
        subject_tokens = [t for t in tokens[by + 1 :] if t.cls == WORD or t.cls == NUMBER]
        possessive = False
    else:
        target = value_tokens
        for i in range(start, n):
            t = tokens[i]
            if target is value_tokens and value_tokens and t.stem in _CONTEXT_WORDS:
                target = context_tokens
            if t.cls == WORD or t.cls == NUMBER:
                target.append(t)
    if not value_tokens:
        return None
    if context_tokens and predicate in ("prefer", "use"):
        kind = SINGLE  # "prefers tabs for indentation": one choice per purpose
    if head.surface == ":" and len(value_tokens) > 3:
        return None  # "Notr: Wanda likess tea" is a mislabelled sentence, not "X: value"
    value = intern(tuple([t.stem for t in value_tokens]))
    masked = tuple(["#" if t.cls == NUMBER else t.stem for t in value_tokens])
    return Statement(
        subject=intern(tuple(sorted([t.stem for t in subject_tokens]))),
        predicate=predicate,
        kind=kind,
        value=value,
        masked_value=value if masked == value else intern(masked),
        context=intern(tuple(sorted([t.stem for t in context_tokens]))),
        negated=negated,
        possessive=possessive,
        imperative=head.cls != COPULA and not subject_tokens and by is None and _is_bare(head, tokens[:verb]),
        labelled=head.surface == ":",
        proper_subject=bool(subject_tokens) and all(t.case for t in subject_tokens),
        subject_text=intern(" ".join([t.surface for t in subject_tokens])),
        value_text=intern(" ".join([t.surface for t in value_tokens])),
    )


#: adverbs that may sit between a relative clause's verb and the main verb
#: ("the language Ana works in most is Rust")
_CLAUSE_ADVERBS = frozenset({"most", "mostly", "often", "mainly"})


def _main_verb(tokens: list[Token], verb: int, label_end: int) -> int:
    """The sentence's own verb when the first one found is not it.

    * A relative clause before the main verb: "The laptop Ana works on is a
      ThinkPad", "The editor Ana uses is Helix".  The first verb
      is followed (after its particle, prepositions and adverbs) by a copula
      or another verb, and a noun comes before the clause ("laptop Ana"); the
      clause joins the subject: (Ana, laptop, work) is a ThinkPad.
    * A passive label before a colon: "Shell used by Ana: bash" is labelled
      "Editor: vim" style, the colon is the verb when nothing after it is one.
    """
    head = tokens[verb]
    if head.cls == COPULA:
        return verb
    n = len(tokens)
    if verb + 1 < n and tokens[verb + 1].stem == "by":
        for k in range(verb + 2, n):
            if tokens[k].cls == COPULA and tokens[k].surface == ":":
                after = tokens[k + 1 :]
                if not any(t.cls == COPULA or (t.cls == WORD and t.stem in _LEXICON) for t in after):
                    return k
                break
    particles = _LEXICON[head.stem][3]
    j = verb + 1
    while j < n and (
        tokens[j].cls in (FILLER, PREP)
        or tokens[j].stem in particles
        or tokens[j].surface.casefold() in _CLAUSE_ADVERBS
    ):
        j += 1
    if j >= n:
        return verb
    nouns = sum(1 for t in tokens[label_end:verb] if t.cls == WORD or t.cls == NUMBER)
    if nouns < 2:
        return verb
    if tokens[j].cls == COPULA and tokens[j].surface != ":":
        return j
    if tokens[j].cls == WORD and tokens[j].stem in _LEXICON and _is_verb(tokens, j):
        return j
    return verb


def _passive_agent(tokens: list[Token], start: int, auxiliaries: list[int]) -> int | None:
    """Index of "by" in "X is liked by Y" (a copula before the verb, "by" after)."""
    if not any(tokens[i].cls == COPULA for i in auxiliaries):
        return None
    for i in range(start, len(tokens)):
        if tokens[i].stem == "by":
            return i if any(t.cls in (WORD, SELF) for t in tokens[i + 1 :]) else None
        if tokens[i].cls == WORD:
            return None
    return None


def _is_bare(verb: Token, before: list[Token]) -> bool:
    """"Run ..." (imperative) rather than "Runs ..." or "I run ..." (a subject, said or elided)."""
    return not any(t.cls == SELF for t in before) and not verb.surface.casefold().endswith("s")


def _label_end(tokens: list[Token]) -> int:
    """Skip a leading label such as "Nota:" or "Context:" when a sentence with
    its own verb follows it; "Editor: vim" (no verb after) keeps its colon as "is"."""
    for i, tok in enumerate(tokens):
        if tok.cls == COPULA and tok.surface == ":":
            for t in tokens[i + 1 :]:
                if t.cls == COPULA or (t.cls == WORD and t.stem in _LEXICON):
                    return i + 1
            return 0
    return 0


def _next_content(tokens: list[Token], start: int) -> int | None:
    for j in range(start, len(tokens)):
        if tokens[j].cls not in (FILLER, NEG, AUX, SELF):
            return j
    return None


def _is_verb(tokens: list[Token], i: int) -> bool:
    """A lexicon word reads as the predicate unless

    * it follows a determiner or a possessive ("the favorite drink",
      "Alice's drink", "my plan": a noun);
    * it is capitalised inside a name ("Zara Live likes ...", "Born Diaz ...");
    * it needs a copula or a particle it lacks ("born", "based" without "in").
    """
    tok = tokens[i]
    if tok.case == "title":
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if i > 0 and tokens[i - 1].case == "title" or (after is not None and after.cls == WORD and after.case):
            return False
    before = None
    for j in range(i - 1, -1, -1):
        if tokens[j].cls == FILLER and not tokens[j].det:
            continue
        before = tokens[j]
        break
    if before is not None and (before.cls == POSS or before.det or before.stem in _NOUN_MARKERS):
        return False
    stem_ = tok.stem
    if stem_ in _NEEDS_COPULA and (before is None or before.cls != COPULA):
        return False
    if stem_ not in _NEEDS_PARTICLE:
        return True
    particles = _LEXICON[stem_][3]
    for j in range(i + 1, len(tokens)):
        if tokens[j].cls != FILLER:
            return tokens[j].stem in particles
    return False
