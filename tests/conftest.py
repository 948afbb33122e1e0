from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DREAMING_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    """Every test gets its own store path; nothing touches ./memory_store."""
    monkeypatch.setenv("DREAMING_STORE", str(tmp_path / "store" / "memory.db"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)


@pytest.fixture
def store_path(tmp_path) -> Path:
    return tmp_path / "store" / "memory.db"


@pytest.fixture
def shared_data() -> Path:
    """The third-party data beside the repository (../shared/data)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"third-party data not found at {SHARED_DATA} (set DREAMING_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def server():
    """The project's fake Anthropic API on 127.0.0.1, answering like Claude would (offline rules)."""
    from dreaming.testing import responders as fake_claude
    from dreaming.testing.fake_server import FakeAnthropicServer

    with FakeAnthropicServer(responder=fake_claude.respond) as fake:
        yield fake


@pytest.fixture
def clock():
    """A fake clock for the LLM client (sleeps advance it instantly)."""
    from .llm_support import FakeClock

    return FakeClock()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server (moto in server mode) on 127.0.0.1, for the whole session."""
    from dreaming.testing.s3_server import S3Server

    with S3Server() as server:
        yield server


@pytest.fixture
def s3(s3_server, monkeypatch, request):
    """The server's address and credentials in the environment (child processes inherit them), and
    a fresh bucket named after the test: ``s3.bucket``, ``s3.client``."""
    import re
    import types

    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:50].strip("-") + f"-{id(request) % 10000}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    return types.SimpleNamespace(server=s3_server, bucket=bucket, client=client, url=f"s3://{bucket}")
