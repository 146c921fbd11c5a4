"""The clip cache: one file per clip, named by a hash of everything that changes its sound.

A clip file is a 56-byte header (magic, format version, sample rate, sample count, CRC-32 of
the samples, the SHA-256 of its own name) followed by the samples as little-endian int16, so a
read can check it whole, and that it is the file its name says: two good clips swapped between
their names (or copied over one another) are foreign files, rendered again, never a session
that says the wrong phrases. Sidecars and music beds carry their name's hash the same way. A
read is bounded by the header's count (and MAX_CLIP_SECONDS), so a huge or endless file is
damage, not a memory hog. Writes go to a temporary file `.coach-*.tmp` in the same folder, then
`os.replace`: readers never see half a clip. A clip's modification time is its last use (reads
touch it), which `prune_cache` uses.

The cache deletes only what it can prove is its own: regular files named by a key (64 hex
digits) whose first bytes are one of its magics, and its own temporary files once they are an
hour old. A folder it makes gets a CACHEDIR.TAG, so backup tools skip it.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
import struct
import time
import zlib
from enum import StrEnum
from pathlib import Path

import numpy as np
import platformdirs

from coach.errors import OptionError, UsageError
from coach.samples import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH
from coach.system.atomic import written_beside
from coach.system.leftovers import sweep
from coach.system.paths import user_path

CACHE_ENV = "COACH_CACHE_DIR"
"""Environment variable naming the cache folder when `--cache-dir` is not given."""
SUFFIX = ".clip"
SIDECAR_SUFFIX = ".measures"
"""A clip's derived data (its loudness measurements), beside it: `read_sidecar`, `write_sidecar`."""
_MAGIC = b"COACHPCM"
_VERSION = 2
"""The container's version (version 1 had no name hash): a file of another is rendered again."""
_SAMPLES_VERSION = 1
"""The samples' own format, part of every key; the container can change without it."""
_HEADER = struct.Struct("<8sIIII32s")
_SIDECAR_MAGIC = b"COACHAUX"
_SIDECAR_HEADER = struct.Struct("<8sIQI32s")
_DTYPE = np.dtype("<i2")
BED_SUFFIX = ".bed"
"""A music bed (music.py): int16 stereo, after a header and a JSON record of its making."""
_BED_MAGIC = b"COACHBED"
_BED_HEADER = struct.Struct("<8sIIIQI32s")
_BED_CHANNELS = 2
MAX_BED_BYTES = 2 * _BED_CHANNELS * 44100 * 3600
"""No bed is longer than an hour: a larger file is damaged."""
MAX_CLIP_SECONDS = 10 * 60
"""No clip is longer (a routine's longest text is far shorter): a longer file is damaged."""
_OWN_NAME = re.compile(r"^[0-9a-f]{64}\.(clip|measures|bed)$")
_TMP_PREFIX = ".coach-"
_TMP_NAME = re.compile(r"\.coach-[0-9a-f]{16}\.tmp")
"""The exact name of the cache's own temporary files (`secrets.token_hex(8)`): only those are
swept."""
_STALE_TMP_SECONDS = 3600
"""A temporary file this old is left over from a killed run, not one being written."""
_TAG = "CACHEDIR.TAG"
_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by coach (its speech clips).\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
SAMPLE_FORMAT = f"s{8 * SAMPLE_WIDTH}le/{CHANNELS}ch/{SAMPLE_RATE}Hz/v{_SAMPLES_VERSION}"
"""Part of every key: a change of the samples' format is a change of every clip."""


class DamagedClipError(ValueError):
    """A cache file that does not read back whole, or is not the one its name says."""


def _name_hash(path: Path) -> bytes:
    """What a cache file's header holds of its name (a clip's key): a file read under another
    name is foreign."""
    return hashlib.sha256(path.stem.encode()).digest()


class CacheSource(StrEnum):
    """What chose the cache folder."""

    FLAG = "flag"
    VARIABLE = "variable"
    CONFIG = "config"
    DEFAULT = "default"


def locate_cache(
    explicit: str | Path | None = None, configured: str | Path | None = None
) -> tuple[Path, CacheSource]:
    """The cache folder and what chose it: `explicit` (`--cache-dir`), else `$COACH_CACHE_DIR`,
    else `configured` (the config file's `cache-dir`), else the platform's user cache folder
    for coach (~/.cache/coach, or $XDG_CACHE_HOME/coach, on Linux): never the current folder,
    which would fill whatever folder a session was started from.

    `~` is expanded (`user_path`: UsageError for "~nobody/x"). An empty name is an OptionError:
    it would mean the current folder.
    """
    if explicit is not None:
        if not str(explicit).strip():
            raise OptionError("cache_dir", "is empty; name a folder, e.g. ~/.cache/coach.")
        return user_path(explicit, "--cache-dir"), CacheSource.FLAG
    if CACHE_ENV in os.environ:
        if not os.environ[CACHE_ENV].strip():
            raise UsageError(f"{CACHE_ENV} is set but empty; unset it or name a folder.")
        return user_path(os.environ[CACHE_ENV], f"${CACHE_ENV}"), CacheSource.VARIABLE
    if configured is not None:
        if not str(configured).strip():
            raise OptionError("cache_dir", "is empty; name a folder, e.g. ~/.cache/coach.")
        return user_path(configured, "cache-dir"), CacheSource.CONFIG
    return Path(platformdirs.user_cache_dir("coach", appauthor=False)), CacheSource.DEFAULT


def default_cache_dir(explicit: str | Path | None = None) -> Path:
    """The cache folder when no config file is involved (see `locate_cache`)."""
    return locate_cache(explicit)[0]


def clip_key(**parts: object) -> str:
    """A hex SHA-256 of `parts` (engine, version, voice, rate, trim, text, ...) and the format."""
    blob = json.dumps({**parts, "format": SAMPLE_FORMAT}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def clip_path(folder: Path, key: str) -> Path:
    """Where the clip of `key` lives; the text never appears in it."""
    return folder / f"{key}{SUFFIX}"


def write_clip(path: Path, samples: np.ndarray) -> None:
    """Store `samples` (int16 mono at SAMPLE_RATE) at `path` atomically."""
    payload = np.ascontiguousarray(samples, dtype=_DTYPE).tobytes()
    header = _HEADER.pack(_MAGIC, _VERSION, SAMPLE_RATE, len(payload) // 2, zlib.crc32(payload),
                          _name_hash(path))  # fmt: skip
    _write_atomically(path, header + payload)


def _write_atomically(path: Path, data: bytes) -> None:
    _make_folder(path.parent)
    with written_beside(path, f"{_TMP_PREFIX}{secrets.token_hex(8)}.tmp") as part:
        part.write_bytes(data)


def _make_folder(folder: Path) -> None:
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # a tag is a courtesy to backup tools
            (folder / _TAG).write_text(_TAG_TEXT, encoding="ascii")


def sidecar_path(clip: Path) -> Path:
    """Where the derived data of the clip at `clip` lives."""
    return clip.with_suffix(SIDECAR_SUFFIX)


def write_sidecar(path: Path, payload: bytes) -> None:
    """Store `payload` at `path` atomically, with a header and checksum so a read can check it."""
    header = _SIDECAR_HEADER.pack(_SIDECAR_MAGIC, _VERSION, len(payload), zlib.crc32(payload),
                                  _name_hash(path))  # fmt: skip
    _write_atomically(path, header + payload)


def read_sidecar(path: Path) -> bytes:
    """The payload stored at `path` by `write_sidecar`.

    Raises FileNotFoundError when there is none, DamagedClipError when it is not whole.
    """
    # At most two measurements (4 bytes) per sample: energy and peak, at every phase of a block.
    data = _read_bounded(path, _SIDECAR_HEADER.size + 8 * MAX_CLIP_SECONDS * SAMPLE_RATE)
    if len(data) < _SIDECAR_HEADER.size:
        raise DamagedClipError(f"{path}: shorter than a header")
    magic, version, size, crc, name = _SIDECAR_HEADER.unpack_from(data)
    payload = data[_SIDECAR_HEADER.size :]
    if (magic, version) != (_SIDECAR_MAGIC, _VERSION):
        raise DamagedClipError(f"{path}: not a sidecar of this format")
    if name != _name_hash(path):
        raise DamagedClipError(f"{path}: another clip's sidecar")
    if len(payload) != size or zlib.crc32(payload) != crc:
        raise DamagedClipError(f"{path}: length or checksum mismatch")
    return payload


def read_clip(path: Path) -> np.ndarray:
    """The samples stored at `path`, touched as used.

    Raises FileNotFoundError when there is no clip, DamagedClipError when it is not whole.
    """
    data = _read_bounded(path, _HEADER.size + 2 * MAX_CLIP_SECONDS * SAMPLE_RATE)
    if len(data) < _HEADER.size:
        raise DamagedClipError(f"{path}: shorter than a header")
    magic, version, rate, count, crc, name = _HEADER.unpack_from(data)
    payload = data[_HEADER.size :]
    if (magic, version, rate) != (_MAGIC, _VERSION, SAMPLE_RATE):
        raise DamagedClipError(f"{path}: not a clip of this format")
    if name != _name_hash(path):
        raise DamagedClipError(f"{path}: another key's clip")
    if count == 0 or len(payload) != 2 * count or zlib.crc32(payload) != crc:
        raise DamagedClipError(f"{path}: length or checksum mismatch")
    with contextlib.suppress(OSError):  # a read-only cache still serves its clips
        os.utime(path)
    return np.frombuffer(payload, dtype=_DTYPE).astype(np.int16)


def bed_path(folder: Path, key: str) -> Path:
    return folder / f"{key}{BED_SUFFIX}"


def write_bed(path: Path, meta: dict, frames: np.ndarray) -> None:
    """Store a bed (int16 stereo frames at 44.1 kHz) and its record at `path` atomically, with
    one CRC-32 over both."""
    record = json.dumps(meta, sort_keys=True).encode()
    payload = np.ascontiguousarray(frames, dtype=_DTYPE)
    crc = zlib.crc32(payload.data, zlib.crc32(record))
    header = _BED_HEADER.pack(_BED_MAGIC, _VERSION, 44100, len(record), len(frames), crc,
                              _name_hash(path))  # fmt: skip
    _make_folder(path.parent)
    with written_beside(path, f"{_TMP_PREFIX}{secrets.token_hex(8)}.tmp") as part:
        with open(part, "wb") as f:
            f.write(header + record)
            f.write(payload.data)


def read_bed(path: Path) -> tuple[dict, np.ndarray] | None:
    """(record, frames) of the bed at `path`, the frames mapped rather than read (they can be
    hundreds of megabytes); None when there is none, it is not whole or it is another key's
    (it is made again)."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            head = f.read(_BED_HEADER.size)
            magic, version, rate, size, count, crc, name = _BED_HEADER.unpack(head)
            expected = _BED_HEADER.size + size + 2 * _BED_CHANNELS * count
            if (
                (magic, version, rate, name) != (_BED_MAGIC, _VERSION, 44100, _name_hash(path))
                or not stat.S_ISREG(st.st_mode)
                or st.st_size != expected
                or st.st_size > MAX_BED_BYTES
            ):
                return None
            text = f.read(size)
            check = zlib.crc32(text)
            while chunk := f.read(1 << 20):
                check = zlib.crc32(chunk, check)
        if check != crc:
            return None
        record = json.loads(text)
        frames = np.memmap(path, dtype=_DTYPE, mode="r", offset=_BED_HEADER.size + size,
                           shape=(count, _BED_CHANNELS))  # fmt: skip
    except (OSError, ValueError, struct.error):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return record, frames


def _read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`; DamagedClipError when it is anything else or
    longer than `limit` (FileNotFoundError when there is none)."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            raise DamagedClipError(f"{path}: not a cache file (too large, or not a file)")
        return f.read(limit + 1)


def _is_own(path: Path, st: os.stat_result) -> bool:
    """Whether `path` is a file this cache wrote: its name, a regular file, and its magic."""
    if not (_OWN_NAME.match(path.name) and stat.S_ISREG(st.st_mode)):
        return False
    try:
        with open(path, "rb") as f:
            return f.read(8) in (_MAGIC, _SIDECAR_MAGIC, _BED_MAGIC)
    except OSError:
        return False


def check_folder(folder: Path) -> None:
    """OptionError unless `folder` is a folder (or does not exist yet)."""
    if folder.exists() and not folder.is_dir():
        raise OptionError("cache_dir", f"{folder} is not a folder.")


def _own_files(folder: Path, suffix: str) -> list[tuple[Path, os.stat_result]]:
    """(path, stat) of each file of ours in `folder` ending in `suffix`."""
    check_folder(folder)
    files = []
    for p in Path(folder).glob(f"*{suffix}"):
        try:
            st = p.lstat()
        except OSError:  # another process just removed it
            continue
        if _is_own(p, st):
            files.append((p, st))
    return files


def _entries(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """The cache's entries: its clips and its music beds."""
    return _own_files(folder, SUFFIX) + _own_files(folder, BED_SUFFIX)


def cache_info(folder: Path) -> dict:
    """`{"folder": str, "clips": int, "beds": int, "bytes": int}` of the cache at `folder`
    (the bytes of its clips and music beds)."""
    files = _entries(folder)
    beds = sum(p.suffix == BED_SUFFIX for p, _ in files)
    return {"folder": str(folder), "clips": len(files) - beds, "beds": beds,
            "bytes": sum(s.st_size for _, s in files)}  # fmt: skip


def clear_cache(folder: Path) -> int:
    """Remove every clip and music bed (and leftover temporary file) in `folder`; returns the
    entries removed."""
    files = _entries(folder)
    for p, _ in [*files, *_own_files(folder, SIDECAR_SUFFIX)]:
        p.unlink(missing_ok=True)
    sweep(folder, _TMP_NAME, older_than=_STALE_TMP_SECONDS)  # a user's file named alike stays
    return len(files)


def prune_cache(
    folder: Path, *, older_than_days: float | None = None, max_bytes: int | None = None
) -> dict:
    """Remove entries (clips, music beds) unused for `older_than_days`, then least recently used
    ones above `max_bytes`; a record of an export (records.py, a few bytes) goes by age alone.

    Returns `{"removed": int, "clips": int, "bytes": int}` (what is left; "clips" counts beds).
    """
    files = sorted(_entries(folder), key=lambda f: f[1].st_mtime, reverse=True)
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
    keep, drop, total, full = [], [], 0, False
    for p, st in files:
        full = full or (max_bytes is not None and total + st.st_size > max_bytes)
        if full or (cutoff is not None and st.st_mtime < cutoff):
            drop.append(p)
        else:
            keep.append(p)
            total += st.st_size
    for p in drop:
        p.unlink(missing_ok=True)
        sidecar = sidecar_path(p)
        with contextlib.suppress(OSError):
            if _is_own(sidecar, sidecar.lstat()):
                sidecar.unlink()
    for p, st in _own_files(folder, SIDECAR_SUFFIX):  # records of exports (records.py) age alone
        if cutoff is not None and st.st_mtime < cutoff and not p.with_suffix(SUFFIX).exists():
            p.unlink(missing_ok=True)
    return {"removed": len(drop), "clips": len(keep), "bytes": total}
