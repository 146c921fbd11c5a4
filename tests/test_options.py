"""Session options that deserve a clear answer rather than silence, through the real command."""
from __future__ import annotations

import json
import subprocess

import pytest
from support.devices import file_device
from support.routines import routine_path
from support.runners import coach

ROUTINE = "built-in routine leg-mobility.yaml"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--only", ""], "--only: no names given; list one or more, comma-separated."),
        (["--only", ",,"], "--only: no names given; list one or more, comma-separated."),
        (["--skip", " "], "--skip: no names given; list one or more, comma-separated."),
        (["--without", "jetpack"],
         f"--without: no drill in {ROUTINE} needs 'jetpack'. The equipment it uses: wall, chin-up"
         " bar."),
        (["--pace", "3.0000001"], "--pace: must be between 0.5 and 3, got 3.0000001."),
        (["--rest", "600.5"], "--rest: must be between 0 and 600 seconds, got 600.5."),
        (["--volume", "1.0000001"], "--volume: must be between 0 and 1, got 1.0000001."),
    ],
)  # fmt: skip
def test_odd_option_values_are_bad_input_in_one_line(tmp_path, args, message):
    done = coach("script", *args, cache=tmp_path / "cache")
    assert (done.returncode, done.stderr) == (2, f"coach: error: {message}\n")
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_a_repeated_option_adds_to_the_list(tmp_path):
    both = ("--only", "wall-slide", "--only", "ankle-bounce,squat-to-stand")
    done = coach("script", "--json", *both, "--engine", "espeak-ng", cache=tmp_path)
    chapters = [c["id"] for c in json.loads(done.stdout)["chapters"] if c["kind"] == "drill"]
    assert chapters == ["squat-to-stand", "wall-slide", "ankle-bounce"]


@pytest.mark.slow
def test_volume_zero_says_the_session_is_silent(tmp_path):
    done = coach("export", str(tmp_path / "s.wav"), "--only", "wall-slide", "--volume", "0",
                 "--engine", "espeak-ng", cache=tmp_path / "cache")  # fmt: skip
    assert done.returncode == 0
    assert done.stderr == "coach: warning: --volume 0 is silence; the session will not be heard.\n"


@pytest.mark.slow
@pytest.mark.parametrize("engine, warned", [("flite", True), ("espeak-ng", False)])
def test_text_the_voice_cannot_say_is_named_not_silently_dropped(tmp_path, engine, warned):
    routine = routine_path("emoji-cue.yaml")
    done = coach("script", "-r", str(routine), "--engine", engine, cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    warning = (f"coach: warning: drill run: the {engine} voice says nothing for '🏃 💪'; write it"
               " in words, or try another --engine.\n")  # fmt: skip
    assert done.stderr == (warning if warned else "")
    if warned:  # `coach rehearse` (as `play`) makes the session while it plays, and warns the same
        device = {**file_device(tmp_path, tmp_path / "out.raw"),
                  "COACH_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
        played = coach("rehearse", "run", "-r", str(routine), "--engine", engine, env=device,
                       stdin=subprocess.DEVNULL, timeout=120)  # fmt: skip
        assert played.returncode == 0, played.stderr
        assert played.stderr == warning
