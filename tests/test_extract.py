"""Offline extraction rules: statements, phrasing, memory writes, workarounds, dates."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dreaming.extract import OfflineExtractor
from dreaming.extract.memory_writes import memory_writes
from dreaming.extract.phrasing import conjugate, third_person
from dreaming.extract.statements import speaker_statements, user_statements
from dreaming.extract.workarounds import find_workarounds
from dreaming.normalise.times import absolutize
from dreaming.records import PendingSession, Session, ToolCall, Turn

FRIDAY = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def contents(text: str) -> list[tuple[str, str | None]]:
    return [(s.content, s.key) for s in user_statements(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I prefer tabs over spaces.", [("User prefers tabs over spaces.", "user.indentation")]),
        ("I switched from vim to helix.", [("User switched from vim to helix.", "user.editor")]),
        ("Please always use conventional commits.", [("Standing instruction: always use conventional commits.", None)]),
        ("Never push directly to main!", [("Standing instruction: never push directly to main.", None)]),
        ("My name is Dana Whitfield and I'm the SRE on call this week.",
         [("User's name is Dana Whitfield.", "user.name"), ("User is the SRE on call this week.", "user.role")]),
        ("We upgraded the staging database to PostgreSQL 16.",
         [("The team upgraded the staging database to PostgreSQL 16.", "staging.database")]),
        ("Heads up: the release freeze moved to December 18.",
         [("The release freeze moved to December 18.", "release.freeze")]),
        ("I prefer short answers without emojis, remember?", [("User prefers short answers without emojis.", None)]),
    ],
)
def test_user_statements_that_are_memories(text, expected):
    assert contents(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Can you fix the failing test?",
        "I want to create a file for testing",
        "ok edit it and add some content",
        "I'm sure that works",
        "I think we should use Postgres",
        "What does this function do?",
        "<command-name>/clear</command-name>",
        "Please fix the login bug.",
        "If I prefer tabs, does it matter?",
    ],
)
def test_task_requests_and_chatter_are_not_memories(text):
    assert contents(text) == []


def test_conjugation_and_pronouns():
    assert conjugate("prefer") == "prefers" and conjugate("go") == "goes" and conjugate("try") == "tries"
    assert conjugate("switched") == "switched" and conjugate("went") == "went"
    assert third_person("I love my dog", "Caroline") == "Caroline loves Caroline's dog."
    assert third_person("We moved to Berlin", "Caroline") == "Caroline and others moved to Berlin."
    assert third_person("I told you about it", "Mel", listener="Caroline") == "Mel told Caroline about it."


def test_speaker_statements_keep_facts_and_drop_chatter():
    got = [s.content for s in speaker_statements(
        "Thanks, Caroline! That's awesome. I went to a support group yesterday. Do you like it?", "Melanie",
        listener="Caroline")]
    assert got == ["Melanie went to a support group yesterday."]


def test_memory_tool_and_claude_md_writes():
    create = ToolCall(name="memory", input={"command": "create", "path": "/memories/user/profile.md",
                                            "file_text": "- Dana is on call.\n- Dana uses helix.\n"})
    assert [(w.content, w.path) for w in memory_writes(create) if w.op == "add"] == [
        ("Dana is on call.", "/user/profile.md"), ("Dana uses helix.", "/user/profile.md")]
    edit = ToolCall(name="Edit", input={"file_path": "/repo/CLAUDE.md", "old_string": "## Conventions\n",
                                        "new_string": "## Conventions\n- Use conventional commits.\n"})
    assert [w.content for w in memory_writes(edit)] == ["Use conventional commits."]
    failed = ToolCall(name="memory", is_error=True, input=create.input)
    other_file = ToolCall(name="Write", input={"file_path": "/repo/app.py", "content": "print(1)"})
    assert list(memory_writes(failed)) == [] and list(memory_writes(other_file)) == []


def test_workaround_needs_same_tool_and_goal():
    calls = [
        ToolCall(name="Bash", input_summary="pdftotext docs/spec.pdf -", is_error=True,
                 result_excerpt="pdftotext: command not found"),
        ToolCall(name="Read", input_summary="docs/other.md", is_error=False),
        ToolCall(name="Bash", input_summary="uv run --with pypdf python x.py docs/spec.pdf", is_error=False),
    ]
    found = list(find_workarounds(calls))
    assert len(found) == 1 and found[0].command == "pdftotext" and found[0].fixed is calls[2]
    unrelated = [calls[0], ToolCall(name="Bash", input_summary="git status", is_error=False)]
    assert list(find_workarounds(unrelated)) == []
    refused = [ToolCall(name="Bash", input_summary="rm -rf build", is_error=True,
                        result_excerpt="The user doesn't want to proceed with this tool use."),
               ToolCall(name="Bash", input_summary="rm -rf build/cache", is_error=False)]
    assert list(find_workarounds(refused)) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("upgraded yesterday", "upgraded on 19 November 2026"),
        ("switched last month", "switched in October 2026"),
        ("moved two years ago", "moved in 2024"),
        ("met last Friday", "met the Friday before 20 November 2026 (13 November 2026)"),
        ("due next week", "due the week after 20 November 2026"),
        ("went last week", "went the week before 20 November 2026"),
        ("camped two weekends ago", "camped 2 weekends before 20 November 2026"),
        ("3 days ago", "on 17 November 2026"),
        ("recently", "recently (as of 20 November 2026)"),
        ("since yesterday", "since 19 November 2026"),
        ("on 4 May 2023", "on 4 May 2023"),
        ("joined last Tues.", "joined the Tuesday before 20 November 2026 (17 November 2026)."),
        ("met last fri", "met the Friday before 20 November 2026 (13 November 2026)"),
        ("we just got back from Oslo, it was cold", "we just got back from Oslo (as of 20 November 2026), it was cold"),
        ("I just wanted to say hi", "I just wanted to say hi"),
        ("I'm just tired", "I'm just tired"),
        ("just finished it yesterday", "just finished it on 19 November 2026"),
    ],
)
def test_relative_dates_become_absolute(text, expected):
    assert absolutize(text, FRIDAY)[0] == expected


def test_extractor_cites_sessions_and_turns_and_is_deterministic():
    session = Session(id="s1", source="x.jsonl", format="chat-jsonl", started_at=FRIDAY, metadata={"cwd": "/w/billing"})
    turns = (
        Turn(id="t1", session_id="s1", seq=1, role="user", text="I prefer tabs over spaces.", timestamp=FRIDAY),
        Turn(id="t2", session_id="s1", seq=2, role="assistant", text="Sure.", timestamp=FRIDAY,
             tool_calls=(ToolCall(name="Bash", input_summary="pdftotext a/b.pdf -", is_error=True,
                                  result_excerpt="pdftotext: command not found"),)),
        Turn(id="t3", session_id="s1", seq=3, role="assistant", text="", timestamp=FRIDAY,
             tool_calls=(ToolCall(name="Bash", input_summary="python -m pypdf a/b.pdf", is_error=False),)),
        Turn(id="t4", session_id="s1", seq=4, role="user", kind="compact_summary", text="We fixed the parser.",
             timestamp=FRIDAY),
    )
    pending = PendingSession(session=session, turns=turns)
    first = OfflineExtractor().extract([pending])
    again = OfflineExtractor().extract([pending])
    assert [c.memory for c in first] == [c.memory for c in again]
    by_rule = {c.rule: c.memory for c in first}
    assert set(by_rule) == {"user-preference", "workaround", "compact-summary"}
    assert by_rule["user-preference"].provenance[0].turn_ids == ("t1",)
    assert by_rule["workaround"].provenance[0].turn_ids == ("t2", "t3")
    assert by_rule["workaround"].key == "workaround.bash.pdftotext"
    assert by_rule["user-preference"].metadata["project"] == "billing"
    assert all(c.memory.observed_at == FRIDAY for c in first)


@pytest.mark.parametrize(
    "text, expected",
    [
        # a bare pronoun object points outside the turn: kept only as a dependent statement
        ("I painted it because it was calming.", [("Mel painted it because it was calming.", False)]),
        ("Yeah, I made this!", [("Mel made this.", False)]),
        ("I fixed those last week.", [("Mel fixed those last week.", False)]),
        # a demonstrative that names its noun is a memory of its own
        ("I made this bowl in my class.", [("Mel made this bowl in Mel's class.", True)]),
        ("I learned that the bakery closes at five.", [("Mel learned that the bakery closes at five.", True)]),
        # an invitation to look at a photo is not part of the memory
        ("I've done an abstract painting too, take a look!", [("Mel has done an abstract painting too.", True)]),
        # "this <noun>" is not a time word: the sentence does not start with the speaker
        ("This book I read last year reminds me to keep going.", []),
        ("Last week, I went to a pride parade.", [("Mel went to a pride parade last week.", True)]),
    ],
)
def test_speaker_statements_say_what_they_are_about(text, expected):
    got = [(s.content, s.standalone) for s in speaker_statements(text, "Mel", listener="Kai")]
    assert got == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # chat often drops the "I" of a past event
        ("Lost my job as a cook yesterday.", ["Mel lost Mel's job as a cook yesterday."]),
        ("Took a short trip to Lyon last week.", ["Mel took a short trip to Lyon last week."]),
        ("Excited to see my friends tomorrow.", []),
        ("Loved the photo!", []),
        ("Been practicing my routines lately.", ["Mel has been practicing Mel's routines lately."]),
        ("Been a busy week since we talked.", []),
        ("I have made a video on styling scarves, btw.", ["Mel has made a video on styling scarves."]),
        # asides before a dash and stacked leaders go; the speaker's own clause keeps its time
        ("You won't believe it - I got a scholarship yesterday!", ["Mel got a scholarship yesterday."]),
        ("Oh, btw, I had an interview for an internship yesterday!", ["Mel had an interview for an internship yesterday."]),
        ("I had a day out last weekend - we went biking by the lake.",
         ["Mel had a day out last weekend - Mel and others went biking by the lake."]),
        # going to an event is a dated fact; going to do something is a plan
        ("I'm going to a robotics conference this month.", ["Mel is going to a robotics conference this month."]),
        ("I'm going to try harder this month.", []),
    ],
)
def test_speaker_statements_in_chat_style(text, expected):
    assert [s.content for s in speaker_statements(text, "Mel", listener="Kai")] == expected


def test_user_statements_with_a_bare_object_are_not_memories():
    assert contents("I prefer it that way.") == []
    assert contents("I prefer spaces that way.") == [("User prefers spaces that way.", None)]


def test_phrasing_of_adverbs_and_groups():
    assert third_person("I finally took my kids out", "Mel") == "Mel finally took Mel's kids out."
    assert third_person("I rely on buses", "Mel") == "Mel relies on buses."
    assert third_person("Our dog ate my shoes", "Mel") == "Mel and others' dog ate Mel's shoes."
    assert third_person("I take some me-time", "Mel") == "Mel takes some me-time."
    assert third_person("We'd sing and we're loud", "Mel") == "Mel and others would sing and Mel and others are loud."


def test_dependent_statements_are_flagged_for_the_restatement_fold():
    session = Session(id="s1", source="x.json", format="locomo", started_at=FRIDAY, metadata={"speakers": ["Mel", "Kai"]})
    turns = (Turn(id="t1", session_id="s1", seq=1, role="speaker", speaker="Mel", timestamp=FRIDAY,
                  text="I made it in pottery class yesterday. I adopted a puppy named Rex."),)
    by_content = {
        c.memory.content: c.memory.metadata
        for c in OfflineExtractor().extract([PendingSession(session=session, turns=turns)])
    }
    assert by_content["Mel made it in pottery class yesterday."].get("needs_context") is True
    assert "needs_context" not in by_content["Mel adopted a puppy named Rex."]


def _call(command: str, result: str, error: bool = False) -> ToolCall:
    return ToolCall(name="Bash", input_summary=command, is_error=error, result_excerpt=result)


@pytest.mark.parametrize("result, empty", [
    ("No appointments found for 2026-11-04.", True), ("exit=0\n  0", True), ("(0 rows)", True), ("[]", True),
    ("Found 0 matches", True),
    ("", False),  # silence is how many commands say they succeeded
    ("08:00  SURG  Rex (Brody)  Dr. Alvarez", False), ("3 rows", False), ("no changes added to commit", False),
])
def test_a_call_that_succeeded_with_nothing_to_show(result, empty):
    from dreaming.extract.workarounds import came_back_empty

    assert came_back_empty(_call("x", result)) is empty


def test_an_empty_answer_then_the_same_program_with_another_option_is_a_tool_lesson():
    from dreaming.extract.workarounds import describe

    calls = [_call("vetcal list --day 2026-11-04", "No appointments found for 2026-11-04."),
             _call("vetcal list --day 2026-11-04 --location pearl", "08:00  SURG  Rex (Brody)  Dr. Alvarez")]
    [w] = find_workarounds(calls)
    text = describe(w)
    assert "returned nothing (No appointments found for 2026-11-04.)" in text and "--location pearl" in text
    # a search that found nothing, then another search, is not a lesson; nor a silent success then another step
    assert not list(find_workarounds([_call("grep -r foo src/", "0"), _call("grep -r bar lib/", "lib/a.py: bar")]))
    assert not list(find_workarounds([_call("mix compile --warnings-as-errors", ""), _call("mix test", "5 tests, 0 failures")]))


@pytest.mark.parametrize("word, verb", [
    ("reopens", True), ("arrives", True), ("carries", True), ("thinks", False),  # "thinked" is not English
    ("glass", False), ("mode", False), ("close", False), ("is", False),
])
def test_a_verb_in_the_third_person_by_a_statistic_of_english(word, verb):
    from dreaming.extract.declaratives import third_person_verb

    assert third_person_verb(word) is verb


def test_statements_whose_verb_is_not_in_the_short_list_are_kept():
    from dreaming.extract.declaratives import declaratives

    assert list(declaratives("kamala arrives friday for 3 nights btw")) == ["kamala arrives friday for 3 nights btw."]
    assert list(declaratives("kuro says the shop reopens after the reno next tuesday"))
    assert list(declaratives("lenovo tab m10, chrome in kiosk mode")) == []  # no verb: an answer, not a statement
