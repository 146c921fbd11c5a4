"""Music under the voice: heard ducked under every word and beep, looped, levelled, the same
from the device as in the export; and every kind of bad music refused with one line.

The tracks are made in the tests by ffmpeg's own sources. The probe track is a 15 kHz tone
then a 17 kHz one: the voice (22.05 kHz) has nothing up there, so the music's level can be read
under the words.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from alsa_fixtures import file_device, reached_device
from audio_checks import assert_beeps_on_time, decode, ebur128, ffprobe_chapters
from mutagen.id3 import ID3
from run_coach import coach
from stand_in import ROUTINE, StandInSpeech

from coach.audio.bed import MUSIC_RATE, Bed
from coach.audio.mix import FACTOR, Ducking, Music
from coach.compose.composer import compose
from coach.compose.options import SessionOptions
from coach.compose.script import Script
from coach.music.bed import MusicChoice, load_bed, make_playlist
from coach.output.export import export_timeline
from coach.routine.loading import parse_routine
from coach.session import open_session

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
FIXTURES = Path(__file__).with_name("alsa_fixtures.py")
MINI = """\
name: Mini
rest_seconds: 0
drills:
  - id: calf
    name: Calf
    instructions: Rise.
    reps: 2
    rep_seconds: 1
"""
"""A routine whose session lasts a few seconds, for the tests that play one in real time."""
TONES = (15000, 17000)
"""The probe track: 4 s of the first tone, then 4 s of the second."""
SESSION_SECONDS = 30.0
"""A session's length for the beds made here without one: its bed holds a minute."""


def make_track(path: Path, *sources: str) -> Path:
    """A track of ffmpeg's lavfi `sources` played one after the other."""
    inputs = [arg for source in sources for arg in ("-f", "lavfi", "-i", source)]
    joined = "".join(f"[{n}]" for n in range(len(sources))) + f"concat=n={len(sources)}:v=0:a=1"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *inputs,
                    "-filter_complex", joined, str(path)], check=True)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("music")
    make_track(folder / "1 probe.flac", *(f"sine=f={f}:d=4:sample_rate=44100" for f in TONES))
    return folder


@pytest.fixture(scope="module")
def noisy(tmp_path_factory) -> Path:
    """A folder of two tracks: pink noise (MP3) then a chord (Ogg)."""
    folder = tmp_path_factory.mktemp("noisy")
    make_track(folder / "01 noise.mp3", "anoisesrc=d=9:c=pink:a=0.5:r=44100")
    make_track(folder / "02 chord.ogg", "sine=f=220:d=7", "sine=f=330:d=7")
    return folder


@pytest.fixture(scope="module")
def mixed(music, tmp_path_factory):
    """The stand-in session over the probe track, exported as WAV: (timeline, frames)."""
    cache = tmp_path_factory.mktemp("cache")
    session = open_session(parse_routine(ROUTINE, "test.yaml"), cache_dir=cache,
                           music=MusicChoice(music), clips=StandInSpeech())  # fmt: skip
    timeline = session.timeline()
    wav = export_timeline(timeline, cache / "mixed.wav").path
    with wave.open(str(wav)) as w:
        assert (w.getnchannels(), w.getframerate()) == (2, MUSIC_RATE)
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    return timeline, frames


def tone_db(frames: np.ndarray, start: float, end: float, freq: float) -> float:
    """The level (dB) of the tone `freq` in seconds `start` to `end` of stereo `frames`."""
    window = frames[round(start * MUSIC_RATE) : round(end * MUSIC_RATE)].mean(axis=1)
    taper = np.hanning(len(window))
    spectrum = np.abs(np.fft.rfft(window * taper)) / taper.sum()  # any length: one scale
    near = round(freq * len(window) / MUSIC_RATE)
    return 20 * np.log10(spectrum[near - 3 : near + 4].max() + 1e-9)


def music_db(frames: np.ndarray, start: float, end: float) -> float:
    return max(tone_db(frames, start, end, f) for f in TONES)


def gaps(script: Script, clear: float = 0.6, least: float = 0.2) -> list[tuple[float, float]]:
    """Stretches (seconds) at least `clear` after one sound and 0.2 s before the next."""
    rate, found = script.sample_rate, []
    for before, after in zip(script.events, script.events[1:], strict=False):
        start, end = before.end / rate + clear, after.start / rate - 0.2
        if end - start >= least:
            found.append((start, end))
    return found


# --- what a listener hears ----------------------------------------------------------------


def test_music_drops_at_least_12_db_under_every_word_and_beep(mixed):
    timeline, frames = mixed
    rate = timeline.script.sample_rate
    under = [
        music_db(frames, e.start / rate, e.end / rate)
        for e in timeline.script.events
        if e.length / rate >= 0.05 and e.start / rate > 1.5  # after the fade-in
    ]
    between = [music_db(frames, a, b) for a, b in gaps(timeline.script)]
    assert len(under) > 20 and len(between) > 5
    assert max(under) <= np.median(between) - 12, (max(under), np.median(between))


def test_music_loops_past_the_track_with_its_crossfade(mixed):
    timeline, frames = mixed
    assert timeline.script.duration > 30  # the track lasts 8 s
    checked = 0
    for a, b in gaps(timeline.script, least=0.1):
        if a < 10:
            continue
        t = (a + b) / 2
        at = 2 + (t - 2) % 6  # once through, the bed goes on from its 2 s crossfade
        if 2.2 < at < 3.8 or 4.2 < at < 5.8:
            heard, other = TONES if at < 4 else TONES[::-1]
            span = (t - 0.05, t + 0.05)
            assert tone_db(frames, *span, heard) > tone_db(frames, *span, other) + 20, t
            checked += 1
    assert checked >= 3


def test_music_fades_in_and_out(mixed):
    timeline, frames = mixed
    between = np.median([music_db(frames, a, b) for a, b in gaps(timeline.script)])
    end = len(frames) / MUSIC_RATE
    assert music_db(frames, 0, 0.1) < between - 20
    assert music_db(frames, end - 0.1, end) < between - 40


def test_beeps_are_on_time_in_the_wav(mixed):
    timeline, frames = mixed
    mono = frames.mean(axis=1)[::FACTOR]  # the voice sits in both channels
    assert_beeps_on_time(mono, timeline.script, tolerance=0.002)


@pytest.mark.parametrize("ext", [".wav", ".mp3", ".m4a"])
def test_mixes_measure_minus_16_lufs_under_minus_1_dbtp(ext, noisy, tmp_path, stand_in_session):
    session = open_session(parse_routine(ROUTINE, "test.yaml"), cache_dir=tmp_path,
                           music=MusicChoice(noisy), clips=StandInSpeech())  # fmt: skip
    timeline = session.timeline()
    path = export_timeline(timeline, tmp_path / f"mix{ext}").path
    integrated, peak = ebur128(path)
    assert integrated == pytest.approx(-16, abs=1)
    assert peak <= -1
    if ext == ".mp3":
        assert_beeps_on_time(decode(path), timeline.script, tolerance=0.005)
        assert ID3(path).getall("TXXX:comment")[0].text == ["Music: 01 noise.mp3, 02 chord.ogg"]


def test_a_session_without_music_is_mono_at_the_voice_rate(tmp_path, stand_in_session):
    timeline = stand_in_session(parse_routine(ROUTINE, "test.yaml")).timeline()
    with wave.open(str(export_timeline(timeline, tmp_path / "plain.wav").path)) as w:
        assert (w.getnchannels(), w.getframerate()) == (1, 22050)
        plain = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(plain, timeline.samples)


# --- the ducking, exactly ---------------------------------------------------------------


def quiet_bed() -> Bed:
    return Bed(np.zeros((MUSIC_RATE, 2), dtype=np.int16), 100, ("quiet.wav",))


def test_ducking_leads_each_sound_bridges_short_pauses_and_ramps_smoothly(stand_in_session):
    script = stand_in_session(parse_routine(ROUTINE, "test.yaml")).script
    ducking = Ducking(Music(quiet_bed(), 15.0, 15.0), script, final=True, volume=1.0)
    outro = FACTOR * script.chapters[-1].start  # the bed fades in over 1 s, out over the outro
    gain_db = np.full(outro, -np.inf)
    gain_db[MUSIC_RATE:] = 20 * np.log10(ducking.gain(MUSIC_RATE, outro))
    full, down = gain_db.max(), gain_db[MUSIC_RATE:].min()
    assert full == pytest.approx(-3, abs=1e-3)  # 15 dB under the voice: 3 under the stored bed
    assert full - down == pytest.approx(15, abs=0.01)
    assert np.abs(np.diff(gain_db[MUSIC_RATE:])).max() < 0.01  # no steps: no clicks
    rate = script.sample_rate
    for event in script.events[:-1]:  # all but the outro's
        start, end = FACTOR * event.start, FACTOR * event.end
        assert gain_db[start:end].max() == pytest.approx(down, abs=1e-3)  # down all along
    for before, after in zip(script.events[:-2], script.events[1:-1], strict=True):
        pause = (after.start - before.end) / rate
        inside = gain_db[FACTOR * before.end : FACTOR * after.start]
        if pause < 1:
            assert inside.max() == pytest.approx(down, abs=1e-3)  # bridged
        elif pause > 1.2:
            assert inside[round(0.5 * MUSIC_RATE)] == pytest.approx(full, abs=1e-3)  # up again
            lead = FACTOR * after.start - round(0.15 * MUSIC_RATE)  # down from 150 ms before
            assert gain_db[lead] == pytest.approx(full, abs=1e-3)
            assert gain_db[lead + round(0.075 * MUSIC_RATE)] == pytest.approx(full - 7.5, abs=0.1)


def test_a_session_being_made_is_ducked_as_the_whole_one(stand_in_session):
    session = stand_in_session(parse_routine(ROUTINE, "test.yaml"))
    partial: list[Script] = []
    clips = session.speech
    whole = compose(session.routine, SessionOptions(), lambda t: len(clips.clip(t)),
                    lambda script, last: partial.append(script))  # fmt: skip
    music = Music(quiet_bed(), 15.0, 15.0)
    final = Ducking(music, whole, True, 1.0).gain(0, FACTOR * whole.length)
    assert len(partial) > 2
    for script in partial[:-1]:
        made = Ducking(music, script, False, 1.0)
        end = FACTOR * script.length
        assert np.array_equal(made.gain(0, end), final[:end])
        cuts = [0, 12345, 98765, end]  # any stretches give the same frames
        pieces = [made.gain(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]
        assert np.array_equal(np.concatenate(pieces), final[:end])


def test_any_cutting_of_the_session_gives_the_same_frames(mixed):
    """The player and the exporter cut the session differently (chapters, pauses, 10 s chunks):
    every frame must come out the same, wherever a stretch starts or ends."""
    timeline, frames = mixed
    rng = np.random.default_rng(5)
    edges = [e.end + d for e in timeline.script.events for d in (-1, 0, 1, 2, 40)]
    cuts = sorted({0, timeline.script.length, *rng.integers(0, timeline.script.length, 200),
                   *(c for c in edges if 0 < c < timeline.script.length)})  # fmt: skip
    pieces = [timeline.render(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]
    assert np.array_equal(np.concatenate(pieces), frames)


def test_pcm_of_any_long_stretch_is_its_frames(mixed, stand_in_session):
    """`pcm` lays out a long stretch 10 s at a time; one that ends before the session does (a
    player's piece) must stop where asked."""
    plain = stand_in_session(parse_routine(ROUTINE, "test.yaml")).timeline()
    timeline, frames = mixed
    rate = timeline.script.sample_rate
    for start, end in ((0, 25 * rate), (12345, 12345 + 21 * rate + 7), (rate, 2 * rate)):
        assert bytes(plain.pcm(start, end)) == plain.samples[start:end].tobytes()
        assert bytes(timeline.pcm(start, end)) == frames[FACTOR * start : FACTOR * end].tobytes()


def test_the_bed_loops_from_its_crossfade():
    samples = np.arange(20, dtype=np.int16).repeat(2).reshape(-1, 2)
    bed = Bed(samples, 5, ("x",))
    got = bed.frames(3, 60)[:, 0].astype(int).tolist()
    expected = [t if t < 5 else 5 + (t - 5) % 15 for t in range(3, 60)]
    assert got == expected


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
    path = tmp_path_factory.mktemp("routine") / "mini.yaml"
    path.write_text(MINI)
    return path


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
    played = subprocess.run([sys.executable, "-m", "coach", "play", *common], env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert played.returncode == 0, played.stderr
    with wave.open(str(tmp_path / "session.wav")) as w:
        wav = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(np.concatenate(reached_device(tmp_path / "out.raw")), wav)


def test_a_session_made_while_playing_sends_the_exported_mix(music, tmp_path):
    from alsa_fixtures import session

    routine = tmp_path / "mini.yaml"
    routine.write_text(MINI)
    expected = session(parse_routine(MINI.encode(), "mini.yaml"), music=music,
                       cache_dir=tmp_path / "cache").timeline()  # fmt: skip
    played = subprocess.run(
        [sys.executable, str(FIXTURES), str(routine), "--slow",
         "--music", str(music), "--cache-dir", str(tmp_path / "cache")],
        env=file_device(tmp_path, tmp_path / "out.raw"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    got = reached_device(tmp_path / "out.raw")
    assert len(got) > 1  # in pieces, while it was made
    assert np.array_equal(np.concatenate(got), expected.samples.reshape(-1))


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


def test_ctrl_c_while_decoding_stops_at_once_and_keeps_nothing(tmp_path):
    folder = tmp_path / "long"
    folder.mkdir()
    for n in range(12):
        make_track(folder / f"{n:02d}.flac", f"sine=f={200 + 20 * n}:d=120:sample_rate=44100")
    child = subprocess.Popen(  # the whole built-in session: it needs most of the tracks
        [sys.executable, "-m", "coach", "cache", "warm", "--engine", "espeak-ng",
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
