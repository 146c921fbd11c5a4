"""The track that a session's sounds are laid on: a cursor, the sounds so far, and the spacing
every sound keeps.

The composer (composer.py) and the set layouts (rep_sets.py, timed_sets.py) all lay their
speech and beeps through one `Track`, so each sound is stamped with the round and set under way
and the cursor always knows where the next sound may start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from coach.compose.beeps import TONES, ToneKind
from coach.compose.differences import Difference, LongerRest
from coach.compose.script import Event, EventKind, RepSet
from coach.language.catalogue import Language
from coach.samples import to_samples

SpeechLength = Callable[[str], int]
"""Returns the length in samples of the clip for a text."""

GAP = to_samples(0.35)
"""Silence between two spoken phrases."""
BEEP_GAP = to_samples(0.06)
"""Silence between a beep and the speech after it, or speech and the beep after it."""
BEAT = to_samples(1.0)
"""The count-in tempo: one beep a second."""
CHANGEOVER = to_samples(4.0)
"""Time from the side-switch beep to the first rep (or, timed, the go beep) on the other side."""


@dataclass
class Track:
    """The sounds laid so far, in the order they were added, and where the next may start.

    Clip lengths come from `speech_length` (the TTS layer, an estimate, or a stand-in in
    tests): nothing is rendered here. What the coach adds is said in `words`, the session's
    language."""

    speech_length: SpeechLength
    words: Language
    cursor: int = 0
    """The sample where the next sound may start: past every sound laid so far, and on by each
    pause. A layout may move it further on, never back before a sound."""
    events: list[Event] = field(default_factory=list)
    sets: list[RepSet] = field(default_factory=list)
    """Every guided set laid so far, in order."""
    round: int | None = None
    """The round under way, in a routine of more than one round."""
    set: int | None = None
    """The set under way, in a drill of more than one set."""
    differences: list[Difference] = field(default_factory=list)
    """Where the session laid so far differs from what the routine file says."""

    def say(self, text: str, drill: str | None = None, at: int | None = None) -> Event:
        """Speak `text` at `at` (default: the cursor) and move the cursor past it."""
        start = self.cursor if at is None else at
        length = self.speech_length(text)
        return self._add(Event(start, length, EventKind.SPEECH, text=text, drill=drill,
                               round=self.round, set=self.set))  # fmt: skip

    def phrase(self, key: str, drill: str | None = None, at: int | None = None) -> Event:
        """Speak the catalogue's phrase `key` ("go": "Go.") as `say` does."""
        return self.say(self.words.say(key), drill, at)

    def beep(
        self,
        tone: ToneKind,
        at: int,
        drill: str | None = None,
        side: str | None = None,
        rep: int | None = None,
    ) -> Event:
        event = Event(at, TONES[tone].length, EventKind.BEEP, tone=tone, drill=drill, side=side,
                      rep=rep, round=self.round, set=self.set)  # fmt: skip
        return self._add(event)

    def pause(self, samples: int = GAP) -> None:
        self.cursor += samples

    def rest_until(self, wanted: int, what: str, asked: float) -> None:
        """Move the cursor on to `wanted`, where what ends a rest of `asked` seconds starts, or
        a pause past what was said in it when that is later: the rest is then longer than asked
        (noted, unless no rest was asked for: a rest of 0 only ever holds its announcements)."""
        late = self.cursor + GAP - wanted
        self.cursor = max(self.cursor + GAP, wanted)
        if late > 0 and asked:
            self.differences.append(LongerRest(what, asked, late))

    def count_down(self, drill: str, last: ToneKind) -> Event:
        """Three count beeps a beat apart from the cursor, then `last` on the fourth beat
        (returned): before a set's work, and at the end of a rest."""
        for _ in range(3):
            self.beep(ToneKind.COUNT, self.cursor, drill)
            self.cursor += BEAT - TONES[ToneKind.COUNT].length
        return self.beep(last, self.cursor, drill)

    def _add(self, event: Event) -> Event:
        """Add a sound; the cursor moves past it (never back)."""
        self.events.append(event)
        self.cursor = max(self.cursor, event.end)
        return event
