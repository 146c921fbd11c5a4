"""The player through a real ALSA device (a file), in child processes: the stand-in's player and
`coach play`, keys through a pseudo-terminal, signals, and the real speech engine."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from support.devices import (
    file_device,
    fixture_player,
    no_device,
    reached_device,
    session,
    write_routine,
)
from support.fixtures import player_routine, player_timeline  # noqa: F401 - module fixtures
from support.runners import COACH
from support.terminal import Terminal

from coach.routine.loading import load_routine
from coach.samples import SAMPLE_RATE

# --- through a real ALSA device, in subprocesses -------------------------------------------


@pytest.mark.slow
def test_session_and_rehearsal_reach_the_device_sample_for_sample(tmp_path, routine):
    routine_file = write_routine(tmp_path)
    runs = {
        "play": (["--live", "--only", "ankle-circle"],
                 session(routine, "ankle-circle").timeline()),
        "rehearse": (
            ["--live", "--rehearse", "spiderman"],
            session(routine, "walking-spiderman", rehearse=True).timeline(),
        ),
    }
    procs = {}
    started = time.monotonic()
    for name, (args, _) in runs.items():
        folder = tmp_path / name
        folder.mkdir()
        procs[name] = subprocess.Popen(
            fixture_player(routine_file, *args),
            env=file_device(folder, folder / "out.raw"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    for name, (_, expected) in runs.items():
        _, err = procs[name].communicate(timeout=60)
        assert procs[name].returncode == 0, err.decode()
        (got,) = reached_device(tmp_path / name / "out.raw")  # the device opened once
        assert np.array_equal(got, expected.samples), name
    # The device takes the bytes at once; the session still lasts its time, by the clock.
    assert time.monotonic() - started > max(t.script.duration for _, t in runs.values())


@pytest.mark.slow
def test_rendering_slower_than_playing_waits_and_loses_nothing(tmp_path, routine):
    expected = session(routine, "ankle-circle").timeline()
    started = time.monotonic()
    played = subprocess.run(
        fixture_player(write_routine(tmp_path), "--slow", "--only", "ankle-circle"),
        env=file_device(tmp_path, tmp_path / "out.raw"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    (got,) = reached_device(tmp_path / "out.raw")  # waited for, in the one opening
    assert np.array_equal(got, expected.samples)  # nothing lost, doubled or added
    clips = len(expected.script.texts())
    # Each clip took 0.3 s to make: the player waited for them, beyond the session's length.
    assert time.monotonic() - started > max(expected.script.duration, 0.3 * clips)


def test_no_device_says_so_and_suggests_export(tmp_path):
    result = subprocess.run(
        fixture_player(write_routine(tmp_path)),
        env=no_device(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("coach: error: No audio device could be opened")
    assert "coach export session.mp3" in result.stderr
    assert "Traceback" not in result.stderr and "ALSA lib" not in result.stderr


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_coach_play_stopped_by_a_signal_restores_the_terminal(tmp_path, signum, status):
    routine = write_routine(tmp_path)
    play = [*COACH, "play", "-r", str(routine), "--engine", "espeak-ng"]
    term = Terminal(tmp_path, command=play)
    term.wait_for_samples(SAMPLE_RATE)  # a second of the session has reached the device
    term.proc.send_signal(signum)
    assert term.finish() == status  # as a Ctrl-C would, with the terminal restored
    screen = term.screen.decode(errors="replace")
    assert f"coach: stopped ({signal.Signals(signum).name})." in screen
    assert "Traceback" not in screen
    assert screen.rfind("\x1b[?25h") > screen.rfind("\x1b[?25l")  # the cursor shown again


def slow_espeak(folder: Path, delay: float) -> str:
    """A PATH whose `espeak-ng` makes one clip at a time, each taking `delay` seconds more: a
    cold cache renders slower than the session plays, on any number of cores."""
    real = shutil.which("espeak-ng")
    if real is None:
        pytest.skip("espeak-ng is not installed")
    stand_in = folder / "bin" / "espeak-ng"
    stand_in.parent.mkdir()
    stand_in.write_text(
        "#!/bin/sh\n"
        f'case "$1" in -v) exec flock {folder / "espeak.lock"} sh -c \'sleep {delay}; '
        f'exec {real} "$@"\' sh "$@";; esac\n'
        f'exec {real} "$@"\n'
    )
    stand_in.chmod(0o755)
    return f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}"


COACH_PLAY = [*COACH, "play", "--engine", "espeak-ng", "--rest", "1"]


@pytest.mark.slow
def test_coach_play_shows_the_totals_while_the_session_is_still_being_made(tmp_path):
    routine = write_routine(tmp_path)
    term = Terminal(tmp_path, command=[*COACH_PLAY, "-r", str(routine)],
                    path=slow_espeak(tmp_path, 0.6))  # fmt: skip
    shown = term.wait_for_screen(r"Drill 1 of \d+: Ankle circle[^\n]*\n[^\n]*session")
    term.press("q")
    assert term.finish() == 0
    line = shown.group(0)
    assert line.startswith("Drill 1 of 2: Ankle circle")
    # Being made: an estimate, said as one; the tail of the session is still rendering.
    assert re.search(r"left in this part · about \d+:\d\d left in the session$", line), line
    assert len(list((tmp_path / "cache").rglob("*.wav"))) < len(session_texts(routine))
    screen = term.screen.decode(errors="replace")
    assert "-:--" not in screen and "Drill 1 of 1" not in screen and "Traceback" not in screen


def session_texts(routine_file: Path) -> list[str]:
    return session(load_routine(routine_file)).timeline().script.texts()


FOREGROUND_SHELL = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
"""A shell's part: it holds the terminal's foreground process group and runs a command."""


@pytest.mark.slow
def test_coach_play_under_timeout_plays_without_keys_and_says_so(tmp_path):
    """`timeout 120 coach play`: timeout puts itself and coach in a process group of their own,
    which the terminal would stop (SIGTTOU) for setting its keys' mode."""
    routine = write_routine(tmp_path)
    play = [*COACH_PLAY, "-r", str(routine), "--only", "ankle-circle"]
    term = Terminal(tmp_path, command=[sys.executable, "-c", FOREGROUND_SHELL,
                                       "timeout", "120", *play])  # fmt: skip
    assert term.finish(timeout=90) == 0
    screen = term.screen.decode(errors="replace")
    assert screen.count("coach: playing without keys: ") == 1
    assert (
        "\ncoach: playing without keys: not in the terminal's foreground process group; for "
        "keys, run it in the foreground (with `timeout`, add --foreground).\r\n"
    ) in "\n" + screen
    assert "left in the session" not in screen  # no live line drawn over the shell's
    exported = subprocess.run(
        [*COACH, "export", str(tmp_path / "s.wav"), *play[len(COACH) + 1 :]],
        env={**os.environ, "COACH_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    with wave.open(str(tmp_path / "s.wav")) as w:
        whole = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(np.concatenate(reached_device(term.out)), whole)  # played through


def test_device_failing_mid_session_is_an_error(tmp_path, timeline):
    device = tmp_path / "device"
    device.mkdir()
    term = Terminal(tmp_path, device / "out.raw", args=("--audio", "simpleaudio"))
    term.wait_for_samples(timeline.script.length)  # simpleaudio takes the whole piece at once
    device.rename(tmp_path / "gone")  # the device cannot be opened again
    term.press("n")
    assert term.finish() == 1
    screen = term.screen.decode(errors="replace")
    assert "coach: error: The audio device failed during the session" in screen
    assert "Traceback" not in screen


# --- end to end: the `coach` command, the real speech engine --------------------------------


@pytest.mark.slow
def test_coach_play_and_rehearse_on_an_empty_cache_reach_the_device_as_exported(tmp_path, routine):
    import wave

    from coach.compose.options import SessionOptions
    from coach.output.export import export_timeline
    from coach.session import open_session

    cache = tmp_path / "cache"  # empty: both commands render while they play
    routine_file = write_routine(tmp_path)
    runs = {}
    for name, args in (
        ("play", ["play", "--only", "ankle-circle"]),
        ("rehearse", ["rehearse", "SPIDER"]),
    ):
        (tmp_path / name).mkdir()
        env = file_device(tmp_path / name, tmp_path / name / "out.raw") | {
            "COACH_CACHE_DIR": str(cache / name)
        }
        runs[name] = subprocess.Popen(
            [*COACH, *args, "--routine", str(routine_file)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for proc in runs.values():
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    (played,) = reached_device(tmp_path / "play" / "out.raw")  # rendering as it plays: one
    (rehearsed,) = reached_device(tmp_path / "rehearse" / "out.raw")  # opening all the same

    # The same sessions made whole and exported, in a cache of their own.
    expected = {
        name: open_session(routine, options, cache_dir=tmp_path / "export-cache").timeline()
        for name, options in (
            ("play", SessionOptions(only=("ankle-circle",))),
            ("rehearse", SessionOptions(only=("walking-spiderman",), rehearse=True)),
        )
    }
    assert "Rehearsal: Walking spiderman." in expected["rehearse"].script.texts()
    wav = export_timeline(expected["play"], tmp_path / "session.wav").path
    with wave.open(str(wav)) as w:
        exported = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(played, exported)
    assert np.array_equal(rehearsed, expected["rehearse"].samples)
