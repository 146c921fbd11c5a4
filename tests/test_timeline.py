"""The timeline: every sound at its planned sample, levelled on its own, the session at -16 LUFS
with peaks limited."""

from __future__ import annotations

import numpy as np
import pytest
from support.audio import beep_onset
from support.routines import routine_bytes
from support.stand_in import StandInSpeech

from coach.audio.levels import BEEP_LU, SPEECH_LUFS, clip_loudness
from coach.audio.loudness import TARGET_LUFS, TRUE_PEAK_DBTP, loudness, true_peak
from coach.audio.timeline import Timeline
from coach.audio.tones import tone_samples
from coach.compose.options import SessionOptions
from coach.errors import OptionError
from coach.routine.loading import parse_routine
from coach.samples import SAMPLE_RATE, to_samples
from coach.session import make_script, open_session

ROUTINE = routine_bytes("side-lunge-and-calf-raise.yaml")
"""Two drills with sides, a hold, a cue and equipment: the stand-in session's routine."""


def sine(freq: float, seconds: float, amplitude: float = 1.0, phase: float = 0.0) -> np.ndarray:
    t = np.arange(to_samples(seconds)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def as_float(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768


@pytest.fixture(scope="module")
def routine():
    return parse_routine(ROUTINE, "test.yaml")


@pytest.fixture(scope="module")
def timeline(routine):
    speech = StandInSpeech()
    return Timeline(make_script(routine, SessionOptions(), speech), speech)


# --- the meters ----------------------------------------------------------------


def test_loudness_of_a_full_scale_997_hz_sine_is_minus_3_lufs():
    assert loudness(sine(997, 5)) == pytest.approx(-3.01, abs=0.1)  # BS.1770's calibration


def test_loudness_gates_out_silence_and_is_minus_inf_for_nothing():
    tone = sine(997, 20, 0.1)
    silence = np.zeros(30 * SAMPLE_RATE, np.float32)
    padded = np.concatenate([silence, tone, silence[:SAMPLE_RATE]])
    assert loudness(padded) == pytest.approx(loudness(tone), abs=0.1)  # only its edges count
    assert loudness(np.zeros(SAMPLE_RATE, np.float32)) == float("-inf")
    assert loudness(np.zeros(10, np.float32)) == float("-inf")


def test_true_peak_finds_the_peak_between_samples():
    # A quarter-rate sine sampled at 45 degrees: every sample is at 0.707 of the true peak.
    tone = sine(SAMPLE_RATE / 4, 1, 0.5, np.pi / 4)
    assert 20 * np.log10(np.abs(tone).max()) == pytest.approx(-9.03, abs=0.05)
    assert true_peak(tone) == pytest.approx(-6.02, abs=0.3)


# --- the timeline ----------------------------------------------------------------


def test_every_beep_starts_at_its_planned_sample(timeline):
    script = timeline.script
    assert timeline.samples.dtype == np.int16 and len(timeline.samples) == script.length
    for event in (e for e in script.events if e.kind == "beep"):
        sound = as_float(timeline.samples[event.start : event.end])
        tone = tone_samples(event.tone)
        scale = float(sound @ tone / (tone @ tone))
        assert np.abs(sound - scale * tone).max() < 1e-3, event  # the bare tone, nothing moved
        found = beep_onset(timeline.samples, event.tone, event.start)
        assert found == pytest.approx(event.start, abs=2)


def test_every_clip_starts_at_its_planned_sample(timeline):
    speech = StandInSpeech()
    for event in (e for e in timeline.script.events if e.kind == "speech"):
        clip = speech.clip(event.text).astype(np.float32)
        sound = timeline.samples[event.start : event.end].astype(np.float32)
        assert np.corrcoef(clip, sound)[0, 1] > 0.98, event.text  # limited in places, never shifted


def test_the_session_is_at_minus_16_lufs_with_true_peaks_under_minus_1(timeline):
    samples = as_float(timeline.samples)
    assert loudness(samples) == pytest.approx(TARGET_LUFS, abs=1)
    assert true_peak(samples) <= TRUE_PEAK_DBTP


@pytest.mark.parametrize("level", [0.01, 1.0])
def test_quiet_or_loud_speech_comes_out_the_same(routine, level):
    speech = StandInSpeech(level)
    timeline = Timeline(make_script(routine, SessionOptions(), speech), speech)
    samples = as_float(timeline.samples)
    assert loudness(samples) == pytest.approx(TARGET_LUFS, abs=1)
    assert true_peak(samples) <= TRUE_PEAK_DBTP
    for event in (e for e in timeline.script.events if e.kind == "speech"):
        sound = as_float(timeline.samples[event.start : event.end])
        assert clip_loudness(sound) == pytest.approx(SPEECH_LUFS, abs=0.1), event.text


@pytest.mark.slow
def test_volume_scales_the_finished_session(routine, timeline):
    speech = StandInSpeech()
    half = Timeline(timeline.script, speech, volume=0.5)
    expected = timeline.samples.astype(np.float64) * 0.5
    assert np.abs(half.samples - expected).max() <= 1  # the same session, half as loud
    full = loudness(as_float(timeline.samples))
    assert loudness(as_float(half.samples)) == pytest.approx(full - 6.02, abs=0.05)
    assert not Timeline(timeline.script, speech, volume=0).samples.any()
    with pytest.raises(OptionError, match=r"^volume: must be between 0 and 1, got 1\.5\.$"):
        open_session(routine, volume=1.5, clips=speech)


def test_beeps_sit_a_little_under_the_speech(timeline):
    for event in (e for e in timeline.script.events if e.kind == "beep"):
        sound = as_float(timeline.samples[event.start : event.end])
        tone = tone_samples(event.tone)
        gain = float(sound @ tone / (tone @ tone))
        steady = 10 * np.log10(np.mean(np.square(tone * gain)[tone != 0]))  # its pips' power
        assert steady == pytest.approx(SPEECH_LUFS + BEEP_LU, abs=0.5), event.tone


def test_make_script_renders_every_phrase_first_then_composes(routine):
    speech = StandInSpeech()
    script = make_script(routine, SessionOptions(), speech)
    assert set(script.texts()) <= set(speech.asked[0])
    assert script.events[0].length == len(speech.clip(script.events[0].text))


def test_the_numpy_meters_match_scipys_filters():
    # The timeline filters with numpy alone (scipy takes a second to import); check it against
    # scipy's K-weighting (sosfilt) and 4x oversampling (resample_poly) of the same design.
    from scipy import signal

    from coach.audio.loudness import OVERSAMPLER, k_weighted, k_weighting, peak_envelope

    rng = np.random.default_rng(7)
    for n in (1, 300, 70_000):
        x = (rng.standard_normal(n) * 0.3).astype(np.float32)
        expected = signal.sosfilt(k_weighting(), np.pad(x.astype(np.float64), (0, 4096)))
        weighted = k_weighted(x)
        assert np.abs(weighted - expected[: len(weighted)]).max() < 1e-5
        assert np.abs(expected[len(weighted) :]).max() < 1e-8  # the ringing is all there
        up = signal.resample_poly(np.pad(x, 6), 4, 1, window=OVERSAMPLER)
        envelope = np.abs(up).reshape(-1, 4).max(axis=1)
        assert np.abs(peak_envelope(x) - envelope).max() < 1e-5


# --- stored levels ---------------------------------------------------------------


class MeasuringSpeech(StandInSpeech):
    """A stand-in that keeps levels the way `Speech` does (here in memory)."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[str, bytes] = {}

    def measures(self, text: str) -> bytes | None:
        return self.kept.get(text)

    def store_measures(self, text: str, payload: bytes) -> None:
        self.kept[text] = payload


@pytest.mark.slow
def test_stored_levels_give_the_same_session_and_damaged_ones_are_found_again(
    routine, timeline, monkeypatch
):
    import coach.audio.timeline as timeline_module

    speech = MeasuringSpeech()
    script = make_script(routine, SessionOptions(), speech)
    assert np.array_equal(Timeline(script, speech).samples, timeline.samples)
    assert set(speech.kept) == set(script.texts())

    found = []
    real = timeline_module.find_level
    monkeypatch.setattr(timeline_module, "find_level", lambda *a: found.append(1) or real(*a))
    assert np.array_equal(Timeline(script, speech).samples, timeline.samples)
    assert not found  # every clip's level came from the store

    texts = sorted(speech.kept)
    speech.kept[texts[0]] = speech.kept[texts[0]][:-3]  # cut short
    speech.kept[texts[1]] = b""
    payload = bytearray(speech.kept[texts[2]])
    payload[12] ^= 1  # the clip's checksum: the level of another clip
    speech.kept[texts[2]] = bytes(payload)
    assert np.array_equal(Timeline(script, speech).samples, timeline.samples)
    assert len(found) == 3  # those three, found again and stored again
    found.clear()
    assert np.array_equal(Timeline(script, speech).samples, timeline.samples)
    assert not found
