"""A pseudo-terminal running a player, for the tests that press its keys and read its screen."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import subprocess
import termios
import threading
import time
from pathlib import Path

import numpy as np

from support.devices import (
    file_device,
    fixture_player,
    play_start,
    reached_device,
    write_routine,
)


class Terminal:
    """A pseudo-terminal running the player; keys go in, what the screen shows is kept."""

    def __init__(self, tmp_path: Path, out: Path | None = None, command: list[str] | None = None,
                 path: str | None = None, args: tuple[str, ...] = ()) -> None:  # fmt: skip
        """`command`: the player to run (default: the fixtures' player with stand-in clips,
        given `args`); `path`: its PATH."""
        self.out = out or tmp_path / "out.raw"
        self.master, slave = pty.openpty()
        self.settings = termios.tcgetattr(slave)
        self.slave = slave

        def controlling_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            command or fixture_player(write_routine(tmp_path), *args),
            env={**file_device(tmp_path, self.out), "COACH_CACHE_DIR": str(tmp_path / "cache"),
                 "PATH": path or os.environ["PATH"]},  # fmt: skip
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=controlling_terminal,
        )
        self.screen = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.screen += data

    def press(self, key: str) -> None:
        os.write(self.master, key.encode())

    def wait_for_samples(self, count: int, timeout: float = 20) -> None:
        """Until the device got `count` samples in all (then a little longer, to see any more)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.samples() >= count:
                time.sleep(0.05)
                return
            time.sleep(0.01)
        raise AssertionError(f"the device got {self.samples()} samples, not {count}")

    def samples(self) -> int:
        return sum(len(play) for play in reached_device(self.out))

    def wait_for_play(self, session: np.ndarray, offset: int, after: int = 0,
                      timeout: float = 20) -> int:  # fmt: skip
        """Until the device plays `session` from sample `offset`, somewhere past sample `after`
        of what it got: where in what it got that play starts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            heard = reached_device(self.out)
            if heard and (start := play_start(heard[0], session, offset, after)) is not None:
                return start
            time.sleep(0.01)
        raise AssertionError(f"the device never played the session from sample {offset}")

    def wait_for_screen(self, pattern: str, timeout: float = 60) -> re.Match:
        """Until the screen shows `pattern` (a regular expression): its match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.screen.decode(errors="replace"))
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError(f"never shown: {pattern!r}; the screen: {bytes(self.screen)!r}")

    def finish(self, timeout: float = 20) -> int:
        status = self.proc.wait(timeout=timeout)
        assert termios.tcgetattr(self.slave) == self.settings, "terminal not restored"
        os.close(self.slave)
        self.reader.join(timeout=5)
        os.close(self.master)
        return status
