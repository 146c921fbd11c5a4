"""Headroom for a lossy encoder: the session raised by a fixed gain and limited once more, under
a lower true-peak ceiling, as it is streamed to the encoder.

A lossy encoder's decoded output peaks higher than its input: its quantisation noise adds to
the waveform, most on speech's dense peaks and fricatives (output/ceilings.py has the measured
overshoot of each encoder). Every sound is levelled and limited on its own to the session's
ceiling (levels.py), which a WAV keeps; an encoder needs a lower one. Limiting harder lowers
the loudness, and an encoder takes a little off too, so the samples are first raised by a gain
that gives it back, then limited, with the clips' own limiter, under the encoder's ceiling.

The session is streamed a stretch at a time, cut where it happens to be made when it is made
while it is written: each block's gain is found from the samples around it alone, in one order
of operations, so it is the same bit for bit wherever a stretch begins, and a file is the same
bytes however it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from coach.audio.loudness import (
    BLOCK,
    OVERSAMPLER,
    PEAK_LEAD,
    db_to_gain,
    limiter_gain,
)

if TYPE_CHECKING:
    from coach.audio.timeline import Timeline

LIMITER_SECONDS = 0.005
"""Look-ahead, hold and release of this limiter's gain: a quarter of the clips' (loudness.py),
so limiting deeper takes less loudness off (measured: the built-in session's MP3 limited under
-3.2 dBTP after 2 dB of gain measures -17.1 LUFS at 20 ms, -16.5 at 5 ms)."""
FULL_SCALE = 32768.0
"""0 dBFS on the int16 scale, as ffmpeg's meter takes it."""
_PHASES = [(4 * OVERSAMPLER[p::4]).astype(np.float32) for p in range(4)]
"""The true-peak meter's interpolators (loudness.py), one per quarter-sample offset."""
PEAK_SPREAD = 1.01 * max(float(np.abs(taps).sum()) for taps in _PHASES)
"""A true peak is at most this many times the loudest sample within `PEAK_LEAD` of it (the
largest sum of an interpolator's |taps|, 1.92, and a margin for rounding)."""


class Source(Protocol):
    """A session to limit: a whole `Timeline`, or a `LiveTimeline` still being made."""

    def until(self, past: int = 0) -> Timeline: ...


SPOT_REACH = 1152
"""Frames either side of a spot (see `Headroom.spots`) that its lower ceiling covers: an MP3
frame, over which an encoder spreads its noise."""


@dataclass(frozen=True)
class Headroom:
    """A gain, then a true-peak ceiling, in dB, for what an encoder is given."""

    gain_db: float
    ceiling_db: float
    spots: tuple[tuple[int, float], ...] = ()
    """(frame, dB) where the ceiling is that much lower, within `SPOT_REACH` of the frame: an
    encoder overshoots most at a few places (eSpeak NG's "s" of "Rest."), and limiting those
    alone lowers the file's peak without taking loudness off the rest (output/measured.py)."""

    def pcm(self, source: Source, start: int, end: int) -> bytes:
        """Samples `start` to `end` of the session (counted at the session's rate) as raw PCM,
        raised and limited; waits for the session to be made a little past `end`."""
        fmt = source.until(start).format
        reach = round(LIMITER_SECONDS * fmt.rate / BLOCK)
        spread = 2 * reach + 1  # how many blocks away a peak still lowers a block's gain
        first, last = fmt.frames_per_sample * start, fmt.frames_per_sample * end  # frames
        low, high = first // BLOCK, -(-last // BLOCK)  # the blocks that hold them
        around = ((low - spread) * BLOCK - PEAK_LEAD, (high + spread + 1) * BLOCK + PEAK_LEAD)
        ahead = -(-(around[1] - last) // fmt.frames_per_sample)
        frames = _frames(source.until(end + ahead), *around)
        frames *= np.float32(db_to_gain(self.gain_db))
        ceiling = self._ceiling(low - spread, high - low + 2 * spread + 1)
        peaks = block_peaks(frames, high - low + 2 * spread + 1, float(np.min(ceiling)))
        knots = limiter_gain(peaks, ceiling, reach)[spread : spread + high - low + 1]
        ramp = np.arange(BLOCK, dtype=np.float32) / BLOCK
        gain = (knots[:-1, None] + (knots[1:] - knots[:-1])[:, None] * ramp).reshape(-1)
        out = frames[first - around[0] : last - around[0]]
        out *= gain[first - low * BLOCK : last - low * BLOCK, None]
        return np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes()

    def _ceiling(self, first: int, count: int) -> float | np.ndarray:
        """The ceiling (dBTP) of `count` blocks from block `first`: the one ceiling, or with
        spots one per block."""
        if not self.spots:
            return self.ceiling_db
        ceiling = np.full(count, self.ceiling_db)
        for frame, lower in self.spots:
            start = max((frame - SPOT_REACH) // BLOCK - first, 0)
            stop = min((frame + SPOT_REACH) // BLOCK + 1 - first, count)
            if start < stop:
                ceiling[start:stop] = np.minimum(ceiling[start:stop], self.ceiling_db - lower)
        return ceiling


def _frames(timeline: Timeline, first: int, last: int) -> np.ndarray:
    """Frames `first` to `last` of the session as float32 (n, channels) on the int16 scale:
    silence before its start and after its end."""
    factor = timeline.format.frames_per_sample
    out = np.zeros((last - first, timeline.format.channels), dtype=np.float32)
    lo, hi = max(first, 0), min(last, factor * timeline.script.length)
    if lo < hi:
        at = lo // factor * factor
        laid = timeline.render(lo // factor, -(-hi // factor)).reshape(-1, out.shape[1])
        out[lo - first : hi - first] = laid[lo - at : hi - at]
    return out


def block_peaks(frames: np.ndarray, count: int, ceiling_db: float) -> np.ndarray:
    """The true peak (full scale 1) of each of `count` blocks, over every channel, the first
    block starting `PEAK_LEAD` frames into `frames` (float32 on the int16 scale), which go on
    `PEAK_LEAD` frames past the last.

    Only the blocks that may reach `ceiling_db` are measured, by the meter's own interpolation
    (loudness.py), in one order of operations: a block whose loudest sample within reach is
    under the ceiling by `PEAK_SPREAD` cannot reach it, and counts as silent (its gain is 1
    either way). Most of a session is silence or quiet, and measuring is the costly part.
    """
    # the loudest channel of each frame, a channel at a time: numpy's max over a short last
    # axis (stereo's 2) is 14 times slower
    loudest = np.maximum.reduce([np.abs(frames[:, c]) for c in range(frames.shape[1])])
    blocks = loudest[PEAK_LEAD : PEAK_LEAD + count * BLOCK].reshape(count, BLOCK).max(axis=1)
    near = np.maximum(blocks, np.maximum(np.append(blocks[1:], 0), np.append(0, blocks[:-1])))
    edges = np.maximum(loudest[:PEAK_LEAD].max(), loudest[-PEAK_LEAD:].max())
    near[[0, -1]] = np.maximum(near[[0, -1]], edges)
    loud = np.flatnonzero(near * PEAK_SPREAD >= db_to_gain(ceiling_db) * FULL_SCALE)
    windows = (loud * BLOCK)[:, None] + np.arange(BLOCK + 2 * PEAK_LEAD)
    around = frames[windows]  # (blocks, samples, channels): each block and its reach
    peak = np.zeros((len(loud), BLOCK, frames.shape[1]), dtype=np.float32)
    phase, term = np.empty_like(peak), np.empty_like(peak)
    for taps in _PHASES:  # phase[i] = sum over m of taps[m] * x[i + PEAK_LEAD - m]
        phase[:] = 0
        for m, tap in enumerate(taps):
            np.multiply(around[:, 2 * PEAK_LEAD - m : 2 * PEAK_LEAD - m + BLOCK], tap, out=term)
            phase += term
        np.maximum(peak, np.abs(phase, out=phase), out=peak)
    peaks = np.zeros(count, dtype=np.float32)
    peaks[loud] = peak.max(axis=(1, 2)) / np.float32(FULL_SCALE)
    return peaks
