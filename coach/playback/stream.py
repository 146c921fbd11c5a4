"""One PortAudio stream for a session's whole life (through `sounddevice`).

Every opening of a device is a seam: PulseAudio shortens the silence before a new stream,
Bluetooth headsets swallow the first syllable after one starts, and a music bed drops for
some milliseconds. So the stream is opened at the first sound and closed at the end; what the
player asks of it (`play` from a sample offset, `stop` on pause) only changes what a writer
thread hands it:

- the samples being played, block by block, each block written whole (PortAudio's blocking
  write), so the device gets exactly the timeline's samples;
- silence while paused, so a headset stays awake and nothing is reopened;
- nothing while a session still being made has no samples ready: the stream waits (a real
  device plays silence) without closing.

The writer never runs more than `LEAD` ahead of the clock, so a device that takes samples
faster than real time (a file) still hears a pause, and `busy` means what it does with
simpleaudio: samples are still to be heard.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable

from coach.errors import AudioDeviceError
from coach.playback.devices import quiet_stderr
from coach.samples import SAMPLE_WIDTH

BLOCK_FRAMES = 1024
"""Frames handed to the device in one write: about 46 ms of voice, 23 ms with music."""
LEAD = 0.25
"""Seconds the writer may run ahead of the clock (the device's own buffer is on top)."""


def load_portaudio() -> object:
    """The sounddevice module, PortAudio loaded: OSError when the library is missing. ALSA
    lists every device it could open as PortAudio starts, on standard error: kept quiet."""
    with quiet_stderr():
        import sounddevice

    _quiet_alsa()
    return sounddevice


_ALSA_ERROR = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                               ctypes.c_char_p)  # fmt: skip


@_ALSA_ERROR
def _ignore_alsa_error(file: bytes, line: int, function: bytes, err: int, fmt: bytes) -> None:
    """ALSA's messages are dropped: PortAudio reports the errors that matter."""


def _quiet_alsa() -> None:
    """Keep ALSA from writing to standard error while the stream plays: a stream that waits for
    a chapter still being made underruns, harmlessly, and ALSA would print a line over the
    live line each time. Where there is no ALSA (macOS, Windows) there is nothing to quiet."""
    try:
        ctypes.CDLL("libasound.so.2").snd_lib_error_set_handler(_ignore_alsa_error)
    except OSError:
        pass


class PortAudioOutput:
    """The default output device as one PortAudio stream, opened at the first `play`."""

    def __init__(
        self, sample_rate: int, channels: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.sample_rate, self.channels, self.clock = sample_rate, channels, clock
        self._frame = SAMPLE_WIDTH * channels
        self._sd = load_portaudio()
        self._stream = None
        self._writer: threading.Thread | None = None
        self._changed = threading.Condition()
        self._pcm = memoryview(b"")
        self._at = 0
        """Bytes of `_pcm` handed to the device."""
        self._silent = False
        """Paused: silence goes to the device until the next `play`."""
        self._closing = False
        self._failure: BaseException | None = None
        self._heard_until = 0.0
        """When, by the clock, the device will have played all it was handed."""
        self._latency = 0.0
        """Seconds between a write and the speaker, as the device reports it."""
        self.openings = 0
        """How often the device was opened: one for a whole session."""

    def play(self, pcm: bytes | memoryview) -> None:
        """Play int16 PCM from now on, in place of whatever was playing or queued."""
        self._raise_failure()
        if self._stream is None:
            self._open()
        with self._changed:
            self._pcm, self._at, self._silent = memoryview(pcm).cast("B"), 0, False
            self._changed.notify_all()

    def stop(self) -> None:
        """Drop what is still to play; the stream stays open and, when this cut a sound short
        (a pause, a skip), plays silence until the next `play`. Once a sound has ended, nothing
        is added: the next `play` follows it without a sample between."""
        with self._changed:
            cut = self._at < len(self._pcm) or self.clock() < self._heard_until
            self._silent = self._stream is not None and (self._silent or cut)
            self._pcm, self._at = memoryview(b""), 0
            self._changed.notify_all()

    def busy(self) -> bool:
        """Whether samples handed to `play` are still to be heard."""
        self._raise_failure()
        with self._changed:
            return self._at < len(self._pcm) or self.clock() < self._heard_until

    def heard(self) -> int:
        """Frames of the last `play` heard so far: those handed to the device, less those it
        still holds by the clock and its own latency (what it reports)."""
        with self._changed:
            heard_at = self._heard_until + self._latency  # when the last frame handed is heard
            in_flight = round(max(0.0, heard_at - self.clock()) * self.sample_rate)
            return max(0, self._at // self._frame - in_flight)

    def close(self) -> None:
        """Let the device play what it holds, then close it; returns once it is closed."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._writer is not None:
            self._writer.join()
        if self._stream is not None:
            with quiet_stderr():
                self._stream.stop()  # plays out what it holds
                self._stream.close()
            self._stream = None
        self._raise_failure()

    def __enter__(self) -> PortAudioOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        sd = self._sd
        try:
            with quiet_stderr():
                self._stream = sd.RawOutputStream(
                    samplerate=self.sample_rate, channels=self.channels, dtype="int16"
                )
                self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            raise AudioDeviceError(f"No audio device could be opened ({e}).") from None
        self._latency = self._stream.latency
        self.openings += 1
        self._writer = threading.Thread(target=self._write_all, daemon=True)
        self._writer.start()

    def _write_all(self) -> None:
        """The writer thread: block after block until closed, paced by the clock."""
        try:
            while (block := self._next_block()) is not None:
                self._stream.write(block)
        except self._sd.PortAudioError as e:
            self._failure = AudioDeviceError(f"The audio device failed during the session ({e}).")

    def _next_block(self) -> bytes | memoryview | None:
        """The next block to write (samples, or silence while paused), waiting while there is
        none or the writer is `LEAD` ahead of the clock; None once closing with nothing left."""
        with self._changed:
            while True:
                now = self.clock()
                left = len(self._pcm) - self._at
                if self._closing and left <= 0:
                    return None
                if (left > 0 or self._silent) and self._heard_until - now < LEAD:
                    break
                wait = self._heard_until - now - LEAD if left > 0 or self._silent else None
                self._changed.wait(timeout=max(wait, 0.001) if wait is not None else 0.05)
            size = min(left, BLOCK_FRAMES * self._frame) if left > 0 else BLOCK_FRAMES * self._frame
            if left > 0:
                block = self._pcm[self._at : self._at + size]
                self._at += size
            else:
                block = bytes(size)
            frames = len(block) // self._frame
            self._heard_until = max(self._heard_until, now) + frames / self.sample_rate
            return block

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure
