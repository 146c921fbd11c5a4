"""The encoder: a session's samples as a WAV stream, and through ffmpeg into MP3, Ogg or M4A,
while the session is still being rendered, so encoding overlaps rendering.

ffmpeg reads its tags and chapters before its first sample, and a session's chapters are known
only once it is made. A whole session (or one whose clips are all cached: it is whole at once)
goes through one ffmpeg with its metadata first. A session still rendering is encoded as it
comes (a WAV stream of unknown length on ffmpeg's standard input), then a second ffmpeg copies
it into the file with the tags and chapters, byte for byte what the one ffmpeg would have
written (a test compares): `REMUX` puts back what a copy would lose (the encoder's name in the
MP3's LAME header). An M4A copy cannot be made exact (its durations come out a millisecond
apart), so an M4A waits for the whole session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from coach.atomic import process_alive
from coach.errors import ExportError
from coach.samples import SAMPLE_WIDTH
from coach.timeline import STRETCH_SECONDS

if TYPE_CHECKING:
    from coach.live import LiveTimeline
    from coach.timeline import Timeline

Progress = Callable[[float], None]
"""Called with the fraction done, from 0 to 1."""

ENCODERS: dict[str, tuple[list[str], str]] = {
    ".mp3": (["-c:a", "libmp3lame", "-b:a", "{bitrate}"], "mp3"),
    ".ogg": (["-c:a", "libvorbis", "-q:a", "4"], "ogg"),
    ".m4a": (["-c:a", "aac", "-aac_coder", "fast", "-b:a", "{bitrate}"], "ipod"),
}
"""ffmpeg's encoder options and muxer for each format that needs ffmpeg."""
REMUX: dict[str, list[str]] = {
    ".mp3": ["-metadata:s:a:0", "encoder=Lavc libmp3lame"],
    ".ogg": [],
}
"""The formats a copy can add the metadata to, exactly: what the copy needs for that."""
BITRATES = {1: "64k", 2: "160k"}
"""By channels: a voice in mono is clear at 64 kb/s; music in stereo needs more."""
BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact"]
"""Same input, same bytes."""
SCRATCH_PREFIX = "coach-export-"
"""The encoder's scratch folder (audio, metadata, log) in the temporary folder:
coach-export-PID-*."""
_UNKNOWN = 0xFFFFFFFF
"""A WAV stream's length while it is unknown (ffmpeg then reads to the end)."""


def encoder_options(fmt: str, channels: int) -> list[str]:
    """ffmpeg's options to encode `fmt` (".mp3", ...) from audio of `channels` channels."""
    options, muxer = ENCODERS[fmt]
    return [option.format(bitrate=BITRATES[channels]) for option in options] + ["-f", muxer]


def write_wav(source: Timeline | LiveTimeline, file: BinaryIO, report: Progress) -> Timeline:
    """The session as a WAV stream (to a file or a pipe), `STRETCH_SECONDS` at a time as it is
    made; progress is reported once it is whole. Returns the whole timeline.

    The header says the length when it is known at the start; otherwise it says "unknown", and
    a file (not a pipe) gets the length written into it at the end. (The stdlib's `wave` goes
    back to patch its header when a write is interrupted, which fails on a pipe and hides the
    cause.)
    """
    made = source.until(0)
    known = made.final
    file.write(_wav_header(made, made.script.length if known else None))
    at = 0
    while at < made.script.length or not made.final:
        made = source.until(at)
        end = min(at + STRETCH_SECONDS * made.sample_rate, made.script.length)
        file.write(made.pcm(at, end))
        if made.final:
            report(end / made.script.length)
        at = end
    if not known and file.seekable():
        file.seek(0)
        file.write(_wav_header(made, made.script.length))
        file.seek(0, os.SEEK_END)
    return made


def _wav_header(made: Timeline, length: int | None) -> bytes:
    rate, channels = made.output_rate, made.channels
    data = _UNKNOWN if length is None else length * made.factor * SAMPLE_WIDTH * channels
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", min(36 + data, _UNKNOWN), b"WAVE", b"fmt ", 16, 1,
        channels, rate, rate * SAMPLE_WIDTH * channels, SAMPLE_WIDTH * channels,
        8 * SAMPLE_WIDTH, b"data", data,
    )  # fmt: skip


def encode(
    source: Timeline | LiveTimeline, part: Path, fmt: str, metadata: Callable[[Timeline], str],
    report: Progress,
) -> Timeline:  # fmt: skip
    """Encode the session into `part` in `fmt`, with the tags and chapters that `metadata`
    writes (FFMETADATA) for the whole timeline, which is returned: as it is made while it is
    rendering (`LiveTimeline.rendering`), else in one pass.

    The WAV stream on ffmpeg's standard input: raw PCM would do, but its small packets make
    ffmpeg twice as slow.
    """
    _remove_stale_scratch()
    streaming = fmt in REMUX and getattr(source, "rendering", False)
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as scratch:
        audio, tags, log = (Path(scratch, name) for name in (f"audio{fmt}", "tags.txt", "log"))
        first = source.until(0 if streaming else sys.maxsize)  # the whole, for one pass
        described = [] if streaming else ["-f", "ffmetadata", "-i", str(tags), "-map_metadata",
                                          "1", "-map_chapters", "1"]  # fmt: skip
        if not streaming:
            tags.write_text(metadata(first), encoding="utf-8")
        encoding = ["-f", "wav", "-max_size", "65536", "-i", "pipe:0", *described, "-map", "0:a",
                    *BITEXACT, *encoder_options(fmt, first.channels),
                    str(audio if streaming else part)]  # fmt: skip
        with open(log, "wb") as errors:
            ffmpeg = _ffmpeg(encoding, stdin=subprocess.PIPE, stderr=errors)
        try:
            made = write_wav(source, ffmpeg.stdin, report)
            ffmpeg.stdin.close()
        except BrokenPipeError:
            made = first  # ffmpeg stopped early; its exit status and log say why
            with contextlib.suppress(OSError):
                ffmpeg.stdin.close()
        except BaseException:
            ffmpeg.kill()
            ffmpeg.wait()
            raise
        _check(ffmpeg.wait(), fmt, log)
        if streaming:
            tags.write_text(metadata(made), encoding="utf-8")
            copying = ["-i", str(audio), "-f", "ffmetadata", "-i", str(tags), "-map", "0:a",
                       "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", *BITEXACT,
                       *REMUX[fmt], "-f", ENCODERS[fmt][1], str(part)]  # fmt: skip
            with open(log, "wb") as errors:
                _check(_ffmpeg(copying, stderr=errors).wait(), fmt, log)
    return made


def _ffmpeg(arguments: list[str], **streams: object) -> subprocess.Popen:
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *arguments]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, **streams)


def _check(status: int, fmt: str, log: Path) -> None:
    if status:
        lines = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise ExportError(
            f"ffmpeg could not encode {fmt} (exit status {status}): "
            f"{' '.join(lines) or 'no message'}"
        )


def _remove_stale_scratch() -> None:
    """Remove the scratch folders of exports that were killed (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(SCRATCH_PREFIX) :].split("-")[0]
        stale = pid.isdigit() and not process_alive(int(pid))
        if stale and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
