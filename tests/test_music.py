"""Music under the voice: heard ducked under every word and beep, looped, levelled, the same
from the device as in the export; and every kind of bad music refused with one line.

The tracks are made in the tests by ffmpeg's own sources. The probe track is a 15 kHz tone
then a 17 kHz one: the voice (22.05 kHz) has nothing up there, so the music's level can be read
under the words.
"""


from __future__ import annotations

import shutil
import wave

import numpy as np
import pytest
from mutagen.id3 import ID3
from support.audio import assert_beeps_on_time, decode, ebur128
from support.fixtures import music_folder, noisy_music  # noqa: F401 - module fixtures
from support.music import (
    TONES,
    gaps,
    music_db,
    tone_db,
)
from support.routines import routine_bytes
from support.stand_in import StandInSpeech

from coach.audio.bed import MUSIC_RATE, Bed
from coach.audio.mix import FACTOR, Ducking, Music
from coach.compose.composer import compose
from coach.compose.options import SessionOptions
from coach.compose.script import Script
from coach.music.bed import MusicChoice
from coach.output.export import export_timeline
from coach.routine.loading import parse_routine
from coach.session import open_session

ROUTINE = routine_bytes("side-lunge-and-calf-raise.yaml")
"""Two drills with sides, a hold, a cue and equipment: the stand-in session's routine."""

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")



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


@pytest.mark.slow
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
