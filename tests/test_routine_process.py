"""Bad routine files refused by the real program: what a user sees in a terminal or a pipe, for
a handful of the cases, at about the cost of checking a good file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.malformed import CASES
from support.routine_parts import assert_refused, write_case
from support.runners import coach

from coach.routine.model import default_routine_path

pytestmark = pytest.mark.slow  # a real process per case: about 10 s in all
ROOT = Path(__file__).resolve().parents[1]


def check(path: Path):
    """A real `coach check PATH` from the project's folder."""
    return coach("check", str(path), cwd=ROOT, timeout=60)


# A handful of the cases through a real process: what a user sees in a terminal or a pipe.
SUBPROCESS_CASES = [
    "empty",
    "a-list",
    "reps-reversed",
    "typo-rep",
    "duplicate-ids",
    "python-name-tag",
    "billion-laughs",
    "png-header",
    "deep-nesting",
    "huge",
    "session-too-long",
    "control-character",
]


@pytest.fixture(scope="module")
def process_baseline() -> float:
    """Seconds a real `coach check` of the built-in file takes (mostly start-up), median of 3."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        done = check(default_routine_path())
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr
    return sorted(times)[1]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_a_real_process_refuses_a_malformed_routine(tmp_path, process_baseline, case):
    _, content, expected = next(c for c in CASES if c[0] == case)
    path = write_case(tmp_path, content)
    start = time.perf_counter()
    done = check(path)
    seconds = time.perf_counter() - start
    assert done.stdout == ""
    assert_refused(done.stderr, done.returncode, str(path), expected)
    # The in-process tests hold each case to a few CPU seconds; a whole process (its start-up
    # alone varies with the machine's load) must not take much longer than a good file's.
    assert seconds < 2 * process_baseline + 1.0


def test_a_real_process_does_not_run_an_object_building_tag(tmp_path):
    target = tmp_path / "pwned"
    path = write_case(tmp_path, f'!!python/object/apply:os.system ["touch {target}"]\n')
    done = check(path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and str(path) in done.stderr
    assert not target.exists()


def test_a_real_process_refuses_a_folder_and_a_missing_file(tmp_path):
    for path, message in (
        (tmp_path, "is a folder, not a routine file."),
        (tmp_path / "nope.yaml", "no such file."),
    ):
        done = check(path)
        assert done.returncode == 2
        assert done.stderr.startswith(f"coach: error: {path}: {message}")
        assert "Traceback" not in done.stderr
