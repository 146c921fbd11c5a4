"""The timeline: the script's clips and tones laid into one buffer at exact sample offsets.

The player and the exporter both consume a Timeline, so what you hear is what you export.
Loudness is settled here, cheaply: speech is measured once (its distinct clips), beeps are set
relative to it, the mix gets one gain to `TARGET_LUFS` (ITU-R BS.1770 integrated loudness), and a
look-ahead limiter keeps the 4x-oversampled true peak under `TRUE_PEAK_DBTP`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import ndimage, signal

from coach.compose import Script, SessionOptions, compose, phrases
from coach.routine import Routine
from coach.samples import SAMPLE_RATE
from coach.tones import TONE_LOUDNESS, tone_samples

TARGET_LUFS = -16.0
"""Integrated loudness of the whole session (the usual target for headphones)."""
TRUE_PEAK_DBTP = -1.0
"""No true peak of the session goes above this."""
LIMITER_MARGIN_DB = 0.5
"""The limiter aims this far under `TRUE_PEAK_DBTP`: lossy encoders and meters differ a little."""
LIMITER_SECONDS = 0.02
"""Look-ahead, hold and release of the limiter's gain."""
BEEP_LU = -3.0
"""Beeps sit this far below the speech: clearly heard, never startling."""

_STEP = SAMPLE_RATE // 10
"""BS.1770 gating: 400 ms blocks every 100 ms."""
_BLOCK = 45
"""The meter's and the limiter's resolution (2 ms); 49 of them make a `_STEP`."""
_OVERSAMPLER = signal.firwin(49, 1 / 4, window=("kaiser", 5.0)).astype(np.float32)
"""The 4x interpolation filter of the true-peak meter."""


class ClipSource(Protocol):
    """Where clips come from: the TTS layer's `Speech`, or a stand-in in tests."""

    def clips(self, texts: list[str]) -> dict[str, np.ndarray]: ...

    def clip(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Timeline:
    """The whole session as mono int16 samples, with the script that placed them."""

    script: Script
    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE

    def pcm(self, start: int = 0) -> bytes:
        """The raw little-endian PCM bytes from sample `start` on."""
        return self.samples[start:].astype("<i2", copy=False).tobytes()


def make_script(routine: Routine, options: SessionOptions, speech: ClipSource) -> Script:
    """Render every phrase (in parallel, through the cache), then compose with real clip lengths."""
    speech.clips(phrases(routine, options))
    return compose(routine, options, lambda text: len(speech.clip(text)))


def build_timeline(script: Script, speech: ClipSource) -> Timeline:
    """Place every clip and tone of the script at its sample offset, then set the loudness."""
    clips = {t: c.astype(np.float32) / 32768 for t, c in speech.clips(script.texts()).items()}
    speech_lufs = loudness(np.concatenate([np.zeros(0, np.float32), *clips.values()]))
    beep_gain = np.float32(
        _db_to_gain(speech_lufs + BEEP_LU - TONE_LOUDNESS) if np.isfinite(speech_lufs) else 1.0
    )
    mix = np.zeros(script.length, dtype=np.float32)
    for event in script.events:
        if event.kind == "speech":
            sound = clips[event.text]
        else:
            sound = tone_samples(event.tone) * beep_gain
        mix[event.start : event.start + len(sound)] += sound
    mix *= _normalising_gain(mix)
    samples = np.clip(np.round(mix * 32767), -32768, 32767).astype(np.int16)
    return Timeline(script, samples)


def _normalising_gain(mix: np.ndarray) -> np.ndarray:
    """Per-sample gain: one gain to `TARGET_LUFS`, limited around true peaks over the ceiling.

    Limiting lowers the loudness a little, so the gain is found again a few times with the
    limiter in place; both work on 2 ms blocks, measured once, so this costs little.
    """
    energy, peaks = _block_energy(mix), _block_peaks(mix)
    gain, limiter = 1.0, np.ones_like(peaks)
    for _ in range(20):
        measured = _gated_loudness(energy * (gain * limiter[: len(energy)]) ** 2)
        if not np.isfinite(measured) or abs(measured - TARGET_LUFS) < 0.05:
            break
        gain *= _db_to_gain(TARGET_LUFS - measured)
        limiter = _limiter_gain(peaks * gain)
    # Linear between block starts: each sample gets its block's gain and the next one's.
    knots = np.append(limiter, limiter[-1]).astype(np.float32)
    ramp = np.arange(_BLOCK, dtype=np.float32) / _BLOCK
    smooth = (knots[:-1, None] + (knots[1:] - knots[:-1])[:, None] * ramp).reshape(-1)
    return np.float32(gain) * smooth[: len(mix)]


def loudness(samples: np.ndarray) -> float:
    """Integrated loudness in LUFS of float samples at SAMPLE_RATE (BS.1770-4); -inf for silence."""
    return _gated_loudness(_block_energy(samples))


def true_peak(samples: np.ndarray) -> float:
    """The true peak of float samples in dBTP (4x oversampled, as BS.1770 measures it)."""
    peak = float(_block_peaks(samples).max(initial=0.0))
    return 20 * np.log10(peak) if peak else float("-inf")


def _k_weighting() -> np.ndarray:
    """BS.1770's K-weighting (a high shelf, then a high pass) as second-order sections.

    Designed for SAMPLE_RATE from the filters' analogue parameters, as libebur128 and
    ffmpeg's ebur128 filter do, since BS.1770 lists coefficients for 48 kHz only.
    """
    k = np.tan(np.pi * 1681.974450955533 / SAMPLE_RATE)
    q, vh = 0.7071752369554196, 10 ** (3.999843853973347 / 20)
    vb = vh**0.4996667741545416
    shelf = [
        vh + vb * k / q + k * k,
        2 * (k * k - vh),
        vh - vb * k / q + k * k,
        1 + k / q + k * k,
        2 * (k * k - 1),
        1 - k / q + k * k,
    ]
    k, q = np.tan(np.pi * 38.13547087602444 / SAMPLE_RATE), 0.5003270373238773
    high_pass = [1, -2, 1, 1 + k / q + k * k, 2 * (k * k - 1), 1 - k / q + k * k]
    sos = np.array([shelf, high_pass])
    return (sos / sos[:, 3:4]).astype(np.float32)


_K_WEIGHTING = _k_weighting()


def _block_energy(samples: np.ndarray) -> np.ndarray:
    """The sum of K-weighted squares over each complete `_BLOCK` of samples."""
    weighted = signal.sosfilt(_K_WEIGHTING, samples.astype(np.float32, copy=False))
    whole = len(weighted) // _BLOCK * _BLOCK
    return np.square(weighted[:whole]).reshape(-1, _BLOCK).sum(axis=1, dtype=np.float64)


def _gated_loudness(block_energy: np.ndarray) -> float:
    """Integrated loudness from block energies: 400 ms blocks, absolute and relative gates."""
    per_step = _STEP // _BLOCK
    whole = len(block_energy) // per_step * per_step
    steps = block_energy[:whole].reshape(-1, per_step).sum(axis=1)
    power = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * _STEP)
    power = power[power > 10 ** ((-70 + 0.691) / 10)]
    if not power.size:
        return float("-inf")
    power = power[power > power.mean() / 10]  # the relative gate, 10 LU under the mean
    return float(-0.691 + 10 * np.log10(power.mean()))


def _block_peaks(samples: np.ndarray) -> np.ndarray:
    """The true peak of each `_BLOCK` of samples (the last one zero-padded), a chunk at a time."""
    x = np.pad(samples.astype(np.float32, copy=False), (0, -len(samples) % _BLOCK))
    chunk, pad = 4096 * _BLOCK, 64
    peaks = np.empty(len(x) // _BLOCK, dtype=np.float32)
    for start in range(0, len(x), chunk):
        lo, end = max(0, start - pad), min(len(x), start + chunk)
        up = signal.resample_poly(x[lo : end + pad], 4, 1, window=_OVERSAMPLER)
        up = np.abs(up[4 * (start - lo) : 4 * (end - lo)])
        peaks[start // _BLOCK : end // _BLOCK] = up.reshape(-1, 4 * _BLOCK).max(axis=1)
    return peaks


def _limiter_gain(peaks: np.ndarray) -> np.ndarray:
    """Per-block gain that keeps each block's true peak under the ceiling, smoothly.

    A min-filter, then a moving average a block narrower, keep each block's gain and its
    neighbours' at or under what the block needs, so gains interpolated between blocks are
    safe too. The gain falls before a peak, so nothing is delayed and nothing moves.
    """
    ceiling = _db_to_gain(TRUE_PEAK_DBTP - LIMITER_MARGIN_DB)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9))
    reach = round(LIMITER_SECONDS * SAMPLE_RATE / _BLOCK)
    held = ndimage.minimum_filter1d(needed, 2 * reach + 3, mode="nearest")
    return ndimage.uniform_filter1d(held, 2 * reach + 1, mode="nearest")


def _db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))
