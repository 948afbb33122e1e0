"""How the offline answerer compares a gold answer with retrieved text.

Both sides go through the same :func:`answer_terms`, and a gold answer counts as
*contained* when its tokens appear as one contiguous run in the text's
tokens (:func:`contains`).  The rules, in the order they apply:

1. **Unicode and case**: NFKC, then lowercase; curly quotes become straight.
2. **Full dates** become one ISO token ``yyyy-mm-dd``.  Recognised forms
   (month names in full or abbreviated to three letters, ``sept`` too;
   ordinal suffixes and ``of`` allowed; the day must exist in that month):

   - ``7 May 2023``, ``7 May, 2023``, ``7th of May 2023``
   - ``May 7, 2023``, ``May 7 2023``, ``May 7th, 2023``
   - ``2023-05-07``, ``2023/05/07``

   So ``"7 May 2023"``, ``"May 7, 2023"`` and ``"2023-05-07"`` are equal.
   A month and year without a day (``May 2023``, ``May, 2023``) stay as the
   two words ``may 2023``; slash dates with the year last (``05/07/2023``)
   are left alone because their order (day or month first) is ambiguous.
3. **Thousands separators** are dropped between digits: ``1,000`` -> ``1000``.
4. **Punctuation** is a word break: every character that is not a letter, a
   digit or part of an ISO date token separates words (``Charlotte's`` ->
   ``charlotte s`` on both sides).
5. **Number words** become digits: ``zero`` .. ``ninety-nine`` (``twenty
   one`` and ``twenty-one`` alike) -> ``0`` .. ``99``; ordinals ``first`` ..
   ``ninety-ninth`` -> ``1st`` .. ``99th``.  Digit ordinals stay as they are
   (``18th``).  ``one`` is converted even where it is a pronoun; both sides
   are converted alike, so this only matters when an answer is a number.
6. **Articles** ``a``, ``an``, ``the`` are dropped (as SQuAD's answer
   normalisation does): ``"The week before"`` matches ``"week before"``.

**Lists**: a gold answer with commas or semicolons outside numbers and
dates (``"pottery, camping, painting"``) is a list; it is contained when
every item is (a leading ``and``/``or`` is dropped from an item).  A gold
answer that normalises to nothing (``"The"``) is never contained.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Sequence

_MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    _MONTHS[calendar.month_name[_number].lower()] = _number
    _MONTHS[calendar.month_abbr[_number].lower()] = _number
_MONTHS["sept"] = 9

_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_DATE_PATTERNS = (
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
    re.compile(r"\b(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})\b"),
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}|[^\W_]+")

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_UNIT_ORDINALS = "zeroth first second third fourth fifth sixth seventh eighth ninth".split()
_TEEN_ORDINALS = (
    "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split()
)
_TENS_ORDINALS = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
}
_CARDINALS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)} | {w: 10 + i for i, w in enumerate(_TEENS)} | _TENS
_ORDINALS: dict[str, int] = (
    {w: i for i, w in enumerate(_UNIT_ORDINALS) if i} | {w: 10 + i for i, w in enumerate(_TEEN_ORDINALS)} | _TENS_ORDINALS
)
_ARTICLES = frozenset({"a", "an", "the"})
_LIST_SEPARATOR = re.compile(r"[,;]")


def ordinal(n: int) -> str:
    """``1`` -> ``1st``, ``12`` -> ``12th``, ``22`` -> ``22nd``."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _iso_date(match: re.Match[str]) -> str:
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else _MONTHS[month_text]
    year, day = int(match.group("year")), int(match.group("day"))
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return match.group(0)
    return f" {year:04d}-{month:02d}-{day:02d} "


def _canonical_text(text: str) -> str:
    """Rules 1-3: case, quotes, dates and thousands separators (text still has punctuation)."""
    out = unicodedata.normalize("NFKC", text).lower()
    out = out.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    for pattern in _DATE_PATTERNS:
        out = pattern.sub(_iso_date, out)
    return _THOUSANDS.sub("", out)


def _number_words(words: list[str]) -> list[str]:
    """Rule 5: number words to digits; ``twenty one`` and ``twenty-one`` (split already) join."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        following = words[i + 1] if i + 1 < len(words) else None
        if word in _TENS and following is not None and following in _UNITS[1:]:
            out.append(str(_TENS[word] + _UNITS.index(following)))
            i += 2
        elif word in _TENS and following is not None and following in _UNIT_ORDINALS[1:]:
            out.append(ordinal(_TENS[word] + _UNIT_ORDINALS.index(following)))
            i += 2
        elif word in _CARDINALS:
            out.append(str(_CARDINALS[word]))
            i += 1
        elif word in _ORDINALS:
            out.append(ordinal(_ORDINALS[word]))
            i += 1
        else:
            out.append(word)
            i += 1
    return out


def _tokens(canonical: str) -> tuple[str, ...]:
    """Rules 4-6 over text that went through :func:`_canonical_text`."""
    words = _number_words(_TOKEN.findall(canonical))
    return tuple(w for w in words if w not in _ARTICLES)


def answer_terms(text: str) -> tuple[str, ...]:
    """The tokens of ``text`` under the documented rules."""
    return _tokens(_canonical_text(text))


def answer_items(answer: str) -> tuple[tuple[str, ...], ...]:
    """A gold answer as the token runs that must all be contained (one for a plain answer)."""
    canonical = _canonical_text(answer)
    items = []
    for part in _LIST_SEPARATOR.split(canonical):
        tokens = _tokens(part)
        if tokens and tokens[0] in ("and", "or"):
            tokens = tokens[1:]
        if tokens:
            items.append(tokens)
    return tuple(items)


def find(haystack: Sequence[str], needle: Sequence[str]) -> int:
    """Index of the first contiguous occurrence of ``needle`` in ``haystack`` (-1: none, or empty needle)."""
    n = len(needle)
    if n == 0:
        return -1
    first = needle[0]
    for start in range(len(haystack) - n + 1):
        if haystack[start] == first and tuple(haystack[start : start + n]) == tuple(needle):
            return start
    return -1


def contains(text: str, answer: str) -> bool:
    """True when ``text`` contains the gold ``answer`` (every item of a list answer)."""
    haystack = answer_terms(text)
    items = answer_items(answer)
    return bool(items) and all(find(haystack, item) >= 0 for item in items)
