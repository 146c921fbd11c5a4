"""What a player plays through and listens to: the audio output (simpleaudio, ALSA's default
device), the keys, and a display; each a protocol, so the command line hands in a terminal's
keys and live line and tests hand in stand-ins."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from coach.errors import AudioDeviceError
from coach.samples import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH

if TYPE_CHECKING:
    from coach.playback.status import Status

class AudioOutput(Protocol):
    """Where the samples go: simpleaudio, or a stand-in in tests."""

    def play(self, pcm: bytes | memoryview) -> None:
        """Start playing int16 PCM in the timeline's format now (any bytes-like object)."""

    def stop(self) -> None:
        """Stop playing and close the device; returns once it is closed."""

    def busy(self) -> bool:
        """Whether the last `play` is still sounding."""

    def heard(self) -> int | None:
        """Frames of the last `play` heard so far; None for an output that cannot say."""

    def close(self) -> None:
        """Stop, and let go of the device; returns once it is closed."""


class KeySource(Protocol):
    """Keys pressed by the user; reading also paces the player's loop."""

    def read(self, timeout: float) -> str | None:
        """The next key within `timeout` seconds, or None."""


class Display(Protocol):
    """Shows the player's state to whoever looks."""

    def show(self, status: Status) -> None: ...


class SimpleaudioOutput:
    """ALSA's `default` device through simpleaudio; one `play_buffer` per `play`."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, channels: int = CHANNELS) -> None:
        self.sample_rate, self.channels = sample_rate, channels
        self._playing, self._opened = None, False

    def play(self, pcm: bytes | memoryview) -> None:
        import simpleaudio
        from simpleaudio._simpleaudio import SimpleaudioError

        self.stop()
        try:
            with quiet_stderr():  # ALSA prints its own lines; the error below says it all
                play = simpleaudio.play_buffer
                self._playing = play(pcm, self.channels, SAMPLE_WIDTH, self.sample_rate)
        except SimpleaudioError as e:
            problem = ("The audio device failed during the session" if self._opened
                       else "No audio device could be opened")  # fmt: skip
            raise AudioDeviceError(f"{problem} ({e}).") from None
        self._opened = True

    def stop(self) -> None:
        if self._playing is not None:
            self._playing.stop()
            self._playing.wait_done()
            self._playing = None

    def busy(self) -> bool:
        return self._playing is not None and self._playing.is_playing()

    def heard(self) -> None:
        """simpleaudio does not say where it is."""
        return None

    def close(self) -> None:
        self.stop()


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class MergedKeys:
    """Keys from several sources at once (the terminal's, the media controls'): the queued ones
    are looked at without waiting, the first is read in short slices, so a key from any of
    them waits at most one slice."""

    SLICE = 0.02

    def __init__(self, first: KeySource, *queued: KeySource) -> None:
        self.first, self.queued = first, queued

    def read(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while True:
            for source in self.queued:
                if (key := source.read(0)) is not None:
                    return key
            left = deadline - time.monotonic()
            key = self.first.read(max(0.0, min(self.SLICE, left)))
            if key is not None or left <= self.SLICE:
                return key


class Displays:
    """Several displays shown the same status (the live line, the media controls)."""

    def __init__(self, *displays: Display) -> None:
        self.displays = displays

    def show(self, status: Status) -> None:
        for display in self.displays:
            display.show(status)


class NoKeys:
    """No terminal: no keys; reading just waits."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep

    def read(self, timeout: float) -> str | None:
        self.sleep(timeout)
        return None
