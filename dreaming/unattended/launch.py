"""How another process runs this same ``dreaming``: the hook's background
dream, and the commands ``dreaming schedule`` and ``--print-config`` print.

Schedulers run commands with a bare environment (cron's ``PATH`` is
``/usr/bin:/bin``), so the command names this interpreter by its absolute
path (``/path/to/venv/bin/python -m dreaming``); when ``dreaming`` is
imported from a source checkout rather than installed, ``PYTHONPATH`` must
name the checkout too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: the directory holding the ``dreaming`` package this process runs
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def command() -> list[str]:
    """``[python, "-m", "dreaming"]`` for this interpreter."""
    return [sys.executable, "-m", "dreaming"]


def environment() -> dict[str, str]:
    """Variables the command needs beyond a scheduler's bare environment:
    ``PYTHONPATH`` when ``dreaming`` is not installed where Python finds it."""
    installed = {"site-packages", "dist-packages"} & set(PACKAGE_ROOT.parts)
    return {} if installed else {"PYTHONPATH": str(PACKAGE_ROOT)}


def child_environment() -> dict[str, str]:
    """This process's environment plus :func:`environment` (for a subprocess)."""
    env = dict(os.environ)
    extra = environment()
    if "PYTHONPATH" in extra and env.get("PYTHONPATH"):
        extra["PYTHONPATH"] = os.pathsep.join([extra["PYTHONPATH"], env["PYTHONPATH"]])
    return {**env, **extra}
