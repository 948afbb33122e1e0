"""The README's Managed Agents walk-through, run as written against the fake server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from dreaming.testing.fake_hosted import seed_demo
from dreaming.testing.fake_server import FakeAnthropicServer

from .conftest import REPO


def walkthrough(name: str) -> str:
    readme = (REPO / "README.md").read_text()
    match = re.search(rf"<!-- walkthrough: {re.escape(name)} .*?-->\n```bash\n(.*?)```", readme, re.S)
    assert match, f"README has no walk-through block {name!r}"
    return match.group(1)


def test_managed_agents_walkthrough_runs_as_written(tmp_path):
    script = walkthrough("managed-agents")
    with FakeAnthropicServer() as api:
        sid, _ = seed_demo(api.hosted)
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "ANTHROPIC_BASE_URL": api.base_url, "ANTHROPIC_API_KEY": "test",
               "DREAMING_STORE": str(tmp_path / "memory.db"), "DREAMING_HOSTED_BACKOFF": "0.001"}
        done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Pulled support agent (memstore_demo) as version 1" in done.stdout
        assert "Would write version" in done.stdout and "Pushed version" in done.stdout
        files = api.hosted.files(sid)
        text = "\n".join(files.values())
        assert "answers in French" in text  # learnt from the session by the dream, reviewed, pushed
        assert any(v["operation"] == "modified" for v in api.hosted.stores[sid].versions)


def test_hosted_dreams_walkthrough_runs_as_written(tmp_path):
    script = walkthrough("hosted-dreams")
    with FakeAnthropicServer() as api:
        seed_demo(api.hosted)
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "ANTHROPIC_BASE_URL": api.base_url, "ANTHROPIC_API_KEY": "test",
               "DREAMING_STORE": str(tmp_path / "memory.db"), "DREAMING_HOSTED_BACKOFF": "0.001"}
        done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "hosted Dream" in done.stdout and "dollars" in done.stdout
        assert "Hosted dream drm_" in done.stdout and "candidate version 2" in done.stdout
        assert api.hosted.count("dreams.create") == 2  # one for compare, one for the run
