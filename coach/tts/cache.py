"""The clip cache: one file per clip, named by a hash of everything that changes its sound.

A clip file is a 24-byte header (magic, format version, sample rate, sample count, CRC-32 of
the samples) followed by the samples as little-endian int16, so a read can check it whole.
Writes go to a temporary file in the same folder, then `os.replace`: readers never see half
a clip. A clip's modification time is its last use (reads touch it), which `prune_cache` uses.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from coach.samples import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH

CACHE_ENV = "COACH_CACHE_DIR"
"""Environment variable naming the cache folder when `--cache-dir` is not given."""
SUFFIX = ".clip"
SIDECAR_SUFFIX = ".measures"
"""A clip's derived data (its loudness measurements), beside it: `read_sidecar`, `write_sidecar`."""
_MAGIC = b"COACHPCM"
_VERSION = 1
_HEADER = struct.Struct("<8sIIII")
_SIDECAR_MAGIC = b"COACHAUX"
_SIDECAR_HEADER = struct.Struct("<8sIQI")
_DTYPE = np.dtype("<i2")
SAMPLE_FORMAT = f"s{8 * SAMPLE_WIDTH}le/{CHANNELS}ch/{SAMPLE_RATE}Hz/v{_VERSION}"
"""Part of every key: a change of the stored format is a change of every clip."""


class DamagedClipError(ValueError):
    """A cache file that does not read back whole."""


def default_cache_dir(explicit: Path | None = None) -> Path:
    """The cache folder: `explicit` (`--cache-dir`), else `$COACH_CACHE_DIR`, else ./audio_cache."""
    if explicit is not None:
        return Path(explicit)
    return Path(os.environ.get(CACHE_ENV) or "audio_cache")


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
    header = _HEADER.pack(_MAGIC, _VERSION, SAMPLE_RATE, len(payload) // 2, zlib.crc32(payload))
    _write_atomically(path, header + payload)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sidecar_path(clip: Path) -> Path:
    """Where the derived data of the clip at `clip` lives."""
    return clip.with_suffix(SIDECAR_SUFFIX)


def write_sidecar(path: Path, payload: bytes) -> None:
    """Store `payload` at `path` atomically, with a header and checksum so a read can check it."""
    header = _SIDECAR_HEADER.pack(_SIDECAR_MAGIC, _VERSION, len(payload), zlib.crc32(payload))
    _write_atomically(path, header + payload)


def read_sidecar(path: Path) -> bytes:
    """The payload stored at `path` by `write_sidecar`.

    Raises FileNotFoundError when there is none, DamagedClipError when it is not whole.
    """
    data = path.read_bytes()
    if len(data) < _SIDECAR_HEADER.size:
        raise DamagedClipError(f"{path}: shorter than a header")
    magic, version, size, crc = _SIDECAR_HEADER.unpack_from(data)
    payload = data[_SIDECAR_HEADER.size :]
    if (magic, version) != (_SIDECAR_MAGIC, _VERSION):
        raise DamagedClipError(f"{path}: not a sidecar of this format")
    if len(payload) != size or zlib.crc32(payload) != crc:
        raise DamagedClipError(f"{path}: length or checksum mismatch")
    return payload


def read_clip(path: Path) -> np.ndarray:
    """The samples stored at `path`, touched as used.

    Raises FileNotFoundError when there is no clip, DamagedClipError when it is not whole.
    """
    data = path.read_bytes()
    if len(data) < _HEADER.size:
        raise DamagedClipError(f"{path}: shorter than a header")
    magic, version, rate, count, crc = _HEADER.unpack_from(data)
    payload = data[_HEADER.size :]
    if (magic, version, rate) != (_MAGIC, _VERSION, SAMPLE_RATE):
        raise DamagedClipError(f"{path}: not a clip of this format")
    if count == 0 or len(payload) != 2 * count or zlib.crc32(payload) != crc:
        raise DamagedClipError(f"{path}: length or checksum mismatch")
    with contextlib.suppress(OSError):  # a read-only cache still serves its clips
        os.utime(path)
    return np.frombuffer(payload, dtype=_DTYPE).astype(np.int16)


def _clip_files(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """(path, stat) of each clip in `folder`, skipping files another process just removed."""
    files = []
    for p in Path(folder).glob(f"*{SUFFIX}"):
        try:
            files.append((p, p.stat()))
        except FileNotFoundError:
            continue
    return files


def cache_info(folder: Path) -> dict:
    """`{"folder": str, "clips": int, "bytes": int}` of the cache at `folder`."""
    files = _clip_files(folder)
    return {"folder": str(folder), "clips": len(files), "bytes": sum(s.st_size for _, s in files)}


def clear_cache(folder: Path) -> int:
    """Remove every clip (and leftover temporary file) in `folder`; returns the clips removed."""
    files = _clip_files(folder)
    for p, _ in files:
        p.unlink(missing_ok=True)
    for p in [*Path(folder).glob(f"*{SIDECAR_SUFFIX}"), *Path(folder).glob(".*.tmp")]:
        p.unlink(missing_ok=True)
    return len(files)


def prune_cache(
    folder: Path, *, older_than_days: float | None = None, max_bytes: int | None = None
) -> dict:
    """Remove clips unused for `older_than_days`, then least recently used ones above `max_bytes`.

    Returns `{"removed": int, "clips": int, "bytes": int}` (what is left).
    """
    files = sorted(_clip_files(folder), key=lambda f: f[1].st_mtime, reverse=True)
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
        sidecar_path(p).unlink(missing_ok=True)
    return {"removed": len(drop), "clips": len(keep), "bytes": total}
