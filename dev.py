#!/usr/bin/env python3
"""Set up and run dreaming with nothing but python3 (>= 3.10) and a package index.

    python3 dev.py demo    # set up .venv, then dream over the shipped sample data and show the diff
    python3 dev.py test    # set up .venv with the test extras, then the checks and the whole test suite

Both create ./.venv on first use and reuse it afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
DEMO_STORE = ROOT / "memory_store" / "demo.db"


def run(*args: str | os.PathLike[str], **kw) -> None:
    print("+", " ".join(str(a) for a in args), file=sys.stderr, flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kw)


def setup(extras: str) -> None:
    if sys.version_info < (3, 10):  # noqa: UP036 (dev.py runs under any python3, to say which it needs)
        sys.exit(f"dreaming needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    config = (ROOT / "pyproject.toml").stat().st_mtime
    if not stamp.exists() or stamp.stat().st_mtime < config:
        run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f".{extras}")
        stamp.touch()


def demo() -> None:
    setup("")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_STORE}{suffix}").unlink(missing_ok=True)  # the demo store is rebuilt on every run
    env = {**os.environ, "DREAMING_STORE": str(DEMO_STORE)}
    env.pop("ANTHROPIC_API_KEY", None)  # the demo is offline
    dreaming = [PY, "-m", "dreaming"]
    run(*dreaming, "import", "memory_store/sample_memories.jsonl", "--message", "sample memories", env=env)
    run(*dreaming, "run", "--transcripts", "transcripts", "--llm", "off", env=env)
    run(*dreaming, "diff", env=env)
    # the guard holds this dream for review (it changes 9 of the 14 sample memories): accept it
    run(*dreaming, "accept", env=env)
    print(
        f"\nExplore it: .venv/bin/dreaming --store {DEMO_STORE.relative_to(ROOT)} show | log | diff 2 --json | rollback 1",
        file=sys.stderr,
    )


def check() -> None:
    """Lint, types and the import contracts (configured in pyproject.toml; see ARCHITECTURE.md)."""
    run(PY, "-m", "ruff", "check", "--quiet", ".")
    run(PY, "-m", "mypy")
    run(BIN / ("lint-imports.exe" if os.name == "nt" else "lint-imports"), "--no-logo", "--no-cache")


def test(args: list[str]) -> None:
    setup("[test]")
    check()
    run(PY, "-m", "pytest", "--durations=10", *args)  # the ten slowest tests, to keep the suite's time in view


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("demo", "test"):
        sys.exit(__doc__)
    try:
        demo() if argv[0] == "demo" else test(argv[1:])
    except subprocess.CalledProcessError as err:
        sys.exit(err.returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
