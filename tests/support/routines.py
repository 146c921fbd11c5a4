"""The routines the tests take as input, kept as files under tests/routines/ and named for what
they are, so a test reads its input by name instead of carrying a YAML string."""

from __future__ import annotations

import shutil
from pathlib import Path

ROUTINES = Path(__file__).resolve().parents[1] / "routines"


def routine_path(name: str) -> Path:
    """The file tests/routines/NAME, for a command or loader that takes a path."""
    return ROUTINES / name


def routine_bytes(name: str) -> bytes:
    """The file tests/routines/NAME as a routine file is read: its bytes."""
    return routine_path(name).read_bytes()


def routine_text(name: str) -> str:
    return routine_bytes(name).decode("utf-8")


def copy_routine(name: str, folder: Path, as_name: str | None = None) -> Path:
    """tests/routines/NAME copied into `folder` (as `as_name` when given), for a test whose
    command reads or writes beside the routine."""
    return Path(shutil.copyfile(routine_path(name), folder / (as_name or name)))
