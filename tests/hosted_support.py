"""Shared by the hosted (Managed Agents) tests: the CLI against the fake server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from dreaming.cli import cli


def hosted_env(server: Any, store: Path, **extra: str) -> dict[str, str]:
    return {
        "ANTHROPIC_API_KEY": "sk-test",
        "ANTHROPIC_BASE_URL": server.base_url,
        "DREAMING_STORE": str(store),
        "DREAMING_HOSTED_BACKOFF": "0.001",
        **extra,
    }


def run(server: Any, store: Path, *args: str, **extra: str) -> Result:
    """``dreaming ARGS`` in-process (CliRunner), against the fake server."""
    return CliRunner().invoke(cli, list(args), env=hosted_env(server, store, **extra), catch_exceptions=False)


def run_json(server: Any, store: Path, *args: str, **extra: str) -> Any:
    result = run(server, store, *args, "--json", **extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def spawn(server: Any, store: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
    """``python -m dreaming ARGS`` in a real child process (to be killed)."""
    env = {**os.environ, **hosted_env(server, store, **extra)}
    return subprocess.Popen([sys.executable, "-m", "dreaming", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
