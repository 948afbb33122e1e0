"""`dreaming run` end to end: exact results on a project fixture, idempotence,
review mode, a failing stage leaving HEAD untouched, and real transcripts."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from dreaming import DreamConfig, Store, dream, import_file
from dreaming.cli import cli
from dreaming.errors import CandidatePending
from dreaming.pipeline import stages

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "dream"


@pytest.fixture
def store(store_path):
    s = Store.open(store_path)
    import_file(s, FIXTURE / "memories.jsonl")
    yield s
    s.close()


def config(**kw) -> DreamConfig:
    return DreamConfig(transcripts=(FIXTURE / "transcripts",), **kw)


def summary(store: Store, version: int) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return sorted(
        (c.op, tuple(sorted(m.content for m in c.before)), tuple(sorted(m.content for m in c.after)))
        for c in store.changes(version)
    )


WORKAROUND = (
    "Tool workaround (Bash): `pdftotext reports/q3.pdf -` failed (pdftotext: command not found); "
    "`uv run --with pypdf python extract.py reports/q3.pdf` worked for the same goal."
)


def test_dream_gives_exactly_the_expected_changes(store):
    report = dream(store, config())
    assert report.status == "completed" and report.version == 2 and report.version_status == "accepted"
    assert (report.sessions, report.memories_before, report.memories_after) == (2, 5, 7)
    assert summary(store, 2) == [
        ("add", (), ("Standing instruction: always run the linter before committing.",)),
        ("add", (), ("The team upgraded the staging database to PostgreSQL 16 on 19 November 2026.",)),
        ("add", (), (WORKAROUND,)),
        ("merge", ("User prefers tabs.", "user prefers tabs"), ("User prefers tabs.",)),
        ("supersede", ("User's editor is vim.",), ("User switched to helix as User's editor in October 2026.",)),
    ]
    head = {m.content: m for m in store.snapshot()}
    assert set(head) == {
        "User prefers tabs.", "Alice likes tea.", "Bob likes tea.",
        "User switched to helix as User's editor in October 2026.",
        "The team upgraded the staging database to PostgreSQL 16 on 19 November 2026.",
        "Standing instruction: always run the linter before committing.", WORKAROUND,
    }
    tabs = head["User prefers tabs."]
    assert tabs.id == "mem_tabs1" and tabs.mentions == 3 and tabs.path == "/user/preferences.md"
    assert {e.session_id for e in tabs.provenance if e.session_id} == {"sess-b"}
    helix = head["User switched to helix as User's editor in October 2026."]
    assert helix.path == "/user/tools.md" and helix.key == "user.editor"  # the new value lives where the old one did
    assert head[WORKAROUND].path == "/tools/pdftotext.md"
    # every change says why, with a score, and cites turns that exist
    for change in store.changes(2):
        assert change.reason and change.score is not None
    quoted = store.quotes(e for m in store.snapshot() for e in m.provenance)
    for m in store.snapshot():
        for e in m.provenance:
            for t in e.turn_ids:
                assert (e.session_id, t) in quoted
    # all pending turns were consumed by version 2
    assert store.pending_count() == (0, 0)
    run = store.run(report.run_id)
    assert run.status == "completed" and run.version == 2 and set(run.timings) >= {"extract", "consolidate", "write"}


def test_second_run_has_nothing_to_dream(store):
    dream(store, config())
    again = dream(store, config())
    assert again.status == "nothing" and again.version is None
    assert store.head == 2 and len(store.versions()) == 2


def test_import_alone_is_dreamed_without_transcripts(store):
    report = dream(store, DreamConfig(transcripts=()))
    assert report.status == "completed" and report.sessions == 0
    assert ("merge", ("User prefers tabs.", "user prefers tabs"), ("User prefers tabs.",)) in summary(store, 2)
    assert dream(store, DreamConfig(transcripts=())).status == "nothing"


def test_review_mode_flow(store):
    report = dream(store, config(review=True))
    assert report.version_status == "candidate" and store.head == 1
    with pytest.raises(CandidatePending, match="dreaming accept"):
        dream(store, config())
    first = summary(store, 2)
    store.reject()
    assert store.head == 1 and store.pending_count()[0] == 2  # the sessions wait for the next dream
    again = dream(store, config(review=True))
    assert again.version == 3 and summary(store, 3) == first
    store.accept()
    assert store.head == 3 and store.pending_count() == (0, 0)


def test_store_setting_turns_on_review(store):
    store.set_config("review", True)
    assert dream(store, config()).version_status == "candidate"


class _Boom:
    name = "boom"

    def __init__(self, **options):
        pass

    def write(self, communities, ctx):
        raise RuntimeError("injected crash between stages")


def test_a_crash_between_stages_leaves_head_untouched(store):
    stages.register("patterns", "boom", _Boom)
    before = [m.to_json() for m in store.snapshot()]
    # the patterns stage runs after extraction and consolidation: everything is decided, nothing written yet
    with pytest.raises(RuntimeError, match="injected crash"):
        dream(store, config(pattern_writer="boom"))
    assert store.head == 1 and [m.to_json() for m in store.snapshot()] == before
    assert store.pending_count()[0] == 2
    [run] = store.runs()
    assert run.status == "failed" and "injected crash" in run.error
    assert dream(store, config()).version == 2


def test_run_command_json_and_text(store_path, tmp_path):
    runner = CliRunner()
    with Store.open(store_path) as s:
        import_file(s, FIXTURE / "memories.jsonl")
    result = runner.invoke(
        cli, ["--store", str(store_path), "run", "--transcripts", str(FIXTURE / "transcripts"), "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["version"] == 2 and data["memories"] == {"before": 5, "after": 7}
    assert data["counts"]["superseded"] == 1 and data["counts"]["merged"] == 1
    stages_timed = ["ingest", "load", "extract", "normalise", "consolidate", "judge", "patterns", "plan", "write"]
    assert list(data["timings"]) == stages_timed
    result = runner.invoke(cli, ["--store", str(store_path), "run", "--transcripts", str(FIXTURE / "transcripts")])
    assert result.exit_code == 0 and "Nothing to dream" in result.output
    diff = runner.invoke(cli, ["--store", str(store_path), "diff", "2", "--json"])
    entries = json.loads(diff.output)["changes"]
    supersede = next(e for e in entries if e["op"] == "supersede")
    assert supersede["quotes"][0]["text"] == "I switched to helix as my editor last month."


def test_run_refuses_while_a_candidate_waits(store_path):
    runner = CliRunner()
    with Store.open(store_path) as s:
        import_file(s, FIXTURE / "memories.jsonl")
    args = ["--store", str(store_path), "run", "--no-ingest", "--review"]
    assert runner.invoke(cli, args).exit_code == 0
    result = runner.invoke(cli, args)
    assert result.exit_code == 1 and "dreaming accept" in result.output and "Traceback" not in result.output


@pytest.mark.integration
def test_dream_over_real_claude_code_sessions(shared_data, tmp_path):
    source = shared_data / "claude_code_transcripts"
    with Store.open(tmp_path / "real.db") as s:
        report = dream(s, DreamConfig(transcripts=(source,)))
        assert report.status == "completed" and report.sessions > 0 and report.version is not None
        memories = s.snapshot()
        assert memories, "the real sessions produced no memories at all"
        cited = s.quotes(e for m in memories for e in m.provenance)
        for m in memories:
            assert m.provenance, m.content
            for e in m.provenance:
                assert e.session_id and s.session(e.session_id) is not None
                for t in e.turn_ids:
                    assert (e.session_id, t) in cited, (m.content, e)
        assert s.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert dream(s, DreamConfig(transcripts=(source,))).status == "nothing"


def test_guard_leaves_a_sweeping_dream_for_review(store):
    # 2 of the 5 stored memories leave (a merge and a supersede), and a new memory, three times as long as the
    # store's average, takes the superseded one's place: about 5 memories' worth, far over 15%
    report = dream(store, config(guard_min=1))
    assert report.version_status == "candidate" and store.head == 1
    assert any(re.match(r"guard: this dream would retire or rewrite the equivalent of 2 of 5 memories and put the "
                        r"equivalent of 3 new ones in their place \(\d+% of the store, weighed by length\)", w)
               for w in report.warnings), report.warnings


@pytest.mark.parametrize("settings", [dict(guard_min=1, guard_share=1.0), dict(guard_min=6, guard_share=0.1)],
                         ids=["share 1 turns it off", "under the minimum"])
def test_guard_respects_its_settings(store, settings):
    assert dream(store, config(**settings)).version_status == "accepted"


def test_guard_share_from_the_store(store):
    store.set_config("guard", 0.1)
    assert dream(store, config(guard_min=1)).version_status == "candidate"


def test_small_dreams_are_below_the_guard(store):
    # the default minimum: a dream touching fewer than 10 memories is never held back
    assert dream(store, config()).version_status == "accepted"


def test_config_command_for_the_guard(store_path):
    runner = CliRunner()
    base = ["--store", str(store_path), "config"]
    assert json.loads(runner.invoke(cli, [*base, "--json"]).output) == {"review": False, "guard": 0.15}
    assert runner.invoke(cli, [*base, "guard", "0.35"]).exit_code == 0
    assert json.loads(runner.invoke(cli, [*base, "guard", "--json"]).output) == {"guard": 0.35}
    bad = runner.invoke(cli, [*base, "guard", "lots"])
    assert bad.exit_code == 1 and "between 0 and 1" in bad.output


def test_unsettled_look_alikes_are_listed_for_the_reviewer(tmp_path):
    """A pair the core hands on and nobody settles (offline: nobody) stays, and
    the run says which pair and why, in the summary and in --json."""
    texts = ["Staging lives at https://stg.example.org", "Staging is at https://stg.example.org"]
    memories = tmp_path / "look-alikes.jsonl"
    memories.write_text("".join(
        json.dumps({"content": t, "observed_at": f"2026-0{i + 1}-01T00:00:00Z"}) + "\n" for i, t in enumerate(texts)
    ))
    (tmp_path / "inbox").mkdir()
    runner = CliRunner()
    outputs = {}
    for mode in ("--json", "text"):
        path = tmp_path / f"store{mode}.db"
        with Store.open(path) as s:
            import_file(s, memories)
        args = ["--store", str(path), "run", "--llm", "off", "--transcripts", str(tmp_path / "inbox")]
        result = runner.invoke(cli, args + ([mode] if mode == "--json" else []), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outputs[mode] = result.output
    data = json.loads(outputs["--json"])
    (pair,) = data["unsettled"]
    assert pair["texts"] == texts
    assert "liv" in pair["why"] and 0 < pair["score"] <= 1
    assert data["counts"]["unsettled"] == 1 and data["memories"] == {"before": 2, "after": 2}
    assert "1 look-alike pairs nobody could settle offline; both kept" in outputs["text"]
    assert "Staging lives at https://stg.example.org" in outputs["text"]


class _Recorder:
    """A progress that writes down the stages it is shown, in order."""

    def __init__(self) -> None:
        self.stages: list[str] = []

    def stage(self, name: str, total: int | None = None) -> None:
        self.stages.append(name)

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_dream_runs_its_named_stages_in_order_and_times_each(store):
    """The judge is a stage of its own, after consolidate; a dream with nothing new stops after load."""
    from dreaming.pipeline.run import STAGE_ORDER

    assert STAGE_ORDER == ("ingest", "load", "extract", "normalise", "consolidate", "judge", "patterns", "plan", "write")
    ticks = iter(range(1000))
    progress = _Recorder()
    report = dream(store, config(), progress=progress, now=lambda: float(next(ticks)))
    assert progress.stages == list(STAGE_ORDER)
    assert list(report.timings) == list(STAGE_ORDER) and all(t == 1.0 for t in report.timings.values())
    again = _Recorder()
    report = dream(store, config(), progress=again)
    assert report.status == "nothing" and again.stages == ["ingest", "load"] and list(report.timings) == again.stages
