"""What the `coach` command writes when its surroundings are hostile: a standard output whose
encoding cannot show the text, any COLUMNS, a full or closed standard stream. Every case runs
the real program and checks the exit status and the lines the user sees."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support.routines import copy_routine
from support.runners import coach as run_coach

STDOUT_FULL = (
    "coach: error: standard output: no space left on device; send the output somewhere it can "
    "be written.\n"
)


@pytest.fixture
def routine(tmp_path) -> Path:
    return copy_routine("spanish-accents.yaml", tmp_path, "rutina.yaml")


def coach(*args: str, cache: str, env: dict[str, str | None] | None = None,
          **popen) -> subprocess.CompletedProcess:  # fmt: skip
    """The real program with `args` and its clips in `cache`, in UTF-8 mode unless `env` says
    otherwise; its streams as bytes, for the tests read exactly what reached them."""
    return run_coach(*args, cache=cache, env={"PYTHONUTF8": "1", **(env or {})}, text=False,
                     timeout=120, **popen)  # fmt: skip


def text(stream: bytes) -> str:
    return stream.decode("utf-8")


# --- an encoding that cannot show the text ------------------------------------------------


def test_an_ascii_stdout_gets_every_line_with_what_it_cannot_show_escaped(tmp_path, routine):
    cache = str(tmp_path / "cache")
    utf8 = coach("drills", "-r", str(routine), cache=cache)
    ascii_ = coach("drills", "-r", str(routine), cache=cache, env={"PYTHONIOENCODING": "ascii"})
    assert ascii_.returncode == 0 and ascii_.stderr == b""
    shown = ascii_.stdout.decode("ascii")  # nothing but ASCII reached the stream
    assert shown.splitlines()[0] == "Rutina \\u2014 f\\u00e1cil"
    assert "| 1 | puente     | Puente de gl\\u00fateos |" in shown
    assert len(shown.splitlines()) == len(text(utf8.stdout).splitlines())  # every line


def test_an_ascii_stdout_gets_json_that_reads_back_exactly(tmp_path, routine):
    cache = str(tmp_path / "cache")
    utf8 = coach("drills", "--json", "-r", str(routine), cache=cache)
    ascii_ = coach("drills", "--json", "-r", str(routine), cache=cache,
                   env={"PYTHONIOENCODING": "ascii"})  # fmt: skip
    assert ascii_.returncode == 0 and ascii_.stderr == b""
    assert json.loads(ascii_.stdout.decode("ascii")) == json.loads(text(utf8.stdout))
    assert json.loads(ascii_.stdout)["drills"][0]["name"] == "Puente de glúteos"


def test_an_ascii_stderr_gets_the_error_line_whole(tmp_path):
    missing = tmp_path / "rutina-fácil.yaml"
    result = coach("check", str(missing), cache=str(tmp_path / "cache"),
                   env={"PYTHONIOENCODING": "ascii"})  # fmt: skip
    assert result.returncode == 2
    escaped = str(missing).replace("á", "\\u00e1")
    line = f"coach: error: {escaped}: no such file. Check the path.\n"
    assert result.stderr.decode("ascii") == line


def test_an_ascii_stdout_gets_the_timed_script(tmp_path, routine):
    result = coach("script", "-r", str(routine), "--only", "puente", "--engine", "espeak-ng",
                   cache=str(tmp_path / "cache"), env={"PYTHONIOENCODING": "ascii"})  # fmt: skip
    assert result.returncode == 0, text(result.stderr)
    assert "Puente de gl\\u00fateos." in result.stdout.decode("ascii")


# --- COLUMNS -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("columns", ["0", "-5", "junk", "", "99999999999", "²", "9" * 5000])
def test_any_columns_prints_every_line(tmp_path, routine, columns):
    cache = str(tmp_path / "cache")
    unset = coach("drills", "-r", str(routine), cache=cache, env={"COLUMNS": None})
    listed = coach("drills", "-r", str(routine), cache=cache, env={"COLUMNS": columns})
    assert listed.returncode == 0 and listed.stderr == b""
    assert listed.stdout == unset.stdout  # as if unset: the terminal's width, or 80
    missing = tmp_path / "missing.yaml"
    failed = coach("check", str(missing), cache=cache, env={"COLUMNS": columns})
    assert failed.returncode == 2
    assert text(failed.stderr) == f"coach: error: {missing}: no such file. Check the path.\n"
    helped = coach("--help", cache=cache, env={"COLUMNS": columns})
    assert helped.returncode == 0 and b"rehearse" in helped.stdout


@pytest.mark.slow
def test_a_usable_columns_is_kept(tmp_path):
    for columns in (100, 60):  # the help's panels are drawn across the whole width
        helped = coach("--help", cache=str(tmp_path / "cache"), env={"COLUMNS": str(columns)})
        assert max(len(line) for line in text(helped.stdout).splitlines()) == columns


# --- a standard stream full or closed ------------------------------------------------------


@pytest.mark.parametrize("args", [["drills"], ["--help"], ["schema"]])
def test_a_full_stdout_is_named(tmp_path, args):
    with open("/dev/full", "wb") as full:
        result = coach(*args, cache=str(tmp_path / "cache"), stdout=full)
    assert result.returncode == 1
    assert text(result.stderr) == STDOUT_FULL


def test_an_export_to_a_full_stdout_writes_the_file_then_names_stdout(tmp_path, routine):
    target = tmp_path / "s.wav"
    with open("/dev/full", "wb") as full:
        result = coach("export", str(target), "-r", str(routine), "--only", "puente",
                       "--engine", "espeak-ng", "--rest", "0", cache=str(tmp_path / "cache"),
                       stdout=full)  # fmt: skip
    assert result.returncode == 1
    assert text(result.stderr) == STDOUT_FULL
    assert target.stat().st_size > 44  # the audio was written; only "Wrote ..." was lost
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "rutina.yaml", "s.wav"]


def test_a_closed_stdout_is_named(tmp_path):
    result = coach("drills", cache=str(tmp_path / "cache"), stdout=None,
                   preexec_fn=lambda: os.close(1))  # fmt: skip
    assert result.returncode == 1
    assert text(result.stderr) == (
        "coach: error: standard output: closed; send the output somewhere it can be written.\n"
    )


@pytest.mark.parametrize("stderr", ["full", "closed"])
@pytest.mark.parametrize(
    "args, status",
    [(["check", "missing.yaml"], 2), (["drills", "--bogus"], 2), (["drills"], 0),
     (["--debug", "check", "missing.yaml"], 2)],
)  # fmt: skip
def test_a_full_or_closed_stderr_keeps_the_exit_status(tmp_path, stderr, args, status):
    with open("/dev/full", "wb") as full:
        result = run_coach(
            *args, cache=tmp_path / "cache", cwd=tmp_path, text=False, timeout=60,
            stderr=full if stderr == "full" else None,
            preexec_fn=(lambda: os.close(2)) if stderr == "closed" else None,
        )  # fmt: skip
    assert result.returncode == status
    assert (b"Leg mobility for runners" in result.stdout) == (status == 0)


# --- paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["cache", "info", "--cache-dir"], ["drills", "--routine"], ["script", "--cache-dir"]]
)
def test_a_home_folder_of_nobody_is_bad_input(tmp_path, args):
    """The `~user` of a user who does not exist is refused where the path is expanded (paths.py);
    the command line makes it exit 2 with that one line."""
    result = coach(*args, "~no-such-user-here/x", cache=str(tmp_path / "cache"))
    assert result.returncode == 2
    line = text(result.stderr)
    assert line.startswith("coach: error: ") and line.count("\n") == 1
    assert "no-such-user-here" in line and "internal error" not in line
