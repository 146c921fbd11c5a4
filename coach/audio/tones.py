"""Beep synthesis: the samples of each tone that compose/beeps.py describes."""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from coach.compose.beeps import TONES, ToneKind
from coach.samples import SAMPLE_RATE, to_samples

FADE_SECONDS = 0.005
"""Fade in and out on every beep, so nothing clicks."""
PEAK = 0.5
"""Beep amplitude (of full scale) before the timeline sets it against the speech."""
TONE_LOUDNESS = 20 * math.log10(PEAK / math.sqrt(2))
"""Loudness in LUFS of a steady tone at `PEAK` (its RMS: K-weighting is near 0 dB at 0.5-1 kHz)."""


@cache
def tone_samples(kind: ToneKind) -> np.ndarray:
    """The float32 samples (-1..1) of a tone, faded in and out; read-only."""
    tone = TONES[kind]
    gap = np.zeros(to_samples(tone.gap_seconds), dtype=np.float32)
    parts: list[np.ndarray] = []
    for i, (freq, seconds) in enumerate(tone.pips):
        if i:
            parts.append(gap)
        n = to_samples(seconds)
        t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
        pip = np.sin(2 * np.pi * freq * t) * PEAK
        fade = min(to_samples(FADE_SECONDS), n // 2)
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
        pip[:fade] *= ramp
        pip[n - fade :] *= ramp[::-1]
        parts.append(pip.astype(np.float32))
    samples = np.concatenate(parts)
    samples.flags.writeable = False
    return samples
