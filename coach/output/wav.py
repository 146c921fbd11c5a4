"""A session as a WAV stream: the exported WAV file, and what an encoder reads on its standard
input, written a stretch at a time as the session is made."""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING, BinaryIO, Protocol

from coach.audio.timeline import STRETCH_SECONDS
from coach.samples import SAMPLE_WIDTH
from coach.system.progress import Progress

if TYPE_CHECKING:
    from coach.audio.headroom import Headroom
    from coach.audio.timeline import Timeline
    from coach.compose.script import Script

_UNKNOWN = 0xFFFFFFFF
"""A WAV stream's length while it is unknown (ffmpeg then reads to the end)."""


class Source(Protocol):
    """A session to write: a whole `Timeline`, or a `LiveTimeline` still being made."""

    rendering: bool
    """Whether its clips are still being rendered (it is then encoded as it is made)."""
    plan: Script
    """The session as planned before it is made (composer.py's `planned`)."""

    def until(self, past: int = 0) -> Timeline:
        """The timeline once it reaches past sample `past` (or is whole)."""
        ...


def write_wav(
    source: Source, file: BinaryIO, report: Progress, headroom: Headroom | None = None,
    start: int = 0, stop: int | None = None,
) -> Timeline:  # fmt: skip
    """Samples `start` to `stop` of the session (None: its end) as a WAV stream, to a file or a
    pipe, `STRETCH_SECONDS` at a time as it is made; progress is reported once it is whole, as
    (samples written, samples to write). With `headroom`, the samples are raised and limited
    for an encoder (headroom.py). Returns the timeline as far as it was made when done (the
    whole one when `stop` is None).

    The header says the length when it is known at the start; otherwise it says "unknown", and
    a file (not a pipe) gets the length written into it at the end. (The stdlib's `wave` goes
    back to patch its header when a write is interrupted, which fails on a pipe and hides the
    cause.)
    """

    def end_of(timeline: Timeline) -> int:
        return timeline.script.length if stop is None else stop

    so_far = source.until(start)
    known = so_far.final or stop is not None
    file.write(_wav_header(so_far, end_of(so_far) - start if known else None))
    at = start
    while at < end_of(so_far) or (stop is None and not so_far.final):
        so_far = source.until(at)
        end = min(at + STRETCH_SECONDS * so_far.sample_rate, so_far.script.length, end_of(so_far))
        file.write(so_far.pcm(at, end) if headroom is None else headroom.pcm(source, at, end))
        if so_far.final:
            report(end - start, end_of(so_far) - start)
        at = end
    if not known and file.seekable():
        file.seek(0)
        file.write(_wav_header(so_far, so_far.script.length - start))
        file.seek(0, os.SEEK_END)
    return so_far


def _wav_header(timeline: Timeline, length: int | None) -> bytes:
    """The header of a WAV of `length` samples of the session (None: not known yet)."""
    pcm = timeline.format
    data = _UNKNOWN if length is None else pcm.byte_count(length)
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", min(36 + data, _UNKNOWN), b"WAVE", b"fmt ", 16, 1,
        pcm.channels, pcm.rate, pcm.rate * pcm.frame_bytes, pcm.frame_bytes,
        8 * SAMPLE_WIDTH, b"data", data,
    )  # fmt: skip
