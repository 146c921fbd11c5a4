"""The one error hierarchy of the package. Each class says what kind of thing went wrong (bad
input, or the machine failing); only the CLI turns them into messages with flags and into exit
statuses (coach/cli/failures.py)."""
from __future__ import annotations


def excerpt(text: str, limit: int = 80) -> str:
    """`text` for a message: whole, or its start and end around "…" when longer than `limit`."""
    if len(text) <= limit:
        return text
    tail = max(limit // 4, 1)
    return f"{text[: limit - tail - 1]}…{text[-tail:]}"


def exact(value: float) -> str:
    """A number as a message should show it: as given (3.0000001 is not "3"), no trailing ".0"."""
    return f"{value:.15g}"


class CoachError(Exception):
    """Base of every error the package raises on purpose; `str()` is the message a user reads."""


class RoutineError(CoachError):
    """A routine file or the session options are invalid."""


class UsageError(CoachError):
    """A command-line value is invalid (a bad number, an unknown file extension, ...)."""


class OptionError(CoachError):
    """A session option no session can use.

    `option` names it as the session knows it (a field of SessionOptions, "volume" or "drill");
    `problem` says what is wrong without naming a flag, so the CLI can put its flag first.
    """

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")
        self.option = option
        self.problem = problem


class NoDrillsLeftError(CoachError):
    """The options leave no drill of the routine to do."""


class SessionTooLongError(CoachError):
    """The session would last longer than the limit (the message gives both lengths)."""


class EngineError(CoachError):
    """A speech engine is missing, hangs, or fails."""


class BadSettingError(EngineError):
    """An engine name, voice or rate that does not exist: bad input."""


class AudioDeviceError(CoachError):
    """No audio device, or the device failed while playing."""


class ExportError(CoachError):
    """The export could not be written (ffmpeg missing, unwritable destination, ...)."""


class MissingToolError(CoachError):
    """A program the coach runs (ffmpeg) is not installed."""
