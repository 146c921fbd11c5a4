"""The exporter: a session to an audio file (by default MP3 with ID3 tags and chapters);
captions.

Every file is written beside its destination under a hidden temporary name and renamed over it
only once complete, so an interrupted export leaves the destination as it was. A session still
being made (live.py) is written as it is made (encode.py).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.atomic import process_alive, written_beside
from coach.encode import ENCODERS, Progress, encode, write_wav
from coach.errors import ExportError, UsageError
from coach.script import EventKind, Script

if TYPE_CHECKING:
    from coach.live import LiveTimeline
    from coach.timeline import Timeline

FORMATS = (".mp3", ".wav", ".ogg", ".m4a")
CAPTION_FORMATS = (".srt", ".vtt", ".lrc")
ARTIST = "coach"
PART_NAME_CHARS = 200
"""A temporary file's name holds at most this much of the target's name (a name may have 255
bytes; the temporary one adds a dot, the process id, a random tag and ".part")."""


@dataclass(frozen=True)
class ExportResult:
    """What was written."""

    path: Path
    seconds: float
    bytes: int
    script: Script
    """The script of the session written (a session made while written is whole only now)."""


def audio_path(out: str | Path, protect: Path | None = None) -> Path:
    """The file an export to `out` writes (".mp3" added when there is no extension); checks it.

    A symbolic link is followed: the file it points to is replaced, keeping its mode.
    UsageError for a name that cannot be a new audio file (empty, "-", a folder, a device, a
    read-only file, a name ending in a dot, `protect` itself: the routine file) or an unknown
    extension; ExportError when ffmpeg is needed and missing, or the folder does not exist.
    Cheap, so a caller can check before rendering anything.
    """
    path = _target(out, "the output", protect)
    path = path if path.suffix else path.with_name(path.name + ".mp3")
    fmt = path.suffix.lower()
    if fmt not in FORMATS:
        raise UsageError(
            f"Cannot export to {path.name}: unknown extension {path.suffix!r}. "
            f"Use one of {', '.join(FORMATS)}."
        )
    if fmt in ENCODERS and shutil.which("ffmpeg") is None:
        raise ExportError(
            f"Exporting {fmt} needs ffmpeg, which is not installed. Install it "
            "(`sudo apt-get install ffmpeg`), or export to .wav, which needs no "
            "ffmpeg."
        )
    _check_folder(path)
    return path


def export_timeline(
    source: Timeline | LiveTimeline, out: Path, *, progress: Progress | None = None
) -> ExportResult:
    """Write the session to `out` in the format of its extension; see `audio_path`.

    `source` may be a session still being made: it is written, and encoded, as it is made.
    `progress` is called once the session is whole.
    """
    path = audio_path(out)
    fmt, report = path.suffix.lower(), progress or (lambda fraction: None)
    with _replacing(path) as part:
        if fmt == ".wav":
            with open(part, "wb") as file:
                made = write_wav(source, file, report)
        else:
            made = encode(source, part, fmt, lambda whole: _ffmetadata(whole, fmt), report)
    report(1.0)
    return ExportResult(path, made.script.duration, path.stat().st_size, made.script)


def write_captions(script: Script, out: Path) -> Path:
    """Write the spoken text with its times as .srt, .vtt or .lrc, by the extension of `out`."""
    out = check_captions(out)
    fmt = out.suffix.lower()
    speech = [e for e in script.events if e.kind is EventKind.SPEECH]
    rate = script.sample_rate
    if fmt == ".lrc":
        lines = [f"[ti:{_one_line(script.routine)}]", f"[by:{ARTIST}]"]
        lines += [f"[{_clock(e.start, rate, '.', hours=False)}]{_one_line(e.text)}" for e in speech]
        text = "\n".join(lines) + "\n"
    else:
        sep = "," if fmt == ".srt" else "."
        escape = _srt_text if fmt == ".srt" else _vtt_text
        cues = [
            f"{_clock(e.start, rate, sep)} --> {_clock(e.end, rate, sep)}\n{escape(e.text)}\n"
            for e in speech
        ]
        if fmt == ".srt":
            cues = [f"{n}\n{cue}" for n, cue in enumerate(cues, start=1)]
        text = "\n".join(["WEBVTT\n"] * (fmt == ".vtt") + cues)
    with _replacing(out) as part:
        part.write_text(text, encoding="utf-8")
    return out


def _one_line(text: str) -> str:
    """A caption's text on one line: a blank line would end its cue."""
    return " ".join(text.split())


def _vtt_text(text: str) -> str:
    """WebVTT cue text: &, < and > as character references (so "-->" cannot appear)."""
    return _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _srt_text(text: str) -> str:
    """SRT cue text: SRT has no escapes and readers take "<" for a tag, so "<" is written as
    "‹" and "-->" as "->"."""
    return _one_line(text).replace("-->", "->").replace("<", "‹")


def check_captions(out: str | Path, protect: Path | None = None) -> Path:
    """The captions file for `out`, checked as `audio_path` checks an audio file; UsageError for
    an unknown captions extension, ExportError for a missing folder."""
    out = _target(out, "the captions", protect)
    if out.suffix.lower() not in CAPTION_FORMATS:
        raise UsageError(
            f"Cannot write captions to {out.name}: unknown extension {out.suffix!r}. "
            f"Use one of {', '.join(CAPTION_FORMATS)}."
        )
    _check_folder(out)
    return out


def _target(out: str | Path, what: str, protect: Path | None) -> Path:
    """`out` as a path to write (a link followed), or UsageError saying why it cannot be one."""
    name = str(out)
    if not name.strip():
        raise UsageError(f"The name of {what} file is empty; give one, e.g. session.mp3.")
    if name == "-":
        raise UsageError(f"Cannot write {what} to standard output ('-'); give a file name.")
    path = Path(name).expanduser()
    if path.name.endswith(".") or name.endswith(os.sep):
        raise UsageError(f"Cannot write {what} to {name!r}: a file name cannot end in a dot or /.")
    path = path.resolve() if path.is_symlink() else path
    if path.is_dir():
        raise UsageError(f"Cannot write {what} to {path}: it is a folder.")
    if path.exists() and not path.is_file():
        raise UsageError(f"Cannot write {what} to {path}: it is not a regular file.")
    if path.is_file() and _read_only(path):
        raise UsageError(f"Cannot write {what} to {path}: it is read-only. Remove it first.")
    if protect is not None and path.exists() and protect.exists() and path.samefile(protect):
        raise UsageError(f"Cannot write {what} to {path}: it is the routine file.")
    return path


def _read_only(path: Path) -> bool:
    """No write bit for anyone: root may write, but the user made it read-only on purpose."""
    return not path.stat().st_mode & 0o222


def _clock(samples: int, rate: int, separator: str, hours: bool = True) -> str:
    """ "HH:MM:SS,mmm" (SRT), "HH:MM:SS.mmm" (VTT) or "MM:SS.cc" (LRC, `hours=False`)."""
    if not hours:
        centis = round(samples * 100 / rate)
        return f"{centis // 6000:02d}:{centis // 100 % 60:02d}.{centis % 100:02d}"
    millis = round(samples * 1000 / rate)
    return (
        f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}"
        f"{separator}{millis % 1000:03d}"
    )


def _check_folder(path: Path) -> None:
    if not path.parent.is_dir():
        raise ExportError(f"Cannot write {path}: the folder {path.parent} does not exist.")


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A new hidden file beside `path`, renamed over it once the block completes, else removed.

    Its name holds the writer's process id, so files left by a killed export are removed the
    next time, without touching those of an export still running.
    """
    _remove_stale_parts(path)
    name = f".{_part_stem(path)}.{os.getpid()}-{secrets.token_hex(4)}.part"
    mode = path.stat().st_mode & 0o7777 if path.is_file() else None  # kept by the new file
    started = False
    try:
        with written_beside(path, name, sync=True, mode=mode) as part:
            started = True
            yield part
    except OSError as error:
        denied = isinstance(error, PermissionError) and not started
        hint = f" Probable cause: no permission to write in {path.parent}." if denied else ""
        raise ExportError(f"Cannot write {path}: {error.strerror}.{hint}") from error


def _part_stem(path: Path) -> str:
    """The target's name, cut so a temporary name fits where the target's name fits."""
    return path.name[:PART_NAME_CHARS]


def _remove_stale_parts(path: Path) -> None:
    stem = _part_stem(path)
    for part in path.parent.glob(f".{glob.escape(stem)}.*-*.part"):
        pid = part.name[len(stem) + 2 :].split("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            part.unlink(missing_ok=True)


def _ffmetadata(timeline: Timeline, fmt: str) -> str:
    """Tags (with music, a comment naming its tracks) and one chapter per script chapter, in
    ffmpeg's FFMETADATA format.

    ffmpeg's Ogg muxer drops chapters, so for .ogg they are also written as the Vorbis
    comments CHAPTERnnn and CHAPTERnnnNAME, which players (and ffprobe) read as chapters.
    """

    def escape(text: str) -> str:
        for char in "\\=;#\n":
            text = text.replace(char, "\\" + char)
        return text

    script = timeline.script
    lines = [
        ";FFMETADATA1",
        f"title={escape(script.routine)}",
        f"artist={ARTIST}",
        f"album={ARTIST}",
        "genre=Speech",
    ]
    if timeline.music is not None:
        lines.append(f"comment={escape('Music: ' + ', '.join(timeline.music.bed.tracks))}")
    if fmt == ".ogg":
        for n, chapter in enumerate(script.chapters, start=1):
            lines += [
                f"CHAPTER{n:03d}={escape(_clock(chapter.start, script.sample_rate, '.'))}",
                f"CHAPTER{n:03d}NAME={escape(chapter.title)}",
            ]
    for chapter in script.chapters:
        lines += [
            "[CHAPTER]",
            f"TIMEBASE=1/{script.sample_rate}",
            f"START={chapter.start}",
            f"END={chapter.end}",
            f"title={escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"
