"""Module fixtures that several test modules share: a module imports the ones it uses, and pytest
knows them by their `name` (so a test's parameter does not shadow the imported function)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.routine.loading import load_routine
from coach.routine.model import Routine
from support.devices import session, write_routine
from support.music import noisy_folder, probe_folder


@pytest.fixture(scope="module", name="routine")
def player_routine(tmp_path_factory) -> Routine:
    """The tiny routine the player's tests play."""
    return load_routine(write_routine(tmp_path_factory.mktemp("routine")))


@pytest.fixture(scope="module", name="timeline")
def player_timeline(routine: Routine):
    """Its session made whole with the stand-in clips: what a player must send the device."""
    return session(routine).timeline()


@pytest.fixture(scope="module", name="music")
def music_folder(tmp_path_factory) -> Path:
    """The probe tracks (`probe_folder`): tones the voice has nothing of, to hear the bed."""
    return probe_folder(tmp_path_factory.mktemp("music"))


@pytest.fixture(scope="module", name="noisy")
def noisy_music(tmp_path_factory) -> Path:
    """Tracks of noise (`noisy_folder`)."""
    return noisy_folder(tmp_path_factory.mktemp("noisy"))
