"""The decisions, one pair at a time: duplicate, update, conflict, or unsure.

Similarity finds pairs; these rules say what a pair *is*.  They are written
to fail safe: when a rule cannot tell, the pair is handed on as ambiguous
(for a reviewer, or Claude later) and nothing is merged or retired.

Duplicates (:func:`duplicate`)
    Two memories are duplicates when their content words are the same
    multiset once normalised (:mod:`.text`), up to typos.  A leftover word on
    each side pairs up as a typo (:func:`is_typo`) when both are ordinary
    words of at least five letters one edit apart (a swap counts as one), of
    four letters with two neighbours swapped ("tbas"), or of at least eight
    letters two edits apart; or when the input itself says so -- one spelling
    rare, the other common, one edit apart (``Lexicon.rare``).  That evidence
    is the only way a name ("Alise" / "Alice") or a four-letter word ("tofu"
    / "tfu") counts as a typo: "Maria" and "Mario" are both common, so two
    people.  A lone leftover that misspells a function word ("teh", "fro") is
    noise.  Spellings, not only stems, are compared (stemming a misspelt word
    can move it away: "sterlng" / "sterling").  Numbers are never typos.
    Different polarity is never a duplicate.  Same words in another order are
    duplicates unless the names or the subject moved ("Alice manages Bob" /
    "Bob manages Alice").  Short words one letter apart that are not provably
    typos ("cats" / "cars"), names one letter apart, a lone extra word, a
    differing number in a sentence without a readable subject: ambiguous.

Updates (:func:`update`), for two memories about the same subject (same
explicit ``key``, or same subject / predicate / context, see
:mod:`.subjects`)
    * same value, opposite polarity: the later one replaces the earlier;
    * a different value where only numbers changed ("has 2 cats" / "has 3
      cats"): the later replaces the earlier -- unless the sentence is an
      instruction ("Build step 31 ..."), where a number is more often a name;
    * a different value of a single-valued subject ("editor is vim" /
      "editor is helix"), both stated positively: the later replaces the
      earlier;
    * a different value of an UNSURE subject ("prefers vim" / "prefers
      helix"): ambiguous;
    * otherwise (values of a multi-valued predicate, a negative statement
      about a different value): both stand.
    Never an update, but ambiguous: values that may be a typo of each other
    (one letter apart, or two in a longer word seen rarely) -- a typo of the
    old value would retire it -- and a value that only adds or drops words
    ("100 requests per minute" / "100 requests a minute").
    Equal observation times make a replacement a *conflict*: both kept and
    flagged.  Entries sharing an explicit ``key`` are always the same subject
    (:func:`keyed_update`).
"""

from __future__ import annotations

import re
from collections import ChainMap, Counter
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal, NamedTuple, cast

from rapidfuzz.distance import OSA

from dreaming.consolidate.subjects import MULTI, SINGLE, UNSURE, Statement, kind_of
from dreaming.consolidate.text import FUNCTION_WORDS

#: What the rules decide about a pair: the same fact, a newer value, unsure, or nothing to do.
PairKind = Literal["duplicate", "update", "ambiguous", "none"]
DUPLICATE: Final = "duplicate"
UPDATE: Final = "update"
AMBIGUOUS: Final = "ambiguous"
NONE: Final = "none"


@dataclass(frozen=True, slots=True)
class Text:
    """What the rules need to know about one distinct memory text."""

    norm: str
    negated: bool
    #: stems of capitalised words in reading order (to notice swapped names)
    capitals: tuple[str, ...]
    statement: Statement | None


@dataclass(frozen=True, slots=True)
class PairDecision:
    kind: PairKind
    reason: str
    #: the stable id of the rule that decided a duplicate or an update (see
    #: ``dreaming.plan.rule_ids``, where every id is described); "" otherwise
    rule: str = ""


@dataclass(frozen=True, kw_only=True)
class Lexicon:
    """What the whole input says about words: which are names, how common each is."""

    names: frozenset[str] = frozenset()
    #: stem -> how many times it occurs in the input's distinct texts
    frequency: Mapping[str, int] = field(default_factory=dict)
    #: stem -> its most common lower-case spelling: typos are judged on
    #: spellings, since stemming a misspelt word can move it further away
    #: ("sterlng" vs "sterling" -> "sterl")
    spelling: Mapping[str, str] = field(default_factory=dict)
    #: number of distinct texts the frequencies were counted over
    texts: int = 0
    #: a word seen in one text beside one seen in this many, one edit apart, is its typo
    typo_support: int = 3

    def rare(self, word: str, beside: int) -> bool:
        """``word`` is rare enough next to a spelling seen ``beside`` times to be its typo."""
        seen = self.frequency.get(word, 0)
        return beside >= self.typo_support and (seen <= 1 or seen * 20 <= beside)


_DIGIT = re.compile(r"\d")


def is_number(word: str) -> bool:
    return _DIGIT.search(word) is not None


def is_typo(a: str, b: str, lexicon: Lexicon) -> bool:
    """True when stems ``a`` and ``b`` read as one word spelt two ways (see module doc)."""
    if is_number(a) or is_number(b):
        return False
    spelt_a, spelt_b = lexicon.spelling.get(a, a), lexicon.spelling.get(b, b)
    distance = min(
        OSA.distance(a, b, processor=None, score_cutoff=3),
        OSA.distance(spelt_a, spelt_b, processor=None, score_cutoff=3),
    )
    shortest = min(len(spelt_a), len(spelt_b))
    fa, fb = lexicon.frequency.get(a, 0), lexicon.frequency.get(b, 0)
    # one spelling rare, the other common: a slip of the keyboard
    supported = (
        (distance <= 1 and shortest >= 3 or distance <= 2 and shortest >= 8)
        and (lexicon.rare(a, fb) if fa <= fb else lexicon.rare(b, fa))
    )
    if a in lexicon.names or b in lexicon.names:
        # "Maria" / "Mario" are two people; "Moreon" once beside "Moreno" in
        # many texts is a typo.
        return supported
    if supported or (shortest >= 8 and distance <= 2) or (shortest >= 5 and distance <= 1):
        return True
    # "tbas" / "tabs": two swapped letters rarely make another real word
    return shortest == 4 and distance == 1 and sorted(spelt_a) == sorted(spelt_b) and len(spelt_a) == len(spelt_b)


def possible_typo(a: str, b: str, lexicon: Lexicon) -> bool:
    """Could ``b`` be ``a`` misspelt (one edit; or two in a longer word seen
    only once)?  Such a "new value" is not trusted to retire the old one."""
    if one_letter_apart(a, b, lexicon):
        return True
    if is_number(a) or is_number(b):
        return False
    spelt_a, spelt_b = lexicon.spelling.get(a, a), lexicon.spelling.get(b, b)
    fa, fb = lexicon.frequency.get(a, 0), lexicon.frequency.get(b, 0)
    rare = min(fa, fb) <= 1 or (lexicon.rare(a, fb) if fa <= fb else lexicon.rare(b, fa))
    return (
        min(len(spelt_a), len(spelt_b)) >= 5
        and rare
        and OSA.distance(spelt_a, spelt_b, processor=None, score_cutoff=2) <= 2
    )


def _slip(a: str, b: str) -> bool:
    """One letter doubled ("andd") or two neighbours swapped ("teh")."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    long, short = (a, b) if len(a) > len(b) else (b, a)
    if len(long) != len(short) + 1:
        return False
    return any(long[i] == long[i - 1] and long[:i] + long[i + 1 :] == short for i in range(1, len(long)))


def _slipped_function_word(word: str, lexicon: Lexicon) -> str | None:
    """The function word ("the", "for", "note") a rare leftover word misspells, if any."""
    if is_number(word) or word in lexicon.names or lexicon.frequency.get(word, 0) > max(3, lexicon.texts // 500):
        return None
    spelt = lexicon.spelling.get(word, word)
    if len(spelt) < 3:
        return None
    for candidate in FUNCTION_WORDS:
        if len(candidate) >= 3 and abs(len(candidate) - len(spelt)) <= 1:
            if OSA.distance(spelt, candidate, processor=None, score_cutoff=1) > 1:
                continue
            # a swap, a doubled or dropped letter ("fro", "thhe", "fr"), or a
            # replaced one in a long word ("actyally"); a replaced letter in a
            # short word is too often another word ("vim"/"via", "light"/"might")
            if len(candidate) >= 7 or len(spelt) < len(candidate) or _slip(spelt, candidate):
                return candidate
    return None


def one_letter_apart(a: str, b: str, lexicon: Lexicon) -> bool:
    """Words one edit apart that may be a typo the rules did not accept.

    Not when both are common in the input and neither is rare beside the
    other ("IST" / "PST", "cats" / "cars" in a large store): two established
    words are two words.
    """
    if is_number(a) or is_number(b):
        return False
    fa, fb = lexicon.frequency.get(a, 0), lexicon.frequency.get(b, 0)
    if min(fa, fb) >= lexicon.typo_support and not lexicon.rare(a, fb) and not lexicon.rare(b, fa):
        return False
    spelt_a, spelt_b = lexicon.spelling.get(a, a), lexicon.spelling.get(b, b)
    return min(
        OSA.distance(a, b, processor=None, score_cutoff=2), OSA.distance(spelt_a, spelt_b, processor=None, score_cutoff=2)
    ) <= 1


class _Diff(NamedTuple):
    only_a: list[str]
    only_b: list[str]
    #: (word in a, word in b) pairs read as one word misspelt
    typos: list[tuple[str, str]]
    #: leftover words read as misspelt function words ("teh", "fro")
    slipped: list[str]


def _leftovers(a: tuple[str, ...] | list[str], b: tuple[str, ...] | list[str], lexicon: Lexicon) -> _Diff:
    """Words only one side has, after setting typos aside."""
    ca, cb = Counter(a), Counter(b)
    only_a = sorted((ca - cb).elements())
    only_b = sorted((cb - ca).elements())
    typos: list[tuple[str, str]] = []
    for word in list(only_a):
        for other in only_b:
            if is_typo(word, other, lexicon):
                typos.append((word, other))
                only_a.remove(word)
                only_b.remove(other)
                break
    slipped: list[str] = []
    for side in (only_a, only_b):
        for word in list(side):
            if _slipped_function_word(word, lexicon) is not None:
                slipped.append(word)
                side.remove(word)
    return _Diff(only_a, only_b, typos, slipped)


def _words(norm: str) -> list[str]:
    return [w for w in norm.split() if w != "not"]


def duplicate(a: Text, b: Text, lexicon: Lexicon) -> PairDecision:
    """Is this similar pair one fact said twice?  (See module doc.)"""
    if a.negated != b.negated:
        if _same_slot(a.statement, b.statement, lexicon.names):
            return PairDecision(NONE, "opposite polarity (a possible update)")
        return PairDecision(AMBIGUOUS, "one states what the other denies")
    names = lexicon.names
    only_a, only_b, typos, slipped = _leftovers(_words(a.norm), _words(b.norm), lexicon)
    if not only_a and not only_b:
        fix = dict(typos)
        named_a = [fix.get(w, w) for w in a.capitals if w in names]
        named_b = [w for w in b.capitals if w in names]
        if len(named_a) >= 2 and len(named_b) >= 2 and named_a != named_b:
            return PairDecision(AMBIGUOUS, "same words, names in a different order")
        if a.statement and b.statement:
            noise = set(slipped)
            subject_a = sorted(fix.get(w, w) for w in a.statement.subject if w not in noise)
            subject_b = sorted(w for w in b.statement.subject if w not in noise)
            if subject_a != subject_b:
                return PairDecision(AMBIGUOUS, "same words, different subject")
        if typos or slipped:
            spelled = ", ".join([f"{x}/{y}" for x, y in typos] + [f"'{w}'" for w in slipped])
            return PairDecision(DUPLICATE, f"same words up to typos ({spelled})", "same-words-typos")
        return PairDecision(DUPLICATE, "same words after normalisation", "same-words")
    left = only_a + only_b
    if _same_slot(a.statement, b.statement, names):
        return PairDecision(NONE, "same subject, different value")
    if len(only_a) == 1 and len(only_b) == 1 and one_letter_apart(only_a[0], only_b[0], lexicon):
        x, y = only_a[0], only_b[0]
        if x in names or y in names:
            return PairDecision(AMBIGUOUS, f"names one letter apart ({x} / {y}): a typo or someone else?")
        return PairDecision(AMBIGUOUS, f"words one letter apart ({x} / {y}): a typo or a different word?")
    if a.statement and b.statement and a.statement.subject != b.statement.subject:
        return PairDecision(NONE, "different subjects")
    if all(is_number(w) for w in left) and only_a and only_b:
        return PairDecision(
            AMBIGUOUS, f"only numbers differ ({' '.join(only_a)} / {' '.join(only_b)}) and the subject is unclear"
        )
    if len(left) == 1 and not is_number(left[0]) and left[0] not in names:
        return PairDecision(AMBIGUOUS, f"one says more ('{left[0]}'): a duplicate or a narrower fact?")
    return PairDecision(NONE, "different words")


def _same_slot(a: Statement | None, b: Statement | None, names: frozenset[str]) -> bool:
    """Will the subject rules (:func:`update`) compare these two?"""
    if a is None or b is None or (a.subject, a.predicate, a.context) != (b.subject, b.predicate, b.context):
        return False
    # a multi-valued predicate only compares the same value (polarity, numbers)
    return kind_of(a, names) != MULTI or a.masked_value == b.masked_value


def update(older: Statement, newer: Statement, kind: str, lexicon: Lexicon) -> PairDecision:
    """Does ``newer`` replace ``older``?  Both share subject, predicate and context."""
    only_old, only_new, lexicon = _value_change(older.value, older.value_text, newer.value, newer.value_text, lexicon)
    same_value = not only_old and not only_new
    if same_value:
        if older.negated != newer.negated:
            return PairDecision(UPDATE, "the same fact with its polarity reversed", "polarity-reversed")
        return PairDecision(NONE, "same value")
    if older.negated or newer.negated:
        # "does not live in Paris" says nothing against "lives in Berlin"
        return PairDecision(NONE, "denying one value does not replace another")
    unsure = _unsure_change(only_old, only_new, lexicon)
    if unsure is not None:
        return unsure
    if (
        all(is_number(w) for w in only_old + only_new)
        and older.masked_value == newer.masked_value
        and not (older.imperative or newer.imperative)
    ):
        return PairDecision(UPDATE, "a number changed", "number-changed")
    if kind == SINGLE:
        return PairDecision(UPDATE, "a single-valued subject has a new value", "single-value-update")
    if kind == UNSURE:
        return PairDecision(AMBIGUOUS, "same subject and predicate, a different value: replaced or added?")
    return PairDecision(NONE, "values of a multi-valued predicate accumulate")


def slot_update(
    older: tuple[tuple[str, ...], str], newer: tuple[tuple[str, ...], str], evidence: str, lexicon: Lexicon
) -> PairDecision:
    """Does ``newer`` replace ``older``?  Two values (stems, as written) of
    one attribute of one subject, perhaps in different phrasings (see
    :mod:`.slots`); ``evidence`` says why they are one attribute.  Both are
    positive statements (negated ones are never slotted)."""
    only_old, only_new, lexicon = _value_change(older[0], older[1], newer[0], newer[1], lexicon)
    if not only_old and not only_new:
        return PairDecision(NONE, "same value")
    unsure = _unsure_change(only_old, only_new, lexicon)
    if unsure is not None:
        return PairDecision(AMBIGUOUS, f"{evidence}; {unsure.reason}")
    return PairDecision(UPDATE, f"{evidence}; a new value", "slot-update")


def _value_change(
    old: tuple[str, ...], old_text: str, new: tuple[str, ...], new_text: str, lexicon: Lexicon
) -> tuple[list[str], list[str], Lexicon]:
    """Value words only the old / only the new value has (typos set aside), and
    the lexicon that judged them: typos are judged on the values as these two
    texts spell them."""
    local = {w: s.casefold() for value, text in ((old, old_text), (new, new_text)) for w, s in zip(value, text.split(" "))}
    # ChainMap writes only to its first map; typeshed asks every map to be mutable
    lexicon = replace(lexicon, spelling=ChainMap(local, cast(MutableMapping[str, str], lexicon.spelling)))
    only_old, only_new, _, _ = _leftovers(sorted(old), sorted(new), lexicon)
    return only_old, only_new, lexicon


def _unsure_change(only_old: list[str], only_new: list[str], lexicon: Lexicon) -> PairDecision | None:
    """A changed value that may not be a new one: a typo, or a value that only says more."""
    if len(only_old) == 1 and len(only_new) == 1 and possible_typo(only_old[0], only_new[0], lexicon):
        # "Dubai" / "Duai": retiring the right value for a typo would be worse than asking
        return PairDecision(AMBIGUOUS, f"values nearly alike ({only_old[0]} / {only_new[0]}): a typo or a new value?")
    if not (only_old and only_new) and not any(is_number(w) or w in lexicon.names for w in only_old + only_new):
        # "100 requests per minute" / "100 requests a minute": one says more, nothing was replaced
        extra = " ".join(only_old or only_new)
        return PairDecision(AMBIGUOUS, f"one value says more ('{extra}'): the same value or a new one?")
    return None


def keyed_duplicate(a: Text, b: Text, key: str, lexicon: Lexicon) -> PairDecision:
    """Do two texts sharing an explicit key state the same thing, however far
    apart their wording?  The key names the subject, so the same value with
    the same polarity is one fact ("tabs over spaces for indentation" / "tabs
    over spaces, as always"), unless each is said of a different context
    ("for Go" / "for Python"): merging would lose one."""
    if a.statement is None or b.statement is None or a.negated != b.negated:
        return PairDecision(NONE, "no value to compare")
    ca, cb = a.statement.context, b.statement.context
    if ca and cb and sorted(ca) != sorted(cb):
        return PairDecision(NONE, "the same key said of different contexts")
    only_a, only_b, _ = _value_change(
        a.statement.value, a.statement.value_text, b.statement.value, b.statement.value_text, lexicon
    )
    if only_a or only_b or a.statement.negated != b.statement.negated:
        return PairDecision(NONE, "a different value")
    return PairDecision(DUPLICATE, f"same key '{key}', the same value", "keyed-duplicate")


def keyed_update(older: Text, newer: Text, key: str, lexicon: Lexicon) -> PairDecision:
    """Does ``newer`` replace ``older``?  They share an explicit key: one subject."""
    if older.statement is not None and newer.statement is not None:
        verdict = update(older.statement, newer.statement, SINGLE, lexicon)
        return PairDecision(verdict.kind, f"same key '{key}': {verdict.reason}", "keyed-update" if verdict.kind == UPDATE else "")
    only_old, only_new, _, _ = _leftovers(_words(older.norm), _words(newer.norm), lexicon)
    if not only_old and not only_new and older.negated == newer.negated:
        return PairDecision(NONE, "same text")
    if len(only_old) == 1 and len(only_new) == 1 and possible_typo(only_old[0], only_new[0], lexicon):
        return PairDecision(AMBIGUOUS, f"same key '{key}', texts nearly alike ({only_old[0]} / {only_new[0]})")
    return PairDecision(UPDATE, f"same key '{key}', a different value", "keyed-update")
