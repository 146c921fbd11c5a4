"""The exporter: a session to an audio file (by default MP3 with ID3 tags and chapters), or to
a phone page (page.py) that plays it offline; captions.

Every file is written beside its destination under a hidden temporary name, checked, and renamed
over it only once complete, so an interrupted or failed export leaves the destination as it
was; the audio and its captions are renamed only once both are written. A session still being
made (live.py) is written as it is made (encode.py).
"""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.compose.script import EventKind, Script
from coach.errors import ExportError, UsageError
from coach.language.catalogue import file_language
from coach.output.encode import ENCODERS, no_space
from coach.output.measured import encode_measured
from coach.output.page import page_data, write_page
from coach.output.wav import Source, write_wav
from coach.routine.model import Routine
from coach.system import ffmpeg
from coach.system.atomic import written_together
from coach.system.leftovers import own_name, own_names, sweep
from coach.system.paths import resolved, user_path
from coach.system.progress import Progress

if TYPE_CHECKING:
    from coach.audio.timeline import Timeline

PAGE = ".html"
"""The phone page: the MP3 inside one HTML file (page.py)."""
FORMATS = (".mp3", ".wav", ".ogg", ".m4a", PAGE)
CAPTION_FORMATS = (".srt", ".vtt", ".lrc")
ARTIST = "coach"
PART_NAME_CHARS = 200
"""A temporary file's name holds at most this much of the target's name (a name may have 255
bytes; the temporary one adds a dot, the process id, a random tag and ".part")."""
Protected = Iterable[tuple[Path, str]]
"""Files an export must never write over, each with what it is ("the routine file")."""


@dataclass(frozen=True)
class ExportResult:
    """What was written."""

    path: Path
    seconds: float
    bytes: int
    script: Script
    """The script of the session written (a session made while written is whole only now)."""


def audio_path(out: str | Path, protect: Protected = ()) -> Path:
    """The file an export to `out` writes (".mp3" added when there is no extension); checks it.

    The format is the extension of the name given. A symbolic link is followed only to a file
    of that same extension, which is replaced, keeping its mode.
    UsageError for a name that cannot be a new audio file (empty, "-", a folder, a device, a
    read-only file, a name ending in a dot, a link elsewhere or in a loop, one of `protect`:
    the routine file, the music) or an unknown extension; ExportError when ffmpeg is needed and
    missing, or the folder does not exist or cannot be written. Cheap, so a caller can check
    before rendering anything.
    """
    path = _target(out, "the output", protect, default_suffix=".mp3")
    fmt = path.suffix.lower()
    if fmt not in FORMATS:
        raise UsageError(
            f"Cannot export to {path.name}: unknown extension {path.suffix!r}. "
            f"Use one of {', '.join(FORMATS)}."
        )
    if fmt in ENCODERS or fmt == PAGE:
        ffmpeg.located(f"Exporting {fmt}", "export to .wav, which needs no ffmpeg", ExportError)
    _check_folder(path)
    return path


def export_timeline(
    source: Source, out: Path, *, progress: Progress | None = None, captions: Path | None = None,
    routine: Routine | None = None, records: Path | None = None,
) -> ExportResult:  # fmt: skip
    """Write the session to `out` in the format of its extension (see `audio_path`), and its
    `captions` (see `check_captions`) when given: both or neither.

    `source` may be a session still being made: it is written, and encoded, as it is made.
    `progress` is called once the session is whole, with (samples written, samples of the
    session), and once more with both the session's length when the files are in place.
    `routine` is the session's: a phone page shows its drills' instructions and cues.
    `records` is the clip cache's folder, where what an encoded file measured is kept
    (measured.py).
    """
    path = audio_path(out)
    targets = [path] if captions is None else [path, check_captions(captions)]
    fmt, report = path.suffix.lower(), progress or (lambda done, total: None)
    with _replacing(*targets) as parts:
        if fmt == ".wav":
            with open(parts[0], "wb") as file:
                whole = write_wav(source, file, report)
        elif fmt == PAGE:
            whole = _write_page(source, parts[0], path, routine, report, records)
        else:
            metadata = functools.partial(_ffmetadata, fmt=fmt)
            whole = encode_measured(source, parts[0], fmt, metadata, report, records)
        if captions is not None:
            _write_text(parts[1], _caption_text(whole.script, targets[1]))
    report(whole.script.length, whole.script.length)
    return ExportResult(path, whole.script.duration, path.stat().st_size, whole.script)


def _write_page(
    source: Source, part: Path, path: Path, routine: Routine | None, report: Progress,
    records: Path | None,
) -> Timeline:  # fmt: skip
    """The phone page for `path` into `part`: the session encoded as an MP3 (with its tags and
    chapters, as `.mp3` writes it) into `part`, which then moves aside, under another own
    temporary name, while the page is written from it. Returns the whole timeline."""
    metadata = functools.partial(_ffmetadata, fmt=".mp3")
    whole = encode_measured(source, part, ".mp3", metadata, report, records)
    audio = part.with_name(own_name(f".{_part_stem(path)}.", ".part"))
    os.replace(part, audio)
    try:
        with open(audio, "rb") as mp3, open(part, "xb") as page:
            write_page(page, page_data(whole.script, routine, ARTIST), mp3)
    finally:
        audio.unlink(missing_ok=True)
    return whole


def write_captions(script: Script, out: Path) -> Path:
    """Write the spoken text with its times as .srt, .vtt or .lrc, by the extension of `out`."""
    out = check_captions(out)
    with _replacing(out) as (part,):
        _write_text(part, _caption_text(script, out))
    return out


def _write_text(part: Path, text: str) -> None:
    """`text` into `part`, a failure naming `part` (a write's OSError names no file), so the
    message names the right file of two."""
    try:
        part.write_text(text, encoding="utf-8")
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(part)) from error


def _caption_text(script: Script, out: Path) -> str:
    """The captions of `script` in the format of the extension of `out`."""
    fmt = out.suffix.lower()
    speech = [e for e in script.events if e.kind is EventKind.SPEECH]
    rate = script.sample_rate
    if fmt == ".lrc":
        lines = [f"[ti:{_one_line(script.routine)}]", f"[by:{ARTIST}]"]
        lines += [f"[{_clock(e.start, rate, '.', hours=False)}]{_one_line(e.text)}" for e in speech]
        return "\n".join(lines) + "\n"
    sep = "," if fmt == ".srt" else "."
    escape = _srt_text if fmt == ".srt" else _vtt_text
    cues = [
        f"{_clock(e.start, rate, sep)} --> {_clock(e.end, rate, sep)}\n{escape(e.text)}\n"
        for e in speech
    ]
    if fmt == ".srt":
        cues = [f"{n}\n{cue}" for n, cue in enumerate(cues, start=1)]
        return "\n".join(cues)
    header = "WEBVTT\n"
    if file_language(script.language) is not None:
        header += f"Language: {script.language}\n"  # a header line, which players skip
    return "\n".join([header, *cues])


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


def check_captions(out: str | Path, protect: Protected = ()) -> Path:
    """The captions file for `out`, checked as `audio_path` checks an audio file; UsageError for
    an unknown captions extension, ExportError for a folder missing or not writable."""
    out = _target(out, "the captions", protect)
    if out.suffix.lower() not in CAPTION_FORMATS:
        raise UsageError(
            f"Cannot write captions to {out.name}: unknown extension {out.suffix!r}. "
            f"Use one of {', '.join(CAPTION_FORMATS)}."
        )
    _check_folder(out)
    return out


def _target(out: str | Path, what: str, protect: Protected, default_suffix: str = "") -> Path:
    """`out` as a path to write (`~` expanded, `default_suffix` added to a name without an
    extension, a link followed), or UsageError saying why it cannot be one."""
    name = str(out)
    if not name.strip():
        raise UsageError(f"The name of {what} file is empty; give one, e.g. session.mp3.")
    if name == "-":
        raise UsageError(f"Cannot write {what} to standard output ('-'); give a file name.")
    path = user_path(name, what.capitalize())
    if path.name.endswith(".") or name.endswith(os.sep):
        raise UsageError(f"Cannot write {what} to {name!r}: a file name cannot end in a dot or /.")
    if default_suffix and not path.suffix:
        _file_or_new(path, what)  # "/dev/null" means the device, not "/dev/null.mp3"
        path = path.with_name(path.name + default_suffix)
    if path.is_symlink():
        path = _followed(path, what)
    _file_or_new(path, what)
    if path.is_file() and _read_only(path):
        raise UsageError(f"Cannot write {what} to {path}: it is read-only. Remove it first.")
    for kept, kind in protect:
        if path.exists() and kept.exists() and path.samefile(kept):
            raise UsageError(f"Cannot write {what} to {path}: it is {kind}.")
    return path


def _file_or_new(path: Path, what: str) -> None:
    """UsageError when `path` is a folder, or exists and is not a regular file (a device)."""
    if path.is_dir():
        raise UsageError(f"Cannot write {what} to {path}: it is a folder.")
    if path.exists() and not path.is_file():
        raise UsageError(f"Cannot write {what} to {path}: it is not a regular file.")


def _followed(link: Path, what: str) -> Path:
    """The file the link `link` points to, when it has the link's own extension: the format is
    the name typed, and a link elsewhere ("x.mp3" to a text file) is surely a mistake."""
    real = resolved(link, what.capitalize())
    if real.suffix.lower() != link.suffix.lower():
        raise UsageError(
            f"Cannot write {what} to {link}: it is a link to {real}, which is not a "
            f"{link.suffix or 'plain'} file; remove the link or give another name."
        )
    return real


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
    """ExportError unless the folder of `path` exists and can be written (not read-only, not
    another user's), so no target fails after the session is rendered."""
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"Cannot write {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK):
        read_only = os.statvfs(folder).f_flag & os.ST_RDONLY
        why = "is on a read-only file system" if read_only else "gives no permission to write"
        raise ExportError(f"Cannot write {path}: the folder {folder} {why}; export elsewhere.")


@contextmanager
def _replacing(*paths: Path) -> Iterator[list[Path]]:
    """A new hidden file beside each of `paths`, renamed over them once the block completes and
    all are synced, else removed.

    Their names hold the writer's process id, so files left by a killed export are removed the
    next time, without touching those of an export still running.
    """
    files = []
    for path in paths:
        part_prefix = f".{_part_stem(path)}."
        sweep(path.parent, own_names(part_prefix, ".part"))  # those of killed exports to `path`
        mode = path.stat().st_mode & 0o7777 if path.is_file() else None  # kept by the new file
        files.append((path, own_name(part_prefix, ".part"), mode))
    started = False
    try:
        with written_together(files, sync=True) as parts:
            started = True
            yield parts
    except OSError as error:
        parts = {path.with_name(name): path for path, name, _ in files}
        path = parts.get(Path(error.filename or ""), paths[0])  # the one it was writing
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ExportError(f"Cannot write {path}: {no_space(path.parent)}") from error
        denied = isinstance(error, PermissionError) and not started
        hint = f" Probable cause: no permission to write in {path.parent}." if denied else ""
        raise ExportError(f"Cannot write {path}: {error.strerror}.{hint}") from error
    except ExportError as error:
        raise ExportError(f"Cannot write {paths[0]}: {error}") from error


def _part_stem(path: Path) -> str:
    """The target's name, cut so a temporary name fits where the target's name fits."""
    return path.name[:PART_NAME_CHARS]


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
    if (code := file_language(script.language)) is not None:
        lines.append(f"language={code}")  # ID3's TLAN, a Vorbis comment
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
