"""The composer: a routine and the session options become a timed script of speech and beeps.

Every time is an integer sample offset at `SAMPLE_RATE`, so the script, the player and the
exporter agree to the sample. Clip lengths come from a `speech_length` callable (the TTS layer,
or a stand-in in tests); the composer never renders anything itself. Sets are laid out by
set_layout.py; the options are options.py's.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from coach.compose.beeps import TONES, ToneKind
from coach.compose.options import SessionOptions, select_drills
from coach.compose.script import (
    INTRO_ID,
    OUTRO_ID,
    Chapter,
    ChapterKind,
    Event,
    EventKind,
    RepSet,
    Script,
)
from coach.compose.track import BEAT, GAP, SetLayout
from coach.compose.wording import list_phrase, plural, set_sentence
from coach.errors import RoutineError, SessionTooLongError
from coach.routine.model import MAX_SESSION_SECONDS, Drill, Routine
from coach.samples import SAMPLE_RATE, to_samples

SpeechLength = Callable[[str], int]
"""Returns the length in samples of the clip for a text."""
ChapterDone = Callable[[Script, bool], None]
"""Called with the script so far as each chapter is laid out, and whether it is the last."""

LEAD_IN = to_samples(1.0)
"""Silence before the first word: Bluetooth headphones swallow the first syllables."""
TAIL = to_samples(1.0)
SPOKEN_CHARS_PER_SECOND = 15
"""About how fast a voice speaks at its default rate (the default voice: 15.6 characters a
second in the built-in session): the intro's "about N minutes" is estimated from the text, so
it is said before the rest of the session is rendered."""


def phrases(routine: Routine, options: SessionOptions) -> list[str]:
    """Nearly every text the script may speak, in the order `compose` first needs them: for
    rendering before composing, or ahead of it. (A shorter count is asked for only when the
    longer one does not fit.)"""
    lengths: dict[str, int] = {}

    def note(text: str) -> int:
        lengths[text] = 0
        return 0  # with zero-length clips every optional phrase fits, so all are asked for

    compose(routine, options, note)
    return list(lengths)


def compose(
    routine: Routine,
    options: SessionOptions,
    speech_length: SpeechLength,
    chapter_done: ChapterDone | None = None,
) -> Script:
    """Lay out the whole session in order, from the intro on; `speech_length` gives each clip's
    length in samples, asked for in order of need. `chapter_done` sees the script grow.

    The options are those `check_options` accepted.
    """
    drills = select_drills(routine, options)
    return _Composer(routine, options, drills, speech_length, chapter_done).run()


def estimated_length(text: str) -> int:
    """About how long `text` takes to say, in samples, before any voice has said it."""
    return to_samples(len(" ".join(text.split())) / SPOKEN_CHARS_PER_SECOND)


@functools.lru_cache(maxsize=8)
def check_length(routine: Routine, options: SessionOptions = SessionOptions()) -> int:
    """The session's length in samples as estimated before anything is rendered (every text at
    `estimated_length`, the intro included), refused past the limit: the one rule on a
    session's length, the same in `coach check` (the routine's own options) and in a session
    (its options), decided before any clip is made and never again after.

    RoutineError naming the file and what makes it long when the routine's own session is too
    long; SessionTooLongError when the options make it so. Cached: a session needs it when it
    opens and each time it is composed."""
    drills = select_drills(routine, options)
    limit = to_samples(MAX_SESSION_SECONDS)
    estimate = _Estimate(routine, options, drills, estimated_length, limit=limit)
    try:
        estimate.cursor = LEAD_IN
        estimate.intro(minutes=0)  # the number said is not known yet: two characters at most
        estimate.within_limit("the intro")
        estimate.body()
        estimate.within_limit("the outro")
    except _PastLimit as past:
        problem = f"the session would pass the {MAX_SESSION_SECONDS // 3600}-hour limit in {past}."
        if options != SessionOptions():
            raise SessionTooLongError(problem[0].upper() + problem[1:]) from None
        raise RoutineError(f"{routine.source}: {problem} {estimate.longest_part()}") from None
    return estimate.cursor


class _PastLimit(Exception):
    """The estimate passed the session's limit; its text says where."""


@dataclass
class _Composer(SetLayout):
    """Builds one Script; `cursor` is the sample where the next sound may start."""

    routine: Routine
    options: SessionOptions
    drills: list[Drill]
    speech_length: SpeechLength
    chapter_done: ChapterDone | None = None
    events: list[Event] = field(default_factory=list)
    in_order: list[Event] = field(default_factory=list)
    """The events of the chapters laid out so far, in order of time."""
    chapters: list[Chapter] = field(default_factory=list)
    sets: list[RepSet] = field(default_factory=list)
    cursor: int = 0
    round: int | None = None
    """The round under way, in a routine of more than one round."""
    set: int | None = None
    """The set under way, in a drill of more than one set."""
    def run(self) -> Script:
        # The intro names the session's length before the rest is laid out: the estimate.
        self.cursor = LEAD_IN
        self.intro(minutes=check_length(self.routine, self.options) / SAMPLE_RATE / 60)
        self.chapter_end(INTRO_ID, "Intro", 0, ChapterKind.INTRO)
        return self.body()

    def body(self) -> Script:
        """The drills of every round and the outro, from the cursor on; the whole script."""
        rounds = self.rounds
        for round_number in range(1, rounds + 1):
            self.round = round_number if rounds > 1 else None
            for number, drill in enumerate(self.drills, start=1):
                self.drill(number, drill)
        self.round = None
        outro_start = self.cursor
        self.outro()
        self.cursor += TAIL
        return self.chapter_end(OUTRO_ID, "Outro", outro_start, ChapterKind.OUTRO, last=True)

    def chapter_end(
        self, id: str, title: str, start: int, kind: ChapterKind, last: bool = False
    ) -> Script | None:
        """The chapter from `start` to the cursor is laid out: the script so far, for whoever
        watches it grow (and the whole script after the last chapter)."""
        self.chapters.append(Chapter(id, title, start, self.cursor, kind))
        # A chapter's sounds all come after the chapters before it: sort only its own.
        self.in_order += sorted(self.events[len(self.in_order) :], key=lambda e: e.start)
        if self.chapter_done is None and not last:
            return None
        script = Script(self.routine.name, self.cursor, tuple(self.in_order),
                        tuple(self.chapters), tuple(self.sets))  # fmt: skip
        if self.chapter_done is not None:
            self.chapter_done(script, last)
        return script

    # --- building blocks -------------------------------------------------

    def say(self, text: str, drill: str | None = None, at: int | None = None) -> Event:
        """Speak `text` at `at` (default: the cursor) and move the cursor past it."""
        start = self.cursor if at is None else at
        length = self.speech_length(text)
        return self._add(Event(start, length, EventKind.SPEECH, text=text, drill=drill,
                               round=self.round, set=self.set))  # fmt: skip

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

    def _add(self, event: Event) -> Event:
        """Add a sound; the cursor moves past it (never back)."""
        self.events.append(event)
        self.cursor = max(self.cursor, event.end)
        return event

    def pause(self, samples: int = GAP) -> None:
        self.cursor += samples

    def within_limit(self, where: str) -> None:
        """Called after each set and each drill, `where` naming it: the estimate stops there
        once past its limit (see `_Estimate`)."""

    # --- the parts of a session -----------------------------------------

    def intro(self, minutes: float) -> None:
        if self.options.rehearse:
            self.say(f"Rehearsal: {self.drills[0].name}.")
            self.pause()
            return
        count = len(self.drills)
        self.say(f"{self.routine.name}.")
        self.pause()
        self.say(f"{plural(count, 'drill')}, about {plural(max(1, round(minutes)), 'minute')}.")
        equipment = list(dict.fromkeys(e for d in self.drills for e in d.equipment))
        if equipment:
            self.pause()
            self.say(f"Have ready: {list_phrase(equipment)}.")
        self.pause()

    def outro(self) -> None:
        self.pause()
        self.say(
            "Rehearsal done."
            if self.options.rehearse
            else "That's the warm-up done. Have a great run."
        )

    @property
    def rounds(self) -> int:
        return 1 if self.options.rehearse else self.routine.rounds

    def drill(self, number: int, drill: Drill) -> None:
        """One drill in one round: its name, how to do it, its sets, and the rest after it."""
        start = self.cursor
        total = len(self.drills)
        if self.round and self.round > 1 and number == 1:
            self.say(f"Round {self.round} of {self.rounds}.", drill.id)
            self.pause()
        if not self.options.rehearse:  # a rehearsal's intro has named the drill
            title = drill.name if total == 1 else f"Drill {number} of {total}: {drill.name}"
            self.say(f"{title}.", drill.id)
            self.pause()
        if not self.options.brief and (self.round or 1) == 1:  # said once, in the first round
            self.say(drill.instructions, drill.id)
            self.pause()
        sets = 1 if self.options.rehearse else drill.sets
        self.say(set_sentence(drill, drill.rep_count(self.options.lower), sets), drill.id)
        self.pause()
        cues = () if self.options.brief else drill.cues
        for set_number in range(1, sets + 1):
            self.set = set_number if sets > 1 else None
            if set_number > 1:
                self.set_rest(drill, set_number, sets)
            if drill.timed:
                self.timed_set(drill, cues)
            else:
                self.rep_set(drill, cues, early=set_number == 1)
            self.within_limit(f"drill {number} of {total} ({drill.id})")
        self.set = None
        if number < total:
            self.rest(drill, self.drills[number], self.rest_seconds)
        elif self.round and self.round < self.rounds:
            self.rest(drill, self.drills[0], self.round_rest_seconds)
        self.within_limit(f"drill {number} of {total} ({drill.id})")
        chapter_id = drill.id if self.round is None else f"{drill.id}_{self.round}"
        title = drill.name if self.round is None else f"{drill.name}, round {self.round}"
        self.chapter_end(chapter_id, title, start, ChapterKind.DRILL)

    @property
    def rest_seconds(self) -> float:
        """The rest between drills: the routine's, or the one the options give."""
        chosen = self.options.rest_seconds
        return self.routine.rest_seconds if chosen is None else chosen

    @property
    def round_rest_seconds(self) -> float:
        chosen = self.routine.round_rest_seconds
        return self.rest_seconds if chosen is None else chosen

    def set_rest(self, drill: Drill, set_number: int, sets: int) -> None:
        """Between sets: "Rest.", then "Set 2 of 3." so that the count-in starts when the rest
        is over."""
        rest = self.rest_seconds if drill.set_rest_seconds is None else drill.set_rest_seconds
        rest_start = self.cursor
        self.say("Rest.", drill.id)
        announce = f"Set {set_number} of {sets}."
        self.cursor = max(
            self.cursor + GAP, rest_start + to_samples(rest) - self.speech_length(announce) - GAP
        )
        self.say(announce, drill.id)
        self.pause()

    def rest(self, drill: Drill, following: Drill, rest: float) -> None:
        """Rest between drills: "Rest. Next up: ...", equipment, a count-out, the rest-over beep."""
        rest_start = self.cursor
        self.say("Rest." if rest else "Next drill.", drill.id)
        self.pause()
        self.say(f"Next up: {following.name}.", drill.id)
        needed = [e for e in following.equipment if e not in drill.equipment]
        if needed:
            self.pause()
            self.say(f"You'll need the {list_phrase(needed)}.", drill.id)
        count_out = max(self.cursor + GAP, rest_start + to_samples(rest) - 3 * BEAT)
        self.cursor = count_out
        self.count_down(drill, ToneKind.REST_OVER)
        self.pause()


@dataclass
class _Estimate(_Composer):
    """The session laid out with estimated speech for `check_length`, as far as `limit`."""

    limit: int = 0

    def within_limit(self, where: str) -> None:
        """Stop once past the limit, at most a set late: a session of a thousand hours is
        refused as fast as one of three."""
        if self.cursor > self.limit:
            rounds = f", round {self.round} of {self.rounds}" if self.round else ""
            raise _PastLimit(where + rounds)

    def longest_part(self) -> str:
        """What to shorten, for the part of the session laid out so far that takes longest:
        the sets' work, the speech between them, or the rest of the time (the rests)."""
        starts = [s.start for s in self.sets]

        def in_a_set(at: int) -> bool:
            index = bisect_right(starts, at) - 1
            return index >= 0 and at < self.sets[index].end

        work = sum(s.end - s.start for s in self.sets)
        speech = sum(e.length for e in self.events if e.kind is EventKind.SPEECH
                     and not in_a_set(e.start))  # fmt: skip
        parts = {
            "Lower the reps, the seconds, the sets or the rounds.": work,
            "Shorten the instructions and cues, or use fewer drills.": speech,
            "Shorten rest_seconds, set_rest_seconds or round_rest_seconds.": (
                self.cursor - work - speech
            ),
        }
        return max(parts, key=parts.__getitem__)
