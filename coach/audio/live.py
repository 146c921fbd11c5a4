"""A session made while it plays: composed on a thread of its own as its clips render, in the
order they are needed, and handed to the player a chapter at a time.

The composer asks for clip lengths in the order of the session, so it can only run as fast as
the clips render; with the clips rendering ahead in that same order (`Speech.render_ahead`),
the intro is laid out as soon as its few clips exist, and the player starts on it while the
rest is made. What is made is the very script a whole session has (same lengths, same order of
asking), so what the player sends the device is what the exporter writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from coach.audio.timeline import ClipSource, Timeline
from coach.compose.composer import compose, phrases, planned
from coach.compose.options import SessionOptions
from coach.compose.script import Script
from coach.routine.model import Routine

if TYPE_CHECKING:
    from coach.audio.mix import Music


@runtime_checkable
class RendersAhead(Protocol):
    """A clip source that can render clips ahead, in the order they will be asked for (the TTS
    layer's `Speech`); a stand-in that cannot renders each clip when it is asked for."""

    def render_ahead(self, texts: Iterable[str]) -> int:
        """Start rendering those of `texts` not yet rendered; how many that is."""
        ...

    def close(self) -> None:
        """Stop rendering ahead."""
        ...


class LiveTimeline:
    """The timeline of a session still being made; `until(past)` gives it as far as it is.

    Start it with `start`; the session's `close` stops the rendering on every way out.
    """

    def __init__(
        self, routine: Routine, options: SessionOptions, speech: ClipSource, volume: float,
        music: Music | None = None,
    ) -> None:  # fmt: skip
        self.routine, self.options, self.speech, self.volume = routine, options, speech, volume
        self.music = music
        self._grown = threading.Condition()
        """Notified when the timeline grows or the composer fails."""
        self._timeline: Timeline | None = None
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._compose, daemon=True)
        self.rendering = True
        """Whether clips are being rendered (False: every clip was cached, so the session is
        made at once; a source that cannot render ahead renders as it goes)."""
        self.plan = planned(routine, options)
        """The session as planned (`planned`): the live line gives totals from it while the
        session is still being made."""

    def start(self) -> LiveTimeline:
        if isinstance(self.speech, RendersAhead):
            self.rendering = self.speech.render_ahead(phrases(self.routine, self.options)) > 0
        self._thread.start()
        return self

    def _compose(self) -> None:
        try:
            length = lambda text: len(self.speech.clip(text))  # noqa: E731
            compose(self.routine, self.options, length, self._grow)
        except BaseException as e:  # raised again to the player, which words it
            with self._grown:
                self._failed = e
                self._grown.notify_all()

    def _grow(self, script: Script, last: bool) -> None:
        """The composer's report of the script so far: the timeline becomes its."""
        with self._grown:
            if self._timeline is None:
                self._timeline = Timeline(
                    script, self.speech, self.volume, music=self.music, final=last,
                    plan=self.plan,
                )
            else:
                self._timeline = self._timeline.extended(script, last)
            self._grown.notify_all()

    def until(self, past: int = 0) -> Timeline:
        """The timeline once it reaches past sample `past` (or is the whole session): waits for
        the composer. Raises what stopped the composer (an engine's error, a session too long)."""
        with self._grown:
            while not self._reaches(past) and self._failed is None:
                self._grown.wait()
            if not self._reaches(past):
                raise self._failed
            return self._timeline

    @property
    def script(self) -> Script | None:
        """The script as far as it is made (None before the intro is)."""
        timeline = self._timeline
        return timeline.script if timeline is not None else None

    def _reaches(self, past: int) -> bool:
        timeline = self._timeline
        return timeline is not None and (timeline.final or timeline.script.length > past)
