"""Relative time expressions -> absolute dates, anchored at the turn's time.

"We upgraded staging yesterday" said on 2026-11-20 becomes "... on 19
November 2026"; "last month" becomes "in October 2026"; "two years ago" "in
2024".  Where the utterance only places something relative to the day it was
said, the rewrite says exactly that, against an absolute anchor, and adds no
interpretation: "last week" -> "the week before 20 November 2026", "last
Friday" -> "the Friday before 20 November 2026 (13 November 2026)".  Vague
expressions keep their vagueness but gain an anchor ("recently" -> "recently
(as of 20 November 2026)"), and so does "just" before a past verb ("we just
got back" -> "we just got back (as of 20 November 2026)").  Dates are written "7 May 2023" (day month year).

The anchor is the turn's timestamp in UTC; a statement made late in the
evening in a timezone far from UTC may be one day off.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dreaming.text.words import IRREGULAR_PAST

_PAST_VERB = r"[a-z]+ed|" + "|".join(sorted(IRREGULAR_PAST))
#: past forms after "just" that do not report an event ("I just wanted to say", "it just felt right")
_NOT_EVENTS = ("wanted|needed|felt|thought|knew|loved|liked|hoped|wished|meant|was|were|had|did|seemed|realized|"
               "realised|tired|excited|stoked|thrilled|pumped|blessed|amazed|bored|scared|worried|stressed|relieved|"
               "surprised|impressed|inspired|interested|obsessed|pleased|touched")
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2,
}
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
# abbreviations that are not also common words ("sat", "sun", "wed" are)
_WEEKDAYS.update({"tue": 1, "tues": 1, "thu": 3, "thur": 3, "thurs": 3, "fri": 4})
_NUM = r"(\d{1,3}|a couple of|couple of|an|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(day|week|month|year)s?"


def fmt_day(d: date) -> str:
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def fmt_month(year: int, month: int) -> str:
    return f"{calendar.month_name[month]} {year}"


def _add_months(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + (d.month - 1) + months
    return index // 12, index % 12 + 1


def _shift(d: date, n: int, unit: str, *, past: bool) -> str:
    sign = -1 if past else 1
    if unit == "day":
        return f"on {fmt_day(d + timedelta(days=sign * n))}"
    if unit == "week":
        return f"{n} week{'s' if n != 1 else ''} {'before' if past else 'after'} {fmt_day(d)}"
    if unit == "month":
        return f"in {fmt_month(*_add_months(d, sign * n))}"
    return f"in {d.year + sign * n}"


@dataclass(frozen=True, kw_only=True)
class Rewrite:
    original: str
    replacement: str


def _rules(d: date) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]:
    def fixed(text: str) -> Callable[[re.Match[str]], str]:
        return lambda m: text

    weekday_re = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))

    def last_weekday(m: re.Match[str]) -> str:
        target = _WEEKDAYS[m.group(1).lower()]
        back = (d.weekday() - target) % 7 or 7
        day = d - timedelta(days=back)
        return f"the {calendar.day_name[day.weekday()]} before {fmt_day(d)} ({fmt_day(day)})"

    def next_weekday(m: re.Match[str]) -> str:
        target = _WEEKDAYS[m.group(1).lower()]
        ahead = (target - d.weekday()) % 7 or 7
        day = d + timedelta(days=ahead)
        return f"the {calendar.day_name[day.weekday()]} after {fmt_day(d)} ({fmt_day(day)})"

    def weekends_ago(m: re.Match[str]) -> str:
        n = _NUMBERS.get(m.group(1).lower(), 0) or int(m.group(1))
        return f"{n} weekend{'s' if n != 1 else ''} before {fmt_day(d)}"

    def ago(m: re.Match[str]) -> str:
        return _shift(d, _NUMBERS.get(m.group(1).lower(), 0) or int(m.group(1)), m.group(2).lower(), past=True)

    def ahead(m: re.Match[str]) -> str:
        return _shift(d, _NUMBERS.get(m.group(1).lower(), 0) or int(m.group(1)), m.group(2).lower(), past=False)

    return [
        (re.compile(r"\bthe day before yesterday\b", re.I), fixed(f"on {fmt_day(d - timedelta(days=2))}")),
        (re.compile(r"\bthe day after tomorrow\b", re.I), fixed(f"on {fmt_day(d + timedelta(days=2))}")),
        (re.compile(r"\b(?:yesterday|last night)\b", re.I), fixed(f"on {fmt_day(d - timedelta(days=1))}")),
        (re.compile(r"\b(?:earlier )?today\b|\bthis (?:morning|afternoon|evening)\b|\btonight\b", re.I),
         fixed(f"on {fmt_day(d)}")),
        (re.compile(r"\btomorrow\b", re.I), fixed(f"on {fmt_day(d + timedelta(days=1))}")),
        (re.compile(rf"\b{_NUM} {_UNIT} ago\b", re.I), ago),
        (re.compile(rf"\bin {_NUM} {_UNIT}\b(?! ago)", re.I), ahead),
        (re.compile(r"\ba few (day|week|month|year)s ago\b", re.I),
         lambda m: f"a few {m.group(1).lower()}s before {fmt_day(d)}"),
        (re.compile(rf"\b{_NUM} weekends? ago\b", re.I), weekends_ago),
        (re.compile(r"\blast weekend\b", re.I), fixed(f"the weekend before {fmt_day(d)}")),
        (re.compile(r"\bthis weekend\b", re.I), fixed(f"the weekend of {fmt_day(d)}")),
        (re.compile(r"\bnext weekend\b", re.I), fixed(f"the weekend after {fmt_day(d)}")),
        (re.compile(rf"\blast ({weekday_re})\b", re.I), last_weekday),
        (re.compile(rf"\bnext ({weekday_re})\b", re.I), next_weekday),
        (re.compile(r"\blast week\b", re.I), fixed(f"the week before {fmt_day(d)}")),
        (re.compile(r"\bthis week\b", re.I), fixed(f"the week of {fmt_day(d)}")),
        (re.compile(r"\bnext week\b", re.I), fixed(f"the week after {fmt_day(d)}")),
        (re.compile(r"\blast month\b", re.I), fixed(f"in {fmt_month(*_add_months(d, -1))}")),
        (re.compile(r"\bthis month\b", re.I), fixed(f"in {fmt_month(d.year, d.month)}")),
        (re.compile(r"\bnext month\b", re.I), fixed(f"in {fmt_month(*_add_months(d, 1))}")),
        (re.compile(r"\blast year\b", re.I), fixed(f"in {d.year - 1}")),
        (re.compile(r"\bthis year\b", re.I), fixed(f"in {d.year}")),
        (re.compile(r"\bnext year\b", re.I), fixed(f"in {d.year + 1}")),
        (re.compile(r"\b(?:recently|lately)\b", re.I), lambda m: f"{m.group(0)} (as of {fmt_day(d)})"),
        # "just" before a past verb says it happened shortly before it was said
        # (the anchor closes the clause: "just got back (as of ...)")
        (re.compile(rf"\bjust (?![^,.;:!?()–—]*\b\d{{4}}\b)(?!(?:{_NOT_EVENTS})\b)(?:{_PAST_VERB})\b[^,.;:!?()–—]*", re.I),
         lambda m: f"{m.group(0).rstrip()} (as of {fmt_day(d)})"),
    ]


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_BARE_DATE = re.compile(
    rf"\b(?:(?P<m1>{_MONTH_RE})\.? (?P<d1>\d{{1,2}})(?:st|nd|rd|th)?|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)? (?P<m2>{_MONTH_RE})\.?)"
    rf"\b(?!,? ?\d{{4}})(?! \d)",
    re.I,
)


def _with_year(m: re.Match[str], anchor: date, rewrites: list[Rewrite]) -> str:
    month = _MONTHS[(m.group("m1") or m.group("m2")).lower()]
    day = int(m.group("d1") or m.group("d2"))
    options = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    if not options:
        return m.group(0)
    best = min(options, key=lambda d: (abs((d - anchor).days), d))
    replacement = fmt_day(best)
    rewrites.append(Rewrite(original=m.group(0), replacement=replacement))
    return replacement


def absolutize(text: str, at: datetime) -> tuple[str, list[Rewrite]]:
    """``text`` with relative time expressions made absolute, and what changed."""
    d = at.date()
    rewrites: list[Rewrite] = []
    out = text
    for pattern, repl in _rules(d):
        def sub(m: re.Match[str], repl: Callable[[re.Match[str]], str] = repl) -> str:
            replacement = repl(m)
            rewrites.append(Rewrite(original=m.group(0), replacement=replacement))
            return replacement

        out = pattern.sub(sub, out)
    # a day and month without a year ("December 18", "18 Dec") gets the year that puts it nearest the anchor
    out = _BARE_DATE.sub(lambda m: _with_year(m, d, rewrites), out)
    # "on 19 November 2026" right after a preposition reads badly ("since on ..."): drop the doubled word
    out = re.sub(r"\b(since|until|before|after|from|by) (?:on|in) ", r"\1 ", out)
    return out, rewrites


def tidy(text: str) -> str:
    """Whitespace and sentence casing, without changing meaning."""
    out = re.sub(r"[ \t]+", " ", text.strip())
    out = re.sub(r"\s+([,.;:!?])", r"\1", out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    if out and out[0].islower() and not out.startswith(("`", "http")):
        out = out[0].upper() + out[1:]
    return out
