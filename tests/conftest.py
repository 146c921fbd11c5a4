"""Fixtures shared by the tests: a session made with the one stand-in engine (stand_in.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from stand_in import StandInSpeech

from coach.options import SessionOptions
from coach.routine import Routine
from coach.routine_file import parse_routine
from coach.session import Session, open_session


@pytest.fixture(scope="session")
def stand_in_session() -> Callable[..., Session]:
    """Opens a session with the stand-in engine: `make(routine, **options)`, where `routine` is
    a routine file's bytes, a Routine, or None for the built-in one; `clips=` replaces the
    stand-in's default clips."""

    def make(
        routine: bytes | Routine | None = None, clips: object = None, **options: object
    ) -> Session:
        if isinstance(routine, bytes):
            routine = parse_routine(routine, "test.yaml")
        return open_session(routine, SessionOptions(**options), clips=clips or StandInSpeech())

    return make
