"""Stores and transcript inboxes in object storage, against a real S3-compatible server on 127.0.0.1
(moto in server mode, reached over HTTP by boto3): round trips, conditional writes, lost races,
one-line errors for a missing bucket and a revoked key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dreaming import Store, import_file
from dreaming.cli import cli
from dreaming.fleet.objects import Objects, S3Url, StaleObject, glob_regex, literal_prefix
from dreaming.fleet.remote import with_remote_store
from dreaming.pipeline.run import DreamConfig
from dreaming.unattended.once import RunRequest, dream_once

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "dream"


def put_agent(s3, tmp_path: Path, name: str = "agent-42", *, transcripts: bool = True) -> str:
    """A store with the fixture's memories, and its transcripts in an inbox beside it; returns its URL."""
    local = tmp_path / f"{name}.db"
    with Store.open(local) as store:
        import_file(store, FIXTURE / "memories.jsonl")
    s3.client.put_object(Bucket=s3.bucket, Key=f"agents/{name}/memory.db", Body=local.read_bytes())
    if transcripts:
        for f in sorted((FIXTURE / "transcripts").iterdir()):
            s3.client.put_object(Bucket=s3.bucket, Key=f"agents/{name}/transcripts/{f.name}", Body=f.read_bytes())
    return f"{s3.url}/agents/{name}/memory.db"


def fetch_store(s3, url: str, dest: Path) -> Store:
    key = S3Url.parse(url).key
    dest.write_bytes(s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read())
    return Store.open(dest, create=False)


def etag(s3, url: str) -> str:
    return s3.client.head_object(Bucket=s3.bucket, Key=S3Url.parse(url).key)["ETag"]


def test_a_store_is_downloaded_dreamed_and_uploaded_with_its_inbox_ingested_once(s3, tmp_path):
    url = put_agent(s3, tmp_path)
    inbox = url.rsplit("/", 1)[0] + "/transcripts/"
    runner = CliRunner()
    first = runner.invoke(cli, ["--store", url, "run", "--llm", "off", "--transcripts", inbox, "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["version"] == 2 and report["sessions"] == 2 and report["ingest"]["files"] == 2
    with fetch_store(s3, url, tmp_path / "after.db") as store:
        assert store.head == 2
        assert store.source_state(inbox + "session-a.jsonl") is not None  # recorded under its URL
    # the next night: the inbox's objects are not downloaded again, nothing to dream, nothing uploaded
    before = etag(s3, url)
    again = json.loads(runner.invoke(cli, ["--store", url, "run", "--llm", "off", "--transcripts", inbox,
                                           "--json"]).output)
    assert again["status"] == "nothing" and again["ingest"]["unchanged"] == 2 and again["ingest"]["files"] == 0
    assert etag(s3, url) == before
    # a new session arrives in the inbox: only it is read
    s3.client.put_object(Bucket=s3.bucket, Key=S3Url.parse(inbox).key + "later/session-c.jsonl",
                         Body=(FIXTURE / "transcripts" / "session-a.jsonl").read_bytes().replace(b"sess-a", b"sess-c"))
    third = json.loads(runner.invoke(cli, ["--store", url, "run", "--llm", "off", "--transcripts", inbox,
                                           "--json"]).output)
    assert third["ingest"]["files"] == 1 and third["ingest"]["unchanged"] == 2
    assert etag(s3, url) != before


def test_read_only_commands_upload_nothing_and_writes_go_back(s3, tmp_path):
    url = put_agent(s3, tmp_path, transcripts=False)
    before = etag(s3, url)
    shown = CliRunner().invoke(cli, ["--store", url, "log", "--json"])
    assert shown.exit_code == 0 and [v["version"] for v in json.loads(shown.output)["versions"]] == [1]
    assert etag(s3, url) == before
    new = f"{s3.url}/agents/fresh/memory.db"  # a store that does not exist yet is created (If-None-Match: *)
    made = CliRunner().invoke(cli, ["--store", new, "import", str(FIXTURE / "memories.jsonl")])
    assert made.exit_code == 0, made.output
    with fetch_store(s3, new, tmp_path / "fresh.db") as store:
        assert store.head == 1 and store.count() == 5


def test_a_conditional_write_on_a_stale_etag_is_refused(s3, tmp_path):
    objects = Objects()
    url = S3Url(s3.bucket, "k/memory.db")
    first = objects.upload(url, b"one", if_absent=True)
    with pytest.raises(StaleObject):
        objects.upload(url, b"again", if_absent=True)  # it exists now
    second = objects.upload(url, b"two", if_match=first)
    with pytest.raises(StaleObject, match="written by someone else"):
        objects.upload(url, b"three", if_match=first)  # stale: someone wrote "two" over it
    assert objects.read_bytes(url) == b"two"
    assert objects.upload(url, b"three", if_match=second) != second


def test_two_workers_racing_on_one_store_land_exactly_one_version(s3, tmp_path):
    """Worker A downloads; worker B downloads, dreams and uploads first; A's upload is refused,
    A starts again from B's version, finds nothing left to dream and uploads nothing."""
    url = put_agent(s3, tmp_path)
    inbox = url.rsplit("/", 1)[0] + "/transcripts/"
    request = RunRequest(config=DreamConfig(transcripts=(), llm="off"), inboxes=(inbox,))
    objects = Objects()
    said: list[str] = []
    calls = {"a": 0}

    def worker_a(path: Path):
        calls["a"] += 1
        if calls["a"] == 1:  # B runs to completion between A's download and A's upload
            b_result, b_outcome = with_remote_store(objects, S3Url.parse(url), lambda p: dream_once(p, request))
            assert b_result.report.version == 2 and b_outcome.uploaded and b_outcome.races == 0
        return dream_once(path, request)

    result, outcome = with_remote_store(objects, S3Url.parse(url), worker_a, say=said.append)
    assert outcome.races == 1 and calls["a"] == 2 and not outcome.uploaded
    assert result.report.status == "nothing"  # the fresh download already had B's dream
    assert len(said) == 1 and "fresh download" in said[0] and "nothing was uploaded" in said[0]
    with fetch_store(s3, url, tmp_path / "after.db") as store:
        assert [v.number for v in store.versions()] == [1, 2]


def test_two_processes_racing_both_finish_and_one_dream_lands(s3, tmp_path):
    url = put_agent(s3, tmp_path)
    inbox = url.rsplit("/", 1)[0] + "/transcripts/"
    command = [sys.executable, "-m", "dreaming", "--store", url, "run", "--llm", "off", "--transcripts", inbox,
               "--json", "--quiet"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
             for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    statuses = sorted(json.loads(out)["status"] for out, _ in outputs)
    # either the second started after the first uploaded, or it lost the race and dreamed again from a
    # fresh download; in both cases exactly one dream lands
    assert statuses == ["completed", "nothing"], outputs
    with fetch_store(s3, url, tmp_path / "after.db") as store:
        assert [v.number for v in store.versions()] == [1, 2]


def test_a_missing_bucket_is_one_clear_line(s3, tmp_path):
    result = subprocess.run([sys.executable, "-m", "dreaming", "--store", "s3://no-such-bucket-here/a/memory.db",
                             "run", "--llm", "off"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: s3://no-such-bucket-here: no such bucket (check the bucket name and " \
                                    "AWS_ENDPOINT_URL)"


def test_a_revoked_key_is_one_clear_line(s3, tmp_path):
    url = put_agent(s3, tmp_path, transcripts=False)
    iam = s3.server.client("iam")
    with s3.server.enforcing_credentials(free_requests=3):
        iam.create_user(UserName="agent-runner")
        key = iam.create_access_key(UserName="agent-runner")["AccessKey"]
        iam.delete_access_key(UserName="agent-runner", AccessKeyId=key["AccessKeyId"])  # revoked
        env = {**os.environ, "AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
        result = subprocess.run([sys.executable, "-m", "dreaming", "--store", url, "run", "--llm", "off"],
                                capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: {url}: the access key was refused (revoked or unknown): " \
                                    f"check AWS_ACCESS_KEY_ID"


def test_key_globs():
    rx = glob_regex("agents/*/memory.db")
    assert rx.match("agents/a1/memory.db") and not rx.match("agents/a/b/memory.db")
    assert not rx.match("agents/a1/memory.db.bak")
    deep = glob_regex("agents/**/memory.db")
    assert deep.match("agents/memory.db") and deep.match("agents/x/y/memory.db")
    assert literal_prefix("agents/*/memory.db") == "agents/" and literal_prefix("a/b.db") == "a/b.db"
