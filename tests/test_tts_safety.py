"""The TTS layer against a hostile machine (issue 20): swapped cache files, a nearly full
$TMPDIR, engine programs that hang with children of their own, user paths naming no user, a
sentence too long to render whole, and ONNX Runtime's telemetry. Real `coach` processes and
real engines, as a user runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support.routines import routine_bytes
from support.runners import coach

from coach.cache.store import DamagedClipError, read_bed, read_clip, write_bed, write_clip
from coach.errors import EngineError
from coach.tts import Speech, VoiceSettings
from coach.tts import engines as engines_module
from coach.tts.engines import EspeakNgEngine
from coach.tts.pyttsx3_engine import Pyttsx3Engine
from coach.tts.speech import PIECE_CHARS, joined, pieces, sentences, spoken_text

ROUTINE = routine_bytes("one-side-lunge.yaml")


def routine(tmp_path: Path, text: bytes = ROUTINE) -> Path:
    path = tmp_path / "r.yaml"
    path.write_bytes(text)
    return path


def export(tmp_path: Path, name: str, cache: Path, *args: str, env: dict | None = None):
    """`coach export NAME.wav` of the tiny routine with eSpeak NG (unless `args` say otherwise)."""
    out = tmp_path / f"{name}.wav"
    done = coach("export", str(out), "-r", str(routine(tmp_path)), "--engine", "espeak-ng",
                 *args, "--cache-dir", str(cache), env=env, timeout=120)  # fmt: skip
    return done, out


# --- 1. a cache file is the one its name says ----------------------------------------------


@pytest.mark.slow
def test_two_clips_swapped_between_their_names_are_rendered_again(tmp_path):
    cache = tmp_path / "cache"
    done, clean = export(tmp_path, "clean", cache)
    assert done.returncode == 0, done.stderr
    clips = sorted(cache.glob("*.clip"), key=lambda p: p.stat().st_size)
    small, large = clips[0], clips[-1]
    for suffix in (".clip", ".measures"):  # a swap of the measurements too
        a, b = small.with_suffix(suffix), large.with_suffix(suffix)
        data_a, data_b = a.read_bytes(), b.read_bytes()
        a.write_bytes(data_b)
        b.write_bytes(data_a)
    done, again = export(tmp_path, "again", cache)
    assert (done.returncode, done.stderr) == (0, "")
    assert again.read_bytes() == clean.read_bytes()


def test_every_kind_of_cache_file_refuses_another_name(tmp_path):
    a, b = tmp_path / ("a" * 64 + ".clip"), tmp_path / ("b" * 64 + ".clip")
    write_clip(a, np.arange(100, dtype=np.int16))
    shutil.copyfile(a, b)
    with pytest.raises(DamagedClipError, match="another key's clip"):
        read_clip(b)
    bed_a, bed_b = a.with_suffix(".bed"), b.with_suffix(".bed")
    write_bed(bed_a, {"head": 0}, np.zeros((10, 2), dtype=np.int16))
    shutil.copyfile(bed_a, bed_b)
    assert read_bed(bed_a) is not None and read_bed(bed_b) is None


# --- 2. a nearly full temporary folder ------------------------------------------------------


@pytest.fixture
def full_tmpdir(tmp_path):
    """A 1 MB tmpfs, filled until 16 KB are left; skipped where it cannot be mounted."""
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'not root'}")
    try:
        st = os.statvfs(folder)
        (folder / "filler").write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 16 * 1024))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["espeak-ng", "flite"])
def test_a_program_engine_needs_no_room_in_tmpdir(tmp_path, full_tmpdir, engine):
    done, clean = export(tmp_path, "clean", tmp_path / "c1", "--engine", engine)
    assert done.returncode == 0, done.stderr
    before = sorted(os.listdir(full_tmpdir))
    done, full = export(tmp_path, "full", tmp_path / "c2", "--engine", engine,
                        env={"TMPDIR": str(full_tmpdir)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert full.read_bytes() == clean.read_bytes()  # no clip cut short
    assert sorted(os.listdir(full_tmpdir)) == before


def test_pyttsx3_says_the_temporary_folder_is_full(tmp_path, full_tmpdir):
    before = sorted(os.listdir(full_tmpdir))
    start = time.monotonic()
    done, out = export(tmp_path, "out", tmp_path / "c", "--engine", "pyttsx3",
                       env={"TMPDIR": str(full_tmpdir)})  # fmt: skip
    assert time.monotonic() - start < 15  # not the 20 s time limit of a clip
    assert (done.returncode, done.stderr) == (1, (
        f"coach: error: no space left in {full_tmpdir} (the temporary folder, $TMPDIR) for the"
        " pyttsx3 clips; free some space there, or set TMPDIR to a folder with room.\n"))
    assert not out.exists() and sorted(os.listdir(full_tmpdir)) == before


# --- 3. every wait on a child is bounded, and ends its whole group ---------------------------

FAKE_ESPEAK = """#!/bin/sh
# A stand-in espeak-ng: answers --version at once (unless HANG_ON is "--version"), otherwise
# starts a child of its own and waits for it, noting both pids.
if [ "$1" = "--version" ] && [ "$HANG_ON" != "--version" ]; then
    echo "eSpeak NG text-to-speech: 1.51  Data at: /nowhere"; exit 0
fi
sleep 300 &
echo $$ $! >> "$PIDS"
wait
"""


def alive(pid: int) -> bool:
    """Whether `pid` still runs a second from now (a killed process takes a moment to die; a
    zombie no container init has reaped yet does not run)."""
    deadline = time.monotonic() + 1
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z" or time.monotonic() > deadline:
            return state != "Z"
        time.sleep(0.02)


@pytest.fixture
def fake_espeak(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "espeak-ng").write_text(FAKE_ESPEAK)
    (bin_dir / "espeak-ng").chmod(0o755)
    pids = tmp_path / "pids"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PIDS", str(pids))
    return pids


def started(pids: Path) -> list[int]:
    return [int(p) for p in pids.read_text().split()]


def test_a_probe_that_times_out_leaves_no_process(fake_espeak, monkeypatch):
    monkeypatch.setattr(engines_module, "PROBE_SECONDS", 0.5)
    monkeypatch.setenv("HANG_ON", "--version")
    with pytest.raises(EngineError) as e:
        EspeakNgEngine()
    assert str(e.value) == "espeak-ng --version timed out after 0.5 s."
    assert len(started(fake_espeak)) == 2 and not any(map(alive, started(fake_espeak)))


def test_a_render_that_times_out_leaves_no_process(tmp_path, fake_espeak):
    speech = Speech(VoiceSettings("espeak-ng"), tmp_path / "cache", timeout=0.5, workers=2)
    start = time.monotonic()
    with pytest.raises(EngineError, match=r"^espeak-ng rendering '.*' timed out after 0.5 s\.$"):
        speech.clips(["One.", "Two."])
    assert time.monotonic() - start < 5
    assert started(fake_espeak) and not any(map(alive, started(fake_espeak)))


def test_a_pyttsx3_worker_that_hangs_is_ended_with_its_group(tmp_path, monkeypatch):
    worker = tmp_path / "worker.py"
    pids = tmp_path / "pids"
    worker.write_text("import subprocess, sys, time\n"
                      "child = subprocess.Popen(['sleep', '300'])\n"
                      f"open({str(pids)!r}, 'w').write(f'{{child.pid}}')\n"
                      "time.sleep(300)\n")  # fmt: skip
    monkeypatch.setattr(Pyttsx3Engine, "WORKER", worker)
    monkeypatch.setattr(engines_module, "PROBE_SECONDS", 0.5)
    monkeypatch.setattr("coach.tts.pyttsx3_engine.PROBE_SECONDS", 0.5)
    speech = Speech(VoiceSettings("pyttsx3"), tmp_path / "cache", timeout=0.5)
    with pytest.raises(EngineError) as e:
        speech.clips(["One."])
    assert str(e.value) == "The pyttsx3 worker gave no answer for 1 s; it hangs."
    assert not alive(int(pids.read_text()))


# --- user paths naming a user who does not exist ---------------------------------------------

NOBODY = "~nobody-here/x"


@pytest.mark.parametrize(
    "args, env, where",
    [
        (["script", "--cache-dir", NOBODY], {}, "--cache-dir"),
        (["cache", "info", "--cache-dir", NOBODY], {}, "--cache-dir"),
        (["script"], {"COACH_CACHE_DIR": NOBODY}, "$COACH_CACHE_DIR"),
        (["script", "--voice", NOBODY + ".onnx"], {}, "--voice"),
        (["voices", "--engine", "piper"], {"COACH_VOICES_DIR": NOBODY}, "$COACH_VOICES_DIR"),
    ],
)
def test_a_path_of_a_user_who_does_not_exist_is_bad_input(tmp_path, args, env, where):
    done = coach(*args, cache=tmp_path / "cache", env=env, cwd=tmp_path)
    named = NOBODY + (".onnx" if where == "--voice" else "")
    assert (done.returncode, done.stderr) == (2, (
        f"coach: error: {where}: {named}: there is no user named 'nobody-here'; write the path"
        " in full.\n"))
    assert not (tmp_path / "cache").exists()


# --- 4. a sentence too long to render whole -------------------------------------------------

CLAUSES = ["keep your chest tall", "breathe out slowly as you lower", "soften the shoulders",
           "let the knee track over the second toe", "press the heel into the floor"]  # fmt: skip
LONG_SENTENCE = ("Stand tall with your feet apart, " + ", ".join(CLAUSES * 12))[:1480] + "."


def test_a_long_sentence_is_cut_at_its_clauses_then_at_words():
    cut = pieces(LONG_SENTENCE)
    assert max(map(len, cut)) <= PIECE_CHARS and len(cut) >= len(LONG_SENTENCE) // PIECE_CHARS
    assert " ".join(cut) == LONG_SENTENCE  # every word, in order
    assert all(p.endswith((",", ".")) for p in cut)  # at clause marks
    words = " ".join(["squat"] * 100)  # no clause mark at all
    assert max(map(len, pieces(words))) <= PIECE_CHARS and " ".join(pieces(words)) == words
    assert max(map(len, pieces("a" * 500))) == PIECE_CHARS  # one word longer than a piece


def test_no_built_in_text_is_cut_into_pieces():
    from coach.compose.composer import phrases
    from coach.compose.options import SessionOptions
    from coach.routine.loading import load_routine

    texts = {spoken_text(t) for t in phrases(load_routine(), SessionOptions())}
    assert all(pieces(part) == [part] for t in texts for part in sentences(t))


def test_a_long_sentence_renders_as_its_pieces_joined(tmp_path):
    speech = Speech(VoiceSettings("espeak-ng"), tmp_path / "a")
    clip = speech.clip(LONG_SENTENCE)
    alone = Speech(VoiceSettings("espeak-ng"), tmp_path / "b")
    assert np.array_equal(clip, joined([alone.clip(p) for p in pieces(LONG_SENTENCE)]))


PEAK_OF_ONE_RUN = """
import os, runpy, sys
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
sys.argv = ["coach", *sys.argv[1:]]
try:
    runpy.run_module("coach", run_name="__main__")
except SystemExit as end:
    status = end.code
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(hwm.split()[1]) * 1024, file=sys.stderr)
sys.exit(status)
"""
"""Runs the coach on one core and prints its own peak memory in bytes. Pieces render one per
core at once, so on one core the peak is one piece's, on any machine. The peak is read from
/proc (VmHWM, the process's memory since it started) because the kernel's `ru_maxrss` also
counts the parent's memory at the fork, here a test worker's."""


@pytest.mark.slow
def test_piper_renders_a_long_sentence_in_bounded_memory(tmp_path):
    text = (f"name: Long\ndrills:\n  - name: Squat\n    instructions: {LONG_SENTENCE}\n"
            "    reps: 1\n    rep_seconds: 2\n").encode()
    done = subprocess.run([sys.executable, "-c", PEAK_OF_ONE_RUN, "cache", "warm", "-r",
                           str(routine(tmp_path, text)), "--cache-dir", str(tmp_path / "c")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert int(done.stderr.split()[-1]) < 1.0e9  # one piece at a time: 0.6 GB; whole: 2.0 GB


# --- 5. nothing sent, nothing written outside the coach's own folders -------------------------


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.slow
def test_a_piper_export_writes_only_its_cache_and_its_output(tmp_path):
    home, tmp, out = tmp_path / "home", tmp_path / "tmp", tmp_path / "out"
    for folder in (home, tmp, out):
        folder.mkdir()
    unset = {k: None for k in os.environ if k.startswith("XDG_") or k == "ORT_DISABLE_TELEMETRY"}
    done = coach("export", str(out / "s.wav"), "-r", str(routine(tmp_path)), "--cache-dir",
                 str(tmp_path / "cache"), cwd=tmp_path,
                 env={**unset, "HOME": str(home), "TMPDIR": str(tmp)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tree(home), tree(tmp), tree(out)) == (set(), set(), {"s.wav"})
