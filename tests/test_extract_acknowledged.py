"""A user's statement as the assistant said it back (dreaming.extract.acknowledged)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dreaming.extract import OfflineExtractor
from dreaming.extract.acknowledged import covered, restatements
from dreaming.records import PendingSession, Session, Turn

MONDAY = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)


def said_back(user: str, reply: str, subject: str = "User", people: tuple[str, ...] = ()) -> list[str]:
    return [r.text for r in restatements(user, reply, subject=subject, people=people)]


@pytest.mark.parametrize("user, reply, subject, expected", [
    # the pronoun resolved, the acknowledgment lead dropped, "you" becomes the speaker
    ("which also means i can't really be fire warden anymore. aileen said she'll take it over",
     "Noted: Aileen takes over as 3rd-floor fire warden from you.", "Sunil",
     ["Aileen takes over as 3rd-floor fire warden from Sunil."]),
    ("hi, sunil here. i've moved to desk 3.20 by the window, 3.14 is free now",
     "Noted, Sunil - you're at desk 3.20 now; 3.14 is free.", "Sunil",
     ["Sunil is at desk 3.20 now.", "3.14 is free."]),
    # the old value and the resolved date come with it
    ("we're pushing the EA launch back two weeks, so 26 march now",
     "Noted: Steam Early Access launch moves from 12 March to 26 March 2026.", "User",
     ["Steam Early Access launch moves from 12 March to 26 March 2026."]),
    ("raj got the job, he starts his own lab in edinburgh in september 2027",
     "Congratulations to Raj - you start your own lab in Edinburgh in September 2027 then.", "Raj",
     ["Raj starts Raj's own lab in Edinburgh in September 2027 then."]),
])
def test_a_reply_that_says_the_users_words_back_is_a_restatement(user, reply, subject, expected):
    assert said_back(user, reply, subject, people=(subject.lower(),)) == expected


@pytest.mark.parametrize("user, reply", [
    # the assistant's own plans and actions
    ("the plotter engineer is coming in 10 days", "I'll book the plotter engineer and let you know."),
    # a question back
    ("the staging db is a neon branch", "Is the staging db the Neon branch called dev?"),
    # an answer made of other words (a tool's findings), not the user's
    ("check the invoice from lothian it", "The total is £2,640 including VAT for January support."),
    # a draft written for someone else
    ("draft the announcement for the wifi change at cowgate",
     'Draft: "Hi all - the staff wifi at Cowgate changes today, Ruth will give you the new one."'),
    # a sentence about a credential never becomes a memory, whoever says it
    ("the wifi password for cowgate studio is changing", "The Cowgate studio wifi password changes today."),
])
def test_what_is_not_a_restatement(user, reply):
    assert said_back(user, reply) == []


def test_a_covered_sentence_is_the_one_whose_specific_words_the_restatements_hold():
    said = restatements("banner moved us to a new account for toner, 61877. the old one's closed",
                        "Noted: Banner toner account is now 61877 (55102 is closed).", subject="User")
    assert covered("Banner moved the team to a new account for toner, 61877.", said)
    assert not covered("Kofi has taken over on-call from Bea.", said)


def _session(*turns: tuple[str, str]) -> PendingSession:
    session = Session(id="s1", source="x.jsonl", format="claude-code", started_at=MONDAY,
                      metadata={"cwd": "/home/fiona/office"})
    return PendingSession(session=session, turns=tuple(
        Turn(id=f"t{i}", session_id="s1", seq=i, role=role, text=text, timestamp=MONDAY)
        for i, (role, text) in enumerate(turns, 1)))


def test_the_extractor_keeps_the_restatement_instead_of_the_typed_sentence_and_cites_both_turns():
    pending = _session(
        ("user", "team lunch is moving to thursdays from this week, half the studio is on site on fridays now"),
        ("assistant", "Noted: the partner-paid team lunch (Mother India) moves from Fridays to Thursdays."),
        ("user", "the lift is being serviced over the weekend btw"),
        ("assistant", "Thanks for the heads-up."),
    )
    by_rule = {}
    for c in OfflineExtractor().extract([pending]):
        by_rule.setdefault(c.rule, []).append(c.memory)
    [ack] = by_rule["acknowledged-statement"]
    assert ack.content == "The partner-paid team lunch (Mother India) moves from Fridays to Thursdays."
    assert ack.provenance[0].turn_ids == ("t1", "t2")
    # the typed sentence it replaces is gone; the one the assistant did not say back stays as typed
    typed = [m.content for m in by_rule["user-statement"]]
    assert typed == ["The lift is being serviced over the weekend btw."]


def test_a_possessive_is_the_name_the_user_typed():
    said = said_back("oskar here. defense date is fixed: 12 november, 2pm, baines is coming up from london",
                     "Noted: Oskar's PhD defence is 12 November 2026 at 14:00, with Prof. Baines.", "Oskar")
    assert said == ["Oskar's PhD defence is 12 November 2026 at 14:00, with Prof. Baines."]
