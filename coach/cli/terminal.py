"""The terminal a session plays in: its keys, read one at a time, and the live line that shows
where the session is. `play` decides whether there is a terminal to use at all, and adds the
media controls of the desktop (MPRIS) when there is a session bus."""

from __future__ import annotations

import os
import select
import sys
import termios
import tty
from contextlib import ExitStack
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from coach.cli.consoles import err
from coach.playback.devices import Displays, MergedKeys, NoKeys
from coach.playback.outputs import open_output
from coach.playback.player import Player

if TYPE_CHECKING:
    from coach.audio.live import LiveTimeline
    from coach.audio.timeline import Timeline
    from coach.playback.status import Status

KEYS_HELP = "space pause/resume · n next drill · p restart drill (twice: previous) · q quit"


def live_line(status: Status) -> str:
    """What the terminal shows: where the session is, the time left, and the keys."""
    return f"{status.render()}\n{KEYS_HELP}"


class TerminalKeys:
    """Single key presses from a terminal, in cbreak mode while in use (Ctrl-C still interrupts)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._saved: list | None = None

    def __enter__(self) -> TerminalKeys:
        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc: object) -> None:
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def read(self, timeout: float) -> str | None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self.fd, 1)
        return data.decode("latin-1") if data else None


class LiveDisplay:
    """The live line on standard error, redrawn only when it changes, gone when play ends."""

    def __init__(self) -> None:
        # a console of its own: soft wrapping, right for messages, would break the block
        self._live = Live(console=Console(stderr=True), auto_refresh=False, transient=True)
        self._last = ""

    def __enter__(self) -> LiveDisplay:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def show(self, status: Status) -> None:
        text = live_line(status)
        if text != self._last:
            self._last = text
            self._live.update(Text(text), refresh=True)


def play(timeline: Timeline | LiveTimeline, backend: str | None = None,
         stdin: TextIO | None = None) -> None:  # fmt: skip
    """Play a session through the audio output `backend` (default: PortAudio when installed):
    with keys and the live line when `stdin` is the terminal this process is in the foreground
    of, and steered by media keys and headset buttons (MPRIS) when there is a session bus."""
    from coach.playback.mpris import open_mpris  # jeepney only for the commands that play

    stdin = stdin if stdin is not None else sys.stdin
    first = timeline.until(0)
    chosen = open_output(backend, first.format)
    if chosen.fallback:
        err.print(f"coach: {chosen.fallback}; playing through simpleaudio, which opens the "
                  "device again for each part (install libportaudio2 for one stream).",
                  markup=False)  # fmt: skip
    interactive = stdin.isatty()
    if interactive and not _in_foreground(stdin.fileno()):  # the terminal would stop us (SIGTTOU)
        interactive = False
        err.print(
            "coach: playing without keys: not in the terminal's foreground process group; "
            "for keys, run it in the foreground (with `timeout`, add --foreground).",
            markup=False,
        )
    with ExitStack() as stack:
        stack.callback(chosen.output.close)
        media = open_mpris(first.script.routine)  # headset buttons and media keys, if a bus
        if media is not None:
            stack.callback(media.close)
        terminal = stack.enter_context(TerminalKeys(stdin.fileno())) if interactive else None
        live = stack.enter_context(LiveDisplay()) if interactive else None
        keys = MergedKeys(terminal or NoKeys(), media) if media else terminal
        displays = [d for d in (live, media) if d is not None]
        display = Displays(*displays) if displays else None
        Player(timeline, chosen.output, keys=keys, display=display).run()


def _in_foreground(fd: int) -> bool:
    """Whether this process is in the foreground process group of the terminal `fd`."""
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:  # not our controlling terminal: no job control stops us for using it
        return True
