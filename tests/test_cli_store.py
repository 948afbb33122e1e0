"""The store commands, driven through click's runner against real store files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dreaming import Changeset, Memory, Store
from dreaming.cli import cli


@pytest.fixture
def run(store_path):
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(cli, ["--store", str(store_path), *args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


@pytest.fixture
def sample(tmp_path) -> Path:
    f = tmp_path / "m.jsonl"
    rows = [
        {"content": "User prefers tabs.", "path": "/user/preferences.md", "kind": "preference"},
        {"content": "The API lives in services/api.", "path": "/project/layout.md"},
    ]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return f


def test_init_creates_the_store(run, store_path):
    out = run("init", "--json").output
    assert json.loads(out) == {"store": str(store_path), "created": True, "head": 0}
    assert "already exists" in run("init").output


def test_import_log_show(run, sample):
    result = run("import", str(sample), "--message", "seed")
    assert "version 1: 2 added" in result.output
    log = json.loads(run("log", "--json").output)
    assert log["head"] == 1 and [v["message"] for v in log["versions"]] == ["seed"]
    shown = json.loads(run("show", "--json").output)
    assert shown["version"] == 1
    assert sorted(m["content"] for m in shown["memories"]) == ["The API lives in services/api.", "User prefers tabs."]
    fields = set(shown["memories"][0])
    assert {"id", "path", "content", "kind", "key", "observed_at", "created_at", "content_sha256", "metadata",
            "provenance"} <= fields
    human = run("show").output
    assert "User prefers tabs." in human


def test_bad_import_is_one_line_and_writes_nothing(run, tmp_path, sample, store_path):
    run("import", str(sample))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"content": "ok"}\n{"content": "x", "oops": 1}\n')
    result = run("import", str(bad), ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {bad}:2: unknown field 'oops' (known fields: content, "
                                                  "content_sha256, created_at, first_seen, id, key, kind, last_seen, "
                                                  "mentions, metadata, observed_at, path, provenance, source) "
                                                  "(nothing was imported)"]
    assert json.loads(run("log", "--json").output)["head"] == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (("show", "7"), "version 7 does not exist"),
        (("rollback", "3"), "version 3 does not exist"),
        (("accept",), "no candidate"),
        (("import", "/nonexistent/file.jsonl"), "no such file or directory"),
        (("diff", "1", "9"), "version 9 does not exist"),
    ],
)
def test_user_mistakes_get_one_clear_line(run, sample, args, message):
    run("import", str(sample))
    result = run(*args, ok=False)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert "Traceback" not in result.output


def test_not_a_store_and_newer_schema(tmp_path):
    runner = CliRunner()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 200)
    result = runner.invoke(cli, ["--store", str(junk), "log"])
    assert result.exit_code == 1 and "not a dreaming store" in result.output
    assert junk.read_bytes() == b"\x00garbage" * 200


def test_export_formats(run, sample, tmp_path):
    run("import", str(sample))
    run("export", str(tmp_path / "out.jsonl"))
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["id"].startswith("mem_") for line in lines)
    run("export", str(tmp_path / "dir"))
    assert (tmp_path / "dir" / "user" / "preferences.md").read_text().startswith("# Preferences")
    assert "[Layout](project/layout.md)" in (tmp_path / "dir" / "_index.md").read_text()
    run("export", str(tmp_path / "CLAUDE.md"))
    assert "## /user/preferences.md" in (tmp_path / "CLAUDE.md").read_text()
    stdout = run("export", "-", "--format", "jsonl").output
    assert len(stdout.strip().splitlines()) == 2


def test_review_flow_accept_reject_rollback_and_diff(run, sample, store_path):
    run("import", str(sample))
    with Store.open(store_path) as store:
        head = store.snapshot()
        tabs = next(m for m in head if "tabs" in m.content)
        store.write_version(
            Changeset(
                upserts=(Memory(id="mem_new", content="User prefers spaces.", path=tabs.path, kind="preference"),),
                retire=(tabs.id,),
                changes=(
                    __import__("dreaming").Change(
                        op="supersede", rule="keyed-update", inputs=(tabs.id,), outputs=("mem_new",),
                        reason="newer value", score=0.91, rule_inputs={"subject": "key user.indent"},
                    ),
                ),
                status="candidate",
                origin="dream",
            )
        )
    d = json.loads(run("diff", "--json").output)
    assert d["from"] == 1 and d["to"] == 2
    assert d["changes"][0]["op"] == "supersede" and d["changes"][0]["score"] == 0.91
    assert d["changes"][0]["rule"] == "keyed-update" and d["changes"][0]["rule_inputs"] == {"subject": "key user.indent"}
    assert d["changes"][0]["before"][0]["content"] == "User prefers tabs."
    assert d["changes"][0]["after"][0]["content"] == "User prefers spaces."
    human = run("diff").output
    assert "supersede" in human and "- User prefers tabs." in human and "+ User prefers spaces." in human
    assert "candidate awaiting review" in run("import", str(sample), ok=False).output
    run("reject")
    assert json.loads(run("log", "--json").output)["head"] == 1
    run("rollback", "0")
    assert json.loads(run("show", "--json").output)["memories"] == []
    stats = json.loads(run("stats", "--json").output)
    assert stats["head"] == 3 and stats["versions"] == {"accepted": 2, "candidate": 0, "rejected": 1}
    assert stats["memory_states"] == 3


def test_history_command(run, sample):
    run("import", str(sample))
    mid = json.loads(run("show", "--json").output)["memories"][0]["id"]
    data = json.loads(run("history", mid, "--json").output)
    assert data["states"][0]["ranges"] == [{"from": 1, "to": None}]
    assert "no memory with id" in run("history", "mem_nope", ok=False).output


def test_unwritable_paths_get_one_line(run, sample, tmp_path):
    run("import", str(sample))
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    result = run("export", str(blocker / "out.jsonl"), ok=False)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(blocker / "memory.db"), "log"])
    assert result.exit_code == 1 and "cannot create" in result.output
    assert blocker.read_text() == "x"
