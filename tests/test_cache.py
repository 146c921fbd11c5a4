"""The clip cache: keys, the file format and its checks, atomic writes, info, clear and prune."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from support.runners import coach

from coach.cache.records import read_record, record_path, write_record
from coach.cache.store import (
    CACHE_ENV,
    CacheSource,
    DamagedClipError,
    cache_info,
    clear_cache,
    clip_key,
    clip_path,
    default_cache_dir,
    locate_cache,
    prune_cache,
    read_clip,
    read_sidecar,
    sidecar_path,
    write_clip,
    write_sidecar,
)

CLIP = np.arange(-500, 500, dtype=np.int16)


def test_the_cache_folder_is_the_flag_then_the_variable_then_the_config_then_the_platforms(
    monkeypatch, tmp_path
):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert locate_cache() == (tmp_path / "xdg" / "coach", CacheSource.DEFAULT)
    assert locate_cache(None, tmp_path / "conf") == (tmp_path / "conf", CacheSource.CONFIG)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    assert locate_cache(None, tmp_path / "conf") == (tmp_path / "env", CacheSource.VARIABLE)
    assert locate_cache(tmp_path / "flag", "x") == (tmp_path / "flag", CacheSource.FLAG)
    assert default_cache_dir() == tmp_path / "env"


def test_key_covers_every_part_and_hides_the_text(tmp_path):
    base = dict(engine="e", version="1", voice="v", rate=150, text="Knee up", model="sha")
    keys = {clip_key(**base)} | {clip_key(**{**base, k: "other"}) for k in base}
    assert len(keys) == len(base) + 1
    assert clip_key(**base) == clip_key(**dict(reversed(base.items())))
    path = clip_path(tmp_path, clip_key(**base))
    assert "Knee" not in str(path) and path.parent == tmp_path


@given(arrays(np.int16, st.integers(1, 2000)))
def test_round_trip(tmp_path_factory, samples):
    path = tmp_path_factory.mktemp("c") / "x.clip"
    write_clip(path, samples)
    assert np.array_equal(read_clip(path), samples)
    assert read_clip(path).dtype == np.int16


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "sub" / "x.clip"
    write_clip(path, CLIP)
    write_clip(path, CLIP[:10])
    assert sorted(os.listdir(path.parent)) == ["CACHEDIR.TAG", "x.clip"]
    assert np.array_equal(read_clip(path), CLIP[:10])


def _damage(data: bytes) -> list[bytes]:
    flipped = bytearray(data)
    flipped[-1] ^= 1
    return [b"", data[:10], data[:-1], data + b"\0\0", b"junk" * 100, bytes(flipped),
            b"X" + data[1:], data[:24]]  # fmt: skip


def test_every_damage_is_detected(tmp_path):
    path = tmp_path / "x.clip"
    write_clip(path, CLIP)
    good = path.read_bytes()
    for bad in _damage(good):
        path.write_bytes(bad)
        with pytest.raises(DamagedClipError):
            read_clip(path)
    with pytest.raises(FileNotFoundError):
        read_clip(tmp_path / "missing.clip")


def _fill(folder: Path, ages_days: list[float]) -> list[Path]:
    now = time.time()
    paths = []
    for i, age in enumerate(ages_days):
        p = clip_path(folder, clip_key(text=str(i)))
        write_clip(p, CLIP)
        os.utime(p, (now - age * 86400, now - age * 86400))
        paths.append(p)
    return paths


def test_info_and_clear(tmp_path):
    none = tmp_path / "none"
    assert cache_info(none) == {"folder": str(none), "clips": 0, "beds": 0, "bytes": 0}
    paths = _fill(tmp_path, [0, 1, 2])
    stale = tmp_path / f".coach-{'a1' * 8}.tmp"  # left by a killed run, an hour ago
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 3700,) * 2)
    info = cache_info(tmp_path)
    size = 3 * paths[0].stat().st_size
    assert info == {"folder": str(tmp_path), "clips": 3, "beds": 0, "bytes": size}
    assert clear_cache(tmp_path) == 3
    assert os.listdir(tmp_path) == []
    assert clear_cache(tmp_path / "none") == 0


def test_prune_removes_least_recently_used(tmp_path):
    paths = _fill(tmp_path, [0, 5, 10, 20])
    size = paths[0].stat().st_size
    read_clip(paths[3])  # a read counts as a use
    assert prune_cache(tmp_path, older_than_days=7) == {"removed": 1, "clips": 3, "bytes": 3 * size}
    assert not paths[2].exists() and paths[3].exists()
    pruned = prune_cache(tmp_path, max_bytes=2 * size + 1)
    assert pruned == {"removed": 1, "clips": 2, "bytes": 2 * size}
    assert paths[3].exists() and paths[0].exists() and not paths[1].exists()
    assert prune_cache(tmp_path, max_bytes=0)["clips"] == 0


def test_a_record_of_an_export_goes_by_age_and_a_clips_measures_with_its_clip(tmp_path):
    clips = _fill(tmp_path, [0, 20])
    for clip in clips:
        write_sidecar(sidecar_path(clip), b"levels")
    old, new = "ab" * 32, "cd" * 32
    write_record(tmp_path, old, {"then": None})
    write_record(tmp_path, new, {"then": None})
    month_ago = time.time() - 30 * 86400
    for path in (sidecar_path(clips[0]), record_path(tmp_path, old)):
        os.utime(path, (month_ago, month_ago))  # only the clip's use counts for its measures
    prune_cache(tmp_path, older_than_days=7)
    assert read_record(tmp_path, old) is None and read_record(tmp_path, new) == {"then": None}
    assert sidecar_path(clips[0]).exists() and not sidecar_path(clips[1]).exists()
    assert prune_cache(tmp_path, max_bytes=0)["clips"] == 0
    assert read_record(tmp_path, new) is not None  # a few bytes: not counted, nor pruned by size


def test_sidecars_read_back_whole_or_not_at_all(tmp_path):
    path = sidecar_path(clip_path(tmp_path, "k"))
    write_sidecar(path, b"measurements")
    assert read_sidecar(path) == b"measurements"
    whole = path.read_bytes()
    for damaged in (whole[:-1], whole[:10], whole[:-1] + b"X", b"COACHPCM" + whole[8:]):
        path.write_bytes(damaged)
        with pytest.raises(DamagedClipError):
            read_sidecar(path)
    with pytest.raises(FileNotFoundError):
        read_sidecar(tmp_path / "none.measures")


def test_clear_and_prune_take_the_sidecars_with_the_clips(tmp_path):
    paths = _fill(tmp_path, [0, 5, 10])
    for p in paths:
        write_sidecar(sidecar_path(p), b"m")
    size = paths[0].stat().st_size
    assert prune_cache(tmp_path, older_than_days=7) == {"removed": 1, "clips": 2, "bytes": 2 * size}
    assert not sidecar_path(paths[2]).exists() and sidecar_path(paths[1]).exists()
    assert clear_cache(tmp_path) == 2
    assert os.listdir(tmp_path) == []


# --- the cache deletes only what is its own (through the real `coach` command) -------------

USERS = {
    "intro.clip": b"my notes",
    "field.measures": b"my measures",
    ".notes.tmp": b"my temporary notes",
    ".coach-notes.tmp": b"named like the cache's temporaries, and old",
    "0" * 64 + ".clip": b"not a clip of coach's",  # the name of a clip, someone else's bytes
}

STALE, FRESH = f".coach-{'5a' * 8}.tmp", f".coach-{'f0' * 8}.tmp"
"""The cache's own temporary files, by the exact name it gives them: one old, one new."""


def users_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in USERS.items():
        (folder / name).write_bytes(data)
    (folder / ("1" * 64 + ".clip")).mkdir()  # a folder named like a clip
    stale, fresh = folder / STALE, folder / FRESH
    stale.write_bytes(b"left by a killed run")
    for old in (stale, folder / ".coach-notes.tmp"):
        os.utime(old, (time.time() - 7200,) * 2)
    fresh.write_bytes(b"being written by another run")


def assert_users_files_remain(folder: Path) -> None:
    for name, data in USERS.items():
        assert (folder / name).read_bytes() == data, name
    assert (folder / ("1" * 64 + ".clip")).is_dir()
    assert (folder / FRESH).exists() and not (folder / STALE).exists()


@pytest.mark.parametrize("command", [["clear"], ["prune", "--max-mb", "0"]])
def test_clear_and_prune_delete_only_the_caches_own_files(tmp_path, command):
    folder = tmp_path / "here"
    users_files(folder)
    made = coach("script", "--only", "wall-slide", "--engine", "espeak-ng", "--cache-dir",
                 str(folder), cache=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    ours = [p for p in folder.iterdir() if len(p.stem) == 64 and p.stem not in ("0" * 64, "1" * 64)]
    assert ours
    done = coach("cache", *command, "--cache-dir", str(folder), cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not any(p.exists() for p in ours)
    if command == ["clear"]:
        assert_users_files_remain(folder)
    else:  # prune leaves temporary files to clear
        for name, data in USERS.items():
            assert (folder / name).read_bytes() == data


def test_a_folder_the_cache_makes_is_tagged_for_backup_tools(tmp_path):
    write_clip(tmp_path / "new" / "x.clip", CLIP)
    tag = (tmp_path / "new" / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55\n")


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--cache-dir", ""], {}, "--cache-dir: is empty; name a folder, e.g. ~/.cache/coach."),
        ([], {CACHE_ENV: ""}, "COACH_CACHE_DIR is set but empty; unset it or name a folder."),
        (["--cache-dir", "{file}"], {}, "--cache-dir: {file} is not a folder."),
    ],
)
@pytest.mark.parametrize("command", [["script"], ["cache", "info"], ["cache", "clear"]])
def test_a_bad_cache_folder_is_bad_input(tmp_path, monkeypatch, command, args, env, message):

    file = tmp_path / "a-file"
    file.write_text("mine")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = [a.replace("{file}", str(file)) for a in args]
    done = coach(*command, *args, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, f"coach: error: {message.format(file=file)}\n")
    assert file.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_tilde_is_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir("~/clips") == tmp_path / "clips"
    monkeypatch.setenv(CACHE_ENV, "~/env-clips")
    assert default_cache_dir() == tmp_path / "env-clips"


@pytest.mark.parametrize(
    "args, status, message",
    [
        (["prune", "--max-mb", "nan"], 2, "--max-mb: must be a number, 0 or more, got nan."),
        (["prune", "--max-mb", "inf"], 2, "--max-mb: must be a number, 0 or more, got inf."),
        (["prune", "--max-mb", "-1"], 2, "--max-mb: must be a number, 0 or more, got -1."),
        (["prune", "--older-than", "nan"], 2, "--older-than: must be a number, 0 or more, got"),
        (["prune", "--max-mb", "1e308"], 0, ""),
        (["info", "--cache-dir", "/tmp/" + "a" * 6000], 2, "the name is too long"),
        (["clear", "--cache-dir", "/tmp/" + "a" * 6000], 2, "the name is too long"),
    ],
)
def test_cache_commands_answer_odd_values_in_one_line(tmp_path, args, status, message):
    done = coach("cache", *args, cache=tmp_path / "cache")
    assert done.returncode == status and message in done.stderr, done.stderr
    assert "internal error" not in done.stderr and len(done.stderr) < 200


# --- random damage to a warm cache (hypothesis) ----------------------------------------------

DAMAGE_PHRASES = ["Chest up.", "Slow and smooth.", "Last one, left."]


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A cache holding the clips (and measurements) of a few phrases, and those clips."""
    from coach.tts import Speech, VoiceSettings

    folder = tmp_path_factory.mktemp("warm")
    speech = Speech(VoiceSettings("espeak-ng"), folder)
    clips = speech.clips(DAMAGE_PHRASES)
    for text in DAMAGE_PHRASES:
        speech.store_measures(text, b"measured " + text.encode())
    return folder, clips


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_damage_to_the_cache_never_changes_a_clip(tmp_path_factory, warm_cache, data):
    import shutil

    from coach.tts import Speech, VoiceSettings

    folder, clean = warm_cache
    cache = tmp_path_factory.mktemp("damaged") / "cache"
    shutil.copytree(folder, cache)
    for path in sorted(cache.glob("*.clip")) + sorted(cache.glob("*.measures")):
        raw = bytearray(path.read_bytes())
        how = data.draw(st.sampled_from(["keep", "cut", "flip", "grow", "junk", "empty"]))
        at = data.draw(st.integers(0, len(raw) - 1))
        if how == "cut":
            raw = raw[:at]
        elif how == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif how == "grow":
            raw += data.draw(st.binary(min_size=1, max_size=64))
        elif how == "junk":
            raw = bytearray(data.draw(st.binary(max_size=256)))
        elif how == "empty":
            raw = bytearray()
        path.write_bytes(bytes(raw))
    speech = Speech(VoiceSettings("espeak-ng"), cache)
    clips = speech.clips(DAMAGE_PHRASES)
    assert all(np.array_equal(clips[t], clean[t]) for t in DAMAGE_PHRASES)
    for text in DAMAGE_PHRASES:  # a measurement is either whole or gone, never garbage
        assert speech.measures(text) in (None, b"measured " + text.encode())
