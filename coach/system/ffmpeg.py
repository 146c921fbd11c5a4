"""ffmpeg, the one program the coach runs for audio (it encodes exports and decodes music): where
it is, the one message when it is missing, and the ways it is run.

Every run starts from one command line (`command`): no banner, a log of `loglevel` on its
standard error. The encoder's runs (`running`) get a process group of their own, ended on any
way out; a decoder's (`run`) stays in the caller's, so a Ctrl-C stops it with the caller.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator

from coach.errors import CoachError, MissingToolError

PROGRAM = "ffmpeg"
LOG_TAIL_BYTES = 64 * 1024
"""How much of the end of a decoder's log `run` keeps: its summary and its last error."""


def located(needs: str, instead: str, error: type[CoachError] = MissingToolError) -> str:
    """The path of ffmpeg; else `error` saying that `needs` (what the user asked for) needs it,
    how to install it, and what to do `instead`."""
    path = shutil.which(PROGRAM)
    if path is None:
        raise error(
            f"{needs} needs ffmpeg, which is not installed. Install it "
            f"(`sudo apt-get install ffmpeg`), or {instead}."
        )
    return path


def shown() -> str:
    """ffmpeg as a message names it: its path when it is found, so a user can run it by hand."""
    return shutil.which(PROGRAM) or PROGRAM


def version(program: str) -> str:
    """The first line of `program -version` (the build a cached result was made with)."""
    said = subprocess.run([program, "-version"], capture_output=True, text=True, check=False)
    return said.stdout.split("\n", 1)[0]


def command(arguments: list[str], *, program: str = PROGRAM, loglevel: str = "error") -> list[str]:
    """The command line running `program` (ffmpeg) with `arguments`, without its banner, logging
    at `loglevel`."""
    return [program, "-hide_banner", "-loglevel", loglevel, *arguments]


@contextlib.contextmanager
def running(arguments: list[str], **streams: object) -> Iterator[subprocess.Popen]:
    """ffmpeg running `arguments`, writing over any output file, in a process group of its own
    (standard input and output nowhere unless given): when the block fails (a timeout, an
    error, Ctrl-C) the whole group is ended, so nothing is left running."""
    streams = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, **streams}
    process = subprocess.Popen(command(["-y", *arguments]), start_new_session=True, **streams)
    try:
        yield process
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def run(arguments: list[str], *, program: str, loglevel: str) -> subprocess.CompletedProcess:
    """`program` (ffmpeg) run to its end on `arguments` in the caller's process group, never
    reading standard input: its standard output (bytes) and the end of its log (text, at most
    `LOG_TAIL_BYTES`). The log goes to a file, not a pipe, so a long one cannot stall it."""
    with tempfile.TemporaryFile() as log:
        done = subprocess.run(command(["-nostdin", *arguments], program=program,
                                      loglevel=loglevel),
                              stdout=subprocess.PIPE, stderr=log, check=False)  # fmt: skip
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - LOG_TAIL_BYTES))
        done.stderr = log.read().decode(errors="replace")
    return done
