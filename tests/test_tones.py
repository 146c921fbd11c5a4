"""Beeps: distinct by kind, at the frequencies the script reports, faded so nothing clicks."""

from __future__ import annotations

import numpy as np
import pytest

from coach.audio.loudness import loudness
from coach.audio.tones import FADE_SECONDS, PEAK, TONE_LOUDNESS, tone_samples
from coach.compose.beeps import TONES, ToneKind
from coach.samples import SAMPLE_RATE, to_samples


@pytest.mark.parametrize("kind", list(ToneKind))
def test_a_tone_has_its_length_its_pitch_and_fades(kind):
    samples = tone_samples(kind)
    tone = TONES[kind]
    assert samples.dtype == np.float32 and len(samples) == tone.length
    assert np.abs(samples).max() <= PEAK
    first = samples[: to_samples(tone.pips[0][1])]
    spectrum = np.abs(np.fft.rfft(first, 8 * SAMPLE_RATE))
    strongest = np.fft.rfftfreq(8 * SAMPLE_RATE, 1 / SAMPLE_RATE)[spectrum.argmax()]
    assert strongest == pytest.approx(tone.freq, abs=1)
    fade = to_samples(FADE_SECONDS)
    assert abs(samples[0]) < 0.01 and abs(samples[-1]) < 0.01
    assert np.abs(samples[: fade // 4]).max() < PEAK / 3  # ramps up, no step


def test_kinds_are_told_apart_by_pitch_or_rhythm():
    shapes = {tone.pips for tone in TONES.values()}
    assert len(shapes) == len(ToneKind)


def test_tones_are_read_only_and_shared():
    assert tone_samples(ToneKind.REP) is tone_samples(ToneKind.REP)
    with pytest.raises(ValueError):
        tone_samples(ToneKind.REP)[0] = 1


def test_tone_loudness_is_that_of_a_steady_tone_at_peak():
    t = np.arange(5 * SAMPLE_RATE) / SAMPLE_RATE
    for freq in sorted({pip[0] for tone in TONES.values() for pip in tone.pips}):
        steady = (PEAK * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        assert loudness(steady) == pytest.approx(TONE_LOUDNESS, abs=0.8), freq
