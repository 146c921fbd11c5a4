"""Run the real `coach` command in a child process, with its own cache folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def coach(*args: str, cache: Path, path: str | None = None, cwd: Path | None = None,
          timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m coach ARGS` with COACH_CACHE_DIR=cache (and PATH=path when given)."""
    env = {**os.environ, "COACH_CACHE_DIR": str(cache)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "coach", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)
