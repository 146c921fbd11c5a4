"""Fixtures shared by the tests: a session made with the stand-in engine (support/stand_in.py)."""

from __future__ import annotations

import os

os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before anything imports ONNX Runtime (issue 20)

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

# The user's own cache and config file are never read or written by the tests: the platform's
# folders are a temporary home of this run's (a test that needs others sets its own).
_HOME = tempfile.mkdtemp(prefix="coach-tests-home-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["XDG_CACHE_HOME"] = os.path.join(_HOME, "cache")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ.pop("COACH_CONFIG", None)

from collections.abc import Callable  # noqa: E402

import pytest  # noqa: E402
from support.stand_in import StandInSpeech  # noqa: E402

from coach.compose.options import SessionOptions  # noqa: E402
from coach.routine.loading import parse_routine  # noqa: E402
from coach.routine.model import Routine  # noqa: E402
from coach.session import Session, open_session  # noqa: E402


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
