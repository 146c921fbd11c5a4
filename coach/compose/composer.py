"""The composer: a routine and the session options become a timed script of speech and beeps.

Every time is an integer sample offset at `SAMPLE_RATE`, so the script, the player and the
exporter agree to the sample. Clip lengths come from a `speech_length` callable (the TTS layer,
or a stand-in in tests); the composer never renders anything itself. Sounds are laid on a
`Track` (track.py), sets by rep_sets.py and timed_sets.py; the options are options.py's.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from coach.compose.differences import worded
from coach.compose.options import SessionOptions, session_routine
from coach.compose.rep_sets import RepSetLayout
from coach.compose.rests import lay_rest, lay_set_rest
from coach.compose.script import (
    INTRO_ID,
    OUTRO_ID,
    Chapter,
    ChapterKind,
    Event,
    EventKind,
    Script,
)
from coach.compose.timed_sets import lay_timed_set
from coach.compose.track import SpeechLength, Track
from coach.compose.wording import list_phrase, set_sentence
from coach.errors import RoutineError, SessionTooLongError
from coach.language.catalogue import language
from coach.routine.model import MAX_SESSION_SECONDS, Drill, Routine
from coach.samples import SAMPLE_RATE, to_samples

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

    The options are those `check_options` accepted. The intro names the session's length
    before the rest is laid out: the estimate's.
    """
    session = session_routine(routine, options)
    minutes = check_length(routine, options) / SAMPLE_RATE / 60
    track = Track(speech_length, language(session.language))
    return _Composer(session, options, track, chapter_done).run(minutes)


def estimated_length(text: str) -> int:
    """About how long `text` takes to say, in samples, before any voice has said it."""
    return to_samples(len(" ".join(text.split())) / SPOKEN_CHARS_PER_SECOND)


@functools.lru_cache(maxsize=8)
def planned(routine: Routine, options: SessionOptions) -> Script:
    """The session laid out before a sound is made, each clip as long as its text takes to say:
    its chapters are the session's, its length an estimate (within a few percent). The live
    line's totals while a session is still being made, and where an export cuts an MP3 in two
    (output/halves.py): whole or still being made, a session has this one plan."""
    return compose(routine, options, estimated_length)


OWN_OPTIONS = SessionOptions()
"""The options of a routine's own session: none changed."""


def check_length(routine: Routine, options: SessionOptions = OWN_OPTIONS) -> int:
    """The session's length in samples as estimated before anything is rendered (every text at
    `estimated_length`, the intro included), refused past the limit: the one rule on a
    session's length, the same for a routine on its own (its own options) and in a session
    (its options), decided before any clip is made and never again after.

    The estimate is the session composed with estimated speech, stopped at most a set past the
    limit: a session of a thousand hours is refused as fast as one of three. RoutineError
    naming the file and what makes it long when the routine's own session is too long;
    SessionTooLongError when the options make it so."""
    return estimate(routine, options).length


def estimated_differences(
    routine: Routine, options: SessionOptions = OWN_OPTIONS
) -> tuple[str, ...]:
    """Where the session will differ from what the routine file says (differences.py), as
    estimated before anything is rendered; the errors of `check_length`."""
    return estimate(routine, options).differences


@functools.lru_cache(maxsize=8)
def estimate(routine: Routine, options: SessionOptions) -> Script:
    """The session composed with estimated speech: `check_length`'s rule, `estimated_differences`'
    warnings. Cached: a session needs it when it opens and each time it is composed."""
    session = session_routine(routine, options)
    track = Track(estimated_length, language(session.language))
    composer = _Composer(session, options, track, limit=to_samples(MAX_SESSION_SECONDS))
    try:
        return composer.run(minutes=0)  # the number said is not known yet: 2 characters
    except _PastLimit as past:
        problem = f"the session would pass the {MAX_SESSION_SECONDS // 3600}-hour limit in {past}."
        if options != OWN_OPTIONS:
            raise SessionTooLongError(problem[0].upper() + problem[1:]) from None
        raise RoutineError(f"{routine.source}: {problem} {_longest_part(track)}") from None


class _PastLimit(Exception):
    """The session passed its `limit`; its text says where."""


@dataclass
class _Composer:
    """Builds one Script from the routine as the session runs it (options.py's
    `session_routine`), laying every sound on `track`; with a `limit`, stops once past it."""

    routine: Routine
    options: SessionOptions
    track: Track
    chapter_done: ChapterDone | None = None
    limit: int | None = None
    """A length in samples past which composing stops with `_PastLimit` (checked after each set
    and each part), for the estimate of `check_length`."""
    in_order: list[Event] = field(default_factory=list)
    """The events of the chapters laid out so far, in order of time."""
    chapters: list[Chapter] = field(default_factory=list)
    rep_sets: RepSetLayout = field(init=False)

    def __post_init__(self) -> None:
        self.rep_sets = RepSetLayout(self.track, self.options)
        self.words = self.track.words

    def run(self, minutes: float) -> Script:
        """The whole script, the intro saying the session lasts about `minutes`."""
        self.track.cursor = LEAD_IN
        self.intro(minutes)
        self.within_limit("the intro")
        self.chapter_end(INTRO_ID, self.words.say("intro"), 0, ChapterKind.INTRO)
        rounds = self.routine.rounds
        for round_number in range(1, rounds + 1):
            self.track.round = round_number if rounds > 1 else None
            for number, drill in enumerate(self.routine.drills, start=1):
                self.drill(number, drill)
        self.track.round = None
        outro_start = self.track.cursor
        self.outro()
        self.track.cursor += TAIL
        self.within_limit("the outro")
        outro = self.words.say("outro")
        return self.chapter_end(OUTRO_ID, outro, outro_start, ChapterKind.OUTRO, last=True)

    def chapter_end(
        self, id: str, title: str, start: int, kind: ChapterKind, last: bool = False
    ) -> Script | None:
        """The chapter from `start` to the cursor is laid out: the script so far, for whoever
        watches it grow (and the whole script after the last chapter)."""
        track = self.track
        self.chapters.append(Chapter(id, title, start, track.cursor, kind))
        # A chapter's sounds all come after the chapters before it: sort only its own.
        self.in_order += sorted(track.events[len(self.in_order) :], key=lambda e: e.start)
        if self.chapter_done is None and not last:
            return None
        script = Script(self.routine.name, track.cursor, tuple(self.in_order),
                        tuple(self.chapters), tuple(track.sets), language=self.routine.language,
                        differences=worded(track.differences))  # fmt: skip
        if self.chapter_done is not None:
            self.chapter_done(script, last)
        return script

    def within_limit(self, where: str) -> None:
        """Stop once past the limit (if any), `where` naming the part just laid out."""
        if self.limit is not None and self.track.cursor > self.limit:
            under_way = self.track.round
            rounds = f", round {under_way} of {self.routine.rounds}" if under_way else ""
            raise _PastLimit(where + rounds)

    def intro(self, minutes: float) -> None:
        say, pause, words = self.track.say, self.track.pause, self.words
        drills = self.routine.drills
        if self.options.rehearse:
            say(words.say("rehearsal", name=drills[0].name))
            pause()
            return
        say(words.say("named", name=self.routine.name))
        pause()
        say(words.say("session_size", drills=words.count("drills", len(drills)),
                      minutes=words.count("minutes", max(1, round(minutes)))))  # fmt: skip
        equipment = list(dict.fromkeys(e for d in drills for e in d.equipment))
        if equipment:
            pause()
            say(words.say("have_ready", items=list_phrase(equipment, words)))
        pause()

    def outro(self) -> None:
        self.track.pause()
        self.track.phrase("rehearsal_done" if self.options.rehearse else "done")

    def drill(self, number: int, drill: Drill) -> None:
        """One drill in one round: its name, how to do it, its sets, and the rest after it."""
        track, drills, rounds = self.track, self.routine.drills, self.routine.rounds
        start, total, round_under_way = track.cursor, len(drills), track.round
        words = self.words
        if round_under_way and round_under_way > 1 and number == 1:
            track.say(words.say("round_of", number=round_under_way, total=rounds), drill.id)
            track.pause()
        if not self.options.rehearse:  # a rehearsal's intro has named the drill
            title = drill.name if total == 1 else words.say(
                "drill_of", number=number, total=total, name=drill.name)  # fmt: skip
            track.say(words.say("named", name=title), drill.id)
            track.pause()
        if not self.options.brief and (round_under_way or 1) == 1:  # said in the first round
            track.say(drill.instructions, drill.id)
            track.pause()
        reps = drill.rep_count(self.options.lower)
        track.say(set_sentence(drill, reps, words, drill.sets), drill.id)
        track.pause()
        cues = () if self.options.brief else drill.cues
        where = f"drill {number} of {total} ({drill.id})"
        for set_number in range(1, drill.sets + 1):
            track.set = set_number if drill.sets > 1 else None
            if set_number > 1:
                lay_set_rest(self.track, drill, set_number, self.routine.set_rest(drill))
            if drill.timed:
                lay_timed_set(track, drill, cues, self.options.rehearse)
            else:
                self.rep_sets.lay(drill, cues, early=set_number == 1)
            self.within_limit(where)
        track.set = None
        if number < total:
            lay_rest(track, drill, drills[number], self.routine.rest_seconds, "between drills")
        elif round_under_way and round_under_way < rounds:
            lay_rest(track, drill, drills[0], self.routine.round_rest, "between rounds")
        self.within_limit(where)
        chapter_id = drill.id if round_under_way is None else f"{drill.id}_{round_under_way}"
        title = drill.name if round_under_way is None else words.say(
            "chapter_round", name=drill.name, number=round_under_way)  # fmt: skip
        self.chapter_end(chapter_id, title, start, ChapterKind.DRILL)


def _longest_part(track: Track) -> str:
    """What to shorten, for the part of the session laid on `track` so far that takes longest:
    the sets' work, the speech between them, or the rest of the time (the rests)."""
    starts = [s.start for s in track.sets]

    def in_a_set(at: int) -> bool:
        index = bisect_right(starts, at) - 1
        return index >= 0 and at < track.sets[index].end

    work = sum(s.end - s.start for s in track.sets)
    speech = sum(e.length for e in track.events if e.kind is EventKind.SPEECH
                 and not in_a_set(e.start))  # fmt: skip
    rests = track.cursor - work - speech
    parts = {
        "Lower the reps, the seconds, the sets or the rounds.": work,
        "Shorten the instructions and cues, or use fewer drills.": speech,
        "Shorten rest_seconds, set_rest_seconds or round_rest_seconds.": rests,
    }
    return max(parts, key=parts.__getitem__)
