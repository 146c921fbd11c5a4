"""The timeline: the script's clips and tones laid into one buffer at exact sample offsets.

The player and the exporter both consume a Timeline, so what you hear is what you export.
Loudness is settled here, cheaply: speech is measured once (its distinct clips), beeps are set
relative to it, the mix gets one gain to `TARGET_LUFS` (ITU-R BS.1770 integrated loudness), and a
look-ahead limiter keeps the 4x-oversampled true peak under `TRUE_PEAK_DBTP`. The volume (0 to 1)
is a last gain on top: the session is `20 * log10(volume)` dB under the target, never louder.

Sounds never overlap in a script, and both meters are linear filters, so the whole session is
never filtered: each distinct clip and tone is measured once (its K-weighted energy and its true
peak around every sample), and the session's 2 ms blocks are summed from those measurements at
each event's offset. Only numpy is used: scipy takes a second to import.

A clip's block measurements depend only on its samples and its start offset modulo `_BLOCK`,
so a clip source that keeps them (`Speech` does, beside each cached clip) spares a warm session
the measuring; what it returns is checked against the clip and measured again when it is not
whole or not of this clip.
"""

from __future__ import annotations

import functools
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coach.compose import EventKind, Script
from coach.samples import SAMPLE_RATE
from coach.tones import TONE_LOUDNESS, ToneKind, tone_samples

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


class ClipSource(Protocol):
    """Where clips come from: the TTS layer's `Speech`, or a stand-in in tests.

    A source may also keep clips' measurements (`Speech` does): `measures(text)` gives back
    what `store_measures(text, payload)` stored.
    """

    def clips(self, texts: list[str]) -> dict[str, np.ndarray]: ...

    def clip(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Timeline:
    """The whole session as mono int16 samples, with the script that placed them."""

    script: Script
    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE

    def pcm(self, start: int = 0) -> memoryview:
        """The raw little-endian PCM bytes from sample `start` on (a view: nothing is copied)."""
        return memoryview(np.ascontiguousarray(self.samples[start:], dtype="<i2")).cast("B")


def build_timeline(script: Script, speech: ClipSource, volume: float = 1.0) -> Timeline:
    """Place every clip and tone of the script at its sample offset, then set the loudness.

    The session is at `TARGET_LUFS` at `volume` 1, and scaled by `volume` (0 to 1) after that.
    """
    texts = speech.clips(script.texts())
    # Where each sound starts: the speech laid end to end (to measure its loudness), the session.
    ends = np.cumsum([len(c) for c in texts.values()])
    starts = {
        text: {int(end) - len(clip)} for (text, clip), end in zip(texts.items(), ends, strict=True)
    }
    kinds: dict[ToneKind, set[int]] = {}
    for e in script.events:
        spoken = e.kind is EventKind.SPEECH
        (starts[e.text] if spoken else kinds.setdefault(e.tone, set())).add(e.start)
    clips = _measure_clips(texts, starts, speech)
    del texts  # the int16 clips
    meter = _Meter(int(ends[-1]) if len(ends) else 0)
    for sound, end in zip(clips.values(), ends, strict=True):
        meter.add(sound, int(end) - len(sound.samples))
    speech_lufs = _gated_loudness(meter.energy)
    beep_gain = np.float32(
        _db_to_gain(speech_lufs + BEEP_LU - TONE_LOUDNESS) if np.isfinite(speech_lufs) else 1.0
    )
    measured = _measure([tone_samples(k) * beep_gain for k in kinds], list(kinds.values()))
    tones = dict(zip(kinds, measured, strict=True))
    placed = [
        (e.start, clips[e.text] if e.kind is EventKind.SPEECH else tones[e.tone])
        for e in script.events
    ]

    meter = _Meter(script.length)
    for start, sound in placed:
        meter.add(sound, start)
    gain, limiter = _normalising_gain(meter.energy, meter.peaks)
    gain *= np.float32(volume)  # after the limiter's ceiling: a lower volume never clips
    # The measurements are done with: let them go before the session is laid out.
    placed = [(start, sound.samples) for start, sound in placed]
    del clips, tones, meter

    # Each distinct sound is scaled once; a placed sound is copied, or limited where it must be.
    samples = np.zeros(script.length, dtype=np.int16)
    knots = np.append(limiter, limiter[-1]).astype(np.float32)
    scaled: dict[int, np.ndarray] = {}
    for start, sound in placed:
        end = start + len(sound)
        first, last = start // _BLOCK, -(-end // _BLOCK)
        if knots[first : last + 1].min() == 1:
            if id(sound) not in scaled:
                scaled[id(sound)] = _to_int16(sound * gain)
            samples[start:end] = scaled[id(sound)]
        else:
            samples[start:end] = _to_int16(sound * (gain * _smooth(knots, start, end)))
    return Timeline(script, samples)


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32767), -32768, 32767).astype(np.int16)


_RAMP = np.arange(_BLOCK, dtype=np.float32) / _BLOCK


def _smooth(knots: np.ndarray, start: int, end: int) -> np.ndarray:
    """The limiter's gain for samples `start` to `end`: linear between block starts."""
    first, last = start // _BLOCK, -(-end // _BLOCK)
    left = knots[first:last]
    gains = left[:, None] + (knots[first + 1 : last + 1] - left)[:, None] * _RAMP
    return gains.reshape(-1)[start - first * _BLOCK : end - first * _BLOCK]


def _normalising_gain(energy: np.ndarray, peaks: np.ndarray) -> tuple[np.float32, np.ndarray]:
    """One gain to `TARGET_LUFS`, and a per-block limiter gain for true peaks over the ceiling.

    Limiting lowers the loudness a little, so the gain is found again a few times with the
    limiter in place (by the secant method); both work on 2 ms blocks, so this costs little.
    """
    db, limiter, tried = 0.0, np.ones_like(peaks), []
    for _ in range(20):
        measured = _gated_loudness(energy * (_db_to_gain(db) * limiter[: len(energy)]) ** 2)
        if not np.isfinite(measured) or abs(measured - TARGET_LUFS) < 0.05:
            break
        tried.append((db, measured))
        # The secant through the last two tries (limiting makes loudness grow slower than gain).
        slope = 1.0
        if len(tried) > 1 and tried[-1][0] != tried[-2][0]:
            (db0, lufs0), (db1, lufs1) = tried[-2:]
            slope = min(1.0, max(0.2, (lufs1 - lufs0) / (db1 - db0)))
        db += (TARGET_LUFS - measured) / slope
        limiter = _limiter_gain(peaks * _db_to_gain(db))
    gain = _db_to_gain(db)
    return np.float32(gain), limiter


def loudness(samples: np.ndarray) -> float:
    """Integrated loudness in LUFS of float samples at SAMPLE_RATE (BS.1770-4); -inf for silence."""
    weighted = _k_weighted(samples)[: len(samples)]
    whole = len(weighted) // _BLOCK * _BLOCK
    blocks = np.square(weighted[:whole], dtype=np.float64).reshape(-1, _BLOCK).sum(axis=1)
    return _gated_loudness(blocks)


def true_peak(samples: np.ndarray) -> float:
    """The true peak of float samples in dBTP (4x oversampled, as BS.1770 measures it)."""
    peak = float(_peak_envelope(samples).max(initial=0.0))
    return 20 * np.log10(peak) if peak else float("-inf")


@dataclass(frozen=True)
class _Sound:
    """A sound and its measurements, made once however often it is placed."""

    samples: np.ndarray
    energy: dict[int, np.ndarray]
    """K-weighted energy (its ringing included) per block, for each `start % _BLOCK` it is
    placed at: the first value is the block the sound starts in."""
    peaks: dict[int, np.ndarray]
    """True peak per block, for each `(start - _PEAK_LEAD) % _BLOCK` it is placed at: the first
    value is the block `_PEAK_LEAD` samples before the sound's start."""


_MEASURES_VERSION = 1
"""Written first in every stored measurement, with the clip's length and checksum: a change of
the meters (the filters, `_BLOCK`, `_PEAK_LEAD`) must change it."""
_MEASURES_HEADER = struct.Struct("<IQII")
_ENTRY = struct.Struct("<BBI")


def _measure_clips(
    texts: dict[str, np.ndarray], starts: dict[str, set[int]], speech: ClipSource
) -> dict[str, _Sound]:
    """Each clip measured for the samples it will start at: from the store when `speech` keeps
    measurements and has them all, else measured (and stored, with those it had)."""
    store = speech if callable(getattr(speech, "measures", None)) else None
    clips: dict[str, _Sound] = {}
    known: dict[str, tuple[dict[int, np.ndarray], dict[int, np.ndarray]]] = {}
    for text, clip in texts.items():
        if store is None:
            break
        energy, peaks = known[text] = _parse_measures(store.measures(text), clip)
        if {s % _BLOCK for s in starts[text]} <= energy.keys() and {
            (s - _PEAK_LEAD) % _BLOCK for s in starts[text]
        } <= peaks.keys():
            clips[text] = _Sound(clip.astype(np.float32) / 32768, energy, peaks)
    todo = [text for text in texts if text not in clips]
    floats = [texts[t].astype(np.float32) / 32768 for t in todo]
    for text, sound in zip(todo, _measure(floats, [starts[t] for t in todo]), strict=True):
        clips[text] = sound
        if store is not None:
            old_energy, old_peaks = known[text]
            sound.energy.update({a: v for a, v in old_energy.items() if a not in sound.energy})
            sound.peaks.update({a: v for a, v in old_peaks.items() if a not in sound.peaks})
            store.store_measures(text, _format_measures(sound, texts[text]))
    return {text: clips[text] for text in texts}


def _clip_check(clip: np.ndarray) -> tuple[int, int]:
    return len(clip), zlib.crc32(np.ascontiguousarray(clip, dtype="<i2"))


def _format_measures(sound: _Sound, clip: np.ndarray) -> bytes:
    count = len(sound.energy) + len(sound.peaks)
    parts = [_MEASURES_HEADER.pack(_MEASURES_VERSION, *_clip_check(clip), count)]
    for kind, values in enumerate((sound.energy, sound.peaks)):
        for at, blocks in sorted(values.items()):
            data = np.ascontiguousarray(blocks, dtype="<f4")
            parts += [_ENTRY.pack(kind, at, len(data)), data.tobytes()]
    return b"".join(parts)


def _parse_measures(
    payload: bytes | None, clip: np.ndarray
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """The energy and peak blocks by phase stored in `payload`, if it is of this `clip`."""
    found: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] = ({}, {})
    try:
        version, length, crc, count = _MEASURES_HEADER.unpack_from(payload or b"")
        if version != _MEASURES_VERSION or (length, crc) != _clip_check(clip):
            return {}, {}
        at = _MEASURES_HEADER.size
        for _ in range(count):
            kind, phase, size = _ENTRY.unpack_from(payload, at)
            at += _ENTRY.size
            blocks = np.frombuffer(payload, dtype="<f4", count=size, offset=at)
            at += 4 * size
            reach = _K_TAPS - 1 if kind == 0 else 2 * _PEAK_LEAD  # what each meter adds
            if kind > 1 or phase >= _BLOCK or size != -(-(phase + length + reach) // _BLOCK):
                return {}, {}
            found[kind][phase] = blocks.astype(np.float32)
        if at != len(payload):
            return {}, {}
    except (struct.error, ValueError):
        return {}, {}
    return found


def _measure(sounds: list[np.ndarray], starts: list[set[int]]) -> list[_Sound]:
    """Measure float sounds for the samples they will start at, one by one (a sound at a time
    stays in the processor's cache), on every core: numpy's FFTs and array arithmetic let go
    of the GIL. Only the block values are kept, never a measurement per sample."""
    workers = min(len(os.sched_getaffinity(0)), 4)
    if workers < 2 or sum(len(s) for s in sounds) < SAMPLE_RATE * 10:
        return [_measure_one(sound, at) for sound, at in zip(sounds, starts, strict=True)]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(_measure_one, sounds, starts))


def _measure_one(sound: np.ndarray, starts: set[int]) -> _Sound:
    energy = np.square(_k_weighted(sound))
    envelope = _peak_envelope(sound)
    return _Sound(
        sound,
        {a: _per_block(np.add, energy, a) for a in {s % _BLOCK for s in starts}},
        {
            a: _per_block(np.maximum, envelope, a)
            for a in {(s - _PEAK_LEAD) % _BLOCK for s in starts}
        },
    )


def _per_block(combine: np.ufunc, values: np.ndarray, offset: int) -> np.ndarray:
    """`values` combined block by block, the first value being `offset` samples into a block."""
    edges = np.maximum(np.arange(-(-(offset + len(values)) // _BLOCK)) * _BLOCK - offset, 0)
    return combine.reduceat(values, edges)


class _Meter:
    """The K-weighted energy and the true peak of each `_BLOCK` of a session, sound by sound."""

    def __init__(self, length: int) -> None:
        self.energy = np.zeros(length // _BLOCK)
        """Complete blocks only, as BS.1770 gating counts them."""
        self.peaks = np.zeros(-(-length // _BLOCK), dtype=np.float32)

    def add(self, sound: _Sound, start: int) -> None:
        """Add a sound starting at sample `start` (sounds never overlap, so energies add)."""
        for values, combine, at in (
            (self.energy, np.add, start),
            (self.peaks, np.maximum, start - _PEAK_LEAD),
        ):
            measured = (sound.energy if values is self.energy else sound.peaks)[at % _BLOCK]
            first = at // _BLOCK
            skip, end = max(0, -first), min(first + len(measured), len(values))
            if end > first + skip:
                part = values[first + skip : end]
                combine(part, measured[skip : end - first], out=part)


def _gated_loudness(block_energy: np.ndarray) -> float:
    """Integrated loudness from block energies: 400 ms blocks, absolute and relative gates."""
    per_step = _STEP // _BLOCK
    whole = len(block_energy) // per_step * per_step
    steps = block_energy[:whole].reshape(-1, per_step).sum(axis=1, dtype=np.float64)
    power = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * _STEP)
    power = power[power > 10 ** ((-70 + 0.691) / 10)]
    if not power.size:
        return float("-inf")
    power = power[power > power.mean() / 10]  # the relative gate, 10 LU under the mean
    return float(-0.691 + 10 * np.log10(power.mean()))


# --- the filters ---------------------------------------------------------------------

_K_TAPS = 2048
"""K-weighting's impulse response, cut where it has fallen under 1e-10 of its energy."""
_FFT_SIZE = 1 << 16
"""Longest FFT of the K-weighting convolution, done in pieces of `_FFT_SIZE - _K_TAPS + 1`."""


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
    return sos / sos[:, 3:4]


@functools.cache  # made when first needed: a warm export may measure nothing
def _k_impulse() -> np.ndarray:
    """The first `_K_TAPS` samples of K-weighting's impulse response (from its frequency one)."""
    size = 1 << 17  # long enough that the response has died away: no aliasing left
    z = np.exp(-1j * np.pi * np.arange(size // 2 + 1) / (size // 2))
    response = np.ones_like(z)
    for b0, b1, b2, a0, a1, a2 in _k_weighting():
        response *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return np.fft.irfft(response, size)[:_K_TAPS]


_K_SPECTRA: dict[int, np.ndarray] = {}


def _k_weighted(samples: np.ndarray) -> np.ndarray:
    """`samples` K-weighted, with the filter's ringing after them (`_K_TAPS - 1` more samples).

    An FFT convolution with the impulse response, in pieces (overlap-add). numpy's FFT is
    fastest in double precision; the result is single.
    """
    x = np.asarray(samples, dtype=np.float64)
    # At least twice the taps, so each piece's ringing reaches into the next piece only.
    size = min(_FFT_SIZE, max(2 * _K_TAPS, 1 << (len(x) + _K_TAPS - 2).bit_length()))
    if size not in _K_SPECTRA:
        _K_SPECTRA[size] = np.fft.rfft(_k_impulse(), size)
    step = size - _K_TAPS + 1
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
        tails[:, : _K_TAPS - 1] += y[:, step:]
    return out[: len(x) + _K_TAPS - 1]


def _oversampler() -> np.ndarray:
    """The 4x interpolation filter of the true-peak meter: scipy's firwin(49, 1/4, kaiser 5)."""
    n = np.arange(49) - 24
    taps = np.sinc(n / 4) * np.kaiser(49, 5.0)
    return taps / taps.sum()


_OVERSAMPLER = _oversampler()
_PHASES = [(4 * _OVERSAMPLER[p::4]).astype(np.float32) for p in range(4)]
"""The polyphase parts: phase p interpolates at a quarter-sample offset p."""
_PEAK_LEAD = 6
"""The interpolation reaches this many samples before (and after) a sound."""


def _peak_envelope(samples: np.ndarray) -> np.ndarray:
    """The true peak (4x oversampled) around each sample, from `_PEAK_LEAD` before `samples`
    to `_PEAK_LEAD` after them: at each sample the largest of its four interpolated values."""
    x = np.asarray(samples, dtype=np.float32)
    n = len(x) + 2 * _PEAK_LEAD
    padded = np.pad(x, 2 * _PEAK_LEAD)
    envelope = np.zeros(n, dtype=np.float32)
    phase, term = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
    for taps in _PHASES:  # phase[j] = sum over m of taps[m] * x[j - m]: the sample j - 6
        phase[:] = 0
        for m, tap in enumerate(taps):
            np.multiply(padded[2 * _PEAK_LEAD - m : 2 * _PEAK_LEAD - m + n], tap, out=term)
            phase += term
        np.maximum(envelope, np.abs(phase, out=phase), out=envelope)
    return envelope


def _limiter_gain(peaks: np.ndarray) -> np.ndarray:
    """Per-block gain that keeps each block's true peak under the ceiling, smoothly.

    A min-filter, then a moving average a block narrower, keep each block's gain and its
    neighbours' at or under what the block needs, so gains interpolated between blocks are
    safe too. The gain falls before a peak, so nothing is delayed and nothing moves.
    """
    ceiling = _db_to_gain(TRUE_PEAK_DBTP - LIMITER_MARGIN_DB)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9))
    reach = round(LIMITER_SECONDS * SAMPLE_RATE / _BLOCK)
    held = _running_min(np.pad(needed, reach + 1, mode="edge"), 2 * reach + 3)
    sums = np.cumsum(np.pad(held, (reach + 1, reach), mode="edge"), dtype=np.float64)
    mean = (sums[2 * reach + 1 :] - sums[: -2 * reach - 1]) / (2 * reach + 1)
    return np.minimum(mean, 1).astype(needed.dtype)  # 1 where nothing is limited (float32)


def _running_min(values: np.ndarray, width: int) -> np.ndarray:
    """The minimum of each run of `width` values (2 <= width <= 32): the window's two halves
    come from minima over 2, 4, 8 and 16 values."""
    span, runs = 1, values
    while 2 * span < width:
        runs = np.minimum(runs[:-span], runs[span:])
        span *= 2
    count = len(values) - width + 1
    return np.minimum(runs[:count], runs[width - span : width - span + count])


def _db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))
