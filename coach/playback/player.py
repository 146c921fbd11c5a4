"""The player: a Timeline through an audio output, steered by keys and shown on a display.

It plays the very samples the exporter writes: a whole session as one buffer, and a session
still being made (live.py) a chapter at a time until it is whole, waiting in silence at a
chapter's end when the next one is not ready. Within a piece nothing is slept between clips,
so the session cannot drift. The output is PortAudio's one stream (stream.py), which takes each
piece after the last without a sample between, or simpleaudio, which opens the device for each
piece: every chapter ends in the voice's silence (with music, the bed is ducked there), so the
moment it reopens never falls inside a sound. The position is what the output says it has
played (the stream: the samples handed to the device less what it still holds), or, where it
cannot say (simpleaudio), kept on a monotonic clock started again with every piece; pause
stops the output and remembers the offset, and every jump (resume, next, restart) starts a
piece at a sample offset.

The audio output, the clock, the key source and the display are injected: the command line
hands in a terminal's keys and its live line, tests their stand-ins.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.audio.timeline import Timeline
from coach.compose.script import PREVIOUS_WINDOW, Script
from coach.playback.devices import AudioOutput, Display, KeySource, NoKeys
from coach.playback.status import chapter_index, resume_offset, status_at

if TYPE_CHECKING:
    from coach.audio.live import LiveTimeline

TICK = 0.05
"""Seconds between two looks at the keys and the display."""
DRAIN_TICK = 0.002
"""Seconds between two looks at the device as a piece ends: the next starts this soon after."""
MAX_PIECE_BYTES = 128 << 20
"""A piece holds at most this much: 50 minutes of voice, 12 of voice and music."""


# --- the player ----------------------------------------------------------------------


class Player:
    """Plays one Timeline, whole or still being made: to the end, or until `q`."""

    def __init__(
        self,
        timeline: Timeline | LiveTimeline,
        output: AudioOutput,
        *,
        keys: KeySource | None = None,
        display: Display | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = timeline
        self.timeline = timeline.until(0)
        self.output = output
        self.keys = keys or NoKeys()
        self.display = display
        self.clock = clock
        self.paused = False
        self._offset = 0
        """The sample the current piece started at (or the paused position)."""
        self._piece_end = 0
        self._started = 0.0
        self._restarted_at: float | None = None
        self._ahead: _Ahead | None = None
        """The next piece, being made while this one plays."""

    @property
    def script(self) -> Script:
        return self.timeline.script

    def position(self) -> int:
        """The sample playing now: as far as the output says it has played this piece, or by
        the clock from when the piece was handed to it, for an output that cannot say."""
        if self.paused:
            return self._offset
        frames = self.output.heard()
        if frames is None:
            elapsed = round((self.clock() - self._started) * self.timeline.sample_rate)
        else:
            elapsed = frames // self.timeline.format.frames_per_sample
        return min(self._piece_end, self._offset + elapsed)

    def run(self) -> None:
        """Play until the end or `q`; the device is stopped on every way out (Ctrl-C too)."""
        try:
            self.seek(0)
            while True:
                # The clock says when a piece is over; a device that takes the samples faster
                # than real time (a file) does not end it early, one still draining ends it late.
                if not self.paused and self.position() >= self._piece_end:
                    if self.output.busy():
                        self.keys.read(DRAIN_TICK)
                        continue
                    if self.timeline.final and self._piece_end >= self.script.length:
                        return
                    self.seek(self._piece_end)
                if self.display is not None:
                    plan = None if self.timeline.final else self.source.plan
                    self.display.show(status_at(self.script, self.position(), self.paused, plan))
                key = self.keys.read(self._tick())
                if key in ("q", "Q"):
                    return
                if key == " ":
                    self.toggle_pause()
                elif key in ("n", "N"):
                    self.next_drill()
                elif key in ("p", "P"):
                    self.restart_drill()
        finally:
            self.output.stop()

    def _tick(self) -> float:
        """Until the next look: a `TICK`, or less when the piece ends sooner."""
        if self.paused:
            return TICK
        left = (self._piece_end - self.position()) / self.timeline.sample_rate
        return max(DRAIN_TICK, min(TICK, left))

    def seek(self, offset: int) -> None:
        """Play from sample `offset` (past the end: stop): to the end once the whole session is
        made, else to the end of its chapter. Waits, in silence, for a session being made to
        reach `offset`. The piece after this one is made while this one plays."""
        self.output.stop()
        self.paused = False
        ahead, self._ahead = self._ahead, None
        made = ahead.piece() if ahead and ahead.offset == offset else _piece(self.source, offset)
        self.timeline, self._piece_end, pcm = made
        self._offset = min(offset, self.script.length)
        if pcm:
            self.output.play(pcm)
        self._started = self.clock()  # after opening the device, which takes a moment
        if not (self.timeline.final and self._piece_end >= self.script.length):
            self._ahead = _Ahead(self.source, self._piece_end)

    def toggle_pause(self) -> None:
        if self.paused:
            self.seek(resume_offset(self.script, self._offset))
        else:
            self._offset = self.position()
            self.paused = True
            self.output.stop()

    def next_drill(self) -> None:
        """To the start of the next chapter (past the outro: the end)."""
        index = chapter_index(self.script, self.position()) + 1
        if index >= len(self.script.chapters) and not self.timeline.final:
            self.timeline = self.source.until(self.script.length)  # the next one, once made
        chapters = self.script.chapters
        self.seek(chapters[index].start if index < len(chapters) else self.script.length)

    def restart_drill(self) -> None:
        """To the start of this chapter; pressed again within PREVIOUS_WINDOW, of the one before."""
        now = self.clock()
        index = chapter_index(self.script, self.position())
        again = self._restarted_at is not None and now - self._restarted_at < PREVIOUS_WINDOW
        if again and index:
            index -= 1
        self._restarted_at = now
        self.seek(self.script.chapters[index].start)


def _piece(source: Timeline | LiveTimeline, offset: int) -> tuple[Timeline, int, bytes]:
    """The piece from sample `offset`: (its timeline, its end, its samples), to the end once the
    whole session is made (or the last chapter end within `MAX_PIECE_BYTES`), else to the end
    of its chapter; waits for the session to reach it."""
    timeline = source.until(offset)
    script = timeline.script
    start = min(offset, script.length)
    if start >= script.length:
        return timeline, start, b""
    ends = [c.end for c in script.chapters if c.end > start]
    room = start + MAX_PIECE_BYTES // timeline.format.byte_count(1)
    end = max((e for e in ends if e <= room), default=ends[0]) if timeline.final else ends[0]
    return timeline, end, timeline.pcm(start, end)


class _Ahead(threading.Thread):
    """The piece from `offset`, made on a thread of its own while the one before plays, so the
    device waits only to be opened again (the rest of a session with music, 10 minutes of
    44.1 kHz stereo, takes a couple of seconds to mix)."""

    def __init__(self, source: Timeline | LiveTimeline, offset: int) -> None:
        super().__init__(daemon=True)
        self.source, self.offset = source, offset
        self._made: tuple[Timeline, int, bytes] | None = None
        self._failed: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._made = _piece(self.source, self.offset)
        except BaseException as e:  # raised again to the player, which words it
            self._failed = e

    def piece(self) -> tuple[Timeline, int, bytes]:
        self.join()
        if self._failed is not None:
            raise self._failed
        return self._made
