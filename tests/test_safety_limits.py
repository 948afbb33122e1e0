"""Bounded inputs (issue 16, item 8) and the smaller defects of item 10, each
with its regression test."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from dreaming.cli import cli
from dreaming.errors import DreamingError, InputError
from dreaming.ingest import jsonstream
from dreaming.ingest.common import ReadOptions, Skip, Source
from dreaming.ingest.detect import detect, read_transcript
from dreaming.records import Changeset, Memory, utcnow
from dreaming.store.core import LockHolder, Store
from dreaming.store.files import MAX_MEMORY_BYTES, export_file, read_jsonl, read_memory_dir


def _cli(store: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--store", str(store), *args], input=input)


# --- item 8: bounded memory ----------------------------------------------------------------


def test_a_huge_single_json_object_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonstream, "MAX_DOCUMENT_BYTES", 4096)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "x" * 10_000}]}))
    with pytest.raises(InputError, match=r"refused: one JSON object of [\d,]+ bytes, over the 0 MB") as err:
        detect(Source.of(path), ReadOptions(max_line_bytes=1000))  # one line past the line limit
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="one JSON object"):
        list(read_transcript(path, format="messages-json"))


def test_a_huge_array_element_stops_the_reading_with_a_skip(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonstream, "MAX_DOCUMENT_BYTES", 4096)
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"role": "user", "content": "hello there"},
                                {"role": "assistant", "content": "y" * 50_000}]))
    items = list(jsonstream.iter_json_array(Source.of(path), chunk=1024))
    assert isinstance(items[-1], Skip) and "an element over" in items[-1].reason
    assert items[0][1]["content"] == "hello there"


def test_a_memory_over_100_kb_is_refused_at_import(tmp_path, store_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"content": "ok"}) + "\n" + json.dumps({"content": "z" * (MAX_MEMORY_BYTES + 1)}) + "\n")
    with pytest.raises(InputError, match=r"m.jsonl:2: a memory of 100,001 bytes is over the 100,000-byte limit"):
        read_jsonl(path)
    result = _cli(store_path, "import", str(path))
    assert result.exit_code == 1 and "100,000-byte limit" in result.output and "Traceback" not in result.output
    with Store.open(store_path) as store:
        assert store.head == 0


def test_a_jsonl_line_over_the_limit_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    from dreaming.store import files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"content": "a" * 5000}) + "\n")
    with pytest.raises(InputError, match=r"m.jsonl:1: a line over"):
        read_jsonl(path)


def test_a_dream_drops_a_memory_over_100_kb_with_a_warning(tmp_path, store_path):
    folder = tmp_path / "t"
    folder.mkdir()
    big = "word " * 25_000  # 125 kB
    messages = [{"role": "user", "content": "save it"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "memory", "input": {
                    "command": "create", "path": "/memories/big.md", "file_text": f"- {big}\n- Dana likes tea.\n"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}]
    (folder / "s.json").write_text(json.dumps(messages))
    result = _cli(store_path, "run", "--transcripts", str(folder), "--llm", "off", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert any("over 100,000 bytes and were dropped" in w for w in report["warnings"])
    with Store.open(store_path) as store:
        assert all(len(m.content) < MAX_MEMORY_BYTES for m in store.snapshot())


# --- item 10: smaller defects ------------------------------------------------------------------


def test_run_with_a_transcripts_path_that_does_not_exist_is_an_error(tmp_path, store_path):
    result = _cli(store_path, "run", "--transcripts", str(tmp_path / "typo"), "--llm", "off")
    assert result.exit_code == 1 and "typo: no such file or directory" in result.output


def test_run_json_errors_have_a_json_shape(tmp_path, store_path):
    result = _cli(store_path, "run", "--transcripts", str(tmp_path / "typo"), "--llm", "off", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "error" and "no such file or directory" in data["error"]
    with Store.open(store_path) as store:
        store.write_version(Changeset(upserts=(Memory(id="c", content="x"),), status="candidate"))
    refused = _cli(store_path, "run", "--no-ingest", "--llm", "off", "--json")
    assert refused.exit_code == 1 and "candidate awaiting review" in json.loads(refused.stdout)["error"]


def test_quote_chars_is_honoured_in_text_output(tmp_path, store_path):
    folder = tmp_path / "t"
    folder.mkdir()
    long = "I prefer dark mode in every editor. " + "It is easier on the eyes at night, " * 20 + "really."
    (folder / "s.jsonl").write_text(json.dumps({"session_id": "s", "role": "user", "content": long,
                                                "timestamp": "2026-11-23T08:00:00Z"}) + "\n")
    assert _cli(store_path, "run", "--transcripts", str(folder), "--llm", "off").exit_code == 0
    short = _cli(store_path, "diff", "--quote-chars", "40", "--no-pager").output
    wide = _cli(store_path, "diff", "--quote-chars", "600", "--no-pager").output
    assert short.count("easier on the eyes") < wide.count("easier on the eyes"), (short, wide)


def test_history_shows_no_empty_range_after_a_rejection(store_path):
    with Store.open(store_path) as store:
        store.write_version(Changeset(upserts=(Memory(id="m1", content="Dana likes tea."),)))
        store.write_version(Changeset(retire=("m1",), status="candidate"))
        store.reject()
        store.write_version(Changeset(upserts=(Memory(id="m1", content="Dana likes green tea."),)))
    out = _cli(store_path, "history", "m1").output
    spans = re.findall(r"v(\d+)–v(\d+)", out)
    assert all(int(a) <= int(b) for a, b in spans), out
    assert "v3–v2" not in out and "v4–v3" not in out


def test_the_chart_hint_keeps_its_brackets():
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    console = Console(file=StringIO(), color_system=None)
    console.print(Text("no chart: the chart needs matplotlib: pip install 'dreaming[evals]'", style="yellow"))
    assert "dreaming[evals]" in console.file.getvalue()
    source = (Path(__file__).resolve().parent.parent / "dreaming" / "cli" / "eval_cmds.py").read_text()
    assert 'print(f"[yellow]{warning}[/yellow]")' not in source


def test_a_numbered_list_in_a_memory_file_is_one_memory_per_item(tmp_path):
    root = tmp_path / "mem"
    root.mkdir()
    (root / "steps.md").write_text("# Release\n\n1. Bump the version.\n2. Tag the release.\n3) Push the tag.\n")
    assert [m.memory.content for m in read_memory_dir(root)] == ["Bump the version.", "Tag the release.", "Push the tag."]


def test_strict_ingest_reads_again_what_a_lenient_ingest_accepted(tmp_path, store_path):
    path = tmp_path / "s.jsonl"
    good = json.dumps({"session_id": "s", "role": "user", "content": "hello", "timestamp": "2026-11-23T08:00:00Z"})
    path.write_text(good + "\n{not json\n")
    assert _cli(store_path, "ingest", str(path)).exit_code == 0
    strict = _cli(store_path, "ingest", str(path), "--strict")
    assert strict.exit_code == 1 and "s.jsonl:2" in strict.output


def test_log_labels_its_counts_and_the_run_summary_shows_the_same(tmp_path, store_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "s.jsonl").write_text(json.dumps({"session_id": "s", "role": "user", "content": "I prefer dark mode.",
                                                "timestamp": "2026-11-23T08:00:00Z"}) + "\n")
    run = _cli(store_path, "run", "--transcripts", str(folder), "--llm", "off")
    assert run.exit_code == 0
    summary = re.search(r"in the store\s+(\d+) added, (\d+) updated, (\d+) retired", run.output)
    assert summary, run.output
    log = _cli(store_path, "log").output
    assert "added / updated / retired" in log.replace("\n", " ") or "added" in log
    assert f"{summary.group(1)} / {summary.group(2)} / {summary.group(3)}" in log


def test_a_killed_memory_dir_export_leaves_no_temp_folder_behind(tmp_path, store_path):
    with Store.open(store_path) as store:
        store.write_version(Changeset(upserts=(Memory(id="m1", content="Dana likes tea."),)))
        out = tmp_path / "exp" / "mem"
        (tmp_path / "exp" / ".mem.abc123").mkdir(parents=True)  # what a SIGKILL during an export leaves
        export_file(store, out, fmt="memory-dir")
    assert sorted(p.name for p in (tmp_path / "exp").iterdir()) == ["mem"]


@pytest.mark.parametrize("name", ["m.jsonl", "m.md"])
def test_file_exports_need_force_like_memory_dirs(tmp_path, store_path, name):
    with Store.open(store_path) as store:
        store.write_version(Changeset(upserts=(Memory(id="m1", content="Dana likes tea."),)))
    target = tmp_path / name
    target.write_text("my own notes")
    refused = _cli(store_path, "export", str(target))
    assert refused.exit_code == 1 and "--force" in refused.output and target.read_text() == "my own notes"
    assert _cli(store_path, "export", str(target), "--force").exit_code == 0
    assert "Dana likes tea." in target.read_text()
    (backup,) = tmp_path.glob(f"{name}.bak-*")
    assert backup.read_text() == "my own notes"


def test_schedules_refuse_a_path_with_a_line_break_and_escape_percent_and_dollar(tmp_path):
    from dreaming.unattended.schedule import ScheduleSpec, render

    odd = ScheduleSpec(store=tmp_path / "50%" / "$HOME" / "memory.db", transcripts=(tmp_path / "t",),
                       every=timedelta(hours=1))
    cron = render("cron", odd)
    assert "50\\%" in cron and "50%" not in cron.replace("50\\%", "")
    unit = render("systemd", odd)
    assert "50%%" in unit and "$$HOME" in unit
    bad = ScheduleSpec(store=tmp_path / "a\nb" / "memory.db", transcripts=(tmp_path / "t",))
    for kind in ("cron", "systemd", "launchd", "k8s"):
        with pytest.raises(DreamingError, match="line break"):
            render(kind, bad)


def test_a_live_holder_in_another_pid_namespace_is_not_taken_over(store_path):
    from dreaming.unattended.lock import LockConfig, is_stale, pid_space

    assert pid_space(), "this test needs /proc (Linux)"
    now = utcnow()
    holder = LockHolder(token="t", pid=2**22 - 7, host="same-host", proc_start="12345@pid:[1]/another-boot",
                        started_at=now, heartbeat_at=now, command="dreaming run")
    assert not is_stale(holder, now=now, config=LockConfig(), host="same-host")  # its heartbeat is fresh
    assert is_stale(holder, now=now + timedelta(seconds=120), config=LockConfig(), host="same-host")
    ours = LockHolder(token="t", pid=2**22 - 7, host="same-host", proc_start=f"12345@{pid_space()}",
                      started_at=now, heartbeat_at=now, command="dreaming run")
    assert is_stale(ours, now=now, config=LockConfig(), host="same-host")  # our namespace: the pid is gone


def test_diff_shows_no_spurious_remove_for_a_memory_still_at_head(tmp_path, store_path):
    """Import two memories that contradict each other, dream, diff: the survivor
    (superseding the other and moved to a topic path) is not also 'removed'."""
    seed = tmp_path / "m.jsonl"
    seed.write_text(json.dumps({"content": "The database is PostgreSQL 15."}) + "\n"
                    + json.dumps({"content": "The database is not PostgreSQL 15."}) + "\n")
    assert _cli(store_path, "import", str(seed)).exit_code == 0
    assert _cli(store_path, "run", "--no-ingest", "--llm", "off").exit_code == 0
    report = json.loads(_cli(store_path, "diff", "--json").stdout)
    with Store.open(store_path) as store:
        at_head = {m.id for m in store.snapshot()}
    removed = [m["id"] for c in report["changes"] if c["op"] == "remove" for m in c["before"]]
    assert at_head and not (set(removed) & at_head), report["changes"]
