"""Files written whole or not at all: written under a temporary name beside their place, then
moved onto it in one step, so a reader never sees half a file and an interruption leaves the
old one as it was. The one way the coach writes a file (the cache, exports, `coach new`).

The temporary names a process makes (`own_name`) hold its process id and a random tag of one
exact shape, so what a killed process left behind can be told from anything else (a user's
file that merely looks alike) and swept (`left_over`)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

TAG_BYTES = 4
"""The random tag of a temporary name: this many bytes, as lowercase hex."""
_PID = r"[1-9][0-9]{0,6}"
"""A process id as `own_name` writes it (Linux's pid_max is at most 4194304: 7 digits)."""


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


def own_name(prefix: str, suffix: str = "") -> str:
    """A temporary name of this process: `prefix`, its process id, "-", a random tag, `suffix`."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(TAG_BYTES)}{suffix}"


def left_over(name: str, prefix: str, suffix: str = "") -> bool:
    """Whether `name` is exactly one `own_name(prefix, suffix)` made in a process now gone."""
    tag = f"[0-9a-f]{{{2 * TAG_BYTES}}}"
    found = re.fullmatch(f"{re.escape(prefix)}({_PID})-{tag}{re.escape(suffix)}", name)
    return found is not None and not process_alive(int(found[1]))


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs: the temporary files of one that does not are left over."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
