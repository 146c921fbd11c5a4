"""The consoles the command line writes to, set up so that every line comes out, or the command
says why it cannot: whatever COLUMNS says, whatever the encoding of standard output, and with
a standard stream that is full, closed or gone."""

from __future__ import annotations

import codecs
import errno
import json
import os
import re
import sys
from typing import Any, TextIO

from rich.console import Console

from coach.errors import CoachError

MAX_TERMINAL_SIZE = 4096
"""The most columns (or lines) a terminal is believed to have: rich pads some lines (the
help's) to the full width, so a huge COLUMNS would make lines of gigabytes."""
ESCAPE = "coach.escape"
"""The name of the error handler that writes what an encoding cannot show as an escape."""


def _usable_terminal_size() -> None:
    """Drop a COLUMNS or LINES that is not a size, so rich measures the terminal (or takes 80
    by 25) as it does when they are unset. rich takes COLUMNS=0 for a console no text fits in
    and prints nothing at all, errors included; a digit that is not ASCII ("²") makes it raise;
    a huge number exhausts memory. Done in the environment, which children inherit harmlessly,
    because rich reads it there, in every console (typer's help makes its own)."""
    for name in ("COLUMNS", "LINES"):
        value = os.environ.get(name)
        if value is not None and not (
            re.fullmatch(r"[0-9]{1,4}", value) and 0 < int(value) <= MAX_TERMINAL_SIZE
        ):
            del os.environ[name]


def _escape(error: UnicodeError) -> tuple[str, int]:
    """Characters the stream's encoding cannot show, written as JSON writes them ("\\u00fa"):
    a text line stays readable and whole, and JSON output stays valid and exact."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return json.dumps(error.object[error.start : error.end])[1:-1], error.end


class OutputError(CoachError):
    """Standard output cannot take what the command writes (a full disk, a closed descriptor)."""


class _Guarded:
    """A standard stream whose failures cannot become a traceback or a misleading message.

    Standard output that fails ends the command with one line naming it (a reader that went
    away, EPIPE, ends it quietly, as before); standard error that fails is given up without a
    word, since there is nowhere left to say one. Either way the descriptor is pointed at
    /dev/null first, so what is still buffered, and the interpreter's last flush, go nowhere
    instead of failing again.
    """

    def __init__(self, stream: TextIO | None, fd: int, name: str) -> None:
        self._closed = stream is None  # Python found the descriptor closed at start
        self._stream = open(os.devnull, "w") if stream is None else stream
        self._fd, self._name = fd, name
        reconfigure = getattr(self._stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=ESCAPE)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def write(self, text: str) -> int:
        if self._closed:
            self._failed(None)
        try:
            return self._stream.write(text)
        except OSError as e:
            self._failed(e)
        return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            self._failed(e)

    def _failed(self, error: OSError | None) -> None:
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, self._fd)
        os.close(quiet)
        self._closed = False  # from now on everything goes to /dev/null
        if self._fd != 1:
            return
        if isinstance(error, BrokenPipeError):
            raise error
        reason = "closed" if error is None else os.strerror(error.errno or errno.EIO)
        raise OutputError(
            f"{self._name}: {reason[0].lower()}{reason[1:]}; send the output somewhere it can "
            "be written."
        ) from None


def guard_streams() -> None:
    """Make the standard streams safe to write to, for the console script (tests that run the
    commands in-process keep their own streams). A descriptor 0-2 that is closed is opened on
    /dev/null first, so that no file the coach opens later takes its number and gets written
    to as a standard stream (by the coach, or by a child such as ffmpeg)."""
    for fd in (0, 1, 2):  # in order: a new descriptor takes the lowest free number, this one
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)
    if sys.stdin is None:
        sys.stdin = open(os.devnull)  # for the whole run
    sys.stdout = _Guarded(sys.stdout, 1, "standard output")
    sys.stderr = _Guarded(sys.stderr, 2, "standard error")


codecs.register_error(ESCAPE, _escape)
_usable_terminal_size()
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
