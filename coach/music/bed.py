"""Music under the voice: the runner's tracks made into one bed, levelled, crossfaded and
looped, kept in the clip cache so a second session starts at once.

ffmpeg decodes every format (no decoder of our own) and measures each track with its ebur128
filter as it decodes. Each track is brought to `BED_LUFS` with its true peak under `BED_PEAK`:
the loudest bed any option asks for, so the mix (mix.py) only ever lowers it, and the sum of
bed and voice stays under the session's ceiling by construction (see `BED_PEAK`).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import random
import re
import secrets
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.audio.bed import MIN_LEVEL_DB, MUSIC_CHANNELS, MUSIC_RATE, Bed
from coach.audio.levels import SPEECH_LUFS
from coach.cache.store import bed_path, read_bed, write_bed
from coach.errors import CoachError, OptionError, exact
from coach.system import ffmpeg
from coach.system.digest import file_sha256
from coach.system.progress import Progress

DEFAULT_LEVEL_DB = 15.0
"""The bed sits this far under the speech's loudness between words (broadcast: 12 to 20 dB)."""
DEFAULT_DUCK_DB = 15.0
"""Under every word and beep the bed drops this much further."""
MIN_DUCK_DB = MIN_LEVEL_DB
MAX_LEVEL_DB = MAX_DUCK_DB = 40.0
BED_LUFS = SPEECH_LUFS - MIN_LEVEL_DB
"""Every track's loudness in the bed: the loudest `--music-level` allows."""
BED_PEAK = -3.0
"""Every track's true-peak ceiling in the bed (dBTP), so the mix keeps the session's -1 dBTP:
between words the bed alone stays under it, and under a word, at least `MIN_DUCK_DB` lower
(-15 dBTP, 0.18), beside the voice's peaks (-4.5 dBTP in stereo, 0.59) it does too (0.77 <
0.89). Only a track whose peaks stand more than 24 dB over its loudness is lowered for it."""
CROSSFADE_SECONDS = 2.0
MIN_TRACK_SECONDS = 1.0
MAX_TRACKS = 500
"""A folder of more tracks is refused: nobody means a whole library."""
MAX_DECODERS = 4
"""Tracks decoded at once (each an ffmpeg and up to twice its track's samples in memory)."""
MAX_BED_SECONDS = 20 * 60
"""The bed holds at most this much music (212 MB in the cache); a longer session loops it."""
BED_STEP_SECONDS = 60
"""A bed is as long as its session, in whole minutes: sessions of about one length share one bed
in the cache, and a session a little longer than its estimate still hears no loop."""
TRACK_SUFFIXES = frozenset(
    ".mp3 .ogg .oga .opus .flac .m4a .aac .wav .wma .aif .aiff .mka .webm .mp4".split()
)
"""In a folder, files with these extensions are tracks (cover art and playlists are not)."""
_BED_VERSION = 2


@dataclass(frozen=True)
class MusicChoice:
    """What the user asked for: a track or a folder of tracks, and how it sits under the voice."""

    path: Path
    shuffle: bool = False
    seed: int | None = None
    """The shuffle's seed (a given seed implies `shuffle`); None: one is drawn."""
    duck_db: float = DEFAULT_DUCK_DB
    level_db: float = DEFAULT_LEVEL_DB


@dataclass(frozen=True)
class Playlist:
    """The tracks to use, in order, checked to exist; `seed` is the one the order came from.

    `tracks` are absolute (links not followed, so a track keeps its own name), for whoever must
    tell whether a file is one of them (`os.path.samefile`) after the working folder changed.
    """

    choice: MusicChoice
    tracks: tuple[Path, ...]
    seed: int | None

    def shown(self, index: int) -> Path:
        """Track `index` as the user named it (in the folder as they typed it), for messages."""
        track, given = self.tracks[index], self.choice.path
        return given if track == given.absolute() else given / track.name

    def to_json(self) -> dict:
        return {
            "path": str(self.choice.path),
            "tracks": [t.name for t in self.tracks],
            "shuffle": self.seed is not None,
            "seed": self.seed,
            "level_db": self.choice.level_db,
            "duck_db": self.choice.duck_db,
            "sample_rate": MUSIC_RATE,
            "channels": MUSIC_CHANNELS,
        }


def make_playlist(choice: MusicChoice) -> Playlist:
    """The tracks of `choice` in the order they play; OptionError for what cannot be music."""
    for name, value, low, high in (
        ("music_duck", choice.duck_db, MIN_DUCK_DB, MAX_DUCK_DB),
        ("music_level", choice.level_db, MIN_LEVEL_DB, MAX_LEVEL_DB),
    ):
        if not low <= value <= high:
            raise OptionError(name, f"must be between {low:g} and {high:g} dB, got {exact(value)}.")
    path = choice.path  # "~" was expanded where it was typed (paths.py)
    try:
        if not path.exists():
            raise OptionError("music", f"{path}: no such file or folder.")
        if path.is_dir():
            tracks = _folder_tracks(path)
        elif path.is_file():
            tracks = [path]
        else:
            raise OptionError("music", f"{path}: not a file or a folder.")
    except OSError as e:  # no access
        raise OptionError("music", f"{path}: cannot read it ({e.strerror or e}).") from None
    seed = choice.seed
    if choice.shuffle or seed is not None:
        seed = secrets.randbelow(1_000_000) if seed is None else seed
        random.Random(seed).shuffle(tracks)
    return Playlist(choice, tuple(t.absolute() for t in tracks), seed)


def _folder_tracks(folder: Path) -> list[Path]:
    """The tracks of `folder` (not its subfolders) in name order, numbers by value."""
    tracks = []
    with os.scandir(folder) as entries:
        for entry in entries:
            suffix = os.path.splitext(entry.name)[1].lower()
            if entry.name.startswith(".") or suffix not in TRACK_SUFFIXES:
                continue
            if entry.is_file():
                tracks.append(Path(entry.path))
            if len(tracks) > MAX_TRACKS:
                raise OptionError(
                    "music",
                    f"{folder}: more than {MAX_TRACKS} tracks; pick a folder of a few "
                    "(a playlist's worth).",
                )
    if not tracks:
        suffixes = ", ".join(sorted(TRACK_SUFFIXES))
        raise OptionError("music", f"{folder}: no tracks in this folder (files ending {suffixes}).")
    return sorted(tracks, key=lambda p: _name_key(p.name))


def _name_key(name: str) -> list:
    """"Track 2" before "Track 10": runs of digits compare by value."""
    return [(0, int(part), "") if part.isdecimal() else (1, 0, part.casefold())
            for part in re.split(r"(\d+)", name) if part]  # fmt: skip


def load_bed(
    playlist: Playlist, cache_dir: Path, session_seconds: float, progress: Progress | None = None
) -> Bed:
    """The playlist's bed for a session of about `session_seconds`, from the cache or decoded
    (then cached). Only what the session hears is decoded (`bed_seconds`): an hour-long track
    under a short session costs a minute of it, not twenty.

    OptionError when no track can be used (a single track is refused with the reason; in a
    folder a track that fails is skipped, and named in `Bed.skipped`); MissingToolError without
    ffmpeg. `progress` is called with (tracks decoded, tracks to decode).
    """
    program = ffmpeg.located("Music", "leave the music out")
    seconds = bed_seconds(session_seconds)
    key = _bed_key(playlist, program, seconds)
    cached = read_bed(bed_path(cache_dir, key))
    if cached is not None:
        meta, samples = cached
        return _bed(playlist, samples, meta)
    tracks, used, skipped = _decode_all(program, playlist, seconds, progress)
    samples, head = _assemble(tracks, seconds)
    meta = {"head": head, "used": used, "skipped": skipped}
    with contextlib.suppress(OSError):  # a cache that cannot keep it costs the next run only
        write_bed(bed_path(cache_dir, key), meta, samples)
        kept = read_bed(bed_path(cache_dir, key))
        samples = samples if kept is None else kept[1]  # mapped: the pages can be let go
    return _bed(playlist, samples, meta)


def bed_seconds(session_seconds: float) -> int:
    """How much music a session of `session_seconds` decodes: its length in whole minutes
    rounded up, at most `MAX_BED_SECONDS`. A longer bed cached for a longer session is not
    used instead: each track is levelled by what is decoded of it, so it would sound a little
    different, and play would not always be export."""
    steps = max(1, math.ceil(session_seconds / BED_STEP_SECONDS))
    return min(steps * BED_STEP_SECONDS, MAX_BED_SECONDS)


def _bed(playlist: Playlist, samples: np.ndarray, meta: dict) -> Bed:
    """The bed of `samples` and its record, which names tracks by their place in the playlist:
    a track renamed since is named as it is now."""
    tracks = playlist.tracks
    return Bed(samples, meta["head"], tuple(tracks[i].name for i in meta["used"]),
               tuple(f"{playlist.shown(i)}: {why}" for i, why in meta["skipped"]))  # fmt: skip


def _bed_key(playlist: Playlist, program: str, seconds: int) -> str:
    """A hash of the tracks' contents in order and of everything that shapes the bed."""
    parts = {
        "version": _BED_VERSION, "rate": MUSIC_RATE, "channels": MUSIC_CHANNELS,
        "lufs": BED_LUFS, "peak": BED_PEAK, "crossfade": CROSSFADE_SECONDS,
        "seconds": seconds, "ffmpeg": ffmpeg.version(program),
        "tracks": [_track_digest(t) for t in playlist.tracks],
    }  # fmt: skip
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _track_digest(path: Path) -> str:
    """The track's `file_sha256`; OptionError naming it when it cannot be read."""
    try:
        return file_sha256(path)
    except OSError as e:
        raise OptionError("music", f"{path}: cannot read it ({e.strerror}).") from None


def _decode_all(
    program: str, playlist: Playlist, seconds: int, progress: Progress | None
) -> tuple[list[np.ndarray], list[int], list[tuple[int, str]]]:
    """The levelled tracks in order until the bed holds `seconds`, a few at a time in parallel
    (of each no more than the bed holds: ffmpeg stops reading there); their places in the
    playlist; and the place of any skipped, with why. At most `workers` tracks are decoded
    ahead of the one the bed waits for, and on any way out (Ctrl-C too) nothing more is
    started."""
    limit = seconds + CROSSFADE_SECONDS
    tracks, used, skipped, total = [], [], [], 0
    report = progress or (lambda done, of: None)
    workers = min(MAX_DECODERS, len(os.sched_getaffinity(0)))
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        pending = deque(pool.submit(_decode, program, t, limit) for t in playlist.tracks[:workers])
        for done in range(1, len(playlist.tracks) + 1):
            future = pending.popleft()
            if done + workers <= len(playlist.tracks):
                pending.append(pool.submit(_decode, program, playlist.tracks[done + workers - 1],
                                           limit))  # fmt: skip
            try:
                frames = future.result()
            except _TrackError as e:
                if len(playlist.tracks) == 1:
                    raise OptionError("music", f"{playlist.shown(0)}: {e}") from None
                skipped.append((done - 1, str(e)))
            else:
                tracks.append(frames)
                used.append(done - 1)
                total += len(frames)
            full = total >= seconds * MUSIC_RATE
            report(len(playlist.tracks) if full else done, len(playlist.tracks))
            if full:
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # the ffmpegs under way end on their own
    if not tracks:
        index, why = skipped[0]
        raise OptionError("music", f"{playlist.choice.path}: no track could be used "
                          f"({playlist.shown(index)}: {why})")  # fmt: skip
    return tracks, used, skipped


class _TrackError(Exception):
    """A track that cannot be used; the message says why."""


def _decode(program: str, track: Path, seconds: float) -> np.ndarray:
    """The first `seconds` of `track` as int16 stereo frames at MUSIC_RATE, levelled, decoded
    by `program` (ffmpeg)."""
    measure = "ebur128=peak=true:framelog=verbose"  # its summary is logged at "info"
    arguments = [
        "-nostats",
        "-i", f"file:{track}",  # a name is a file's, never a protocol's ("http:...")
        "-map", "0:a:0", "-t", f"{seconds:g}",
        "-af", f"aresample={MUSIC_RATE},aformat=channel_layouts=stereo,{measure}",
        "-f", "s16le", "-ar", str(MUSIC_RATE), "-ac", str(MUSIC_CHANNELS), "pipe:1",
    ]  # fmt: skip
    run = ffmpeg.run(arguments, program=program, loglevel="info")
    text = run.stderr
    if run.returncode < 0:  # killed (Ctrl-C, the OOM killer): the track may be fine
        raise CoachError(f"ffmpeg was stopped while decoding {track}; nothing was kept.")
    if run.returncode:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit status {run.returncode}"
        raise _TrackError(f"ffmpeg cannot decode it as audio ({reason}).")
    frames = np.frombuffer(run.stdout, dtype="<i2").reshape(-1, MUSIC_CHANNELS)
    if len(frames) < MIN_TRACK_SECONDS * MUSIC_RATE:
        raise _TrackError(
            f"{len(frames) / MUSIC_RATE:.2f} s of audio; a track must last a second or more."
        )
    loudness, peak = _summary(text)
    if loudness is None or loudness <= -70 or peak is None:
        raise _TrackError("it is silent.")
    gain_db = min(BED_LUFS - loudness, BED_PEAK - peak)
    levelled = frames.astype(np.float32)  # one working copy, changed in place
    levelled *= np.float32(10 ** (gain_db / 20))
    np.clip(np.round(levelled, out=levelled), -32768, 32767, out=levelled)
    return levelled.astype(np.int16)


def _summary(log: str) -> tuple[float | None, float | None]:
    """(integrated loudness, true peak) from the last ebur128 summary in ffmpeg's log."""

    def last(pattern: str) -> float | None:
        found = re.findall(pattern, log)
        return float(found[-1]) if found and found[-1] != "-inf" else None

    return last(r"\bI:\s+(-?[\d.]+|-inf) LUFS"), last(r"\bPeak:\s+(-?[\d.]+|-inf) dBFS")


def _assemble(tracks: list[np.ndarray], seconds: int) -> tuple[np.ndarray, int]:
    """The tracks end to end, each crossfaded into the next and the last into the first (the
    loop), cut at `seconds`: (bed, head), as `Bed` reads them. Each track is let go
    once laid (the list is emptied): a long bed is held about twice, not three times."""
    full = round(CROSSFADE_SECONDS * MUSIC_RATE)
    fades = [min(full, len(a) // 2, len(b) // 2) for a, b in itertools.pairwise(tracks)]
    length = min(sum(len(t) for t in tracks) - sum(fades), seconds * MUSIC_RATE)
    bed = np.zeros((length, MUSIC_CHANNELS), dtype=np.int16)
    at = 0
    for fade in [0, *fades]:
        track = tracks.pop(0)
        at -= fade
        if at >= length:
            break
        piece = track[: length - at]
        bed[at + fade : at + len(piece)] = piece[fade:]
        bed[at : at + fade] = _crossfade(bed[at : at + fade], piece[:fade])
        at += len(track)
    head = min(full, length // 4)
    bed[length - head :] = _crossfade(bed[length - head :], bed[:head])
    return bed, head


def _crossfade(going: np.ndarray, coming: np.ndarray) -> np.ndarray:
    """`going` fading out while `coming` fades in (int16 frames, as many of each), with gains
    that add up to one, so the crossfade peaks no higher than its tracks."""
    x = (np.arange(len(going)) + 0.5) / max(len(going), 1)
    fade_in = (np.sin(np.pi / 2 * x) ** 2)[:, None]
    mixed = going * (1 - fade_in) + coming[: len(going)] * fade_in
    return np.clip(np.round(mixed), -32768, 32767).astype(np.int16)
