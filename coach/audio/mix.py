"""The music under a session: how loud the bed is at each frame (ducked under every word and
beep, faded in and out), and the voice's sounds brought to the bed's rate.

The coach knows every sound of the session before it is heard, so the bed goes down
`PRE_ROLL` before a word rather than after it has begun, stays down across the short pauses
of a phrase (`BRIDGE`), and comes back up over `RELEASE`. The ramps are raised cosines in
decibels: no clicks.

A chapter's start counts as a sound too. A session still being made ends at the start of the
chapter to come, so every frame it has is ducked exactly as in the whole session: the player
sends the device the samples the export writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.audio.bed import MIN_LEVEL_DB, MUSIC_FORMAT, MUSIC_RATE, Bed
from coach.compose.script import ChapterKind, Script

FACTOR = MUSIC_FORMAT.frames_per_sample
"""Frames of the mix per sample of the script."""
PRE_ROLL = 0.15
"""Seconds the bed starts going down before a sound."""
RELEASE = 0.5
"""Seconds it takes to come back up after one."""
BRIDGE = 1.0
"""A pause shorter than this keeps the bed down (no pumping between the words of a phrase)."""
FADE_IN = 1.0
"""The bed fades in over the session's first second (the silence before the first word)."""
VOICE_GAIN = 10 ** (-3.0103 / 20)
"""The voice in both channels is 3 dB louder than in one (BS.1770 adds the channels' energy):
it is lowered as much, so the session keeps its loudness."""
GAIN_STEP = 2.0**-24
"""Gains are rounded to this: a frame's gain is the same however the session is cut into
stretches (numpy's vector and scalar maths may differ in the last bit)."""
TAPS_EACH_SIDE = 16
"""The upsampler's reach, in samples of the script, before and after each sound."""


@dataclass(frozen=True)
class Music:
    """The bed and how it sits under the voice (levels in dB under the speech's loudness)."""

    bed: Bed
    level_db: float
    duck_db: float


class Ducking:
    """The bed's gain at every frame of one script."""

    def __init__(self, music: Music, script: Script, final: bool, volume: float) -> None:
        points = [(e.start, e.end) for e in script.events]
        points += [(c.start, c.start) for c in script.chapters if c.start]
        if not final:  # the chapter to come starts where this script ends
            points.append((script.length, script.length))
        bridge = round(BRIDGE * script.sample_rate)
        starts: list[int] = []
        ends: list[int] = []
        for start, end in sorted(points):
            if ends and start - ends[-1] < bridge:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        self.starts = FACTOR * np.array(starts, dtype=np.int64)  # in frames from here on
        self.ends = FACTOR * np.array(ends, dtype=np.int64)
        level = music.level_db - MIN_LEVEL_DB  # the bed is stored at the loudest level
        self.duck_db = music.duck_db
        self.scale = volume * 10 ** (-level / 20)
        outro = [c for c in script.chapters if c.kind is ChapterKind.OUTRO] if final else []
        self.fade_out = (FACTOR * outro[0].start, FACTOR * script.length) if outro else None

    def gain(self, first: int, last: int) -> np.ndarray:
        """The bed's gain (float32) at frames `first` to `last`."""
        gain = np.full(max(0, last - first), self.scale)
        pre, release = round(PRE_ROLL * MUSIC_RATE), round(RELEASE * MUSIC_RATE)
        lo = np.searchsorted(self.ends, first - release)
        hi = np.searchsorted(self.starts, last + pre, side="right")
        for start, end in zip(self.starts[lo:hi], self.ends[lo:hi], strict=True):
            going = np.arange(max(start - pre, first), min(start, last))
            coming = np.arange(max(end + 1, first), min(end + release, last))
            down = slice(max(start, first) - first, max(min(end + 1, last) - first, 0))
            gain[down] = self._down(1.0)  # (a negative end would count from the far end)
            gain[going - first] = self._down(_ramp((going - start + pre) / pre))
            gain[coming - first] = self._down(1 - _ramp((coming - end) / release))
        fade_in = round(FADE_IN * MUSIC_RATE)
        if first < fade_in:
            f = np.arange(first, min(last, fade_in))
            gain[: len(f)] *= _ramp(f / fade_in)
        if self.fade_out is not None and last > self.fade_out[0]:
            start, end = self.fade_out
            f = np.arange(max(first, start), last)
            gain[f - first] *= 1 - _ramp((f - start) / max(end - start, 1))
        return (np.round(gain / GAIN_STEP) * GAIN_STEP).astype(np.float32)


    def _down(self, depth: float | np.ndarray) -> float | np.ndarray:
        """The gain `depth` (0 to 1) of the way down."""
        return self.scale * 10 ** (-self.duck_db * depth / 20)


def _ramp(x: np.ndarray) -> np.ndarray:
    """0 before 0, 1 after 1, a raised cosine between."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _half_sample_taps() -> np.ndarray:
    """The interpolator between two samples: a Kaiser-windowed sinc, unity gain."""
    k = np.arange(2 * TAPS_EACH_SIDE) - TAPS_EACH_SIDE + 0.5
    taps = np.sinc(k) * np.kaiser(2 * TAPS_EACH_SIDE, 8.0)
    return taps / taps.sum()


_TAPS = _half_sample_taps()


def upsampled(sound: np.ndarray) -> np.ndarray:
    """`sound` (mono, at the script's rate) at the mix's rate and `VOICE_GAIN`, as float32,
    from its start to `TAPS_EACH_SIDE` samples after its end: its own samples are kept, those
    between are interpolated. Nothing is laid before its start, where the chapter before it may
    already have been played."""
    reach = TAPS_EACH_SIDE
    padded = np.pad(np.asarray(sound, dtype=np.float64), (reach, 2 * reach))
    between = np.correlate(padded, _TAPS, mode="valid")  # [i]: half a sample before sound[i]
    out = np.empty(FACTOR * (len(sound) + reach))
    out[0::2] = padded[reach : 2 * reach + len(sound)]
    out[1::2] = between[1 : reach + len(sound) + 1]
    return (out * VOICE_GAIN).astype(np.float32)
