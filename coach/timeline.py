"""The timeline: the script's clips and tones laid into one buffer at exact sample offsets.

The player and the exporter both consume a Timeline, so what you hear is what you export.
Loudness is settled here, cheaply, with the meters of loudness.py: speech is measured once (its
distinct clips), beeps are set relative to it, the mix gets one gain to `TARGET_LUFS` (ITU-R
BS.1770 integrated loudness), and a look-ahead limiter keeps the 4x-oversampled true peak under
`TRUE_PEAK_DBTP`. The volume (0 to 1) is a last gain on top: the session is
`20 * log10(volume)` dB under the target, never louder.

Sounds never overlap in a script, and both meters are linear filters, so the whole session is
never filtered: each distinct clip and tone is measured once (its K-weighted energy and its true
peak around every sample), and the session's 2 ms blocks are summed from those measurements at
each event's offset. Only numpy is used: scipy takes a second to import.

A clip's block measurements depend only on its samples and its start offset modulo `BLOCK`,
so a clip source that keeps them (`Speech` does, beside each cached clip) spares a warm session
the measuring; what it returns is checked against the clip and measured again when it is not
whole or not of this clip.
"""

from __future__ import annotations

import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coach.loudness import (
    BLOCK,
    K_TAPS,
    PEAK_LEAD,
    db_to_gain,
    gated_loudness,
    k_weighted,
    normalising_gain,
    peak_envelope,
)
from coach.samples import SAMPLE_RATE
from coach.script import EventKind, Script
from coach.tones import TONE_LOUDNESS, ToneKind, tone_samples

BEEP_LU = -3.0
"""Beeps sit this far below the speech: clearly heard, never startling."""


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
    speech_lufs = gated_loudness(meter.energy)
    beep_gain = np.float32(
        db_to_gain(speech_lufs + BEEP_LU - TONE_LOUDNESS) if np.isfinite(speech_lufs) else 1.0
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
    gain, limiter = normalising_gain(meter.energy, meter.peaks)
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
        first, last = start // BLOCK, -(-end // BLOCK)
        if knots[first : last + 1].min() == 1:
            if id(sound) not in scaled:
                scaled[id(sound)] = _to_int16(sound * gain)
            samples[start:end] = scaled[id(sound)]
        else:
            samples[start:end] = _to_int16(sound * (gain * _smooth(knots, start, end)))
    return Timeline(script, samples)


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32767), -32768, 32767).astype(np.int16)


_RAMP = np.arange(BLOCK, dtype=np.float32) / BLOCK


def _smooth(knots: np.ndarray, start: int, end: int) -> np.ndarray:
    """The limiter's gain for samples `start` to `end`: linear between block starts."""
    first, last = start // BLOCK, -(-end // BLOCK)
    left = knots[first:last]
    gains = left[:, None] + (knots[first + 1 : last + 1] - left)[:, None] * _RAMP
    return gains.reshape(-1)[start - first * BLOCK : end - first * BLOCK]


@dataclass(frozen=True)
class _Sound:
    """A sound and its measurements, made once however often it is placed."""

    samples: np.ndarray
    energy: dict[int, np.ndarray]
    """K-weighted energy (its ringing included) per block, for each `start % BLOCK` it is
    placed at: the first value is the block the sound starts in."""
    peaks: dict[int, np.ndarray]
    """True peak per block, for each `(start - PEAK_LEAD) % BLOCK` it is placed at: the first
    value is the block `PEAK_LEAD` samples before the sound's start."""


_MEASURES_VERSION = 1
"""Written first in every stored measurement, with the clip's length and checksum: a change of
the meters (the filters, `BLOCK`, `PEAK_LEAD`) must change it."""
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
        if {s % BLOCK for s in starts[text]} <= energy.keys() and {
            (s - PEAK_LEAD) % BLOCK for s in starts[text]
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
            reach = K_TAPS - 1 if kind == 0 else 2 * PEAK_LEAD  # what each meter adds
            if kind > 1 or phase >= BLOCK or size != -(-(phase + length + reach) // BLOCK):
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
    energy = np.square(k_weighted(sound))
    envelope = peak_envelope(sound)
    return _Sound(
        sound,
        {a: _per_block(np.add, energy, a) for a in {s % BLOCK for s in starts}},
        {
            a: _per_block(np.maximum, envelope, a)
            for a in {(s - PEAK_LEAD) % BLOCK for s in starts}
        },
    )


def _per_block(combine: np.ufunc, values: np.ndarray, offset: int) -> np.ndarray:
    """`values` combined block by block, the first value being `offset` samples into a block."""
    edges = np.maximum(np.arange(-(-(offset + len(values)) // BLOCK)) * BLOCK - offset, 0)
    return combine.reduceat(values, edges)


class _Meter:
    """The K-weighted energy and the true peak of each `BLOCK` of a session, sound by sound."""

    def __init__(self, length: int) -> None:
        self.energy = np.zeros(length // BLOCK)
        """Complete blocks only, as BS.1770 gating counts them."""
        self.peaks = np.zeros(-(-length // BLOCK), dtype=np.float32)

    def add(self, sound: _Sound, start: int) -> None:
        """Add a sound starting at sample `start` (sounds never overlap, so energies add)."""
        for values, combine, at in (
            (self.energy, np.add, start),
            (self.peaks, np.maximum, start - PEAK_LEAD),
        ):
            measured = (sound.energy if values is self.energy else sound.peaks)[at % BLOCK]
            first = at // BLOCK
            skip, end = max(0, -first), min(first + len(measured), len(values))
            if end > first + skip:
                part = values[first + skip : end]
                combine(part, measured[skip : end - first], out=part)
