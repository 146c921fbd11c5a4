"""Records of what was measured on an exported file (output/measured.py), kept in the clip cache
so that exporting the same session again measures nothing.

A record is a small JSON object in a sidecar file (store.py's format: checked whole, and that it
is the file its name says) named by a digest of what was measured. A record that cannot be read
or written is only a measurement to make again: nothing here raises.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from coach.cache.store import SIDECAR_SUFFIX, DamagedClipError, read_sidecar, write_sidecar

MAX_RECORD_BYTES = 64 * 1024
"""A record is a few numbers and at most a few hundred spots: a larger payload is not ours."""


def record_path(folder: Path, key: str) -> Path:
    """Where the record of `key` (64 hex digits) lives."""
    return folder / f"{key}{SIDECAR_SUFFIX}"


def read_record(folder: Path | None, key: str) -> dict | None:
    """The record stored under `key` in the cache `folder`, touched as used; None when there is
    none (or no folder), or it is damaged."""
    if folder is None:
        return None
    path = record_path(folder, key)
    try:
        payload = read_sidecar(path)
        record = json.loads(payload) if len(payload) <= MAX_RECORD_BYTES else None
    except (OSError, DamagedClipError, ValueError):
        return None
    with contextlib.suppress(OSError):  # a read-only cache still serves its records
        os.utime(path)
    return record if isinstance(record, dict) else None


def write_record(folder: Path | None, key: str, record: dict) -> None:
    """Store `record` under `key` in the cache `folder`, if it can be (a full disk, a read-only
    folder: the measurement is made again next time)."""
    if folder is not None:
        with contextlib.suppress(OSError):
            write_sidecar(record_path(folder, key), json.dumps(record, sort_keys=True).encode())
