"""The pieces the routine-file tests build malformed and edge-case files from: one valid drill,
the head of a routine, a timed drill, and writers of them to a test's folder."""

from __future__ import annotations

from pathlib import Path

DRILL = """\
  - id: squat
    name: Squat
    instructions: Sit down and stand up.
    reps: 10
"""
HEAD = "name: Test\ndrills:\n"
TIMED = HEAD + """\
  - id: plank
    name: Plank
    instructions: Hold a straight line.
    seconds: 30
"""


REPS_RULE = "must be a whole number from 1 to 10000 or a range [min, max] of them, got"


def with_field(line: str) -> str:
    """A one-drill routine with `line` added to the drill (it lands on line 7)."""
    return HEAD + DRILL + f"    {line}\n"


def with_reps(value: str) -> str:
    return HEAD + DRILL.replace("reps: 10", f"reps: {value}")


def write_case(folder: Path, content: str | bytes) -> Path:
    path = folder / "routine.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def many_drills(count: int) -> str:
    """A routine of `count` one-rep drills and no rests: the most drills for its length."""
    drill = (
        "  - name: Drill {n}\n    instructions: Step forward, then back again.\n"
        "    reps: 1\n    rep_seconds: 0.5\n"
    )
    return "name: Many\nrest_seconds: 0\ndrills:\n" + "".join(
        drill.format(n=n) for n in range(1, count + 1)
    )


def assert_refused(output: str, status: int, path: str, expected: str) -> None:
    """Exit status 2 and one line that names the file and says `expected`, no traceback."""
    assert status == 2, output
    assert "Traceback" not in output
    assert output.startswith(f"coach: error: {path}"), output
    assert output.count("\n") == 1, output  # one line
    message = output[len(f"coach: error: {path}") :].rstrip("\n")
    if expected.startswith("="):
        assert message == expected[1:]
    else:
        assert expected in message
