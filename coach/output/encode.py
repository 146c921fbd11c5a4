"""The encoder: a session's samples as a WAV stream through ffmpeg into MP3, Ogg or M4A, while
the session is still being rendered, so encoding overlaps rendering.

ffmpeg reads its tags and chapters before its first sample, and a session's chapters are known
only once it is made. A whole session (or one whose clips are all cached: it is whole at once)
goes through one ffmpeg with its metadata first. A session still rendering is encoded as it
comes (a WAV stream of unknown length on ffmpeg's standard input), then a second ffmpeg copies
it into the file with the tags and chapters, byte for byte what the one ffmpeg would have
written (a test compares): `REMUX` puts back what a copy would lose (the encoder's name in the
MP3's LAME header). An M4A copy cannot be made exact (its durations come out a millisecond
apart), so an M4A waits for the whole session.

An MP3 of the voice alone is cut in two at a silence (halves.py): two ffmpegs encode the parts
at once, one per core, each as its part is made, and the copy that adds the metadata joins them.
Encoding is most of a warm export's time, and one encoder uses one core.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from coach.errors import ExportError
from coach.language.catalogue import file_language
from coach.output.halves import FORMATS as HALVED
from coach.output.halves import JOIN_SKIP, cut_point
from coach.output.wav import Source, write_wav
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
QUEUE = ["-thread_queue_size", "1024"]
"""For the audio input, when metadata is a second input: ffmpeg 5.1 then reads each input on a
thread of its own and sleeps 10 ms whenever the audio's queue (8 packets by default) runs dry,
which made the copy that adds the metadata take twice as long."""
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


def encoder_options(fmt: str, channels: int) -> list[str]:
    """ffmpeg's options to encode `fmt` (".mp3", ...) from audio of `channels` channels."""
    options, muxer = ENCODERS[fmt]
    chosen = {"bitrate": BITRATES[channels], "quality": VORBIS_QUALITY[channels]}
    return [option.format(**chosen) for option in options] + ["-f", muxer]


def encode(
    source: Source, part: Path, fmt: str, metadata: Callable[[Timeline], str], report: Progress,
    headroom: Headroom,
) -> Timeline:  # fmt: skip
    """Encode the session, raised and limited with `headroom`, into `part` in `fmt`, with the
    tags and chapters that `metadata` writes (FFMETADATA) for the whole timeline, which is
    returned. An MP3 of the voice alone is cut in two (halves.py), both parts encoded at once
    and joined by a copy that adds the metadata; any other session is encoded as it is made
    while it is `rendering`, else in one pass. Then read `part` back: ffmpeg 5.1 exits 0 when
    only its trailer could not be written (a full disk), so its status alone proves nothing.

    The WAV stream on ffmpeg's standard input: raw PCM would do, but its small packets make
    ffmpeg twice as slow. ExportError for any failure, "no space left on FOLDER" for a full
    disk.
    """
    temporary = Path(tempfile.gettempdir())
    sweep(temporary, own_names(SCRATCH_PREFIX), folders=True)  # those of killed exports
    places = (part.parent, temporary)  # where the file is written, where the scratch is
    with _scratch(temporary) as scratch:
        tags, log = scratch / "tags.txt", scratch / "log"
        cut = cut_point(source) if fmt in HALVED else None
        copied: list[str] | None = None  # ffmpeg's input to copy into `part` with the metadata
        if cut is not None:
            whole, copied = _encode_halves(source, scratch, fmt, cut, report, headroom,
                                           places[::-1])  # fmt: skip
        elif fmt in REMUX and source.rendering:
            audio = scratch / f"audio{fmt}"
            whole = _encode_part(source, audio, fmt, log, report, headroom, places[::-1])
            copied = ["-i", str(audio)]
        else:
            whole = source.until(sys.maxsize)
            _write_scratch(tags, metadata(whole), temporary)
            _encode_part(whole, part, fmt, log, report, headroom, places, tags=tags)
        if copied is not None:
            _write_scratch(tags, metadata(whole), temporary)
            copying = [*QUEUE, *copied, "-f", "ffmetadata", "-i", str(tags), "-map", "0:a",
                       "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", *BITEXACT,
                       *REMUX[fmt], "-f", ENCODERS[fmt][1], str(part)]  # fmt: skip
            with open(log, "wb") as errors, ffmpeg.running(copying, stderr=errors) as copier:
                _check(_finish(copier, whole), fmt, log, places)
        _read_back(part, fmt, whole, log, places)
    return whole


def _encode_part(
    source: Source, target: Path, fmt: str, log: Path, report: Progress, headroom: Headroom,
    folders: Folders, tags: Path | None = None,
) -> Timeline:  # fmt: skip
    """Encode the session into `target` (with the metadata in `tags`, if given); the whole
    timeline. ExportError unless ffmpeg took all of it and succeeded."""
    first = source.until(0)
    encoding = _encoding(first, fmt, target, tags)
    with open(log, "wb") as errors, ffmpeg.running(encoding, stdin=subprocess.PIPE,
                                                   stderr=errors) as encoder:  # fmt: skip
        whole = _feed(encoder, source, report, headroom)
        status = _finish(encoder, whole)
    _check(status, fmt, log, folders, whole=whole is not None)
    return whole


def _encode_halves(
    source: Source, scratch: Path, fmt: str, cut: int, report: Progress, headroom: Headroom,
    folders: Folders,
) -> tuple[Timeline, list[str]]:  # fmt: skip
    """Encode the session cut at `cut` (halves.py) into two files in `scratch` at once, the first
    part fed on a thread of its own; the whole timeline, and ffmpeg's input that joins them.
    ExportError unless both ffmpegs took all of their part and succeeded."""
    first = source.until(0)
    names, spans = ("first", "second"), ((0, cut), (cut + JOIN_SKIP, None))
    fed: list[Timeline | None] = [None, None]
    written, failed = [0], []

    def first_part(done: int, _total: int) -> None:
        written[0] = done

    def second_part(done: int, total: int) -> None:  # the bar counts both parts
        report(written[0] + done, cut + total)

    def feed_first() -> None:
        try:
            fed[0] = _feed(encoders[0], source, first_part, headroom, spans[0])
        except BaseException as e:  # raised again on the main thread
            failed.append(e)

    with contextlib.ExitStack() as stack:
        encoders = [
            stack.enter_context(ffmpeg.running(
                _encoding(first, fmt, scratch / f"{name}{fmt}"), stdin=subprocess.PIPE,
                stderr=stack.enter_context(open(scratch / f"{name}.log", "wb"))))
            for name in names
        ]  # fmt: skip
        feeder = threading.Thread(target=feed_first, daemon=True)
        feeder.start()
        fed[1] = _feed(encoders[1], source, second_part, headroom, spans[1])
        feeder.join()
        if failed:
            raise failed[0]
        statuses = [_finish(encoder, fed[1]) for encoder in encoders]
    for name, status, part in zip(names, statuses, fed, strict=True):
        _check(status, fmt, scratch / f"{name}.log", folders, whole=part is not None)
    listing = scratch / "parts.txt"
    _write_scratch(listing, "".join(f"file '{name}{fmt}'\n" for name in names), scratch.parent)
    return fed[1], ["-f", "concat", "-i", str(listing)]


def _encoding(first: Timeline, fmt: str, target: Path, tags: Path | None = None) -> list[str]:
    """ffmpeg's arguments to encode a WAV stream on its standard input into `target`, with the
    metadata in `tags` if given."""
    described = [] if tags is None else ["-f", "ffmetadata", "-i", str(tags), "-map_metadata",
                                         "1", "-map_chapters", "1"]  # fmt: skip
    queue = [] if tags is None else QUEUE
    return [*queue, "-f", "wav", "-max_size", "65536", "-i", "pipe:0", *described, "-map", "0:a",
            *BITEXACT, *encoder_options(fmt, first.format.channels),
            *_stream_language(first.script.language), str(target)]  # fmt: skip


def _stream_language(tag: str) -> list[str]:
    """ffmpeg's option tagging the audio stream with the session's language (an M4A keeps it
    only there, in the track's header); none for the default language (`file_language`)."""
    code = file_language(tag)
    return [] if code is None else ["-metadata:s:a:0", f"language={code}"]


def _feed(
    encoder: subprocess.Popen, source: Source, report: Progress, headroom: Headroom,
    span: tuple[int, int | None] = (0, None),
) -> Timeline | None:  # fmt: skip
    """The `span` of the session (`write_wav`'s start and stop) to ffmpeg's standard input,
    with the encoder's `headroom`; the timeline as `write_wav` gives it, or None when ffmpeg
    stopped reading before the end (its exit status and log say why)."""
    try:
        return write_wav(source, _Pipe(encoder.stdin), report, headroom, *span)
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
        return process.wait(timeout=time_bound(whole))
    except subprocess.TimeoutExpired:
        raise ExportError(
            f"ffmpeg ({ffmpeg.shown()}) did not finish within {time_bound(whole):.0f} s and was "
            "stopped; check that `ffmpeg -version` works."
        ) from None


def time_bound(whole: Timeline | None) -> float:
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
            shown = reader.communicate(timeout=time_bound(whole))[0]
        except subprocess.TimeoutExpired:
            raise ExportError(
                f"ffmpeg ({ffmpeg.shown()}) did not read the {fmt} file back within "
                f"{time_bound(whole):.0f} s and was stopped; check that `ffmpeg -version` works."
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
