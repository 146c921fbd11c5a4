"""Music from the commands' side: the bed is made once and kept, tracks are ordered or shuffled,
`coach export` and `coach play` carry it, and every kind of bad music is refused with one line.
(What a listener hears of the mix: test_music.py.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from support.audio import ebur128, ffprobe_chapters
from support.devices import file_device, fixture_player, reached_device
from support.fixtures import music_folder, noisy_music  # noqa: F401 - module fixtures
from support.music import (
    SESSION_SECONDS,
    make_track,
)
from support.routines import copy_routine, routine_bytes
from support.runners import COACH, coach

from coach.audio.bed import MUSIC_RATE
from coach.music.bed import MusicChoice, load_bed, make_playlist
from coach.routine.loading import parse_routine

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
MINI = "one-calf-few-seconds.yaml"
"""A routine whose session lasts a few seconds, for the tests that play one in real time."""



# --- the bed is made once ---------------------------------------------------------------


def test_a_bed_is_kept_in_the_cache_and_rebuilt_when_damaged(noisy, tmp_path, monkeypatch):
    import coach.music.bed

    playlist = make_playlist(MusicChoice(noisy))
    first = load_bed(playlist, tmp_path, SESSION_SECONDS)
    made = np.array(first.samples)  # a copy: the bed is mapped from the file damaged below
    assert first.tracks == ("01 noise.mp3", "02 chord.ogg")
    (bed_file,) = tmp_path.glob("*.bed")
    decode_track = coach.music.bed._decode
    monkeypatch.setattr(coach.music.bed, "_decode", lambda *a: pytest.fail("decoded again"))
    again = load_bed(playlist, tmp_path, SESSION_SECONDS)
    assert np.array_equal(again.samples, made) and again.tracks == first.tracks
    with open(bed_file, "r+b") as f:
        f.truncate(bed_file.stat().st_size - 2)
    monkeypatch.setattr(coach.music.bed, "_decode", decode_track)
    assert np.array_equal(load_bed(playlist, tmp_path, SESSION_SECONDS).samples, made)
    (noisy / "02 chord.ogg").rename(noisy / "02 chords.ogg")  # the same contents, renamed
    try:
        monkeypatch.setattr(coach.music.bed, "_decode", lambda *a: pytest.fail("decoded again"))
        renamed = load_bed(make_playlist(MusicChoice(noisy)), tmp_path, SESSION_SECONDS)
        assert renamed.tracks == ("01 noise.mp3", "02 chords.ogg")
    finally:
        (noisy / "02 chords.ogg").rename(noisy / "02 chord.ogg")


def test_a_track_named_like_a_url_is_read_as_a_file(tmp_path):
    track = make_track(tmp_path / "x.wav", "sine=f=440:d=2")
    named = track.rename(tmp_path / "http:x.wav")
    bed = load_bed(make_playlist(MusicChoice(named)), tmp_path / "cache", SESSION_SECONDS)
    assert bed.tracks == ("http:x.wav",) and len(bed.samples) >= 2 * MUSIC_RATE - 1


def test_folder_order_shuffle_and_seed(tmp_path):
    (tmp_path / "²1.mp3").write_bytes(b"")  # a digit that is not a decimal one
    for name in ("Track 10.mp3", "track 1.mp3", "Track 2.ogg", "cover.jpg", ".hidden.mp3"):
        (tmp_path / name).write_bytes(b"")
    names = lambda p: [t.name for t in p.tracks]  # noqa: E731
    assert names(make_playlist(MusicChoice(tmp_path))) == ["track 1.mp3", "Track 2.ogg",
                                                           "Track 10.mp3", "²1.mp3"]  # fmt: skip
    orders = {tuple(names(make_playlist(MusicChoice(tmp_path, seed=s)))) for s in range(20)}
    assert len(orders) > 1
    shuffled = make_playlist(MusicChoice(tmp_path, shuffle=True))
    assert shuffled.seed is not None
    assert names(make_playlist(MusicChoice(tmp_path, seed=shuffled.seed))) == names(shuffled)


# --- the commands ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def voice_cache(tmp_path_factory) -> Path:
    """A clip cache the commands below share: the first renders the mini session's speech."""
    return tmp_path_factory.mktemp("voice")


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return copy_routine(MINI, tmp_path_factory.mktemp("routine"), "mini.yaml")


@pytest.mark.slow
def test_coach_export_with_music_in_the_default_voice(noisy, mini, voice_cache, tmp_path):
    result = coach("export", "mini.mp3", "--routine", str(mini), "--music", str(noisy),
                   cache=voice_cache, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    path = tmp_path / "mini.mp3"
    integrated, peak = ebur128(path)
    assert integrated == pytest.approx(-16, abs=1) and peak <= -1
    assert [c[0] for c in ffprobe_chapters(path)] == ["Intro", "Calf", "Outro"]
    assert ID3(path).getall("TXXX:comment")[0].text == ["Music: 01 noise.mp3, 02 chord.ogg"]
    script = coach("script", "--json", "--routine", str(mini), "--music", str(noisy),
                   cache=voice_cache, cwd=tmp_path)  # fmt: skip
    recorded = json.loads(script.stdout)
    assert recorded["music"]["tracks"] == ["01 noise.mp3", "02 chord.ogg"]
    assert recorded["music"]["duck_db"] == 15 and recorded["music"]["sample_rate"] == MUSIC_RATE


@pytest.mark.slow
def test_coach_play_with_music_reaches_the_device_as_exported(music, mini, voice_cache, tmp_path):
    common = ["--routine", str(mini), "--music", str(music)]
    exported = coach("export", "session.wav", *common, cache=voice_cache, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    env = file_device(tmp_path, tmp_path / "out.raw") | {"COACH_CACHE_DIR": str(voice_cache)}
    played = coach("play", *common, env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert played.returncode == 0, played.stderr
    with wave.open(str(tmp_path / "session.wav")) as w:
        wav = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    (heard,) = reached_device(tmp_path / "out.raw")  # one opening: no seam under the music
    assert np.array_equal(heard, wav)


@pytest.mark.slow
def test_a_session_made_while_playing_sends_the_exported_mix(music, tmp_path):
    from support.devices import session

    routine = copy_routine(MINI, tmp_path, "mini.yaml")
    expected = session(parse_routine(routine_bytes(MINI), "mini.yaml"), music=music,
                       cache_dir=tmp_path / "cache").timeline()  # fmt: skip
    played = subprocess.run(
        fixture_player(routine, "--slow", "--music", str(music), "--cache-dir",
                       str(tmp_path / "cache")),
        env=file_device(tmp_path, tmp_path / "out.raw"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    (got,) = reached_device(tmp_path / "out.raw")  # made in pieces, played in one stream
    assert np.array_equal(got, expected.samples.reshape(-1))


# --- bad music ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    (folder / "empty").mkdir()
    (folder / "notes.mp3").write_text("not audio at all\n")
    make_track(folder / "blip.wav", "sine=f=440:d=0.5")
    (folder / "many").mkdir()
    for n in range(501):
        (folder / "many" / f"{n}.mp3").write_bytes(b"")
    (folder / "mixed").mkdir()
    shutil.copy(folder / "notes.mp3", folder / "mixed" / "1 notes.mp3")
    make_track(folder / "mixed" / "2 tone.wav", "sine=f=440:d=3")
    return folder


@pytest.mark.parametrize(
    ("music", "extra", "status", "message"),
    [
        ("nowhere.mp3", [], 2, "--music: {bad}/nowhere.mp3: no such file or folder."),
        ("empty", [], 2, "--music: {bad}/empty: no tracks in this folder"),
        ("notes.mp3", [], 2, "--music: {bad}/notes.mp3: ffmpeg cannot decode it as audio"),
        ("blip.wav", [], 2,
         "--music: {bad}/blip.wav: 0.50 s of audio; a track must last a second or more."),
        ("many", [], 2, "--music: {bad}/many: more than 500 tracks"),
        ("blip.wav", ["--music-duck", "6"], 2,
         "--music-duck: must be between 12 and 40 dB, got 6."),
        ("blip.wav", ["--music-level", "50"], 2,
         "--music-level: must be between 12 and 40 dB, got 50."),
        (None, ["--seed", "3"], 2, "--shuffle and --seed order the tracks of --music"),
        ("~nobody-here/x.mp3", [], 2,
         "--music: ~nobody-here/x.mp3: there is no user named 'nobody-here'; write the path"),
    ],
)  # fmt: skip
def test_bad_music_is_one_line_and_writes_nothing(bad, tmp_path, music, extra, status, message):
    given = ["--music", music if music.startswith("~") else str(bad / music)] if music else []
    result = coach("export", "out.wav", *given, *extra, cache=tmp_path / "cache", cwd=tmp_path)
    assert result.returncode == status
    assert result.stderr.startswith("coach: error: " + message.format(bad=bad))
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.wav").exists()
    assert not list(tmp_path.rglob("*.bed"))


def test_music_without_ffmpeg_says_so(bad, tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    result = coach("export", "out.wav", "--music", str(bad / "blip.wav"),
                   cache=tmp_path / "cache", cwd=tmp_path, path=str(bare))  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("coach: error: Music needs ffmpeg, which is not installed.")
    assert not (tmp_path / "out.wav").exists()


@pytest.mark.slow
def test_ctrl_c_while_decoding_stops_at_once_and_keeps_nothing(tmp_path):
    folder = tmp_path / "long"
    folder.mkdir()
    for n in range(12):
        make_track(folder / f"{n:02d}.flac", f"sine=f={200 + 20 * n}:d=120:sample_rate=44100")
    child = subprocess.Popen(  # the whole built-in session: it needs most of the tracks
        [*COACH, "cache", "warm", "--engine", "espeak-ng",
         "--music", str(folder)],
        env={**os.environ, "COACH_CACHE_DIR": str(tmp_path / "cache")},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(1.5)  # decoding: 12 two-minute tracks take several seconds on two cores
    os.killpg(child.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    stopped = time.monotonic()
    _, err = child.communicate(timeout=30)
    assert time.monotonic() - stopped < 2, "went on decoding"
    assert child.returncode == 130 and err.endswith("coach: stopped.\n"), err
    assert not list((tmp_path / "cache").glob("*.bed"))


def test_a_track_that_fails_in_a_folder_is_skipped_with_a_warning(bad, tmp_path):
    exported = coach("export", "out.wav", "--engine", "espeak-ng", "--only", "squat-to-stand",
                     "--music", str(bad / "mixed"), cache=tmp_path / "cache", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert f"coach: warning: --music: skipped {bad}/mixed/1 notes.mp3: ffmpeg cannot decode" in (
        exported.stderr
    )
    with wave.open(str(tmp_path / "out.wav")) as w:
        assert w.getnchannels() == 2
