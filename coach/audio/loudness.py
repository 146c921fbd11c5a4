"""Loudness as ITU-R BS.1770 measures it, and a true-peak limiter, with numpy alone.

levels.py levels each clip with them: K-weighted energy summed per 2 ms block (`BLOCK`), the
4x-oversampled true peak as a per-block maximum, the limiter's gain per block. scipy would take
a second to import.
"""

from __future__ import annotations

import functools

import numpy as np

from coach.samples import SAMPLE_RATE

TARGET_LUFS = -16.0
"""Integrated loudness of the whole session (the usual target for headphones)."""
TRUE_PEAK_DBTP = -1.0
"""No true peak of the session goes above this."""
LIMITER_MARGIN_DB = 0.5
"""The limiter aims this far under `TRUE_PEAK_DBTP`: lossy encoders and meters differ a little."""
LIMITER_SECONDS = 0.02
"""Look-ahead, hold and release of the limiter's gain."""
STEP = SAMPLE_RATE // 10
"""BS.1770 gating: 400 ms blocks every 100 ms."""
BLOCK = 45
"""The meter's and the limiter's resolution (2 ms); 49 of them make a `STEP`."""


def loudness(samples: np.ndarray) -> float:
    """Integrated loudness in LUFS of float samples at SAMPLE_RATE (BS.1770-4); -inf for silence."""
    weighted = k_weighted(samples)[: len(samples)]
    whole = len(weighted) // BLOCK * BLOCK
    blocks = np.square(weighted[:whole], dtype=np.float64).reshape(-1, BLOCK).sum(axis=1)
    return gated_loudness(blocks)


def true_peak(samples: np.ndarray) -> float:
    """The true peak of float samples in dBTP (4x oversampled, as BS.1770 measures it)."""
    peak = float(peak_envelope(samples).max(initial=0.0))
    return 20 * np.log10(peak) if peak else float("-inf")


def gated_loudness(block_energy: np.ndarray) -> float:
    """Integrated loudness from block energies: 400 ms blocks, absolute and relative gates."""
    per_step = STEP // BLOCK
    whole = len(block_energy) // per_step * per_step
    steps = block_energy[:whole].reshape(-1, per_step).sum(axis=1, dtype=np.float64)
    power = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * STEP)
    power = power[power > 10 ** ((-70 + 0.691) / 10)]
    if not power.size:
        return float("-inf")
    power = power[power > power.mean() / 10]  # the relative gate, 10 LU under the mean
    return float(-0.691 + 10 * np.log10(power.mean()))


# --- the filters ---------------------------------------------------------------------

K_TAPS = 2048
"""K-weighting's impulse response, cut where it has fallen under 1e-10 of its energy."""
_FFT_SIZE = 1 << 16
"""Longest FFT of the K-weighting convolution, done in pieces of `_FFT_SIZE - K_TAPS + 1`."""


def k_weighting() -> np.ndarray:
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
    return sos / sos[:, 3:4]


@functools.cache  # made when first needed: a warm export may measure nothing
def _k_impulse() -> np.ndarray:
    """The first `K_TAPS` samples of K-weighting's impulse response (from its frequency one)."""
    size = 1 << 17  # long enough that the response has died away: no aliasing left
    z = np.exp(-1j * np.pi * np.arange(size // 2 + 1) / (size // 2))
    response = np.ones_like(z)
    for b0, b1, b2, a0, a1, a2 in k_weighting():
        response *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return np.fft.irfft(response, size)[:K_TAPS]


_K_SPECTRA: dict[int, np.ndarray] = {}


def k_weighted(samples: np.ndarray) -> np.ndarray:
    """`samples` K-weighted, with the filter's ringing after them (`K_TAPS - 1` more samples).

    An FFT convolution with the impulse response, in pieces (overlap-add). numpy's FFT is
    fastest in double precision; the result is single.
    """
    x = np.asarray(samples, dtype=np.float64)
    # At least twice the taps, so each piece's ringing reaches into the next piece only.
    size = min(_FFT_SIZE, max(2 * K_TAPS, 1 << (len(x) + K_TAPS - 2).bit_length()))
    if size not in _K_SPECTRA:
        _K_SPECTRA[size] = np.fft.rfft(_k_impulse(), size)
    step = size - K_TAPS + 1
    count = -(-len(x) // step)
    out = np.zeros(max(count + 1, 2) * step, dtype=np.float32)
    batch = max(1, (1 << 22) // size)  # pieces transformed at once: bounded memory
    for first in range(0, count, batch):
        pieces = np.zeros((min(batch, count - first), step))
        part = x[first * step : (first + len(pieces)) * step]
        pieces.flat[: len(part)] = part
        y = np.fft.irfft(np.fft.rfft(pieces, size) * _K_SPECTRA[size], size)
        at = first * step
        out[at : at + y.size // size * step] += y[:, :step].reshape(-1)
        tails = out[at + step : at + (len(y) + 1) * step].reshape(len(y), step)
        tails[:, : K_TAPS - 1] += y[:, step:]
    return out[: len(x) + K_TAPS - 1]


def _oversampler() -> np.ndarray:
    """The 4x interpolation filter of the true-peak meter: scipy's firwin(49, 1/4, kaiser 5)."""
    n = np.arange(49) - 24
    taps = np.sinc(n / 4) * np.kaiser(49, 5.0)
    return taps / taps.sum()


OVERSAMPLER = _oversampler()
_PHASES = [(4 * OVERSAMPLER[p::4]).astype(np.float32) for p in range(4)]
"""The polyphase parts: phase p interpolates at a quarter-sample offset p."""
PEAK_LEAD = 6
"""The interpolation reaches this many samples before (and after) a sound."""


def peak_envelope(samples: np.ndarray) -> np.ndarray:
    """The true peak (4x oversampled) around each sample, from `PEAK_LEAD` before `samples`
    to `PEAK_LEAD` after them: at each sample the largest of its four interpolated values."""
    x = np.asarray(samples, dtype=np.float32)
    n = len(x) + 2 * PEAK_LEAD
    padded = np.pad(x, 2 * PEAK_LEAD)
    envelope = np.zeros(n, dtype=np.float32)
    phase, term = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
    for taps in _PHASES:  # phase[j] = sum over m of taps[m] * x[j - m]: the sample j - 6
        phase[:] = 0
        for m, tap in enumerate(taps):
            np.multiply(padded[2 * PEAK_LEAD - m : 2 * PEAK_LEAD - m + n], tap, out=term)
            phase += term
        np.maximum(envelope, np.abs(phase, out=phase), out=envelope)
    return envelope


def limiter_gain(
    peaks: np.ndarray, ceiling_db: float | np.ndarray = TRUE_PEAK_DBTP - LIMITER_MARGIN_DB,
    reach: int = round(LIMITER_SECONDS * SAMPLE_RATE / BLOCK),
) -> np.ndarray:  # fmt: skip
    """Per-block gain that keeps each block's true peak under `ceiling_db` (one, or one per
    block), smoothly: the gain falls over `reach` blocks before a peak and rises over as many
    after it.

    A min-filter, then a moving average a block narrower, keep each block's gain and its
    neighbours' at or under what the block needs, so gains interpolated between blocks are
    safe too. The gain falls before a peak, so nothing is delayed and nothing moves. Each gain
    is summed from its own window, in one order: a block's gain is the same bit for bit
    whichever stretch of blocks it is found in (headroom.py limits a session a stretch at a time).
    """
    if np.isscalar(ceiling_db):
        ceiling = db_to_gain(ceiling_db)
    else:  # each as one ceiling's gain is, to the bit: few differ
        values, where = np.unique(ceiling_db, return_inverse=True)
        ceiling = np.array([db_to_gain(float(v)) for v in values], dtype=peaks.dtype)[where]
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9))
    held = _running_min(np.pad(needed, reach + 1, mode="edge"), 2 * reach + 3)
    padded = np.pad(held.astype(np.float64), reach, mode="edge")
    total = np.zeros(len(held))
    for shift in range(2 * reach + 1):
        total += padded[shift : shift + len(held)]
    return np.minimum(total / (2 * reach + 1), 1).astype(needed.dtype)  # 1 where unlimited


def _running_min(values: np.ndarray, width: int) -> np.ndarray:
    """The minimum of each run of `width` values (width >= 2): the window's two halves come
    from minima over 2, 4, 8, ... values."""
    span, runs = 1, values
    while 2 * span < width:
        runs = np.minimum(runs[:-span], runs[span:])
        span *= 2
    count = len(values) - width + 1
    return np.minimum(runs[:count], runs[width - span : width - span + count])


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))
