"""Files written whole or not at all: written under a temporary name beside their place, then
moved onto it in one step, so a reader never sees half a file and an interruption leaves the
old one as it was. The one way the coach writes a file (the cache, exports, `coach new`); the
temporary names are the caller's (leftovers.py names them so a killed run's can be swept)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_beside(
    path: Path, part_name: str, *, replace: bool = True, sync: bool = False,
    mode: int | None = None,
) -> Iterator[Path]:  # fmt: skip
    """A new, empty file `part_name` in the folder of `path`, to be written in the block; when
    the block completes it becomes `path`, else it is removed.

    `replace`: an existing `path` is replaced (else FileExistsError, and it is left alone).
    `sync`: the data reach the disk before the move. `mode`: the permissions the file gets.
    OSError when the temporary file cannot be made (FileExistsError if it exists).
    """
    with written_together([(path, part_name, mode)], replace=replace, sync=sync) as (part,):
        yield part


@contextmanager
def written_together(
    files: Sequence[tuple[Path, str, int | None]], *, replace: bool = True, sync: bool = False
) -> Iterator[list[Path]]:
    """`written_beside` for several files at once, each (path, part name, mode): all of them
    are written and synced before the first is moved, so a failure in any (a full disk found
    by the last sync) leaves every old file as it was."""
    parts: list[Path] = []
    try:
        for path, part_name, _ in files:
            part = path.with_name(part_name)
            os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            parts.append(part)
        yield parts
        for part, (_, _, mode) in zip(parts, files, strict=True):
            if sync:
                with open(part, "rb+") as written:
                    _synced(written.fileno(), part)
            if mode is not None:
                os.chmod(part, mode)
        for part, (path, _, _) in zip(parts, files, strict=True):
            if replace:
                os.replace(part, path)
            else:
                os.link(part, path)  # never over a file, even one made meanwhile
    finally:
        for part in parts:
            part.unlink(missing_ok=True)


def _synced(fd: int, part: Path) -> None:
    """fsync, with a failure (a full disk found only now) naming the file it was for."""
    try:
        os.fsync(fd)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(part)) from error
