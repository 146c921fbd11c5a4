"""The command line's own behaviour: what it prints for odd but valid input, and its refusals."""
from __future__ import annotations

from support.routines import routine_path
from support.runners import COACH, invoke


def test_routine_text_is_shown_as_written_never_as_markup(tmp_path):
    routine = routine_path("markup-lookalikes.yaml")
    listed = invoke("drills", "--routine", str(routine), terminal_width=200)
    assert listed.exit_code == 0, listed.output
    assert "Test [/b] routine [red]" in listed.output
    assert "Odd [bold]name[/bold]" in listed.output and "[mat]" in listed.output
    script = invoke("script", "--routine", str(routine), "--engine", "espeak-ng",
                    "--cache-dir", str(tmp_path / "cache"), terminal_width=200)  # fmt: skip
    assert script.exit_code == 0, script.output
    assert "Do [it]." in script.output and "Odd [bold]name[/bold]" in script.output


def test_prune_refuses_negative_limits(tmp_path):
    (tmp_path / "cache").mkdir()
    for flag in ("--older-than", "--max-mb"):
        result = invoke("cache", "prune", "--cache-dir", str(tmp_path / "cache"), flag, "-1")
        assert result.exit_code == 2
        assert result.stderr == f"coach: error: {flag}: must be a number, 0 or more, got -1.\n"


def test_ctrl_c_while_rendering_restores_the_cursor(tmp_path):
    import os
    import pty
    import signal
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: coach in a terminal, rendering into an empty cache
        os.environ["COACH_CACHE_DIR"] = str(tmp_path / "cache")
        os.execv(COACH[0], [*COACH, "script", "--engine", "espeak-ng"])
    seen, deadline = b"", time.monotonic() + 60
    while b"Rendering speech" not in seen and time.monotonic() < deadline:
        seen += os.read(fd, 4096)
    os.kill(pid, signal.SIGINT)
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 130
    assert seen.count(b"\x1b[?25l") == seen.count(b"\x1b[?25h") >= 1  # hidden, then shown again
    assert seen.rstrip().endswith(b"coach: stopped.")
