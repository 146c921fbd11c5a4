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
import errno
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from coach.audio.timeline import STRETCH_SECONDS
from coach.errors import ExportError
from coach.language.catalogue import file_language
from coach.output.ceilings import encoder_headroom
from coach.samples import SAMPLE_WIDTH
from coach.system import ffmpeg
from coach.system.leftovers import own_name, own_names, sweep
from coach.system.progress import Progress

if TYPE_CHECKING:
    from coach.audio.headroom import Headroom
    from coach.audio.timeline import Timeline

Folders = tuple[Path, ...]
"""Where an ffmpeg run writes, first, then any other folder the export uses."""

ENCODERS: dict[str, tuple[list[str], str]] = {
    ".mp3": (["-c:a", "libmp3lame", "-b:a", "{bitrate}"], "mp3"),
    ".ogg": (["-c:a", "libvorbis", "-q:a", "{quality}"], "ogg"),
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
VORBIS_QUALITY = {1: "6", 2: "4"}
"""By channels: the voice alone at quality 4 (about 25 kb/s at 22.05 kHz) overshot its peaks
by 3.6 dB once limited under the encoder's ceiling (output/ceilings.py), 2 dB at 6 (about
32 kb/s, a file a quarter larger); under music the voice peaks lower, and 4 does."""
BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact"]
"""Same input, same bytes."""
SCRATCH_PREFIX = "coach-export-"
"""The encoder's scratch folder (audio, metadata, log) in the temporary folder:
coach-export-PID-TAG (`leftovers.own_name`)."""
STALL_SECONDS = 60.0
"""How long ffmpeg may take no audio, or to finish beyond `SPEED` (far longer than any machine
needs), before it is taken for hung and stopped: an export never waits for ever."""
SPEED = 10.0
"""Seconds of session a slow machine's ffmpeg encodes, copies or reads back in a second, at
the least (two cores do well over 100)."""
READ_BACK_TOLERANCE = 0.1
"""How much shorter than the session a file may read back (an encoder's last frame): a file
cut short by a full disk lacks at least ffmpeg's last buffer, seconds of audio."""
FULL_BYTES = 64 * 1024
"""A disk with less room than this left after a failed write is taken as full."""
_UNKNOWN = 0xFFFFFFFF
"""A WAV stream's length while it is unknown (ffmpeg then reads to the end)."""


def encoder_options(fmt: str, channels: int) -> list[str]:
    """ffmpeg's options to encode `fmt` (".mp3", ...) from audio of `channels` channels."""
    options, muxer = ENCODERS[fmt]
    chosen = {"bitrate": BITRATES[channels], "quality": VORBIS_QUALITY[channels]}
    return [option.format(**chosen) for option in options] + ["-f", muxer]


class Source(Protocol):
    """A session to write: a whole `Timeline`, or a `LiveTimeline` still being made."""

    rendering: bool
    """Whether its clips are still being rendered (it is then encoded as it is made)."""

    def until(self, past: int = 0) -> Timeline:
        """The timeline once it reaches past sample `past` (or is whole)."""
        ...


def write_wav(
    source: Source, file: BinaryIO, report: Progress, headroom: Headroom | None = None
) -> Timeline:
    """The session as a WAV stream (to a file or a pipe), `STRETCH_SECONDS` at a time as it is
    made; progress is reported once it is whole, as (samples written, samples of the session).
    With `headroom`, the samples are raised and limited for an encoder (headroom.py). Returns
    the whole timeline.

    The header says the length when it is known at the start; otherwise it says "unknown", and
    a file (not a pipe) gets the length written into it at the end. (The stdlib's `wave` goes
    back to patch its header when a write is interrupted, which fails on a pipe and hides the
    cause.)
    """
    so_far = source.until(0)
    known = so_far.final
    file.write(_wav_header(so_far, so_far.script.length if known else None))
    at = 0
    while at < so_far.script.length or not so_far.final:
        so_far = source.until(at)
        end = min(at + STRETCH_SECONDS * so_far.sample_rate, so_far.script.length)
        file.write(so_far.pcm(at, end) if headroom is None else headroom.pcm(source, at, end))
        if so_far.final:
            report(end, so_far.script.length)
        at = end
    if not known and file.seekable():
        file.seek(0)
        file.write(_wav_header(so_far, so_far.script.length))
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


def encode(
    source: Source, part: Path, fmt: str, metadata: Callable[[Timeline], str], report: Progress
) -> Timeline:
    """Encode the session into `part` in `fmt`, with the tags and chapters that `metadata`
    writes (FFMETADATA) for the whole timeline, which is returned: as it is made while it is
    `rendering`, else in one pass. Then read `part` back: ffmpeg 5.1 exits 0 when only its
    trailer could not be written (a full disk), so its status alone proves nothing.

    The WAV stream on ffmpeg's standard input: raw PCM would do, but its small packets make
    ffmpeg twice as slow. ExportError for any failure, "no space left on FOLDER" for a full
    disk.
    """
    temporary = Path(tempfile.gettempdir())
    sweep(temporary, own_names(SCRATCH_PREFIX), folders=True)  # those of killed exports
    streaming = fmt in REMUX and source.rendering
    with _scratch(temporary) as scratch:
        audio, tags, log = (scratch / name for name in (f"audio{fmt}", "tags.txt", "log"))
        first = source.until(0 if streaming else sys.maxsize)  # the whole, for one pass
        described = [] if streaming else ["-f", "ffmetadata", "-i", str(tags), "-map_metadata",
                                          "1", "-map_chapters", "1"]  # fmt: skip
        if not streaming:
            _write_scratch(tags, metadata(first), temporary)
        encoding = ["-f", "wav", "-max_size", "65536", "-i", "pipe:0", *described, "-map", "0:a",
                    *BITEXACT, *encoder_options(fmt, first.format.channels),
                    *_stream_language(first.script.language),
                    str(audio if streaming else part)]  # fmt: skip
        with open(log, "wb") as errors, ffmpeg.running(encoding, stdin=subprocess.PIPE,
                                                       stderr=errors) as encoder:  # fmt: skip
            whole = _feed(encoder, source, report, encoder_headroom(fmt, first.format.channels))
            status = _finish(encoder, whole)
        places = (part.parent, temporary)  # where the file is written, where the scratch is
        _check(status, fmt, log, places[::-1] if streaming else places, whole=whole is not None)
        if streaming:
            _write_scratch(tags, metadata(whole), temporary)
            copying = ["-i", str(audio), "-f", "ffmetadata", "-i", str(tags), "-map", "0:a",
                       "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", *BITEXACT,
                       *REMUX[fmt], "-f", ENCODERS[fmt][1], str(part)]  # fmt: skip
            with open(log, "wb") as errors, ffmpeg.running(copying, stderr=errors) as copier:
                _check(_finish(copier, whole), fmt, log, places)
        _read_back(part, fmt, whole, log, places)
    return whole


def _stream_language(tag: str) -> list[str]:
    """ffmpeg's option tagging the audio stream with the session's language (an M4A keeps it
    only there, in the track's header); none for the default language (`file_language`)."""
    code = file_language(tag)
    return [] if code is None else ["-metadata:s:a:0", f"language={code}"]


def _feed(
    encoder: subprocess.Popen, source: Source, report: Progress, headroom: Headroom
) -> Timeline | None:
    """The session to ffmpeg's standard input, with the encoder's `headroom`; the whole
    timeline, or None when ffmpeg stopped reading before the end (its exit status and log say
    why)."""
    try:
        return write_wav(source, _Pipe(encoder.stdin), report, headroom)
    except BrokenPipeError:
        return None
    finally:
        with contextlib.suppress(OSError):
            encoder.stdin.close()


class _Pipe:
    """ffmpeg's standard input, each write bounded by `STALL_SECONDS`: an ffmpeg that stops
    reading must not hang the export (a blocking write would wait for ever)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._fd = stream.fileno()
        os.set_blocking(self._fd, False)
        self._poll = select.poll()
        self._poll.register(self._fd, select.POLLOUT)

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        while view:
            if not self._poll.poll(STALL_SECONDS * 1000):
                raise ExportError(
                    f"ffmpeg ({ffmpeg.shown()}) took no audio for {STALL_SECONDS:g} s and was "
                    "stopped; check that `ffmpeg -version` works."
                )
            with contextlib.suppress(BlockingIOError):
                view = view[os.write(self._fd, view) :]

    def seekable(self) -> bool:
        return False


def _finish(process: subprocess.Popen, whole: Timeline | None) -> int:
    """ffmpeg's exit status, waited for at most what the session's length warrants."""
    try:
        return process.wait(timeout=_bound(whole))
    except subprocess.TimeoutExpired:
        raise ExportError(
            f"ffmpeg ({ffmpeg.shown()}) did not finish within {_bound(whole):.0f} s and was "
            "stopped; check that `ffmpeg -version` works."
        ) from None


def _bound(whole: Timeline | None) -> float:
    """How long an ffmpeg run on the session `whole` may take (None: not known yet)."""
    return STALL_SECONDS + (whole.script.duration / SPEED if whole is not None else 0)


def _check(status: int, fmt: str, log: Path, folders: Folders, whole: bool = True) -> None:
    """ExportError unless ffmpeg took the `whole` session, exited 0 and logged no full disk
    (which ffmpeg 5.1 logs, then exits 0, when only its trailer failed)."""
    lines = log.read_text(errors="replace").strip().splitlines()
    logged = any(os.strerror(errno.ENOSPC) in line for line in lines)
    if logged or status or not whole:
        _no_space_in(folders, logged)
        said = " ".join(lines[-3:]) or "no message"
        early = "" if whole or status else ", having stopped reading before the end"
        raise ExportError(f"ffmpeg could not encode {fmt} (exit status {status}{early}): {said}")


def _no_space_in(folders: Folders, logged: bool = False) -> None:
    """After a failure: "no space left" on the first of `folders` that is full (the log of a
    run on a full disk may itself be lost), or on the first, where ffmpeg wrote, when the log
    says so."""
    for folder in folders:
        if _full(folder):
            raise ExportError(no_space(folder))
    if logged:
        raise ExportError(no_space(folders[0]))


def _read_back(part: Path, fmt: str, whole: Timeline, log: Path, folders: Folders) -> None:
    """ExportError unless `part` reads back whole, as long as the session: every packet is
    demuxed (not decoded: a tenth of a second for a 12-minute session) and the end of the
    last one is the length."""
    reading = ["-i", str(part), "-map", "0:a", "-c", "copy", "-f", "null", "-",
               "-progress", "pipe:1"]  # fmt: skip
    with open(log, "wb") as errors, ffmpeg.running(reading, stdout=subprocess.PIPE,
                                                   stderr=errors) as reader:  # fmt: skip
        try:
            shown = reader.communicate(timeout=_bound(whole))[0]
        except subprocess.TimeoutExpired:
            raise ExportError(
                f"ffmpeg ({ffmpeg.shown()}) did not read the {fmt} file back within "
                f"{_bound(whole):.0f} s and was stopped; check that `ffmpeg -version` works."
            ) from None
    ends = re.findall(rb"^out_time_us=(\d+)\s*$", shown, re.M)
    seconds, wanted = (int(ends[-1]) / 1e6 if ends else 0.0), whole.script.duration
    if reader.returncode == 0 and seconds >= wanted - READ_BACK_TOLERANCE:
        return
    _no_space_in(folders)
    said = " ".join(log.read_text(errors="replace").split()) or "no message"
    raise ExportError(
        f"ffmpeg ({ffmpeg.shown()}) reported success, but the {fmt} file it wrote reads back as "
        f"{seconds:.1f} s of {wanted:.1f} s ({said}); check that `ffmpeg -version` works."
    )


def no_space(folder: Path) -> str:
    """The message for a full disk: where, and what to do."""
    return f"no space left on {folder.absolute()}; free some space there, or export elsewhere."


def _full(folder: Path) -> bool:
    try:
        found = os.statvfs(folder)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < FULL_BYTES


@contextlib.contextmanager
def _scratch(temporary: Path) -> Iterator[Path]:
    """A new scratch folder in `temporary`, removed after the block."""
    folder = temporary / own_name(SCRATCH_PREFIX)
    _in_scratch(lambda: folder.mkdir(mode=0o700), temporary)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_scratch(path: Path, text: str, temporary: Path) -> None:
    _in_scratch(lambda: path.write_text(text, encoding="utf-8"), temporary)


def _in_scratch(write: Callable[[], object], temporary: Path) -> None:
    """`write()`; a full disk there is "no space left on" the temporary folder, not on the
    export's own."""
    try:
        write()
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ExportError(no_space(temporary)) from error
        raise
