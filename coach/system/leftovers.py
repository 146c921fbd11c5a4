"""The temporaries a killed run leaves behind, and the one sweeper that removes them.

A process names its temporary files and folders (`own_name`) with its process id and a random
tag of one exact shape, so what a killed process left can be told from anything else (a user's
file that merely looks alike, another run's file still being written) and swept (`sweep`).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from pathlib import Path

TAG_BYTES = 4
"""The random tag of a temporary name: this many bytes, as lowercase hex."""
_PID = r"(?P<pid>[1-9][0-9]{0,6})"
"""A process id as `own_name` writes it (Linux's pid_max is at most 4194304: 7 digits)."""


def own_name(prefix: str, suffix: str = "") -> str:
    """A temporary name of this process: `prefix`, its process id, "-", a random tag, `suffix`."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(TAG_BYTES)}{suffix}"


def own_names(prefix: str, suffix: str = "") -> re.Pattern[str]:
    """The whole names `own_name(prefix, suffix)` makes, the process id in the group `pid`."""
    tag = f"[0-9a-f]{{{2 * TAG_BYTES}}}"
    return re.compile(f"{re.escape(prefix)}{_PID}-{tag}{re.escape(suffix)}")


def sweep(
    folder: Path, names: re.Pattern[str], *, folders: bool = False,
    older_than: float | None = None,
) -> None:  # fmt: skip
    """Remove from `folder` what killed runs left: each entry whose whole name is one of
    `names`, of a process no longer running (when `names` holds a process id, as `own_names`
    does), last changed more than `older_than` seconds ago (when given). Only regular files are
    removed, or with `folders` only folders of this user, never a link.

    Housekeeping, never a failure: a folder that cannot be listed, or an entry that cannot be
    removed, is left as it is.
    """
    stale = None if older_than is None else time.time() - older_than
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            found = names.fullmatch(entry.name)
            if found is None or ("pid" in names.groupindex and process_alive(int(found["pid"]))):
                continue
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if stale is not None and st.st_mtime >= stale:
                    continue
                if folders and entry.is_dir(follow_symlinks=False) and st.st_uid == os.getuid():
                    shutil.rmtree(entry.path, ignore_errors=True)
                elif not folders and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs: the temporary files of one that does not are left over."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
