"""The two ways the tests run the `coach` command: in-process (`invoke`, typer's runner on the
app) and as the real program in a child process (`coach`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from coach.cli import app

COACH = [sys.executable, "-m", "coach"]
"""The command line that starts the real program, for a test that must drive the process
itself (signals, terminals, killing it mid-way); `coach` runs it to its end."""


def invoke(*args: str, **options) -> Result:
    """`coach ARGS` in this process; `options` go to CliRunner.invoke (env, input,
    terminal_width...)."""
    return CliRunner().invoke(app, list(args), **options)


def coach(*args: str, cache: Path | str | None = None, path: str | None = None,
          env: dict[str, str | None] | None = None, cwd: Path | None = None,
          timeout: float = 300, text: bool = True, **popen) -> subprocess.CompletedProcess:
    """`coach ARGS` in a child process, run to its end, its output captured.

    The environment is this one with COACH_CACHE_DIR=cache (when given), PATH=path (when
    given), and `env` on top (a None value removes that variable); `popen` goes to
    subprocess.run (stdin, stdout, stderr, preexec_fn...).
    """
    environment = dict(os.environ)
    if cache is not None:
        environment["COACH_CACHE_DIR"] = str(cache)
    if path is not None:
        environment["PATH"] = path
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([*COACH, *args], text=text, cwd=cwd, env=environment,
                          timeout=timeout, **popen)  # fmt: skip
