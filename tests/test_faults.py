"""Faults: full and read-only disks, missing programs, damaged caches, killed exports.

After every fault the next run must give output identical, byte for byte, to a clean run.
Disks are real: small tmpfs mounts (root only, as on CI; skipped elsewhere).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from support.runners import COACH, coach

pytestmark = pytest.mark.slow  # a cold export of the real session first (`clean`)
DRILL = "wall-slide"  # a short drill keeps each run quick
TRACEBACK = "Traceback"


def export_wav(out: Path, cache: Path, **kwargs) -> subprocess.CompletedProcess:
    return coach("export", str(out), "--only", DRILL, cache=cache, **kwargs)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[bytes, Path]:
    """A clean run's WAV, and the warm cache that made it."""
    folder = tmp_path_factory.mktemp("clean")
    result = export_wav(folder / "clean.wav", folder / "cache")
    assert result.returncode == 0, result.stderr
    return (folder / "clean.wav").read_bytes(), folder / "cache"


@contextlib.contextmanager
def tmpfs(where: Path, size: str, read_only: bool = False):
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_full_disk_for_the_cache_still_gives_the_session(tmp_path, clean):
    wav, _ = clean
    with tmpfs(tmp_path / "full", "48k") as disk:
        result = export_wav(tmp_path / "out.wav", disk / "cache")
        assert result.returncode == 0, result.stderr
        assert "could not be saved in the cache" in result.stderr
        assert "No space left on device" in result.stderr
        assert TRACEBACK not in result.stderr
    assert (tmp_path / "out.wav").read_bytes() == wav


def test_read_only_cache_serves_its_clips_and_renders_the_rest(tmp_path, clean):
    wav, warm = clean
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as disk:
        result = export_wav(tmp_path / "empty.wav", disk)
        assert result.returncode == 0, result.stderr
        assert "Read-only file system" in result.stderr
    assert (tmp_path / "empty.wav").read_bytes() == wav

    with tmpfs(tmp_path / "ro-warm", "16m") as disk:
        shutil.copytree(warm, disk / "cache")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = export_wav(tmp_path / "warm.wav", disk / "cache")
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
    assert (tmp_path / "warm.wav").read_bytes() == wav


@pytest.mark.parametrize("size", ["8k", "200k"])
def test_full_disk_for_the_output_leaves_nothing_partial(tmp_path, clean, size):
    wav, warm = clean
    with tmpfs(tmp_path / "out", size) as disk:
        (disk / "old.wav").write_bytes(b"")  # an existing file is replaced only by a whole one
        result = export_wav(disk / "old.wav", warm)
        assert result.returncode == 1
        assert result.stderr.startswith("coach: error: Cannot write ")
        assert f"no space left on {disk}; free some space there" in result.stderr
        assert TRACEBACK not in result.stderr
        assert sorted(p.name for p in disk.iterdir()) == ["old.wav"]
        assert (disk / "old.wav").read_bytes() == b""
    # Nothing lost: the next run with room gives the clean output.
    assert export_wav(tmp_path / "again.wav", warm).returncode == 0
    assert (tmp_path / "again.wav").read_bytes() == wav


def test_read_only_output_folder(tmp_path, clean):
    _, warm = clean
    with tmpfs(tmp_path / "ro-out", "1m", read_only=True) as disk:
        result = export_wav(disk / "x.wav", warm)
        assert result.returncode == 1
        read_only = f"the folder {disk} is on a read-only file system; export elsewhere."
        assert read_only in result.stderr
        assert TRACEBACK not in result.stderr


def test_ffmpeg_missing(tmp_path, clean):
    wav, warm = clean
    bare = tmp_path / "bin"  # a PATH with neither ffmpeg nor anything else
    bare.mkdir()
    result = export_wav(tmp_path / "x.mp3", warm, path=str(bare))
    assert result.returncode == 1
    assert result.stderr == (
        "coach: error: Exporting .mp3 needs ffmpeg, which is not installed. Install it "
        "(`sudo apt-get install ffmpeg`), or export to .wav, which needs no ffmpeg.\n"
    )
    assert not (tmp_path / "x.mp3").exists()
    result = export_wav(tmp_path / "x.wav", warm, path=str(bare))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.wav").read_bytes() == wav


@pytest.mark.parametrize("engine, program", [("espeak-ng", "espeak-ng"), ("flite", "flite")])
def test_engine_program_missing(tmp_path, engine, program):
    bare = tmp_path / "bin"
    bare.mkdir()
    result = coach("script", "--engine", engine, cache=tmp_path / "cache", path=str(bare))
    assert result.returncode == 1
    assert f"apt-get install {program}" in result.stderr
    assert TRACEBACK not in result.stderr and result.stderr.count("\n") == 1


def damage(path: Path, how: str, rng: random.Random) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: rng.randrange(len(data))])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "junk":
        path.write_bytes(rng.randbytes(len(data)))
    elif how == "flip":
        i = rng.randrange(len(data))
        path.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :])
    elif how == "extend":
        path.write_bytes(data + b"\0" * rng.randrange(1, 64))
    elif how == "folder":
        path.unlink()
        path.mkdir()
    elif how == "header-only":
        path.write_bytes(data[:24])
    elif how == "endless":  # reading it whole would never end
        path.unlink()
        path.symlink_to("/dev/zero")
    elif how == "huge":  # a sparse 4 GB file: reading it whole would take 4 GB of memory
        with open(path, "r+b") as f:
            f.truncate(4 << 30)


DAMAGE = ["truncate", "empty", "junk", "flip", "extend", "header-only", "folder", "endless", "huge"]


@pytest.mark.parametrize("how", DAMAGE)
def test_every_damaged_cache_file_gives_the_clean_session(tmp_path, clean, how):
    wav, warm = clean
    cache = tmp_path / "cache"
    shutil.copytree(warm, cache)
    rng = random.Random(how)
    clips = rng.sample(sorted(cache.glob("*.clip")), 3)  # a few: every one is read and checked
    for clip in clips:
        damage(clip, how, rng)
    result = export_wav(tmp_path / "out.wav", cache)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.wav").read_bytes() == wav


def test_export_killed_at_random_points_never_leaves_a_partial_file(tmp_path, clean):
    _, warm = clean
    out = tmp_path / "session.mp3"
    first = coach("export", str(out), "--only", "squat-to-stand", cache=warm)
    assert first.returncode == 0, first.stderr
    whole = out.read_bytes()
    env = {**os.environ, "COACH_CACHE_DIR": str(warm)}
    rng = random.Random(7)
    survived, killed = 0, []
    for _ in range(8):
        process = subprocess.Popen(
            [*COACH, "export", str(out), "--only", "squat-to-stand"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.2, 2.5))
        killed.append(process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert out.read_bytes() == whole  # the old file, or a new whole one: the same bytes
        survived += 1
    assert survived == 8
    # Nothing lost: the next export is whole and leaves no temporary files behind.
    again = coach("export", str(out), "--only", "squat-to-stand", cache=warm)
    assert again.returncode == 0, again.stderr
    assert out.read_bytes() == whole
    assert [p.name for p in tmp_path.iterdir()] == ["session.mp3"]
    assert scratch_of(killed) == []  # the killed exports' scratch folders are gone too


def scratch_of(pids: list[int]) -> list[Path]:
    """The export scratch folders (metadata, ffmpeg's log) of these processes."""
    return [p for pid in pids for p in Path(tempfile.gettempdir()).glob(f"coach-export-{pid}-*")]


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_export_stopped_by_a_signal_cleans_up_like_ctrl_c(tmp_path, signum, status):
    out, cache = tmp_path / "session.mp3", tmp_path / "cache"
    out.write_bytes(b"the old export")
    env = {**os.environ, "COACH_CACHE_DIR": str(cache)}
    process = subprocess.Popen(
        [*COACH, "export", str(out)],  # cold: seconds of rendering
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".session.mp3.*.part")) or not list(cache.glob("*.clip")):
        assert time.monotonic() < deadline and process.poll() is None, "never started writing"
        time.sleep(0.05)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status
    assert stderr == f"coach: stopped ({signal.Signals(signum).name}).\n"
    assert out.read_bytes() == b"the old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "session.mp3"]
    assert scratch_of([process.pid]) == [] and not list(cache.glob(".coach-*.tmp"))
