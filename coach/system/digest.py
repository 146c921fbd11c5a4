"""File digests: what a cache key holds of a file (a voice model, a music track), so a file
changed under the same name is a new key."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of the contents of the file at `path`, read a block at a time (a voice
    model or a track may be large); OSError when it cannot be read."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
