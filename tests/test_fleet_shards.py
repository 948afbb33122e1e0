"""A fleet night: N local processes with JOB_COMPLETION_INDEX=0..N-1 over 200 stores in a real
S3-compatible server; every store dreamed exactly once, a failing store does not stop its shard,
the summaries merge; the failed index retried dreams only what failed; the bill adds up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dreaming import Store, import_file
from dreaming.cli import cli
from dreaming.fleet.runner import default_summary_root, summary_root
from dreaming.fleet.shards import ShardSummary, StoreLine, fleet_cost, merge, select, shard_of, stable_hash

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "dream"
SESSION = (FIXTURE / "transcripts" / "session-a.jsonl").read_bytes()


def tiny_store(tmp_path: Path) -> bytes:
    """One store's bytes (the fixture's memories), copied to every agent: creating 200 is one upload each."""
    path = tmp_path / "template.db"
    with Store.open(path) as store:
        import_file(store, FIXTURE / "memories.jsonl")
    return path.read_bytes()


def make_fleet(s3, tmp_path: Path, count: int, *, broken: set[int] = frozenset()) -> list[str]:
    body = tiny_store(tmp_path)
    urls = []
    for i in range(count):
        key = f"agents/agent-{i:03d}/memory.db"
        s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"not a database" if i in broken else body)
        s3.client.put_object(Bucket=s3.bucket, Key=f"agents/agent-{i:03d}/transcripts/s.jsonl",
                             Body=SESSION.replace(b"sess-a", f"sess-{i}".encode()))
        urls.append(f"{s3.url}/{key}")
    return urls


def run_shards(pattern: str, shards: int, run_id: str, *extra: str) -> list[tuple[int, str, str]]:
    procs = []
    for index in range(shards):
        env = {**os.environ, "JOB_COMPLETION_INDEX": str(index), "DREAMING_FLEET_RUN": run_id}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "dreaming", "run", "--stores", pattern, "--shards", str(shards), "--llm", "off",
             "--json", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outputs = [p.communicate(timeout=300) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]


def test_two_hundred_stores_over_four_shards(s3, tmp_path):
    urls = make_fleet(s3, tmp_path, 200, broken={13})
    pattern = f"{s3.url}/agents/*/memory.db"
    done = run_shards(pattern, 4, "night-1", "--quiet")
    codes = [code for code, _, _ in done]
    broken_shard = shard_of(urls[13], 4)
    assert codes == [1 if i == broken_shard else 0 for i in range(4)], [err[-500:] for _, _, err in done]
    summaries = [json.loads(out) for _, out, _ in done]
    seen = [line["store"] for s in summaries for line in s["stores"]]
    assert sorted(seen) == sorted(urls) and len(seen) == len(set(seen))  # every store exactly once
    for s in summaries:
        assert {line["store"] for line in s["stores"]} == set(select(urls, s["shard"], 4))
    lines = {line["store"]: line for s in summaries for line in s["stores"]}
    assert lines[urls[13]]["status"] == "failed" and "not a dreaming store" in lines[urls[13]]["error"]
    assert all(lines[u]["status"] == "dreamed" and lines[u]["version"] == 2 for u in urls if u != urls[13])
    # each store really holds its dream (a sample from every shard)
    for u in urls[::37]:
        if u == urls[13]:
            continue
        local = tmp_path / "check.db"
        local.write_bytes(s3.client.get_object(Bucket=s3.bucket, Key=u.split("/", 3)[3])["Body"].read())
        with Store.open(local, create=False) as store:
            assert store.head == 2 and store.source_state(u.replace("memory.db", "transcripts/s.jsonl")) is not None
        local.unlink()

    # the summaries merge into one table
    status = CliRunner().invoke(cli, ["fleet", "status", pattern, "--json"])
    assert status.exit_code == 1  # a store failed
    view = json.loads(status.output)
    assert view["run_id"] == "night-1" and view["reported"] == 4 and view["missing"] == []
    assert view["stores"] == 200 and view["counts"]["dreamed"] == 199 and view["counts"]["failed"] == 1
    assert view["failed"] == [{"store": urls[13], "error": lines[urls[13]]["error"]}]
    table = CliRunner().invoke(cli, ["fleet", "status", default_summary_root(pattern)])
    assert "Fleet run night-1: 200 stores in 4 of 4 shards" in table.output and "failed: " + urls[13] in table.output

    # the job retries the failed index: the store repaired, only it is dreamed; the rest carried over
    (tmp_path / "repaired").mkdir()
    s3.client.put_object(Bucket=s3.bucket, Key="agents/agent-013/memory.db", Body=tiny_store(tmp_path / "repaired"))
    env = {**os.environ, "JOB_COMPLETION_INDEX": str(broken_shard), "DREAMING_FLEET_RUN": "night-1"}
    retry = subprocess.run([sys.executable, "-m", "dreaming", "run", "--stores", pattern, "--shards", "4", "--llm",
                            "off", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert retry.returncode == 0, retry.stderr[-500:]
    assert "already done in run night-1" in retry.stderr
    again = {line["store"]: line for line in json.loads(retry.stdout)["stores"]}
    assert again[urls[13]]["status"] == "dreamed"
    assert all(again[u] == lines[u] for u in again if u != urls[13])  # carried over, not dreamed again
    merged = json.loads(CliRunner().invoke(cli, ["fleet", "status", pattern, "--json"]).output)
    assert merged["counts"]["dreamed"] == 200 and merged["counts"]["failed"] == 0


def test_fleet_cost_adds_up_every_store_bill(s3, tmp_path, server, monkeypatch):
    urls = make_fleet(s3, tmp_path, 3)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    pattern = f"{s3.url}/agents/*/memory.db"
    ran = CliRunner().invoke(cli, ["run", "--stores", pattern, "--llm", "sync", "--json", "--quiet", "--run-id", "n1"])
    assert ran.exit_code == 0, ran.output
    summary = json.loads(ran.output)
    assert len(summary["stores"]) == 3 and all(s["status"] == "dreamed" for s in summary["stores"])
    bills = [s["cost"] for s in summary["stores"]]
    assert all(b["usd"]["total"] > 0 for b in bills)
    cost = json.loads(CliRunner().invoke(cli, ["fleet", "cost", pattern, "--json"]).output)
    assert cost["stores_billed"] == 3 and cost["run_id"] == "n1"
    assert abs(cost["usd"]["total"] - sum(b["usd"]["total"] for b in bills)) < 1e-5
    for table in ("by_model", "by_stage"):
        expected: dict[str, int] = {}
        for b in bills:
            for name, part in b[table].items():
                expected[name] = expected.get(name, 0) + part["tokens"]["input_tokens"]
        assert {k: v["tokens"]["input_tokens"] for k, v in cost[table].items()} == expected
        assert set(cost[table]) and sum(v["tokens"]["output_tokens"] for v in cost[table].values()) == \
            cost["tokens"]["output_tokens"]
    shown = CliRunner().invoke(cli, ["fleet", "cost", pattern])
    assert "cost by model (3 stores billed)" in shown.output and "cost by stage" in shown.output
    assert urls  # the stores the bill is about


def test_local_stores_shard_too_and_summaries_go_to_a_folder(tmp_path):
    for i in range(6):
        with Store.open(tmp_path / "agents" / f"a{i}" / "memory.db") as store:
            import_file(store, FIXTURE / "memories.jsonl")
    pattern = str(tmp_path / "agents" / "*" / "memory.db")
    folder = tmp_path / "summaries"
    for index in range(2):
        result = CliRunner().invoke(cli, ["run", "--stores", pattern, "--shards", "2", "--shard-index", str(index),
                                          "--summary", str(folder), "--run-id", "n", "--llm", "off", "--json",
                                          "--no-ingest"])
        assert result.exit_code == 0, result.output
    view = json.loads(CliRunner().invoke(cli, ["fleet", "status", str(folder), "--json"]).output)
    assert view["stores"] == 6 and view["counts"]["nothing"] == 0 and view["counts"]["dreamed"] == 6


def test_shard_options_are_checked():
    runner = CliRunner()
    no_index = runner.invoke(cli, ["run", "--stores", "x/*.db", "--shards", "3"], env={"JOB_COMPLETION_INDEX": None})
    assert no_index.exit_code == 1 and "--shard-index or JOB_COMPLETION_INDEX (0..2)" in no_index.output
    bad = runner.invoke(cli, ["run", "--stores", "x/*.db", "--shards", "3", "--shard-index", "3"])
    assert bad.exit_code == 1 and "shard index 3 is not in 0..2" in bad.output


@settings(max_examples=40)
@given(st.lists(st.text(min_size=1, max_size=30), max_size=40, unique=True), st.integers(1, 9))
def test_shards_partition_the_stores(stores, shards):
    parts = [select(stores, i, shards) for i in range(shards)]
    assert sorted(s for part in parts for s in part) == sorted(stores)


def test_the_hash_is_stable_across_runs_and_machines():
    assert stable_hash("a") == int("ca978112ca1bbdca", 16)  # the first 8 bytes of sha256("a")
    assert summary_root("s3://bkt/agents/*/memory.db") == "s3://bkt/agents/.dreaming-fleet/"
    assert summary_root("s3://bkt/agents/.dreaming-fleet") == "s3://bkt/agents/.dreaming-fleet/"


def test_merge_reports_missing_shards_and_duplicates():
    line = StoreLine(store="s1", status="dreamed", seconds=1.0, cost={"usd": {"total": 0.5}})
    a = ShardSummary(run_id="n", shard=0, shards=3, pattern="p", started_at="", finished_at="", seconds=2.0,
                     stores=(line,))
    b = ShardSummary(run_id="n", shard=2, shards=3, pattern="p", started_at="", finished_at="", seconds=5.0,
                     stores=(line, StoreLine(store="s2", status="held", seconds=1.0, races=1)))
    view = merge([b, a])
    assert view.missing == (1,) and view.duplicates == ("s1",) and view.seconds == 5.0
    assert view.counts()["held"] == 1 and float(view.usd) == 1.0 and view.races == 1
    assert fleet_cost(view).stores_billed == 2
