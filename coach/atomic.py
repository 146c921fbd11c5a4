"""Files written whole or not at all: written under a temporary name beside their place, then
moved onto it in one step, so a reader never sees half a file and an interruption leaves the
old one as it was. The one way the coach writes a file (the cache, exports, `coach new`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
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
    part = path.with_name(part_name)
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield part
        if sync:
            with open(part, "rb+") as written:
                os.fsync(written.fileno())
        if mode is not None:
            os.chmod(part, mode)
        if replace:
            os.replace(part, path)
        else:
            os.link(part, path)  # never over a file, even one made meanwhile
    finally:
        part.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs: the temporary files of one that does not are left over."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
