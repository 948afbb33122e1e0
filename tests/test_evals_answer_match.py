"""The offline scorer's normalisation rules, one test per rule, plus properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dreaming.evals.answer_match import answer_items, answer_terms, contains, find, ordinal


def test_case_and_unicode():
    assert answer_terms("HeLiX") == answer_terms("helix") == ("helix",)
    assert answer_terms("\uff28elix") == ("helix",)  # full-width H, NFKC
    assert answer_terms("Charlotte\u2019s Web") == answer_terms("Charlotte's web")


@pytest.mark.parametrize(
    "text",
    [
        "7 May 2023", "7 May, 2023", "7th May 2023", "7th of May, 2023", "May 7, 2023", "May 7 2023",
        "May 7th, 2023", "2023-05-07", "2023/05/07", "2023/5/7", "7 may 2023", "MAY 7, 2023",
    ],
)
def test_full_dates_become_one_iso_token(text):
    assert answer_terms(text) == ("2023-05-07",)


def test_dates_inside_sentences_and_abbreviated_months():
    assert answer_terms("She went on Sept 3, 2021.") == ("she", "went", "on", "2021-09-03")
    assert answer_terms("Sat 4 Nov. 2023") == ("sat", "2023-11-04")
    assert contains("Caroline went to the support group on 7 May 2023", "May 7, 2023")
    assert contains("met on 2023-05-07 at noon", "7 May 2023")


def test_partial_ambiguous_and_impossible_dates_are_left_as_words():
    assert answer_terms("May, 2023") == answer_terms("May 2023") == ("may", "2023")
    assert answer_terms("05/07/2023") == ("05", "07", "2023")  # day or month first: unknown
    assert answer_terms("31 February 2023") == ("31", "february", "2023")
    assert not contains("in May 2023", "7 May 2023")


def test_thousands_separators():
    assert answer_terms("1,000 dollars") == ("1000", "dollars")
    assert contains("raised 12,500 euros", "12500 euros")
    # a list comma is not a thousands separator
    assert answer_terms("1,20") == ("1", "20")


def test_punctuation_is_a_word_break():
    assert answer_terms("well-known, (really) 'so'!") == ("well", "known", "really", "so")
    assert contains('She read "Nothing is Impossible".', "Nothing is impossible")


def test_number_words_become_digits():
    assert answer_terms("ten years ago") == ("10", "years", "ago")
    assert answer_terms("twenty-one") == answer_terms("twenty one") == answer_terms("21") == ("21",)
    assert answer_terms("ninety nine") == ("99",)
    assert answer_terms("zero") == ("0",)
    assert contains("she has had them for 4 years", "four years")
    assert contains("she has had them for four years", "4 years")


def test_ordinal_words_become_digit_ordinals():
    assert answer_terms("her eighteenth birthday") == ("her", "18th", "birthday")
    assert answer_terms("twenty-first") == ("21st",)
    assert answer_terms("first place") == ("1st", "place")
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"
    ]


def test_articles_are_dropped():
    assert answer_terms("The week before a holiday") == ("week", "before", "holiday")
    assert contains("in the week before 9 June 2023", "week before June 9, 2023")


def test_list_answers_need_every_item():
    assert answer_items("pottery, camping, painting, and swimming") == (
        ("pottery",), ("camping",), ("painting",), ("swimming",)
    )
    assert answer_items("Running; pottery") == (("running",), ("pottery",))
    assert contains("She does pottery. She also loves camping.", "camping, pottery")
    assert not contains("She does pottery.", "camping, pottery")
    # a comma inside a date or a number is not a list separator
    assert answer_items("May 7, 2023") == (("2023-05-07",),)
    assert answer_items("1,000 people") == (("1000", "people"),)


def test_containment_is_by_whole_words_in_a_row():
    assert contains("User prefers helix", "helix")
    assert not contains("User prefers helixes", "helix")
    assert not contains("helix is preferred by the user", "user prefers helix")
    assert not contains("anything", "The")  # nothing left to look for


def _brute_find(haystack: tuple[str, ...], needle: tuple[str, ...]) -> int:
    if not needle:
        return -1
    hits = [i for i in range(len(haystack)) if haystack[i : i + len(needle)] == needle]
    return hits[0] if hits else -1


words = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=12).map(tuple)


@given(words, words)
def test_find_agrees_with_brute_force(haystack, needle):
    assert find(haystack, needle) == _brute_find(haystack, needle)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_real_date_has_one_form(day):
    forms = [
        f"{day.day} {day:%B} {day.year}",
        f"{day:%B} {day.day}, {day.year}",
        f"{day:%b} {day.day} {day.year}",
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{ordinal(day.day)} of {day:%B}, {day.year}",
    ]
    assert {answer_terms(f) for f in forms} == {(day.isoformat(),)}
    assert not contains(f"on {day.isoformat()}", (day + timedelta(days=1)).isoformat())


@given(st.text(max_size=60))
def test_every_text_contains_itself(text):
    assert contains(text, text) == bool(answer_items(text))
