"""Ready-to-install schedule definitions for ``dreaming run``.

``dreaming schedule`` prints, for one store and its transcripts folder, a
crontab line, a systemd service + timer, a launchd plist or a Kubernetes
CronJob.  It installs nothing: the person reads what it prints and puts it
where it belongs.  Each definition runs the same command (see
:func:`run_arguments`): ingest the folder, then dream when the trigger
conditions hold, waiting a while for another dream's lock.

Pure functions of a :class:`ScheduleSpec`; the CLI prints them.
"""

from __future__ import annotations

import json
import plistlib
import shlex
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from dreaming.errors import DreamingError
from dreaming.unattended import launch
from dreaming.unattended.triggers import Trigger, format_duration

KINDS = ("cron", "systemd", "launchd", "k8s")


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec:
    """What to run, and when."""

    #: the store (absolute; for k8s, its path inside the container)
    store: Path
    #: transcript folders ingested before each dream
    transcripts: tuple[Path, ...]
    #: run every this long (None: daily, at ``at``)
    every: timedelta | None = timedelta(hours=1)
    #: daily at (hour, minute) when ``every`` is None
    at: tuple[int, int] = (3, 0)
    trigger: Trigger | None = None
    #: ``dreaming run --wait``: a dream still running from the last firing is waited for this long
    wait: float = 60.0
    llm: str | None = None
    #: names the units, the launchd label and the CronJob
    name: str = "dreaming"
    #: Kubernetes: the image (with dreaming installed) and the volume claim mounted at ``mount``
    image: str = "dreaming:latest"
    volume_claim: str = "dreaming-data"
    mount: str = "/data"
    #: Kubernetes: the secret holding ANTHROPIC_API_KEY (optional in the pod)
    api_key_secret: str = "anthropic-api-key"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return self.store.with_name(self.store.name + ".log")


def run_arguments(spec: ScheduleSpec) -> list[str]:
    """``--store S run --transcripts T... --quiet --wait W [trigger] [--llm M]``."""
    out = ["--store", str(spec.store), "run"]
    for folder in spec.transcripts:
        out += ["--transcripts", str(folder)]
    out += ["--quiet", "--wait", f"{spec.wait:g}"]
    if spec.trigger is not None:
        out += spec.trigger.options()
    return out + (["--llm", spec.llm] if spec.llm else [])


def cron_expression(spec: ScheduleSpec) -> str:
    """Five cron fields; raises :class:`DreamingError` for an interval cron cannot keep."""
    hour, minute = spec.at
    if spec.every is None:
        return f"{minute} {hour} * * *"
    seconds = int(spec.every.total_seconds())
    every = format_duration(spec.every)
    if seconds % 60 == 0 and 60 <= seconds < 3600 and 3600 % seconds == 0:
        return f"*/{seconds // 60} * * * *"
    if seconds % 3600 == 0 and 3600 <= seconds < 86400 and 86400 % seconds == 0:
        step = seconds // 3600
        return f"{minute} * * * *" if step == 1 else f"{minute} */{step} * * *"
    if seconds == 86400:
        return f"{minute} {hour} * * *"
    raise DreamingError(
        f"cron and Kubernetes cannot run every {every} exactly; use a divisor of an hour (5m, 10m, 15m, 20m, "
        f"30m), of a day (1h, 2h, 3h, 4h, 6h, 8h, 12h) or 1d, or --at HH:MM"
    )


def _env(spec: ScheduleSpec) -> dict[str, str]:
    return {**launch.environment(), **spec.extra_env}


def cron(spec: ScheduleSpec) -> str:
    """A crontab line (``crontab -e``): output appended to the log beside the store."""
    env = [f"{k}={shlex.quote(v)}" for k, v in _env(spec).items()]
    command = " ".join([*env, shlex.join([*launch.command(), *run_arguments(spec)])])
    line = f"{cron_expression(spec)} {command} >> {shlex.quote(str(spec.log))} 2>&1"
    return line.replace("%", "\\%")  # cron turns a bare % into a newline


def systemd_calendar(spec: ScheduleSpec) -> str:
    """``OnCalendar=`` for the timer (systemd.time(7))."""
    hour, minute = spec.at
    if spec.every is None or spec.every == timedelta(days=1):
        return f"*-*-* {hour:02d}:{minute:02d}:00"
    seconds = int(spec.every.total_seconds())
    if seconds % 60 == 0 and 60 <= seconds < 3600 and 3600 % seconds == 0:
        return f"*-*-* *:00/{seconds // 60:02d}:00"
    if seconds == 3600:
        return f"*-*-* *:{minute:02d}:00"
    if seconds % 3600 == 0 and 3600 < seconds < 86400 and 86400 % seconds == 0:
        return f"*-*-* 00/{seconds // 3600:02d}:{minute:02d}:00"
    raise DreamingError(
        f"a systemd calendar cannot run every {format_duration(spec.every)} exactly; use a divisor of an hour or "
        f"of a day, 1d, or --at HH:MM"
    )


def systemd(spec: ScheduleSpec) -> dict[str, str]:
    """``{file name: content}``: a oneshot service and the timer that starts it
    (install under ``~/.config/systemd/user/``, then
    ``systemctl --user enable --now NAME.timer``)."""
    # systemd expands % specifiers and $VARIABLES in ExecStart: both doubled
    exec_start = shlex.join([*launch.command(), *run_arguments(spec)]).replace("%", "%%").replace("$", "$$")
    env = [f"Environment={shlex.quote(f'{k}={v}')}".replace("%", "%%") for k, v in _env(spec).items()]
    service = "\n".join([
        "[Unit]",
        f"Description=Dream over new sessions into {spec.store}",
        "",
        "[Service]",
        "Type=oneshot",
        f"WorkingDirectory={spec.store.parent}",
        *env,
        "# ANTHROPIC_API_KEY=... here lets dreams use Claude (--llm auto)",
        f"EnvironmentFile=-%h/.config/{spec.name}/env",
        f"ExecStart={exec_start}",
        f"StandardOutput=append:{spec.log}",
        f"StandardError=append:{spec.log}",
        "Nice=10",
        "",
    ])
    timer = "\n".join([
        "[Unit]",
        f"Description=Start {spec.name}.service on schedule",
        "",
        "[Timer]",
        f"OnCalendar={systemd_calendar(spec)}",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])
    return {f"{spec.name}.service": service, f"{spec.name}.timer": timer}


def launchd_label(spec: ScheduleSpec) -> str:
    return "dev.dreaming" if spec.name == "dreaming" else f"dev.dreaming.{spec.name}"


def launchd(spec: ScheduleSpec) -> str:
    """A launchd agent plist (``~/Library/LaunchAgents/LABEL.plist``, then
    ``launchctl load`` it)."""
    plist: dict[str, Any] = {
        "Label": launchd_label(spec),
        "ProgramArguments": [*launch.command(), *run_arguments(spec)],
        "WorkingDirectory": str(spec.store.parent),
        "StandardOutPath": str(spec.log),
        "StandardErrorPath": str(spec.log),
        "ProcessType": "Background",
        "LowPriorityIO": True,
        "RunAtLoad": False,
    }
    if spec.every is not None and spec.every != timedelta(days=1):
        plist["StartInterval"] = int(spec.every.total_seconds())
    else:
        plist["StartCalendarInterval"] = {"Hour": spec.at[0], "Minute": spec.at[1]}
    if _env(spec):
        plist["EnvironmentVariables"] = _env(spec)
    return plistlib.dumps(plist, sort_keys=False).decode()


def k8s_paths(spec: ScheduleSpec) -> ScheduleSpec:
    """Relative paths placed under the volume mount (they are the container's
    paths); a store elsewhere would vanish with the pod, so it is refused."""
    def inside(p: Path) -> Path:
        return p if PurePosixPath(p.as_posix()).is_absolute() else Path(spec.mount) / p

    store = inside(spec.store)
    if not PurePosixPath(store.as_posix()).is_relative_to(spec.mount):
        raise DreamingError(
            f"for --k8s the store must live on the volume mounted at {spec.mount} (a relative --store goes there), "
            f"not {store}"
        )
    return replace(spec, store=store, transcripts=tuple(inside(t) for t in spec.transcripts))


def k8s(spec: ScheduleSpec) -> str:
    """A Kubernetes CronJob (``kubectl apply -f``) with ``concurrencyPolicy: Forbid``:
    the store lives on a persistent volume; the image must have dreaming installed."""
    spec = k8s_paths(spec)
    container = {
        "name": spec.name,
        "image": spec.image,
        "command": ["dreaming", *run_arguments(spec)],
        "env": [{"name": "ANTHROPIC_API_KEY", "valueFrom": {"secretKeyRef": {
            "name": spec.api_key_secret, "key": "api-key", "optional": True}}}]
        + [{"name": k, "value": v} for k, v in spec.extra_env.items()],
        "volumeMounts": [{"name": "data", "mountPath": spec.mount}],
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": spec.name},
        "spec": {
            "schedule": cron_expression(spec),
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [container],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": spec.volume_claim}}],
            }}}},
        },
    }
    return "\n".join(_yaml(job)) + "\n"


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """Block-style YAML for dicts, lists and scalars; strings are JSON-quoted
    (a JSON string is a valid YAML scalar), so nothing needs escaping rules."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines += _yaml(item, indent + 2)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                first, *rest = _yaml(item, indent + 2)
                lines.append(f"{pad}- {first.lstrip()}")
                lines += rest
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, (dict, list)):  # empty
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value)


def check_paths(spec: ScheduleSpec) -> None:
    """Refuse a path no schedule can hold: a newline ends a crontab line and a
    unit file's setting, a NUL cannot be passed at all."""
    for path in (spec.store, *spec.transcripts, spec.log):
        text = str(path)
        bad = next((c for c in ("\n", "\r", "\0") if c in text), None)
        if bad is not None:
            raise DreamingError(
                f"{text!r} holds a {'NUL' if bad == chr(0) else 'line break'}; a schedule cannot name it: rename or move it"
            )


def render(kind: str, spec: ScheduleSpec) -> str:
    """What ``dreaming schedule --KIND`` prints."""
    check_paths(spec)
    if kind == "cron":
        return f"# crontab -e, then add:\n{cron(spec)}\n"
    if kind == "systemd":
        return "".join(f"# ~/.config/systemd/user/{name}\n{text}\n" for name, text in systemd(spec).items()) + (
            f"# then: systemctl --user daemon-reload && systemctl --user enable --now {spec.name}.timer\n"
        )
    if kind == "launchd":  # (an XML document: no comment may precede it)
        return launchd(spec)
    if kind == "k8s":
        return k8s(spec)
    raise DreamingError(f"unknown schedule kind {kind!r}; pick one of {', '.join(KINDS)}")


# -- many stores in object storage: an Indexed Job ---------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FleetSpec:
    """``dreaming schedule --k8s --stores GLOB --shards N``: a CronJob whose Job is Indexed."""

    #: the stores' glob (``s3://bucket/agents/*/memory.db``)
    stores: str
    shards: int
    #: transcript folders or inboxes per store, ``{dir}`` / ``{name}`` filled in per store
    transcripts: tuple[str, ...] = ()
    every: timedelta | None = None
    at: tuple[int, int] = (3, 0)
    trigger: Trigger | None = None
    llm: str | None = None
    name: str = "dreaming-fleet"
    image: str = "dreaming:latest"
    #: a failing index (a shard with a failed store) is run again this many times
    retries: int = 2
    #: secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a non-AWS service)
    s3_secret: str = "dreaming-s3"
    api_key_secret: str = "anthropic-api-key"
    #: the pod's user (the image's non-root user)
    uid: int = 10001


def fleet_arguments(spec: FleetSpec) -> list[str]:
    """The pod's ``dreaming run`` arguments: every pod gets the same; its index picks its shard."""
    out = ["run", "--stores", spec.stores, "--shards", str(spec.shards)]
    for t in spec.transcripts:
        out += ["--transcripts", t]
    out += ["--quiet", "--json"]
    if spec.trigger is not None:
        out += spec.trigger.options()
    return out + (["--llm", spec.llm] if spec.llm else [])


def k8s_fleet(spec: FleetSpec) -> str:
    """A ``batch/v1`` CronJob running an Indexed Job of ``shards`` pods (``completionMode: Indexed``,
    ``completions`` = ``parallelism`` = shards).  Kubernetes gives each pod ``JOB_COMPLETION_INDEX``;
    a pod whose shard had a failed store exits 1 and its index alone is retried
    (``backoffLimitPerIndex``), dreaming only what failed."""
    if spec.shards < 1:
        raise DreamingError(f"--shards must be at least 1, not {spec.shards}")
    container = {
        "name": "dreaming",
        "image": spec.image,
        "command": ["dreaming", *fleet_arguments(spec)],
        "env": [
            {"name": "ANTHROPIC_API_KEY", "valueFrom": {"secretKeyRef": {
                "name": spec.api_key_secret, "key": "api-key", "optional": True}}},
            # the night's name in the summaries: the Job's own name (one per CronJob firing)
            {"name": "DREAMING_FLEET_RUN", "valueFrom": {"fieldRef": {
                "fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}}},
            {"name": "TMPDIR", "value": "/scratch"},
        ],
        "envFrom": [{"secretRef": {"name": spec.s3_secret, "optional": True}}],
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
    }
    job_spec = {
        "completionMode": "Indexed",
        "completions": spec.shards,
        "parallelism": spec.shards,
        "backoffLimitPerIndex": spec.retries,
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/name": spec.name}},
            "spec": {
                "restartPolicy": "Never",
                "securityContext": {"runAsNonRoot": True, "runAsUser": spec.uid, "runAsGroup": spec.uid,
                                    "fsGroup": spec.uid},
                "containers": [container],
                "volumes": [{"name": "scratch", "emptyDir": {}}],
            },
        },
    }
    when = ScheduleSpec(store=Path("/unused"), transcripts=(), every=spec.every, at=spec.at)
    job = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": spec.name},
        "spec": {
            "schedule": cron_expression(when),
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": job_spec},
        },
    }
    return "\n".join(_yaml(job)) + "\n"
