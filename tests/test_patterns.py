"""Pattern communities: recurrence across sessions, tight grouping, stable ids."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dreaming.patterns.communities import PatternConfig, TemplatePatternWriter, find_communities, terms_of
from dreaming.pipeline.stages import StageContext
from dreaming.records import Evidence, Memory

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def mem(i: int, content: str, session: str, kind: str = "workaround") -> Memory:
    when = T0 + timedelta(days=i)
    return Memory(id=f"mem_{i:02d}", content=content, kind=kind, observed_at=when, created_at=when,
                  provenance=(Evidence(session_id=session, turn_ids=(f"t{i}",)),))


PDF_A = "Tool workaround (Bash): `pdftotext spec.pdf -` failed (command not found); `uv run --with pypdf` worked."
PDF_B = "Tool workaround (Bash): `pdftotext invoices/10.pdf -` failed (command not found); `uv run --with pypdf x` worked."


def filler() -> list[Memory]:
    words = ["kafka", "redis", "grafana", "terraform", "ansible", "nginx", "sentry", "celery", "jenkins", "vault"]
    return [mem(20 + i, f"The team runs {w} in production", f"s{20 + i}", kind="fact") for i, w in enumerate(words)]


def test_terms_are_salient():
    assert {"pdftotext", "pypdf"} <= terms_of(PDF_A)
    assert "the" not in terms_of(PDF_A) and "worked" not in terms_of(PDF_A)


def test_recurring_across_sessions_becomes_a_pattern():
    memories = [mem(1, PDF_A, "s1"), mem(2, PDF_B, "s2")] + filler()
    communities = find_communities(memories, PatternConfig(min_sessions=2))
    assert len(communities) == 1
    c = communities[0]
    assert {m.id for m in c.members} == {"mem_01", "mem_02"} and c.sessions == ("s1", "s2")
    [candidate] = TemplatePatternWriter().write(communities, StageContext())
    p = candidate.memory
    assert p.kind == "pattern" and "2 sessions" in p.content and "pdftotext" in p.content
    assert {e.session_id for e in p.provenance} == {"s1", "s2"}
    # found again from the same members: the same id and key, so it is recognised, not duplicated
    [again] = TemplatePatternWriter().write(find_communities(list(reversed(memories))), StageContext())
    assert again.memory.id == p.id and again.memory.key == p.key


def test_one_session_is_not_a_pattern():
    memories = [mem(1, PDF_A, "s1"), mem(2, PDF_B, "s1")] + filler()
    assert find_communities(memories, PatternConfig(min_sessions=2)) == []
    assert len(find_communities(memories, PatternConfig(min_sessions=1))) == 1


def test_a_topic_pattern_names_its_terms_without_repeating_a_member():
    facts = [mem(1, "Noor bakes sourdough bread with rye flour", "s1", kind="fact"),
             mem(2, "Noor sells sourdough bread with rye crust at the market", "s2", kind="fact")] + filler()
    [community] = find_communities(facts, PatternConfig(min_sessions=2))
    [candidate] = TemplatePatternWriter().write([community], StageContext())
    content = candidate.memory.content
    assert content.startswith("Recurring pattern across 2 sessions: 2 mentions of ") and "sourdough" in content
    assert all(m.content not in content for m in facts)


def test_pronouns_are_not_pattern_terms():
    assert terms_of("Noor told them about their garden during spring") == {"noor", "told", "garden", "spring"}
