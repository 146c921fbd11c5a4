"""Loading a routine file: read safely and bounded, parsed as YAML 1.2, then validated in full
(validate.py). The length of the session it makes is the composer's to check: session.py's
`read_routine` does both, as every command that takes a routine must.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from importlib import resources
from pathlib import Path

from coach.errors import OptionError, RoutineError, UsageError
from coach.language.catalogue import DEFAULT_LANGUAGE, UnknownLanguageError, known_tags, language
from coach.routine.model import MAX_FILE_BYTES, Routine, default_routine_path
from coach.routine.validate import Validator
from coach.routine.yaml_text import load_document
from coach.system.atomic import written_beside
from coach.system.paths import user_path


def load_routine(path: Path | str | None = None, what: str = "routine file") -> Routine:
    """Read and validate a routine file (the built-in one when `path` is None). `what` names
    where the path was given in a message about the path itself (`~nobody/x.yaml`)."""
    path = user_path(path, what) if path is not None else default_routine_path()
    name = str(path) if path != default_routine_path() else "built-in routine leg-mobility.yaml"
    with contextlib.suppress(OSError):  # opening a FIFO or a device could block: refuse them
        if not stat.S_ISREG(path.stat().st_mode) and not path.is_dir():
            raise RoutineError(f"{name}: not a regular file; a routine is a YAML text file.")
    try:
        with path.open("rb") as file:  # never read more than the limit: /dev/zero is a path too
            data = file.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise RoutineError(f"{name}: is a folder, not a routine file.") from None
    except FileNotFoundError:
        raise RoutineError(f"{name}: no such file. Check the path.") from None
    except OSError as e:
        raise RoutineError(f"{name}: cannot be read ({e.strerror}).") from None
    return parse_routine(data, name, path)


def parse_routine(data: bytes, source: str, path: Path | None = None) -> Routine:
    """Validate the bytes of a routine file named `source` in messages (read from `path`)."""
    if len(data) > MAX_FILE_BYTES:
        raise RoutineError(
            f"{source}: larger than {MAX_FILE_BYTES // 1000} kB; is it a routine file?"
        )
    document = load_document(data, source)
    return Validator(source).routine(document, path)


def write_starter_routine(
    path: Path | str, what: str = "new routine file", spoken: str = DEFAULT_LANGUAGE
) -> None:
    """Write a commented starter routine (a counted drill with sets, a timed one, sides) to
    `path`, which must not exist: written beside it and linked into place, so an existing file
    is never replaced and no half-written one is left. Its `language` is `spoken` (a tag).
    UsageError when the name is taken (or for a `~user` that does not exist; `what` names where
    the path was given); OptionError for a language with no catalogue."""
    path = user_path(path, what)
    try:
        tag = language(spoken).tag
    except UnknownLanguageError:
        known = ", ".join(known_tags())
        raise OptionError(
            "language", f"{spoken!r} is not a language the coach speaks; use one of {known}."
        ) from None
    starter_file = resources.files("coach.routine") / "builtin" / "starter.yaml"
    starter = re.sub(  # the value, its comment kept in its column
        r"^language: \S+ *", lambda line: f"language: {tag}".ljust(len(line[0])),
        starter_file.read_text(encoding="utf-8"), count=1, flags=re.M,
    ).encode()  # fmt: skip
    taken = (f"{path} already exists; a starter routine is never written over a file. "
             "Pick a new name.")  # fmt: skip
    if path.exists() or path.is_symlink():
        raise UsageError(taken)
    if not path.parent.is_dir():
        raise UsageError(f"{path}: the folder {path.parent} does not exist.")
    try:
        with written_beside(path, f".{path.name[:200]}.{os.getpid()}.part", replace=False) as part:
            part.write_bytes(starter)
    except FileExistsError:
        raise UsageError(taken) from None
    except OSError as e:
        raise UsageError(f"{path}: cannot be written ({e.strerror}).") from None
