"""Levels set per clip: each speech clip and tone is brought to a fixed loudness and
peak-limited on its own, so a session's level is known before any of it is laid out.

A session is its clips and beeps with silence between them, never overlapping, so with every
phrase at `SPEECH_LUFS` and every beep `BEEP_LU` under it the whole session measures
`TARGET_LUFS` (ITU-R BS.1770, gated) within about a decibel (see `SPEECH_LUFS`); and with
every sound under the true-peak ceiling on its own, so is the session. That is what lets the
player start before the last clip is rendered: nothing heard early depends on a clip heard late.

A clip's level (its gain and the limiter's gain per block) is a few numbers, kept beside the
clip in the cache (`Speech.measures`), so a warm session measures nothing.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from coach.audio.loudness import (
    BLOCK,
    PEAK_LEAD,
    TARGET_LUFS,
    db_to_gain,
    gated_loudness,
    k_weighted,
    limiter_gain,
    peak_envelope,
)
from coach.audio.tones import TONE_LOUDNESS, tone_samples
from coach.compose.beeps import ToneKind
from coach.samples import SAMPLE_RATE

SPEECH_LUFS = TARGET_LUFS + 0.6
"""Each phrase's own loudness (with `CONTEXT_SECONDS` around it). Five sessions measured (the
built-in one in full, brief and rehearsed, one of long instructions, one of long sets) came to
-16.5 to -15.75 LUFS with the default voice: within 0.5 LU of `TARGET_LUFS`."""
BEEP_LU = -3.0
"""Beeps sit this far below the speech: clearly heard, never startling."""
CONTEXT_SECONDS = 0.3
"""Silence measured on each side of a sound: about the pause around a phrase in a session (a
whole number of `BLOCK`s)."""
MAX_BOOST_DB = 40.0
"""No clip is raised more than this: a clip that quiet is breath or noise, not speech."""

_VERSION = 3
"""Written first in every stored level, with the clip's length and checksum and the target: a
change of how levels are found (the meters, `BLOCK`) must change it. (1 was the timeline's
measurements before levels were set per clip; 2 filtered the clip again at every try.)"""
_HEADER = struct.Struct("<IQIffI")


@dataclass(frozen=True)
class Level:
    """How one sound is levelled: a gain, then the limiter's gain at each `BLOCK` start."""

    gain: float
    knots: np.ndarray
    """The limiter's gain at the start of each block and after the last one (float32); empty
    when the sound needs no limiting."""

    def apply(self, sound: np.ndarray) -> np.ndarray:
        """`sound` (float) levelled: the gain, and the limiter's gain linear between knots."""
        levelled = sound * np.float32(self.gain)
        if len(self.knots):
            ramp = np.arange(BLOCK, dtype=np.float32) / BLOCK
            left = self.knots[:-1]
            smooth = (left[:, None] + (self.knots[1:] - left)[:, None] * ramp).reshape(-1)
            levelled *= smooth[: len(sound)]
        return levelled


def find_level(sound: np.ndarray, loudness_db: float) -> Level:
    """The level that brings float `sound` to `loudness_db` LUFS with its true peak under the
    ceiling. Silence gets gain 1.

    Limiting lowers the loudness a little, so the gain is found again a few times with the
    limiter in place (the secant method). The sound is filtered once: its K-weighted energy
    per block is scaled by each try's gain and limiter (which changes slowly, over 20 ms), and
    its true peak scales with the gain.
    """
    energy = _context_energy(sound)
    measured = gated_loudness(energy)
    if not np.isfinite(measured):
        return Level(1.0, np.empty(0, np.float32))
    peaks = _block_peaks(sound)
    lead = _context_samples() // BLOCK  # the blocks of silence before the sound
    db, tried = min(loudness_db - measured, MAX_BOOST_DB), []
    for _ in range(8):
        level = _limited(peaks, db_to_gain(db))
        if not len(level.knots) or db >= MAX_BOOST_DB:
            return level
        scale = np.ones(len(energy))
        mean = (level.knots[:-1] + level.knots[1:]) / 2  # each block's limiter gain
        inside = scale[lead : lead + len(mean)]
        inside[:] = mean[: len(inside)]
        measured = gated_loudness(energy * np.square(level.gain * scale))
        if abs(measured - loudness_db) < 0.05:
            break
        tried.append((db, measured))
        slope = 1.0  # limiting makes loudness grow slower than the gain
        if len(tried) > 1 and tried[-1][0] != tried[-2][0]:
            (db0, lufs0), (db1, lufs1) = tried[-2:]
            slope = min(1.0, max(0.2, (lufs1 - lufs0) / (db1 - db0)))
        db = min(db + (loudness_db - measured) / slope, MAX_BOOST_DB)
    return level


def _block_peaks(sound: np.ndarray) -> np.ndarray:
    """The true peak of each `BLOCK` of the sound; the interpolation's reach before and after
    it joins the end blocks."""
    envelope = peak_envelope(sound)
    inside = envelope[PEAK_LEAD : PEAK_LEAD + len(sound)]
    blocks = np.maximum.reduceat(inside, np.arange(0, len(sound), BLOCK))
    blocks[0] = max(blocks[0], envelope[:PEAK_LEAD].max())
    blocks[-1] = max(blocks[-1], envelope[-PEAK_LEAD:].max())
    return blocks


def _limited(peaks: np.ndarray, gain: float) -> Level:
    """`gain`, and the limiter that keeps blocks of true peak `peaks` under the ceiling after it."""
    limiter = limiter_gain(peaks * np.float32(gain))
    if limiter.min() >= 1:
        return Level(gain, np.empty(0, np.float32))
    return Level(gain, np.append(limiter, limiter[-1]).astype(np.float32))


def clip_loudness(sound: np.ndarray) -> float:
    """Loudness in LUFS of one sound as a session hears it: BS.1770's gated loudness of the
    sound with `CONTEXT_SECONDS` of silence on each side (a short word weighs as its 400 ms
    windows make it weigh in a session); -inf for silence."""
    return gated_loudness(_context_energy(sound))


def _context_samples() -> int:
    return round(CONTEXT_SECONDS * SAMPLE_RATE)


def _context_energy(sound: np.ndarray) -> np.ndarray:
    """K-weighted energy per `BLOCK` of the sound with `CONTEXT_SECONDS` of silence around it."""
    pad = np.zeros(_context_samples(), dtype=np.float32)
    weighted = k_weighted(np.concatenate([pad, sound, pad]))
    whole = len(weighted) // BLOCK * BLOCK
    return np.square(weighted[:whole], dtype=np.float64).reshape(-1, BLOCK).sum(1)


def tone_level(kind: ToneKind) -> Level:
    """A beep's level: `BEEP_LU` under the speech (tones are steady: their loudness is known)."""
    gain = db_to_gain(SPEECH_LUFS + BEEP_LU - TONE_LOUDNESS)
    return _limited(_block_peaks(tone_samples(kind)), gain)


def format_level(level: Level, clip: np.ndarray) -> bytes:
    """A level as stored beside its int16 `clip`."""
    knots = np.ascontiguousarray(level.knots, dtype="<f4")
    header = _HEADER.pack(_VERSION, *_clip_check(clip), SPEECH_LUFS, level.gain, len(knots))
    return header + knots.tobytes()


def parse_level(payload: bytes | None, clip: np.ndarray) -> Level | None:
    """The level stored in `payload`, if it is whole and of this `clip`."""
    try:
        version, length, crc, target, gain, count = _HEADER.unpack_from(payload or b"")
    except struct.error:
        return None
    expected = -(-length // BLOCK) + 1 if count else 0
    if (
        version != _VERSION
        or (length, crc) != _clip_check(clip)
        or target != np.float32(SPEECH_LUFS)
        or count != expected
        or len(payload) != _HEADER.size + 4 * count
        or not 0 < gain < db_to_gain(MAX_BOOST_DB + 1)
    ):
        return None
    knots = np.frombuffer(payload, dtype="<f4", offset=_HEADER.size).astype(np.float32)
    if count and not (np.all(knots > 0) and np.all(knots <= 1)):
        return None
    return Level(gain, knots)


def _clip_check(clip: np.ndarray) -> tuple[int, int]:
    return len(clip), zlib.crc32(np.ascontiguousarray(clip, dtype="<i2"))
