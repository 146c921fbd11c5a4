"""Beep synthesis: one distinct tone per kind, so each can be told apart without looking."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import numpy as np

from coach.samples import SAMPLE_RATE, to_samples

FADE_SECONDS = 0.005
"""Fade in and out on every beep, so nothing clicks."""
PEAK = 0.5
"""Beep amplitude (of full scale) before the timeline sets it against the speech."""
TONE_LOUDNESS = 20 * math.log10(PEAK / math.sqrt(2))
"""Loudness in LUFS of a steady tone at `PEAK` (its RMS: K-weighting is near 0 dB at 0.5-1 kHz)."""


class ToneKind(StrEnum):
    """What a beep means."""

    REP = "rep"
    SWITCH = "switch"
    COUNT = "count"
    GO = "go"
    END = "end"
    REST_OVER = "rest-over"


@dataclass(frozen=True)
class Tone:
    """A beep: one or more pips of a pitch each, with short gaps between them."""

    pips: tuple[tuple[float, float], ...]
    """(frequency in Hz, seconds) of each pip, in order."""
    gap_seconds: float = 0.06

    @property
    def freq(self) -> float:
        """The frequency of the first pip, as the script's JSON reports it."""
        return self.pips[0][0]

    @property
    def length(self) -> int:
        """Length in samples."""
        return sum(to_samples(s) for _, s in self.pips) + to_samples(self.gap_seconds) * (
            len(self.pips) - 1
        )


TONES: dict[ToneKind, Tone] = {
    ToneKind.REP: Tone(((880.0, 0.08),)),
    ToneKind.SWITCH: Tone(((660.0, 0.12), (990.0, 0.12))),
    ToneKind.COUNT: Tone(((587.33, 0.1),)),
    ToneKind.GO: Tone(((1174.66, 0.3),)),
    ToneKind.END: Tone(((990.0, 0.15), (740.0, 0.15), (494.0, 0.3))),
    ToneKind.REST_OVER: Tone(((494.0, 0.12), (740.0, 0.12))),
}


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
