"""Paths as the user typed them, made into paths to use in one place: every path the coach is
given (an option, an argument, an environment variable) goes through `user_path`, and every
link it follows through `resolved`, so "~nobody/x" or a loop of links is one clear error
wherever it is typed, never an internal one."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from coach.errors import UsageError


def user_path(value: str | os.PathLike[str], what: str) -> Path:
    """`value` with a leading `~` or `~user` expanded.

    `what` names where the path came from in a message ("--music", "$COACH_CACHE_DIR").
    UsageError when `~user` names no user with a home folder.
    """
    text = os.fspath(value)
    if not text.startswith("~"):
        return Path(text)
    expanded = os.path.expanduser(text)
    if expanded.startswith("~"):
        user = text[1:].split(os.sep, 1)[0]
        who = f"no user named {user!r}" if user else "no home folder ($HOME is not set)"
        raise UsageError(f"{what}: {text}: there is {who}; write the path in full.")
    return Path(expanded)


def resolved(path: Path, what: str) -> Path:
    """`path` with its symbolic links followed; UsageError for a loop of links."""
    try:
        return path.resolve()
    except RuntimeError:  # Python 3.11-3.12 raise this for a loop
        raise UsageError(f"{what}: {path}: is a loop of symbolic links; remove one.") from None
    except OSError as error:  # 3.13 raises ELOOP
        if error.errno == errno.ELOOP:
            raise UsageError(f"{what}: {path}: is a loop of symbolic links; remove one.") from None
        raise
