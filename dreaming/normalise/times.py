"""Relative time expressions -> absolute dates, anchored at the turn's time.

One resolver, one pass: every rule below proposes spans of the *original*
text; the leftmost longest span wins where two overlap ("the day after
tomorrow" over "tomorrow", "a week ago Monday" over "a week ago"), so no rule
ever rewrites another rule's output.  Dates are written "7 May 2023" (day
month year); a weekday keeps its name ("Tuesday 10 March 2026").

What is rewritten, said on Wednesday 4 March 2026 (D):

* **Days**: "yesterday", "today", "tonight", "tomorrow", "the day after
  tomorrow", "3 days ago", "in 10 days", "two weeks from now", "in a
  fortnight", "a week from today", "in three weeks' time" -> "on 14 March
  2026"; "within 10 days" -> "by 14 March 2026".
* **Weekdays**: "last Friday" -> "the Friday before 4 March 2026 (27 February
  2026)"; "next Tuesday"/"next tues" -> "on Tuesday 10 March 2026" (the first
  Tuesday after D, also when D is a Monday); "from next Tuesday" -> "from
  Tuesday 10 March 2026"; "this Sunday", "on Monday", "Monday" by tense
  (below); "Monday week", "a week on Monday" -> the Monday after next Monday;
  "a week ago Monday" -> the Monday before last Monday; "the first Monday of
  next month"; "Monday morning" -> "the morning of Monday 9 March 2026".
* **Weeks and weekends**: "last/this/next week" -> "the week before/of/after
  D"; "the week after next" -> "the week of 16 March 2026" (its Monday);
  "this weekend" -> "the weekend of 7–8 March 2026"; "over the weekend" by
  tense ("of 7–8 March 2026" ahead, "before 4 March 2026" past);
  "last/next weekend" -> "the weekend before/after D".
* **Periods**: "last/this/next month|year|quarter" -> "in February 2026",
  "in 2027", "in Q2 2026"; "end of next month" -> "end of April 2026"; "early
  Q3" -> "early Q3 2026"; "mid-April", "in June", "by the end of the year";
  "the 14th" after a preposition -> "14 March 2026"; "December 18" gets its
  year.
* **Vague**: "recently", "lately", "the other day", "just" before a past verb
  keep their vagueness and gain an anchor: "recently (as of 4 March 2026)".
  Past spans of weeks keep the form the LoCoMo answers use: "two weeks ago"
  -> "2 weeks before 4 March 2026".

**Ambiguity rules.**  A weekday, month, quarter or day of the month named
without "last"/"next" is placed by the tense of its own clause (split at
punctuation and at "and", "but", "so", "because"...):

* a past cue (a past verb, "was", "had", "did", "ago") -> the latest such day
  before D ("we shipped it on Monday" -> Monday 2 March 2026); "this Monday"
  may be D itself;
* a future cue ("will", "'ll", "going to", a modal, "is/are ...ing",
  "please", "remind") or a present "is/are", "due", "until" -> the first
  such day after D ("the call is on Thursday" -> Thursday 5 March 2026);
  "this Friday" may be D itself;
* both a past cue and a future one ("we were going to ship on Monday", "she
  said she'd come on Tuesday") -> not guessed: anchored, "on Monday (the week
  of 4 March 2026)";
* no cue at all: weekdays, months, quarters and days of the month look ahead
  (a note "dentist on Monday" is a plan); a bare "December 18" takes the
  year that puts it nearest D; "over the weekend" is the nearer weekend (the
  one just gone on a Monday or Tuesday, the coming one on a Thursday or
  Friday, anchored on a Wednesday).

Left alone: recurring days ("on Mondays", "every Sunday", "usually on
Friday"), names ("Black Friday", "Sunday school", "monday.com"), a weekday
that is already followed by its date, determiners ("the Monday after the
launch", "a Friday night"), abbreviations that are also words ("sat", "sun",
"wed", "mon") unless a time word precedes them ("on sat", "next wed"),
"may"/"march" except after a time preposition ("in may"), numbers that are
not days (versions "Go 1.23", "Python 3 may break", times "10:30", ordinals
"the 2nd attempt", "the 3rd floor"), durations ("for two weeks", "took 3
days").

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
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "a couple of": 2, "couple of": 2, "a couple": 2,
}
_NUM = r"(\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + ")"
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}

_FULL_DAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
#: abbreviations: "sat", "sun", "wed", "mon" are also words, so every abbreviation needs a time word before it
_ABBR_DAYS = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4,
              "sat": 5, "sun": 6}
_DAYS = {**_FULL_DAYS, **_ABBR_DAYS}
_FULL_RE = "|".join(_FULL_DAYS)
_ANY_DAY_RE = "|".join(sorted(_DAYS, key=len, reverse=True))
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
#: month names that are also common words: only after a time word ("in may", "mid-march")
_WORD_MONTHS = {"may", "march", "mar", "jan", "jun"}
_PART = r"(?:\s+(?P<part>morning|afternoon|evening|night|lunchtime))?"
#: a weekday already followed by its date ("Monday 9 March", "Thu, 5 Mar", "Friday the 6th")
_DATED = rf"(?!,?\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\b(?![:.]\d))(?!,?\s+(?:{_MONTH_RE})\b)"
_NOT_NAME = r"(?![\w'’-]|\.(?:com|io|net|org)\b)"
#: words before a weekday that make it a name or a generic day
_DAY_NAMES_BEFORE = {"black", "cyber", "good", "super", "ash", "easter", "palm", "holy", "maundy", "girl", "man",
                     "a", "an", "the", "every", "each", "that", "which", "what", "any", "some", "most", "one",
                     "other", "another", "same", "whole", "entire"}
_DAY_NAMES_AFTER = {"school", "roast", "best", "blues", "paper", "papers", "league", "times"}
_HABITUAL = re.compile(r"\b(?:every|each|usually|always|normally|typically|generally|often|sometimes|never|"
                       r"weekly|regularly|most)\b", re.I)
#: prepositions that already say how the date relates ("from", "by"): no "on" is added after them
_PREPS = {"on", "by", "until", "till", "til", "from", "since", "before", "after", "for", "at", "of", "to",
          "starting", "through", "thru", "than", "as", "into", "around", "about"}

_CLAUSE_BREAK = re.compile(r"(?<!\d)[.!?;:,](?!\d)|\n|[–—()]| - |\b(?:and|but|so|because|though|although|while|"
                           r"whereas|then|or|which|who)\b", re.I)
_STRONG_FUTURE = re.compile(
    r"\b(?:will|shall|won'?t|gonna|gotta|about to|supposed to|plan(?:s|ning)? to|want(?:s)? to|wanna|"
    r"need(?:s)? to|have to|has to|hope to|intends? to|would|could|can|should|must|might|let'?s|please|pls|"
    r"remind|schedule|book|going to)\b|['’]ll\b|['’]d\s+(?!(?:been|gone|done|had|seen|\w+ed)\b)\w+|"
    r"\b(?:is|are|am|['’]s|['’]re|['’]m|be|being)\s+(?:\w+ly\s+)?\w{2,}ing\b",
    re.I,
)
_WEAK_FUTURE = re.compile(r"\b(?:is|are|am|isn'?t|aren'?t|due|until|till|til|from now)\b|\w['’](?:s|re|m)\b", re.I)
_PAST_WORDS = ("was|were|wasn'?t|weren'?t|did|didn'?t|had|hadn'?t|ago|yesterday|went|got|made|took|came|saw|gave|"
               "found|told|became|left|felt|kept|began|brought|bought|built|wrote|ran|met|paid|sent|spent|won|lost|"
               "sold|taught|caught|held|heard|knew|drove|flew|grew|chose|fell|sat|broke|spoke|woke|forgot|ate|"
               "drank|rang|sang|swam|threw|wore|stole|fought|slept|stood|understood|meant|said|did|thought|quit")
_NOT_PAST_ED = {"need", "feed", "seed", "speed", "weed", "indeed", "breed", "bleed", "proceed", "succeed",
                "exceed", "bed", "red", "shed", "wed", "hundred", "sacred", "naked", "wicked", "kindred", "based",
                "interested", "excited", "tired", "supposed", "scheduled", "planned", "booked", "expected"}
_PAST = re.compile(rf"\b(?:{_PAST_WORDS})\b|(?<!\bis )(?<!\bare )(?<!\bbe )(?<!\bbeen )(?<!\bbeing )"
                   rf"(?<!['’]s )(?<!['’]re )(?<!['’]m )(?<!\bam )(?<!\bget )(?<!\bgets )\b(?P<ed>[a-z]{{2,}}ed)\b",
                   re.I)


def fmt_day(d: date) -> str:
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def fmt_weekday(d: date) -> str:
    return f"{calendar.day_name[d.weekday()]} {fmt_day(d)}"


def fmt_month(year: int, month: int) -> str:
    return f"{calendar.month_name[month]} {year}"


def fmt_span(first: date, last: date) -> str:
    """Two days as one span: "7–8 March 2026", "31 January–1 February 2026"."""
    if first.year != last.year:
        return f"{fmt_day(first)}–{fmt_day(last)}"
    if first.month != last.month:
        return f"{first.day} {calendar.month_name[first.month]}–{fmt_day(last)}"
    return f"{first.day}–{fmt_day(last)}"


def _add_months(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + (d.month - 1) + months
    return index // 12, index % 12 + 1


def _shift(d: date, n: int, unit: str, *, past: bool) -> str:
    sign = -1 if past else 1
    if unit == "fortnight":
        n, unit = 2 * n, "week"
    if unit == "day" or (unit == "week" and not past):
        return f"on {fmt_day(d + timedelta(days=sign * n * (7 if unit == 'week' else 1)))}"
    if unit == "week":
        return f"{n} week{'s' if n != 1 else ''} before {fmt_day(d)}"
    if unit == "month":
        return f"in {fmt_month(*_add_months(d, sign * n))}"
    return f"in {d.year + sign * n}"


def _number(word: str) -> int:
    low = re.sub(r"\s+", " ", word.lower())
    return _NUMBERS[low] if low in _NUMBERS else int(low)


@dataclass(frozen=True, kw_only=True)
class Rewrite:
    original: str
    replacement: str


@dataclass(frozen=True)
class _Ctx:
    """The text being rewritten and the day it was said."""

    text: str
    day: date

    def clause(self, start: int, end: int) -> tuple[str, str]:
        """The clause around ``text[start:end]``, as the words before and the words after it."""
        before = self.text[:start]
        breaks = list(_CLAUSE_BREAK.finditer(before))
        left = before[breaks[-1].end():] if breaks else before
        after = self.text[end:]
        stop = _CLAUSE_BREAK.search(after)
        return left, after[: stop.start()] if stop else after

    def tense(self, start: int, end: int) -> str | None:
        """"past", "future", "unsure" (cues of both) or None (no cue) for the clause around a span."""
        left, right = self.clause(start, end)
        words = f"{left} … {right}"
        past = any(not m.group("ed") or m.group("ed").lower() not in _NOT_PAST_ED for m in _PAST.finditer(words))
        strong = bool(_STRONG_FUTURE.search(words))
        if past and strong:
            return "unsure"
        if past:
            return "past"
        if strong or _WEAK_FUTURE.search(words):
            return "future"
        return None

    def habitual(self, start: int, end: int) -> bool:
        left, right = self.clause(start, end)
        return bool(_HABITUAL.search(left) or _HABITUAL.search(right))

    def lead(self, start: int) -> str:
        """ "on " before a date placed mid-sentence, unless a preposition already stands there."""
        before = self.text[:start]
        word = re.search(r"([A-Za-z']+)\W*$", before)
        if not word or re.search(r"(?:^|[.!?:;\n(\-–—•*]|\d\.)\s*$", before):
            return ""
        return "" if word.group(1).lower() in _PREPS else "on "

    def word_before(self, start: int) -> str:
        word = re.search(r"([A-Za-z]+)[\s-]*$", self.text[:start])
        return word.group(1).lower() if word else ""


Handler = Callable[[re.Match[str], _Ctx], "str | None"]


# ---- weekdays -----------------------------------------------------------------------------------------------------

def _before(d: date, weekday: int, *, inclusive: bool = False) -> date:
    back = (d.weekday() - weekday) % 7
    return d - timedelta(days=back if (back or inclusive) else 7)


def _after(d: date, weekday: int, *, inclusive: bool = False) -> date:
    ahead = (weekday - d.weekday()) % 7
    return d + timedelta(days=ahead if (ahead or inclusive) else 7)


def _on_day(m: re.Match[str], ctx: _Ctx, day: date, *, keep: str = "") -> str:
    """A weekday as "on Monday 9 March 2026" (with its part of the day, and "on" only where it reads)."""
    part = m.groupdict().get("part")
    lead = keep or ctx.lead(m.start())
    text = f"the {part.lower()} of {fmt_weekday(day)}" if part else fmt_weekday(day)
    return f"{lead}{text}"


def _last_weekday(m: re.Match[str], ctx: _Ctx) -> str:
    day = _before(ctx.day, _DAYS[m.group("day").lower()])
    return f"the {calendar.day_name[day.weekday()]} before {fmt_day(ctx.day)} ({fmt_day(day)})"


def _next_weekday(m: re.Match[str], ctx: _Ctx) -> str:
    return _on_day(m, ctx, _after(ctx.day, _DAYS[m.group("day").lower()]))


def _this_weekday(m: re.Match[str], ctx: _Ctx) -> str:
    target = _DAYS[m.group("day").lower()]
    if ctx.tense(m.start(), m.end()) == "past":
        return _on_day(m, ctx, _before(ctx.day, target, inclusive=True))
    return _on_day(m, ctx, _after(ctx.day, target, inclusive=True))


def _plain_weekday(m: re.Match[str], ctx: _Ctx) -> str | None:
    """ "on Monday", "by Friday", "Monday": placed by the tense of the clause, left alone when recurring."""
    if ctx.habitual(m.start(), m.end()) or ctx.word_before(m.start()) in _DAY_NAMES_BEFORE:
        return None
    following = re.match(r"\s+(\w+)", ctx.text[m.end():])
    if following and following.group(1).lower() in _DAY_NAMES_AFTER:
        return None
    prep = m.group("prep")
    if prep is None and m.group("day").lower() not in _FULL_DAYS:
        return None  # "sat", "sun", "wed" alone are words
    target = _DAYS[m.group("day").lower()]
    keep = f"{prep} " if prep else ""
    tense = ctx.tense(m.start(), m.end())
    if tense == "past":
        return _on_day(m, ctx, _before(ctx.day, target), keep=keep)
    if tense == "unsure":
        part = f" {m.group('part').lower()}" if m.group("part") else ""
        lead = keep or ctx.lead(m.start())
        return f"{lead}{calendar.day_name[target]}{part} (the week of {fmt_day(ctx.day)})"
    return _on_day(m, ctx, _after(ctx.day, target), keep=keep)


def _week_on_weekday(m: re.Match[str], ctx: _Ctx) -> str:
    """ "Monday week", "a week on Monday", "a week from Monday": the Monday after the coming one."""
    name = (m.group("day") or m.group("day2")).lower()
    day = _after(ctx.day, _DAYS[name]) + timedelta(days=7)
    return f"{ctx.lead(m.start())}{fmt_weekday(day)}"


def _weeks_ago_weekday(m: re.Match[str], ctx: _Ctx) -> str:
    """ "a week ago Monday", "two weeks ago today"."""
    n = _number(m.group("n")) * (2 if m.group("unit").lower().startswith("fortnight") else 1)
    anchor = m.group("day").lower()
    if anchor == "today":
        base = ctx.day
    elif anchor == "yesterday":
        base = ctx.day - timedelta(days=1)
    else:
        base = _before(ctx.day, _DAYS[anchor], inclusive=True)
    day = base - timedelta(days=7 * n)
    keep = "" if ctx.word_before(m.start()) in _PREPS else ctx.lead(m.start())
    return f"{keep}{fmt_weekday(day) if anchor in _DAYS else fmt_day(day)}"


def _nth_weekday(m: re.Match[str], ctx: _Ctx) -> str | None:
    """ "the first Monday of next month", "the last Friday of the month"."""
    which = m.group("rel").lower()
    year, month = _add_months(ctx.day, {"next": 1, "last": -1}.get(which, 0))
    target = _DAYS[m.group("day").lower()]
    n = _ORDINALS[m.group("nth").lower()]
    days = [date(year, month, i) for i in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, i).weekday() == target]
    day = days[-1] if n == -1 else days[n - 1] if n <= len(days) else None
    if day is None:
        return None
    return f"{ctx.lead(m.start())}{fmt_weekday(day)}"


# ---- weeks and weekends -------------------------------------------------------------------------------------------

def _weekend(ctx: _Ctx, *, past: bool) -> tuple[date, date]:
    """The weekend ahead (or just gone, when ``past``); the current one when said on a Saturday or Sunday."""
    wd = ctx.day.weekday()
    if wd >= 5:
        saturday = ctx.day - timedelta(days=wd - 5)
    elif past:
        saturday = ctx.day - timedelta(days=wd + 2)
    else:
        saturday = ctx.day + timedelta(days=5 - wd)
    return saturday, saturday + timedelta(days=1)


def _this_weekend(m: re.Match[str], ctx: _Ctx) -> str:
    return f"the weekend of {fmt_span(*_weekend(ctx, past=ctx.tense(m.start(), m.end()) == 'past'))}"


def _over_weekend(m: re.Match[str], ctx: _Ctx) -> str:
    head = m.group("head")
    tense = ctx.tense(m.start(), m.end())
    if tense is None and ctx.day.weekday() < 5:  # no cue: the nearer weekend ("anything fun over the weekend?")
        tense = ("past", "past", "unsure", "future", "future")[ctx.day.weekday()]
    if tense == "past" and ctx.day.weekday() < 5:
        return f"{head} weekend before {fmt_day(ctx.day)}"
    if tense == "unsure":
        return f"{head} weekend (the week of {fmt_day(ctx.day)})"
    return f"{head} weekend of {fmt_span(*_weekend(ctx, past=tense == 'past'))}"


def _week_after_next(m: re.Match[str], ctx: _Ctx) -> str:
    monday = ctx.day - timedelta(days=ctx.day.weekday()) + timedelta(days=14)
    return f"the week of {fmt_day(monday)}"


# ---- spans --------------------------------------------------------------------------------------------------------

def _unit(word: str) -> str:
    return word.lower().rstrip("s")


def _ago(m: re.Match[str], ctx: _Ctx) -> str:
    return _shift(ctx.day, _number(m.group("n")), _unit(m.group("unit")), past=True)


def _ahead(m: re.Match[str], ctx: _Ctx) -> str:
    out = _shift(ctx.day, _number(m.group("n")), _unit(m.group("unit")), past=False)
    if m.group("within"):
        out = "by " + out.split(" ", 1)[1]
    return out


def _from_anchor(m: re.Match[str], ctx: _Ctx) -> str:
    """ "two weeks from now", "a week from today", "ten days from tomorrow"."""
    n, unit = _number(m.group("n")), _unit(m.group("unit"))
    base = ctx.day + timedelta(days=1 if m.group("base").lower() == "tomorrow" else 0)
    if unit in ("month", "year"):
        return _shift(base, n, unit, past=False)
    days = n * {"day": 1, "week": 7, "fortnight": 14}[unit]
    return f"on {fmt_day(base + timedelta(days=days))}"


# ---- months, quarters, years --------------------------------------------------------------------------------------

def _pick_month(ctx: _Ctx, month: int, m: re.Match[str]) -> int:
    """The year of a month named alone: the latest one so far in a past clause, else the next one."""
    tense = ctx.tense(m.start(), m.end())
    if tense == "past":
        return ctx.day.year if month <= ctx.day.month else ctx.day.year - 1
    return ctx.day.year if month >= ctx.day.month else ctx.day.year + 1


def _relative_period(word: str, unit: str, ctx: _Ctx) -> str:
    """ "next month" -> "April 2026", "the year" -> "2026", "last quarter" -> "Q4 2025", "the week" -> "the week of D"."""
    shift = {"next": 1, "last": -1, "previous": -1}.get(word.lower(), 0)
    unit = unit.lower()
    if unit == "month":
        return fmt_month(*_add_months(ctx.day, shift))
    if unit == "year":
        return str(ctx.day.year + shift)
    if unit == "quarter":
        index = ctx.day.year * 4 + (ctx.day.month - 1) // 3 + shift
        return f"Q{index % 4 + 1} {index // 4}"
    return f"the week {({-1: 'before', 0: 'of', 1: 'after'})[shift]} {fmt_day(ctx.day)}"


def _period_of(m: re.Match[str], ctx: _Ctx) -> str:
    """ "end of next month" -> "end of April 2026", "early next year" -> "early 2027"."""
    return f"{m.group('q')}{_relative_period(m.group('rel') or 'this', m.group('unit'), ctx)}"


def _period(m: re.Match[str], ctx: _Ctx) -> str:
    """ "next month" -> "in April 2026", "this week" -> "the week of D", "last quarter" -> "in Q4 2025"."""
    text = _relative_period(m.group("rel"), m.group("unit"), ctx)
    return text if m.group("unit").lower() == "week" else f"in {text}"


def _quarter(m: re.Match[str], ctx: _Ctx) -> str:
    q = int(m.group("n"))
    now = (ctx.day.month - 1) // 3 + 1
    if ctx.tense(m.start(), m.end()) == "past":
        year = ctx.day.year if q <= now else ctx.day.year - 1
    else:
        year = ctx.day.year if q >= now else ctx.day.year + 1
    return f"{m.group('q')}Q{q} {year}"


def _month(m: re.Match[str], ctx: _Ctx) -> str | None:
    name = m.group("month")
    month = _MONTHS[name.lower()]
    rel = (m.group("rel") or "").lower()
    if rel and name.lower() in _WORD_MONTHS and name.islower():
        return None  # "this may take a while", "next march"
    if rel == "last":
        year = ctx.day.year if month < ctx.day.month else ctx.day.year - 1
    elif rel == "next":
        year = ctx.day.year if month > ctx.day.month else ctx.day.year + 1
    elif rel == "this":
        year = ctx.day.year
    else:
        year = _pick_month(ctx, month, m)
    q = m.group("q")
    if rel:
        q = f"{ctx.lead(m.start()).replace('on', 'in')}"
    elif q.lower().startswith("mid"):
        q = "mid-"
    return f"{q}{fmt_month(year, month)}"


# ---- days of the month --------------------------------------------------------------------------------------------

#: prepositions that make a date the target of a change, not when it happened ("moved to", "pushed until")
_TARGET_PREPS = frozenset({"to", "until", "till", "til"})


def _dated(ctx: _Ctx, m: re.Match[str], month: int, day: int) -> date | None:
    """The year of a day and month said without one: by the clause's tense, else the one nearest the anchor."""
    options = []
    for year in (ctx.day.year - 1, ctx.day.year, ctx.day.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    if not options:
        return None
    # "Friday 13 March": a weekday said with the date picks the year in which they agree
    named = re.search(rf"\b({_ANY_DAY_RE})\.?,?\s+(?:the\s+)?$", ctx.text[max(0, m.start() - 14) : m.start()], re.I)
    if named:
        agree = [d for d in options if d.weekday() == _DAYS[named.group(1).lower()]]
        if len(agree) == 1:
            return agree[0]
    tense = ctx.tense(m.start(), m.end())
    if ctx.word_before(m.start()) in _TARGET_PREPS:
        tense = "future"  # "the freeze moved to December 18", "delayed until 3 May": the date is where it is going
    past = [d for d in options if d <= ctx.day]
    ahead = [d for d in options if d >= ctx.day]
    if tense == "past" and past:
        return max(past)
    if tense == "future" and ahead:
        return min(ahead)
    return min(options, key=lambda d: (abs((d - ctx.day).days), d))


def _bare_date(m: re.Match[str], ctx: _Ctx) -> str | None:
    """ "December 18", "18 Dec", "the 14th of May": the year added."""
    name = m.group("m1") or m.group("m2")
    if name.lower() in _WORD_MONTHS and name.islower() and ctx.word_before(m.start()) not in _PREPS | {"the", "due"}:
        return None  # "Python 3 may break", "may 3 people"
    when = _dated(ctx, m, _MONTHS[name.lower()], int(m.group("d1") or m.group("d2")))
    return fmt_day(when) if when else None


def _day_of_month(m: re.Match[str], ctx: _Ctx) -> str | None:
    """ "on the 14th": this month's or the next (the last, in a past clause)."""
    n = int(m.group("n"))
    tense = ctx.tense(m.start(), m.end())
    step = -1 if tense == "past" else 1
    for k in range(0, 3):
        year, month = _add_months(ctx.day, step * k)
        if n > calendar.monthrange(year, month)[1]:
            continue
        day = date(year, month, n)
        if (step > 0 and day >= ctx.day) or (step < 0 and day <= ctx.day):
            return f"{m.group('prep')} {fmt_day(day)}"
    return None


# ---- the rules ----------------------------------------------------------------------------------------------------

def _fixed(days: int) -> Handler:
    return lambda m, ctx: f"on {fmt_day(ctx.day + timedelta(days=days))}"


def _vague(m: re.Match[str], ctx: _Ctx) -> str:
    return f"{m.group(0)} (as of {fmt_day(ctx.day)})"


_DAY = rf"(?P<day>{_ANY_DAY_RE})\b"
_UNITS = r"(?P<unit>days?|weeks?|fortnights?|months?|years?)"
_QW = r"(?:(?:the\s+)?(?:very\s+)?(?:end|start|beginning|middle)\s+of\s+|(?:early|mid|late)[\s-]+)"
_Q = rf"(?P<q>{_QW})"
_MONTH_PREP = r"in|by|during|until|till|til|since|before|after|from|through|over|for|around"
_I = re.I
RULES: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(r"\bthe day before yesterday\b", _I), _fixed(-2)),
    (re.compile(r"\bthe day after tomorrow\b", _I), _fixed(2)),
    (re.compile(r"\b(?:yesterday|last night)\b", _I), _fixed(-1)),
    (re.compile(r"\b(?:earlier )?today\b|\bthis (?:morning|afternoon|evening)\b|\btonight\b", _I), _fixed(0)),
    (re.compile(r"\btomorrow\b", _I), _fixed(1)),
    (re.compile(rf"\b{_NUM.replace('(', '(?P<n>', 1)} {_UNITS} ago\b", _I), _ago),
    (re.compile(rf"\b(?:in|(?P<within>within)) {_NUM.replace('(', '(?P<n>', 1)} {_UNITS}(?:['’]s?)?(?: time)?\b"
                r"(?! ago)", _I), _ahead),
    (re.compile(rf"\b{_NUM.replace('(', '(?P<n>', 1)} {_UNITS} from (?P<base>now|today|tomorrow)\b", _I),
     _from_anchor),
    (re.compile(rf"\b{_NUM.replace('(', '(?P<n>', 1)} (?P<unit>weeks?|fortnights?) ago,?\s+(?:on\s+|last\s+)?"
                rf"(?P<day>{_FULL_RE}|today|yesterday)\b", _I), _weeks_ago_weekday),
    (re.compile(rf"\b(?:a|one) week (?:on|from) (?P<day>{_FULL_RE})\b|\b(?P<day2>{_FULL_RE}) week\b", _I),
     _week_on_weekday),
    (re.compile(r"\ba few (day|week|month|year)s ago\b", _I),
     lambda m, ctx: f"a few {m.group(1).lower()}s before {fmt_day(ctx.day)}"),
    (re.compile(rf"\b{_NUM.replace('(', '(?P<n>', 1)} weekends? ago\b", _I),
     lambda m, ctx: f"{_number(m.group('n'))} weekend{'s' if _number(m.group('n')) != 1 else ''} before "
                    f"{fmt_day(ctx.day)}"),
    (re.compile(r"\blast weekend\b", _I), lambda m, ctx: f"the weekend before {fmt_day(ctx.day)}"),
    (re.compile(r"\bnext weekend\b", _I), lambda m, ctx: f"the weekend after {fmt_day(ctx.day)}"),
    (re.compile(r"\bthis (?:coming )?weekend\b", _I), _this_weekend),
    (re.compile(r"\b(?P<head>(?:over|on|at|during) the) weekend\b(?!s)(?!\s+(?:before|after|of)\b)", _I), _over_weekend),
    (re.compile(r"\bthe week after next\b", _I), _week_after_next),
    (re.compile(rf"\blast {_DAY}(?!s)", _I), _last_weekday),
    (re.compile(rf"\bnext {_DAY}{_PART}{_NOT_NAME}{_DATED}", _I), _next_weekday),
    (re.compile(rf"\b(?:this coming|this|coming) {_DAY}{_PART}{_NOT_NAME}{_DATED}", _I), _this_weekday),
    (re.compile(rf"(?<![\w-])(?:(?P<prep>on|by|until|till|til|from|since|before|after|for)\s+)?{_DAY}{_PART}"
                rf"{_NOT_NAME}{_DATED}(?!\s+\(the week of)", _I), _plain_weekday),
    (re.compile(rf"\bthe (?P<nth>first|1st|second|2nd|third|3rd|fourth|4th|last) (?P<day>{_FULL_RE}) of "
                r"(?P<rel>next|this|the|last) month\b", _I), _nth_weekday),
    (re.compile(r"\b(?P<q>(?:earlier|later) )(?:in )?this (?P<unit>week)\b", _I),
     lambda m, ctx: f"{m.group('q')}in the week of {fmt_day(ctx.day)}"),
    (re.compile(rf"\b{_Q}(?:(?P<rel>next|this|last|the)\s+)?(?P<unit>month|year|quarter|week)\b"
                r"(?!\s+(?:of|before|after)\s+\d)", _I), _period_of),
    (re.compile(r"\b(?P<rel>last|this|next) (?P<unit>week|month|year|quarter)\b", _I), _period),
    (re.compile(rf"\b(?P<q>{_QW}|(?:{_MONTH_PREP})\s+)q(?P<n>[1-4])\b(?!\s*['’]?\d{{2}})", _I), _quarter),
    (re.compile(rf"\b(?:(?P<rel>last|next|this) |(?P<q>{_QW}|(?:{_MONTH_PREP})\s+))"
                rf"(?P<month>{_MONTH_RE})\b(?!\s*,?\s*\d)(?![\w'’-])", _I), _month),
    (re.compile(r"\b(?P<prep>on|by|until|till|til|from|since|before|after)\s+the\s+(?P<n>[1-9]|[12]\d|3[01])"
                r"(?:st|nd|rd|th)\b(?!\s+of\b)(?=\s*(?:$|[.,;:!?)]|(?:at|and|or|but|so|then|too|as|for|when|if|"
                r"is|was|will|instead|please|pls|morning|afternoon|evening|night|i|we|you|they|he|she|it)\b))",
                _I), _day_of_month),
    (re.compile(rf"(?<![\d.,:/-])\b(?:(?P<m1>{_MONTH_RE})\.? (?P<d1>\d{{1,2}})(?:st|nd|rd|th)?|(?P<d2>\d{{1,2}})"
                rf"(?:st|nd|rd|th)?(?: of)? (?P<m2>{_MONTH_RE}))\b(?!,? ?\d{{4}})(?! \d)(?![.:]\d)", _I),
     _bare_date),
    (re.compile(r"\b(?:recently|lately|the other day)\b(?!\s*\(as of)", _I), _vague),
]


# "just" before a past verb says it happened shortly before it was said (the anchor closes the clause:
# "just got back (as of ...)"); run after the other rules, and not where the clause already holds a date
_JUST = re.compile(rf"\bjust (?![^,.;:!?()–—]*\b\d{{4}}\b)(?![^,.;:!?()–—]*\(as of)"
                   rf"(?!(?:{_NOT_EVENTS})\b)(?:{_PAST_VERB})\b[^,.;:!?()–—]*", re.I)


def _hits(ctx: _Ctx) -> list[tuple[int, int, str]]:
    """Every rule's proposals over the original text; the leftmost longest wins an overlap."""
    found: list[tuple[int, int, int, str]] = []
    for priority, (pattern, handler) in enumerate(RULES):
        for m in pattern.finditer(ctx.text):
            replacement = handler(m, ctx)
            if replacement is not None and m.end() > m.start():
                found.append((m.start(), -(m.end() - m.start()), priority, replacement))
    found.sort()
    chosen: list[tuple[int, int, str]] = []
    edge = 0
    for start, neg_length, _, replacement in found:
        if start >= edge:
            chosen.append((start, start - neg_length, replacement))
            edge = start - neg_length
    return chosen


def absolutize(text: str, at: datetime) -> tuple[str, list[Rewrite]]:
    """``text`` with relative time expressions made absolute, and what changed."""
    ctx = _Ctx(text, at.date())
    rewrites: list[Rewrite] = []
    parts: list[str] = []
    cursor = 0
    for start, end, replacement in _hits(ctx):
        if replacement == text[start:end]:
            continue
        parts += [text[cursor:start], replacement]
        rewrites.append(Rewrite(original=text[start:end], replacement=replacement))
        cursor = end
    out = "".join(parts) + text[cursor:]

    def just(m: re.Match[str]) -> str:
        replacement = f"{m.group(0).rstrip()} (as of {fmt_day(ctx.day)})"
        rewrites.append(Rewrite(original=m.group(0), replacement=replacement))
        return replacement

    out = _JUST.sub(just, out)
    # "on 19 November 2026" right after a preposition reads badly ("since on ..."): drop the doubled word
    out = re.sub(r"\b(since|until|before|after|from|by) (?:on|in) (?=\d|[A-Z])", r"\1 ", out)
    return out, rewrites


def tidy(text: str) -> str:
    """Whitespace and sentence casing, without changing meaning."""
    out = re.sub(r"[ \t]+", " ", text.strip())
    out = re.sub(r"\s+([,;:!?]|\.(?!\d))", r"\1", out)  # ". 001" is not a stop: "p < .001" keeps its space
    out = re.sub(r"\n{3,}", "\n\n", out)
    if out and out[0].islower() and not out.startswith(("`", "http")):
        out = out[0].upper() + out[1:]
    return out
