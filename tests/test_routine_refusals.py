"""Bad routine files, refused in-process: one clear message (file, place, problem), exit status
2, no traceback, at a small cost; the library's side of it, one error class naming the source;
and the routine's path, which goes through paths.user_path."""

from __future__ import annotations

import os
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from support.malformed import CASES
from support.routine_parts import (
    DRILL,
    HEAD,
    assert_refused,
    many_drills,
    with_reps,
    write_case,
)
from support.runners import coach, invoke

from coach.cli.failures import exit_status
from coach.compose.composer import check_length
from coach.errors import RoutineError, UsageError
from coach.routine.loading import load_routine, parse_routine

CPU_BOUND = 5.0
"""CPU seconds a check may take. A check costs 0.1-0.3 s here; CPU time (not the clock) is
barely moved by a loaded machine, and 5 s is still far below what expanding a YAML bomb or
estimating a session by rendering it would cost, the bugs this is for."""


def run_cli(*args: str):
    """Run `coach ARGS` in-process; (result, seconds of CPU it took). CPU time, not the clock:
    what a refusal costs, whatever else the shared machine is doing."""
    start = time.process_time()
    result = invoke(*args)
    return result, time.process_time() - start


def refused(result, seconds: float, path: str, expected: str) -> None:
    """`assert_refused`, and within the CPU bound."""
    assert_refused(result.output, result.exit_code, path, expected)
    assert seconds < CPU_BOUND, seconds


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_refuses_a_malformed_routine(tmp_path, content, expected):
    path = write_case(tmp_path, content)
    result, seconds = run_cli("check", str(path))
    refused(result, seconds, str(path), expected)
    assert result.stdout == ""


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_command_taking_a_routine_refuses_it_the_same_way(tmp_path, content, expected):
    path = write_case(tmp_path, content)
    result, seconds = run_cli("drills", "--routine", str(path), "--json")
    refused(result, seconds, str(path), expected)


def test_the_case_ids_are_unique():
    assert len({c[0] for c in CASES}) == len(CASES)


def test_an_object_building_tag_is_never_run(tmp_path):
    target = tmp_path / "pwned"
    path = write_case(
        tmp_path, f'name: !!python/object/apply:os.system ["touch {target}"]\ndrills:\n{DRILL}'
    )
    result, seconds = run_cli("check", str(path))
    refused(
        result,
        seconds,
        str(path),
        "=, field 'name', line 1: the tag !!python/object/apply:os.system is not allowed on a "
        "list or mapping in a routine, which holds only text, numbers, true/false, lists and "
        "mappings; write the value without the tag.",
    )
    assert not target.exists()


def test_a_folder_is_refused(tmp_path):
    result, seconds = run_cli("check", str(tmp_path))
    refused(
        result,
        seconds,
        str(tmp_path),
        "=: is a folder, not a routine file.",
    )


def test_a_missing_file_is_refused(tmp_path):
    path = tmp_path / "nope.yaml"
    result, seconds = run_cli("check", str(path))
    refused(
        result,
        seconds,
        str(path),
        "=: no such file. Check the path.",
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_an_endless_file_is_refused_without_reading_it_all():
    result, seconds = run_cli("check", "/dev/zero")
    refused(
        result,
        seconds,
        "/dev/zero",
        "=: not a regular file; a routine is a YAML text file.",
    )

def test_a_routine_of_nearly_three_hours_is_checked_within_a_second(tmp_path):
    path = write_case(tmp_path, many_drills(600))  # 2.85 hours as estimated
    result, seconds = run_cli("check", str(path))
    assert (result.exit_code, result.stdout) == (0, f"{path}: OK, 600 drills.\n"), result.output
    assert seconds < CPU_BOUND, seconds


def test_the_largest_file_is_refused_within_a_second(tmp_path):
    """250 kB of drills: the session's estimate stops at the limit, not at the file's end."""
    text = many_drills(2438)
    assert 250_000 <= len(text) < 256_000
    path = write_case(tmp_path, text)
    result, seconds = run_cli("check", str(path))
    refused(result, seconds, str(path),
                   "=: the session would pass the 3-hour limit in drill 629 of 2438 (drill-629). "
                   "Shorten the instructions and cues, or use fewer drills.")  # fmt: skip


def test_a_valid_file_passes_check(tmp_path):
    path = write_case(tmp_path, HEAD + DRILL + "    sides: alternate\n    hold_seconds: 0\n")
    result, _ = run_cli("check", str(path))
    assert (result.exit_code, result.stdout) == (0, f"{path}: OK, 1 drill.\n")


@pytest.mark.parametrize("where", ["before", "after", "between"])
def test_debug_shows_the_traceback(tmp_path, where):
    """--debug anywhere on the line (but after a --) is the run's flag."""
    path = write_case(tmp_path, with_reps("[12, 10]"))
    args = {"before": ["--debug", "check", str(path)], "after": ["check", str(path), "--debug"],
            "between": ["check", "--debug", str(path)]}[where]  # fmt: skip
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Traceback" in result.output and "RoutineError" in result.output
    assert result.output.rstrip().endswith("is reversed; write [10, 12].")
    again = invoke("check", str(path))  # the flag is per run
    assert again.exit_code == 2 and again.stdout == ""
    assert "Traceback" not in again.output
    assert again.output.rstrip().endswith("is reversed; write [10, 12].")


def test_debug_after_a_double_dash_is_a_file_name(tmp_path):
    result = invoke("check", "--", "--debug")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.rstrip().endswith("--debug: no such file. Check the path.")


def test_version_is_the_package_s():
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, f"coach {version('coach')}\n")


# --- the library side: one error class, the source named ---------------------------


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_routine_raises_only_routine_error(content, expected):
    """Reading a file and the one length rule (what `coach check` runs) raise RoutineError only."""
    data = content.encode() if isinstance(content, str) else content
    with pytest.raises(RoutineError) as caught:
        check_length(parse_routine(data, "my.yaml"))
    assert str(caught.value).startswith("my.yaml")
    assert exit_status(caught.value) == 2
    error = caught.value  # raised `from None` when it replaces a YAML error: no chained traceback
    assert error.__context__ is None or error.__suppress_context__


def test_a_duplicate_id_names_the_line_of_the_second_id():
    text = HEAD + DRILL + "  - name: Other\n    instructions: x\n    reps: 1\n" + DRILL
    with pytest.raises(
        RoutineError,
        match=r"^r.yaml, drill 3 \(squat\), line 10: the id 'squat' "
        r"is already used by drill 1",
    ):
        parse_routine(text.encode(), "r.yaml")


def test_scalars_are_read_as_yaml_1_2_reads_them():
    routine = parse_routine(
        b"name: On\ndrills:\n"
        b"  - {name: No, instructions: Off, cues: [Yes, On, y], reps: 8, rep_seconds: 2e0}\n",
        "plain.yaml",
    )
    (drill,) = routine.drills
    assert (routine.name, drill.name, drill.instructions) == ("On", "No", "Off")
    assert drill.cues == ("Yes", "On", "y") and drill.rep_seconds == 2.0


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "routine.yaml"
    os.mkfifo(fifo)
    result, seconds = run_cli("check", str(fifo))
    refused(result, seconds, str(fifo),
                   "=: not a regular file; a routine is a YAML text file.")  # fmt: skip


# --- the routine's path -------------------------------------------------------------------------


def test_a_tilde_for_a_user_who_does_not_exist_is_a_usage_error():
    with pytest.raises(UsageError) as caught:
        load_routine("~nobody-here/r.yaml")
    assert str(caught.value) == (
        "routine file: ~nobody-here/r.yaml: there is no user named 'nobody-here'; write the path "
        "in full."
    )


@pytest.mark.parametrize("args", [["check", "~nobody-here/r.yaml"], ["new", "~nobody-here/r.yaml"],
                                  ["drills", "--routine", "~nobody-here/r.yaml"]],
                         ids=["check", "new", "drills"])  # fmt: skip
def test_a_real_process_refuses_a_tilde_for_a_user_who_does_not_exist(tmp_path, args):
    done = coach(*args, cache=tmp_path / "cache", cwd=tmp_path)
    what = "new routine file" if args[0] == "new" else "routine file"
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"coach: error: {what}: ~nobody-here/r.yaml: there is no user named 'nobody-here'; "
        "write the path in full.\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_tilde_path_is_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_case(tmp_path, HEAD + DRILL)
    assert load_routine("~/routine.yaml").path == tmp_path / "routine.yaml"
