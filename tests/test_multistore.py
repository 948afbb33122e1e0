"""`dreaming run --stores GLOB`: many stores, each in its own process; one failure does not stop the others."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from dreaming import Store, import_file
from dreaming.cli import cli
from dreaming.unattended.many import transcripts_for

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "dream"


def make_agents(root):
    for name in ("alpha", "beta"):
        folder = root / name
        folder.mkdir(parents=True)
        shutil.copytree(FIXTURE / "transcripts", folder / "transcripts")
        with Store.open(folder / "memory.db") as store:
            import_file(store, FIXTURE / "memories.jsonl")
    (root / "broken").mkdir()
    (root / "broken" / "memory.db").write_text("not a database")


def test_every_store_is_dreamed_and_a_broken_one_does_not_stop_the_others(tmp_path):
    make_agents(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "--stores", str(tmp_path / "*" / "memory.db"), "--llm", "off", "--json"])
    assert result.exit_code == 1  # one store failed
    outcomes = {o["store"].split("/")[-2]: o for o in json.loads(result.output)["stores"]}
    assert set(outcomes) == {"alpha", "beta", "broken"}
    for name in ("alpha", "beta"):
        assert outcomes[name]["ok"] and outcomes[name]["report"]["version"] == 2
        assert outcomes[name]["report"]["sessions"] == 2  # each read its own transcripts folder
        with Store.open(tmp_path / name / "memory.db") as store:
            assert store.head == 2
    assert not outcomes["broken"]["ok"] and "not a dreaming store" in outcomes["broken"]["error"]
    # the second night: nothing new anywhere but the broken store still fails, alone
    again = json.loads(runner.invoke(cli, ["run", "--stores", str(tmp_path / "*" / "memory.db"), "--llm", "off",
                                           "--json"]).output)
    assert [o["report"]["status"] for o in again["stores"] if o["ok"]] == ["nothing", "nothing"]


def test_options_reach_every_store_and_the_table_reads(tmp_path):
    make_agents(tmp_path)
    shutil.rmtree(tmp_path / "broken")
    result = CliRunner().invoke(cli, ["run", "--stores", str(tmp_path / "*" / "memory.db"), "--llm", "off", "--review"])
    assert result.exit_code == 0, result.output
    assert "alpha/memory.db" in result.output and "all 2 stores done" in result.output
    for name in ("alpha", "beta"):
        with Store.open(tmp_path / name / "memory.db") as store:
            assert store.candidate() is not None and store.head == 1  # --review was passed on


def test_no_match_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["run", "--stores", str(tmp_path / "nothing-*.db")])
    assert result.exit_code == 1 and "no store file matches" in result.output


def test_transcript_folders_per_store(tmp_path):
    store = tmp_path / "agents" / "ops" / "memory.db"
    assert transcripts_for(store, ["inbox/{name}", "{dir}/extra"]) == ["inbox/ops", f"{store.parent}/extra"]
    assert transcripts_for(store, []) == []
    (store.parent.parent / "transcripts").mkdir(parents=True)
    assert transcripts_for(store, []) == [str(store.parent.parent / "transcripts")]
