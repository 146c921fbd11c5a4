"""The measured pass: an encoded file of the voice alone is decoded and measured, and encoded
again with a corrected headroom when it misses the promise (a true peak of at most -1 dBTP, and
the session's loudness, -16 LUFS at full volume, within 1 LU).

An encoder's overshoot, and the loudness that limiting under its ceiling takes off, depend on
the voice, and no fixed headroom suits every voice: ceilings.py's, set for Piper, leaves eSpeak
NG's MP3 of the built-in session at -1.1 dBTP (its French circuit at -0.5) and flite's at
-14.0 LUFS. So the file is decoded by ffmpeg and measured with loudness.py's meters, against a
window narrower than the promise (`LOUDNESS_WINDOW`, `PEAK_LIMIT`), so that it holds by ffmpeg's
own meter (ebur128) too, which reads these files 0.1 LU louder and up to 0.1 dB higher. A miss
is encoded again, its gain moved by the loudness missed and its ceiling lowered where it
overshot (`corrected`), at most `PASSES` times in all, and the best of them is kept.

Only the voice alone (mono) is measured: under music the voice is 3 dB lower in each channel
and its stereo encoders overshoot little (ceilings.py), and loudness.py meters mono.

What a file measured, and the headroom it was encoded again with when it missed, is recorded
in the clip cache under a digest of the file's bytes (cache/records.py): an export made again
measures nothing, and one that missed goes straight to the headroom chosen before. Every choice
is a function of the file's bytes, so an export is the same bytes with or without the records.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import math
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

import numpy as np

from coach.audio.headroom import SPOT_REACH, Headroom
from coach.audio.loudness import BLOCK, TARGET_LUFS, TRUE_PEAK_DBTP
from coach.audio.meter import StreamMeter
from coach.cache.records import read_record, write_record
from coach.errors import ExportError
from coach.output.ceilings import encoder_headroom
from coach.output.encode import encode, time_bound
from coach.output.wav import Source
from coach.samples import SAMPLE_RATE
from coach.system import ffmpeg
from coach.system.progress import Progress

if TYPE_CHECKING:
    from coach.audio.timeline import Timeline

LOUDNESS_WINDOW = 0.75
"""How far from the session's loudness (LU) a file may measure here before it is encoded again:
within 1 LU by ffmpeg's meter, which reads 0.1 LU louder."""
PEAK_LIMIT = TRUE_PEAK_DBTP - 0.3
"""The highest true peak (dBTP) a file may measure here: ffmpeg's meter, which oversamples more,
reads up to 0.1 dB higher."""
PEAK_AIM = TRUE_PEAK_DBTP - 0.6
"""Where a corrected ceiling aims the file's true peak: an encoder's overshoot varies by tenths
of a dB from one ceiling to the next."""
PEAK_FLOOR = PEAK_AIM - 1.0
"""A file's peak is measured exactly from here up (a lower one reads as this floor or less):
only a peak over `PEAK_AIM` changes anything, and measuring every loud block takes longer."""
SPOT_MARGIN = 0.3
"""How much further under `PEAK_AIM` a spot's ceiling aims (an encoder's overshoot varies)."""
MAX_SPOTS = 200
"""Spots a headroom may have; past them, the whole ceiling is lowered."""
PASSES = 3
"""Encodes measured at most: the first, and two corrections."""
GAIN_RANGE = (-12.0, 12.0)
"""The gains a correction may choose (dB)."""
SLOPE_UP, SLOPE_DOWN = 0.3, 0.75
"""LU of loudness per dB of gain, when not measured, for a file too quiet and one too loud:
limiting takes back much of any gain added (0.24 to 0.29 with Piper and eSpeak NG, in MP3, Ogg
and M4A, tests/routines' hip-and-core circuit), less of a gain taken off a voice limited less
(flite's built-in session: 0.62 to 0.93)."""
SLOPE_RANGE = (0.2, 1.0)
"""The slopes a measured one is kept within (a measurement's noise can make it anything)."""
READ_SECONDS = 20
"""Seconds of the decoded file measured at a time."""
RECORD_VERSION = 1
"""Part of every record's key: a change of the meters or of the rules here is a new record."""


@dataclass(frozen=True)
class Measures:
    """An encoded file's integrated loudness (LUFS) and true peak (dBTP), decoded, and where it
    peaks over `PEAK_AIM`."""

    lufs: float
    dbtp: float
    over: tuple[tuple[int, float], ...] = ()
    """(frame, dB) of each place that peaks over `PEAK_AIM`, by how much."""

    def miss(self, target: float) -> float:
        """How far (dB) it is outside the window around `target` LUFS and under the peak limit;
        0 when within both. A peak over the limit weighs more than loudness: it clips. Silence
        (no loudness to measure) is no loudness missed: no gain would raise it."""
        loud = max(0.0, abs(self.lufs - target) - LOUDNESS_WINDOW) if self.lufs > -math.inf else 0
        return 4 * max(0.0, self.dbtp - PEAK_LIMIT) + loud


def encode_measured(
    source: Source, part: Path, fmt: str, metadata: Callable[[Timeline], str], report: Progress,
    records: Path | None = None,
) -> Timeline:  # fmt: skip
    """`encode` the session into `part` with the encoder's headroom (ceilings.py); then, for the
    voice alone, measure the file and encode it again if it misses (see above). `records` is the
    clip cache's folder, where what was measured is kept (None: measured every time). Returns
    the whole timeline."""
    first = source.until(0)
    headroom = encoder_headroom(fmt, first.format.channels, first.volume)
    whole = encode(source, part, fmt, metadata, report, headroom)
    target = _target(whole)
    if whole.format.channels != 1 or target is None:
        return whole

    def again(chosen: Headroom) -> None:  # the whole session now: nothing more to report
        encode(whole, part, fmt, metadata, lambda done, total: None, chosen)

    key = _key(part, target)
    record = read_record(records, key)
    if record is not None and (chosen := _chosen(record)) is not False:
        if chosen is not None:
            again(chosen)
        return whole
    tried = [(headroom, measure(part, whole))]
    while tried[-1][1].miss(target) > 0 and len(tried) < PASSES:
        headroom = corrected(tried, target)
        again(headroom)
        tried.append((headroom, measure(part, whole)))
    best = min(tried, key=lambda t: t[1].miss(target))  # the first of equals
    if best is not tried[-1]:
        again(best[0])
    then = None if best is tried[0] else asdict(best[0])
    write_record(records, key, {"lufs": tried[0][1].lufs, "dbtp": tried[0][1].dbtp, "then": then})
    return whole


def corrected(tried: list[tuple[Headroom, Measures]], target: float) -> Headroom:
    """The headroom to try after those `tried` (each with what its file measured), the last of
    which missed.

    Each place that peaks over `PEAK_AIM` gets a spot (`Headroom.spots`) whose ceiling is lower
    by as much, and `SPOT_MARGIN`; a spot tried before is lowered further. Lowering the whole
    ceiling would not do: an encoder's overshoot changes by a dB or more from one ceiling to the
    next, and grows as its input is limited deeper (eSpeak NG's MP3 of the built-in session
    peaked at -1.1 dBTP under a ceiling of -2.8, -0.7 under -3.3), while the places it
    overshoots most are a few fricatives. Loudness outside the window moves the gain, by what is
    missed over `SLOPE_UP` or `SLOPE_DOWN`, or over the slope measured between the last two
    tries when their ceilings match.
    """
    headroom, measured = tried[-1]
    gain = headroom.gain_db
    if -math.inf < measured.lufs and abs(measured.lufs - target) > LOUDNESS_WINDOW:
        slope = SLOPE_UP if measured.lufs < target else SLOPE_DOWN
        if len(tried) > 1:
            before, was = tried[-2]
            moved = headroom.gain_db - before.gain_db
            if before.ceiling_db == headroom.ceiling_db and abs(moved) >= 0.1:
                slope = min(max((measured.lufs - was.lufs) / moved, SLOPE_RANGE[0]),
                            SLOPE_RANGE[1])  # fmt: skip
        gain = min(max(gain + (target - measured.lufs) / slope, GAIN_RANGE[0]), GAIN_RANGE[1])
    spots = dict(headroom.spots)
    for frame, excess in measured.over:
        near = [s for s in spots if abs(s - frame) <= SPOT_REACH]
        at = near[0] if near else frame
        spots[at] = round(spots.get(at, 0.0) + excess + SPOT_MARGIN, 2)
    ceiling = headroom.ceiling_db
    if len(spots) > MAX_SPOTS:  # peaks all over: the whole ceiling goes down instead
        ceiling -= max(excess for _, excess in measured.over) + SPOT_MARGIN
        spots = dict(headroom.spots)
    return Headroom(round(float(gain), 2), round(float(ceiling), 2), tuple(sorted(spots.items())))


def measure(path: Path, whole: Timeline) -> Measures:
    """The loudness and true peak of the file at `path` (the session `whole`, mono), decoded by
    ffmpeg and measured as it comes (audio/meter.py); the decode is bounded by the session's
    length and in time by `time_bound`. ExportError if ffmpeg fails or overruns."""
    seconds = whole.script.duration + 1
    decoding = ["-i", str(path), "-map", "0:a", "-t", f"{seconds:.3f}", "-ac", "1", "-ar",
                str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]  # fmt: skip
    meter, deadline = StreamMeter(PEAK_FLOOR), time.monotonic() + time_bound(whole)
    with tempfile.TemporaryFile() as log, ffmpeg.running(decoding, stdout=subprocess.PIPE,
                                                         stderr=log) as decoder:  # fmt: skip
        try:
            _read_floats(decoder.stdout, meter.add, deadline)
            status = decoder.wait(timeout=max(0.0, deadline - time.monotonic()))
        except (subprocess.TimeoutExpired, TimeoutError):
            raise ExportError(
                f"ffmpeg ({ffmpeg.shown()}) did not decode the file to measure it within "
                f"{time_bound(whole):.0f} s and was stopped; check that `ffmpeg -version` works."
            ) from None
        log.seek(max(0, log.seek(0, os.SEEK_END) - 2000))
        said = " ".join(log.read().decode(errors="replace").split()) or "no message"
    if status:
        raise ExportError(f"ffmpeg could not decode the file to measure it: {said}")
    lufs, block_peaks = meter.finish()
    peaks = 20 * np.log10(np.maximum(block_peaks, 1e-9))
    over, at = [], -2 * SPOT_REACH
    for block in np.flatnonzero(peaks > PEAK_AIM):  # a place: blocks near one another
        frame, excess = int(block) * BLOCK + BLOCK // 2, float(peaks[block]) - PEAK_AIM
        if frame - at > SPOT_REACH:
            over.append((frame, excess))
        elif excess > over[-1][1]:
            over[-1] = (frame, excess)
        at = frame
    return Measures(lufs, float(peaks.max(initial=PEAK_FLOOR)), tuple(over))


def _read_floats(stream: BinaryIO, take: Callable[[np.ndarray], None], deadline: float) -> None:
    """The float32 samples ffmpeg writes to `stream`, to `take` `READ_SECONDS` at a time, until
    it ends; TimeoutError if it has not by `deadline` (time.monotonic)."""
    fd, poll, held, ended = stream.fileno(), select.poll(), b"", False
    poll.register(fd, select.POLLIN)
    with contextlib.suppress(OSError):  # fewer, larger reads: a pipe holds 64 KiB by default
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    stretch = READ_SECONDS * SAMPLE_RATE * 4  # always as much: the same sums, to the bit
    while not ended:
        pieces, size = [held], len(held)
        while not ended and size < stretch:
            if not poll.poll(max(0.0, deadline - time.monotonic()) * 1000):
                raise TimeoutError
            pieces.append(os.read(fd, 1 << 20))
            size, ended = size + len(pieces[-1]), not pieces[-1]
        held = b"".join(pieces)
        whole = min(stretch, len(held) // 4 * 4)
        take(np.frombuffer(held[:whole], dtype="<f4"))
        held = held[whole:]
    if held:
        take(np.frombuffer(held[: len(held) // 4 * 4], dtype="<f4"))


def _target(whole: Timeline) -> float | None:
    """The session's loudness (LUFS) at its volume; None for silence (volume 0)."""
    return TARGET_LUFS + 20 * math.log10(whole.volume) if whole.volume > 0 else None


def _key(path: Path, target: float) -> str:
    """The record's key: a digest of the file's bytes and what it was measured against."""
    digest = hashlib.sha256(f"coach-measured-{RECORD_VERSION}:{target:.4f}:".encode())
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _chosen(record: dict) -> Headroom | None | Literal[False]:
    """The headroom a record says its file was encoded again with; None when the file was kept;
    False when the record is not one `encode_measured` writes (the file is measured again)."""
    then = record.get("then", False)
    if then is None:
        return None
    try:
        spots = tuple((int(frame), float(lower)) for frame, lower in then.pop("spots"))
        chosen = Headroom(**then, spots=spots)
    except (AttributeError, KeyError, TypeError, ValueError):
        return False
    numbers = [chosen.gain_db, chosen.ceiling_db, *(lower for _, lower in spots)]
    usable = all(isinstance(x, float | int) and math.isfinite(x) for x in numbers)
    return chosen if usable else False
