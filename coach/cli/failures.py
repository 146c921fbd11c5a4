"""Where errors become one line and an exit status: here and nowhere else. The library's errors
say what is wrong; this module puts first the flag that set the value, adds the command to type
where one helps, and picks the exit status from the kind of error."""

from __future__ import annotations

import errno
import functools
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import typer

from coach.cli.consoles import err
from coach.errors import (
    AudioDeviceError,
    BadSettingError,
    CoachError,
    NoDrillsLeftError,
    OptionError,
    RoutineError,
    SessionTooLongError,
    UsageError,
    excerpt,
)
from coach.tts import UnknownVoiceError


class ExitStatus(IntEnum):
    """Exit statuses of the `coach` command (a signal's is 128 plus its number)."""

    DONE = 0
    ERROR = 1
    BAD_INPUT = 2
    CTRL_C = 128 + signal.SIGINT


BAD_INPUT = (RoutineError, UsageError, OptionError, NoDrillsLeftError, SessionTooLongError,
             BadSettingError)  # fmt: skip
"""The errors that are the user's input to mend (exit 2); every other one is the machine's."""

FLAGS = {"only": "--only", "skip": "--skip", "without": "--without", "rest_seconds": "--rest",
         "pace": "--pace", "volume": "--volume", "cache_dir": "--cache-dir", "music": "--music",
         "music_duck": "--music-duck", "music_level": "--music-level",
         "language": "--language"}  # fmt: skip
"""The flag of each session option, by the name the session gives it in an OptionError
(tests/test_layers.py checks that every name an OptionError is raised with is here)."""

EXPORT_INSTEAD = "Use `coach export session.mp3` to make an MP3 instead."


def exit_status(error: BaseException) -> ExitStatus:
    """The exit status of a command that ended with `error`."""
    if isinstance(error, BAD_INPUT):
        return ExitStatus.BAD_INPUT
    if isinstance(error, OSError):  # a file the command was pointed at that cannot be one
        bad_name = error.errno in (errno.ENAMETOOLONG, errno.ENOTDIR, errno.ENOENT, errno.EISDIR)
        return ExitStatus.BAD_INPUT if bad_name else ExitStatus.ERROR
    return ExitStatus.ERROR


def worded(error: BaseException) -> str:
    """The message a user reads: the session's typed errors get the flags that set them, and a
    failed device the command that works without one."""
    if isinstance(error, OptionError):  # an argument (the drill to rehearse) speaks for itself
        flag = FLAGS.get(error.option)
        return f"{flag}: {error.problem}" if flag else error.problem
    if isinstance(error, NoDrillsLeftError):
        return "No drills left to do: --only, --skip and --without removed them all."
    if isinstance(error, SessionTooLongError):
        return f"{error} Use fewer drills, a shorter --rest or a faster --pace."
    if isinstance(error, AudioDeviceError):
        return f"{error} {EXPORT_INSTEAD}"
    if isinstance(error, UnknownVoiceError):
        return (f"{str(error).removesuffix('.')} (`coach voices --engine {error.engine}` lists "
                f"all {error.voice_count}).")
    if isinstance(error, OSError):
        name = excerpt(str(error.filename)) if error.filename is not None else "a file"
        if error.errno == errno.ENAMETOOLONG:
            return f"{name}: the name is too long for the file system."
        return f"{name}: {error.strerror or error}."
    return str(error)


@dataclass
class _Flags:
    """Flags given before the command, for the whole run."""

    debug: bool = False


flags = _Flags()


def fail(error: BaseException) -> typer.Exit:
    """Print one line for `error` (and its traceback with --debug); the exit to raise."""
    if flags.debug:
        traceback.print_exception(error, file=sys.stderr)
    # one line, even in a pipe
    err.print(f"coach: error: {worded(error)}", markup=False, soft_wrap=True)
    return typer.Exit(exit_status(error))


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so they clean up exactly as Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_on(signum: int, frame: object) -> None:
    """The handler of SIGTERM and SIGHUP."""
    raise Stopped(signum)


def command(func: Callable) -> Callable:
    """CoachErrors become one message and their exit status; any other error a short one."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (CoachError, OSError) as e:  # OSError: a file the command was pointed at
            if isinstance(e, BrokenPipeError):  # the reader went away: nothing to say
                raise typer.Exit(ExitStatus.ERROR) from None
            raise fail(e) from None
        except Stopped as e:  # exit as the signal would have ended us: 128 + its number
            err.print(f"coach: stopped ({e}).")
            raise typer.Exit(128 + e.signum) from None
        except KeyboardInterrupt:
            err.print("coach: stopped.")
            raise typer.Exit(ExitStatus.CTRL_C) from None
        except typer.Exit:
            raise
        except Exception as e:  # a bug: say so briefly; --debug shows where
            error = RuntimeError(f"internal error ({type(e).__name__}: {e}); --debug shows where")
            error.__traceback__ = e.__traceback__
            raise fail(error) from None

    return wrapper
