"""The fleet's Kubernetes manifest (validated against the `kubernetes` client's models) and the
Dockerfile its image is built from (checked statically: docker cannot build on this machine)."""

from __future__ import annotations

import json
import re

import yaml
from click.testing import CliRunner
from kubernetes.client import ApiClient

from dreaming.cli import cli

from .conftest import REPO


class _Reply:
    """What an older ApiClient.deserialize reads: a body as the API server would send it."""

    def __init__(self, doc: dict):
        self.data = json.dumps(doc)


def to_model(api: ApiClient, doc: dict, kind: str):
    """The document read into the client's model, as a reply from the API server would be."""
    try:
        return api.deserialize(json.dumps(doc), kind, "application/json")  # kubernetes >= 34
    except TypeError:
        return api.deserialize(_Reply(doc), kind)


def manifest(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(cli, ["schedule", "--k8s", *args])
    assert result.exit_code == 0, result.output
    text = result.stdout
    return yaml.safe_load(text), text


def test_the_fleet_manifest_is_a_valid_cronjob_of_an_indexed_job():
    doc, _ = manifest("--stores", "s3://bucket/agents/*/memory.db", "--shards", "8", "--min-sessions", "3",
                      "--llm", "batch", "--at", "02:30", "--image", "registry.example/dreaming:1.0")
    api = ApiClient()
    cron = to_model(api, doc, "V1CronJob")  # required fields and types checked by the models
    # every field we wrote is one the models know (an unknown or misspelt field would be dropped here)
    assert api.sanitize_for_serialization(cron) == doc
    assert cron.api_version == "batch/v1" and cron.kind == "CronJob"
    assert cron.spec.schedule == "30 2 * * *" and cron.spec.concurrency_policy == "Forbid"
    job = cron.spec.job_template.spec
    assert job.completion_mode == "Indexed" and job.completions == job.parallelism == 8
    assert job.backoff_limit_per_index == 2 and job.backoff_limit is None
    pod = job.template.spec
    assert pod.restart_policy == "Never"  # required by backoffLimitPerIndex
    assert pod.security_context.run_as_non_root and pod.security_context.run_as_user == 10001
    (container,) = pod.containers
    assert container.image == "registry.example/dreaming:1.0"
    assert container.command == ["dreaming", "run", "--stores", "s3://bucket/agents/*/memory.db", "--shards", "8",
                                 "--quiet", "--json", "--min-sessions", "3", "--llm", "batch"]
    env = {e.name: e for e in container.env}
    assert env["DREAMING_FLEET_RUN"].value_from.field_ref.field_path == "metadata.labels['batch.kubernetes.io/job-name']"
    assert env["ANTHROPIC_API_KEY"].value_from.secret_key_ref.optional
    assert "JOB_COMPLETION_INDEX" not in env  # Kubernetes sets it in every pod of an Indexed Job
    assert container.env_from[0].secret_ref.name == "dreaming-s3"
    assert {m.mount_path for m in container.volume_mounts} == {"/scratch"} and env["TMPDIR"].value == "/scratch"
    assert container.security_context.read_only_root_filesystem


def test_a_manifest_missing_a_required_field_is_refused_by_the_models():
    doc, _ = manifest("--stores", "s3://bucket/agents/*/memory.db", "--shards", "2")
    del doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["name"]
    try:
        to_model(ApiClient(), doc, "V1CronJob")
    except ValueError as err:
        assert "name" in str(err)
    else:
        raise AssertionError("a container without a name was accepted: the validation would prove nothing")


def test_the_pod_command_is_what_the_cli_accepts():
    doc, _ = manifest("--stores", "s3://bucket/agents/*/memory.db", "--shards", "4", "--transcripts",
                      "{dir}/inbox/")
    command = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[0] == "dreaming" and "--transcripts" in command
    from dreaming.cli.run_cmds import run

    ctx = run.make_context("run", command[2:])  # parses: every option exists and takes its value
    assert ctx.params["stores_glob"] == "s3://bucket/agents/*/memory.db" and ctx.params["shards"] == 4
    assert ctx.params["transcripts"] == ("{dir}/inbox/",)


def test_fleet_schedule_refuses_what_it_cannot_print():
    runner = CliRunner()
    cron = runner.invoke(cli, ["schedule", "--cron", "--stores", "s3://bucket/a/*/memory.db", "--shards", "2"])
    assert cron.exit_code == 1 and "--stores and --shards go with --k8s" in cron.output
    lone = runner.invoke(cli, ["schedule", "--k8s", "--shards", "2"])
    assert lone.exit_code == 1 and "--shards needs --stores GLOB" in lone.output
    remote = runner.invoke(cli, ["--store", "s3://bucket/a/memory.db", "schedule", "--k8s"])
    assert remote.exit_code == 1 and "needs a store on this machine" in remote.output


def _instructions(path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_the_dockerfile_installs_the_package_and_runs_as_a_non_root_user():
    steps = _instructions(REPO / "Dockerfile")
    kinds = [k for k, _ in steps]
    assert kinds[0] == "FROM" and re.fullmatch(r"python:3\.1[0-9]+-slim", steps[0][1])
    assert set(kinds) <= {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "USER", "ENTRYPOINT", "CMD", "LABEL", "ARG"}
    installs = [i for i, (k, v) in enumerate(steps) if k == "RUN" and re.search(r"pip install \"?\.\[s3\]", v)]
    assert installs, "the package is installed with its s3 extra"
    copies = [v for k, v in steps if k == "COPY"]
    assert any("pyproject.toml" in c for c in copies) and any(c.startswith("dreaming ") for c in copies)
    users = [i for i, (k, _) in enumerate(steps) if k == "USER"]
    assert users and users[-1] > installs[-1]  # the last USER comes after the install
    user = steps[users[-1]][1].split(":")[0]
    assert user not in ("root", "0")
    # the uid the manifest runs as is the image's user
    doc, _ = manifest("--stores", "s3://bucket/a/*/memory.db", "--shards", "2")
    pod = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert str(pod["securityContext"]["runAsUser"]) == user
    useradd = next(v for k, v in steps if k == "RUN" and "useradd" in v)
    assert f"--uid {user}" in useradd
    entry = json.loads(next(v for k, v in steps if k == "ENTRYPOINT"))
    assert entry == ["dreaming"] == pod["containers"][0]["command"][:1]
    env = " ".join(v for k, v in steps if k == "ENV")
    assert "TMPDIR=/scratch" in env  # writable with a read-only root filesystem (the pod mounts an emptyDir)
