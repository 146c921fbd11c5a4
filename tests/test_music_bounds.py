"""Music decodes only what the session hears: a long track under a short session costs a minute
of it, not twenty; a session that outlasts its bed hears the bed loop, crossfaded, with the
music never gone; and `--music` is a path as the user typed it ("~" expanded in one place).

The long track is a 15 kHz tone for 20 s, then a 17 kHz one for ten minutes: which tone is
heard tells where in the track (or in the bed's loop) the session is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from support.music import gaps, make_track, music_db, tone_db
from support.routines import routine_bytes
from support.runners import COACH, coach
from support.stand_in import StandInSpeech

from coach.audio.mix import Music
from coach.audio.timeline import Timeline
from coach.cache.store import read_bed
from coach.compose.options import SessionOptions
from coach.music.bed import (
    BED_STEP_SECONDS,
    MAX_BED_SECONDS,
    MUSIC_RATE,
    MusicChoice,
    bed_seconds,
    load_bed,
    make_playlist,
)
from coach.routine.loading import parse_routine
from coach.session import music_seconds, open_session

ROUTINE = routine_bytes("side-lunge-and-calf-raise.yaml")
"""Two drills with sides, a hold, a cue and equipment: the stand-in session's routine."""

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
FIRST, THEN = 15000, 17000
SWITCH = 20.0
"""Seconds of the long track's first tone."""


@pytest.fixture(scope="module")
def long_track(tmp_path_factory) -> Path:
    """Ten minutes and 20 s: far more than any session here lasts."""
    folder = tmp_path_factory.mktemp("long")
    return make_track(folder / "long.flac", f"sine=f={FIRST}:d={SWITCH:g}:sample_rate=44100",
                      f"sine=f={THEN}:d=600:sample_rate=44100")  # fmt: skip


def bed_files(cache: Path) -> dict[int, int]:
    """{frames: count} of the beds kept in `cache`, read back as a session reads them."""
    found: dict[int, int] = {}
    for path in cache.glob("*.bed"):
        kept = read_bed(path)
        assert kept is not None, path
        found[len(kept[1])] = found.get(len(kept[1]), 0) + 1
    return found


def heard(frames: np.ndarray, start: float, end: float) -> int:
    """The tone that stands out (by 20 dB) in seconds `start` to `end`, or 0 for neither."""
    first, then = (tone_db(frames, start, end, f) for f in (FIRST, THEN))
    return FIRST if first > then + 20 else THEN if then > first + 20 else 0


def assert_music_throughout(frames: np.ndarray, outro: float, duck_db: float = 15.0) -> None:
    """In every tenth of a second from the end of the fade-in to the outro (at `outro` s) the
    music is there: at most the duck and a crossfade's dip (6 dB per tone) under its level
    between words (the loudest it is)."""
    levels = [music_db(frames, t, t + 0.1) for t in np.arange(1.5, outro - 0.1, 0.1)]
    assert len(levels) > 100
    assert min(levels) > max(levels) - duck_db - 8, (min(levels), max(levels))


@pytest.mark.slow
def test_a_short_session_decodes_a_minute_of_a_long_track(long_track, tmp_path):
    """The coach itself, measured from outside: the bed in the cache holds one minute, the
    process tree stays small (the whole track decoded took 460 MB), and the music plays from the
    first tone into the second as the track does, under the whole session."""
    cache = tmp_path / "cache"
    common = ["--only", "wall-slide", "--brief", "--engine", "espeak-ng",
              "--music", str(long_track)]  # fmt: skip
    measure = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]);"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
               "sys.exit(done.returncode)")  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-c", measure, *COACH, "export", "s.wav", *common],
        cwd=tmp_path, env={**os.environ, "COACH_CACHE_DIR": str(cache)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    peak_mb = int(run.stdout.split()[-1]) / 1024
    assert peak_mb < 250, peak_mb
    assert bed_files(cache) == {BED_STEP_SECONDS * MUSIC_RATE: 1}
    with wave.open(str(tmp_path / "s.wav")) as w:
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    chapters = json.loads(coach("script", "--json", *common, cache=cache).stdout)["chapters"]
    assert SWITCH + 5 < len(frames) / MUSIC_RATE < BED_STEP_SECONDS  # within the bed: no loop
    assert heard(frames, 2, 2.5) == FIRST and heard(frames, SWITCH + 2, SWITCH + 2.5) == THEN
    assert_music_throughout(frames, chapters[-1]["start"])


@pytest.mark.slow
def test_a_session_longer_than_its_bed_hears_the_loop_crossfaded(long_track, tmp_path):
    """A bed of one minute under a session of 76 s: after the minute the bed goes on from its
    crossfade (2 s in: the first tone again), never from the track's next minute, and the music
    is there in every tenth of a second, across the loop too."""
    session = open_session(parse_routine(ROUTINE, "t.yaml"), clips=StandInSpeech(),
                           cache_dir=tmp_path)  # fmt: skip
    script = session.script
    bed = load_bed(make_playlist(MusicChoice(long_track)), tmp_path, BED_STEP_SECONDS - 1)
    assert len(bed.samples) == BED_STEP_SECONDS * MUSIC_RATE
    assert script.duration > BED_STEP_SECONDS + 10
    frames = Timeline(script, session.speech, music=Music(bed, 15.0, 15.0)).samples
    checked = {FIRST: 0, THEN: 0}
    for a, b in gaps(script, least=0.1):
        t = (a + b) / 2
        at = t if t < BED_STEP_SECONDS else 2 + (t - 2) % (BED_STEP_SECONDS - 2)
        if abs(at - SWITCH) > 0.5 and t > 1.5 and abs(t - BED_STEP_SECONDS) > 2.5:
            expected = FIRST if at < SWITCH else THEN
            assert heard(frames, t - 0.05, t + 0.05) == expected, t
            if expected == THEN or t > BED_STEP_SECONDS:  # the first tone: after the loop
                checked[expected] += 1
    assert checked[FIRST] >= 2 and checked[THEN] >= 2
    assert_music_throughout(frames, script.chapters[-1].start / script.sample_rate)


@pytest.mark.slow
def test_the_bed_is_the_session_in_whole_minutes_and_kept_by_its_length(long_track, tmp_path):
    """Sessions within one minute share a bed; a longer one decodes again (a longer bed is not
    borrowed: its tracks are levelled over more music, and play must be export)."""
    playlist = make_playlist(MusicChoice(long_track))
    for seconds in (1, 59.5, 60):
        assert len(load_bed(playlist, tmp_path, seconds).samples) == 60 * MUSIC_RATE
    assert bed_files(tmp_path) == {60 * MUSIC_RATE: 1}
    assert len(load_bed(playlist, tmp_path, 60.01).samples) == 120 * MUSIC_RATE
    assert bed_files(tmp_path) == {60 * MUSIC_RATE: 1, 120 * MUSIC_RATE: 1}
    assert len(load_bed(playlist, tmp_path, 50).samples) == 60 * MUSIC_RATE  # the first, kept
    assert bed_seconds(3 * 3600) == MAX_BED_SECONDS == 20 * 60  # a longer session loops it


@pytest.mark.parametrize(("only", "brief"), [((), False), (("calf-raise",), True)])
def test_the_music_decoded_covers_the_session(long_track, tmp_path, only, brief):
    """The bound is known before any speech is rendered, and the session made then fits in it
    (no loop is heard), with less than a minute to spare beyond the margin."""
    options = SessionOptions(only=only, brief=brief)
    session = open_session(parse_routine(ROUTINE, "t.yaml"), options, clips=StandInSpeech(),
                           cache_dir=tmp_path, music=MusicChoice(long_track))  # fmt: skip
    bound = music_seconds(session.routine, options)
    samples = session.music.bed.samples  # made before the script: nothing rendered yet
    assert "script" not in session.__dict__
    assert bound >= session.script.duration
    assert len(samples) / MUSIC_RATE == bed_seconds(bound) < bound + BED_STEP_SECONDS


def test_tracks_are_absolute_and_the_record_still_names_them(long_track, tmp_path, monkeypatch):
    """The export refuses a target that is one of the tracks (os.path.samefile): the tracks are
    absolute, so they still name the files once the working folder has changed; a track that
    is a link keeps its own name in `script --json`."""
    folder = tmp_path / "music"
    folder.mkdir()
    (folder / "02 link.flac").symlink_to(long_track)
    shutil.copy(long_track, folder / "01 copy.flac")
    monkeypatch.chdir(tmp_path)
    playlist = make_playlist(MusicChoice(Path("music")))
    monkeypatch.chdir(long_track.parent)
    assert all(t.is_absolute() for t in playlist.tracks)
    assert os.path.samefile(playlist.tracks[0], folder / "01 copy.flac")
    assert os.path.samefile(playlist.tracks[1], long_track)
    assert playlist.to_json()["tracks"] == ["01 copy.flac", "02 link.flac"]
    assert playlist.to_json()["path"] == "music"


def test_music_in_the_home_folder_and_of_no_user(long_track, tmp_path):
    """`~/...` is the home folder's (expanded once, where it is typed); `~nobody-here/...` is
    bad input in one line, and nothing is written."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(long_track, home / "song.flac")
    script = coach("script", "--json", "--engine", "espeak-ng", "--only", "wall-slide",
                   "--music", "~/song.flac", cache=tmp_path / "cache", env={"HOME": str(home)},
                   timeout=120)  # fmt: skip
    assert script.returncode == 0, script.stderr
    assert json.loads(script.stdout)["music"]["path"] == str(home / "song.flac")
    bad = coach("export", "out.wav", "--music", "~nobody-here/x.mp3", cache=tmp_path / "c",
                cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr == ("coach: error: --music: ~nobody-here/x.mp3: there is no user named "
                          "'nobody-here'; write the path in full.\n")  # fmt: skip
    assert not (tmp_path / "out.wav").exists() and not (tmp_path / "c").exists()
