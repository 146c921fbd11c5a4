"""The composer: a routine and the session options become a timed script of speech and beeps.

Every time is an integer sample offset at `SAMPLE_RATE`, so the script, the player and the
exporter agree to the sample. Clip lengths come from a `speech_length` callable (the TTS layer,
or a stand-in in tests); the composer never renders anything itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from coach.errors import NoDrillsLeftError, OptionError, SessionTooLongError, exact
from coach.routine import MAX_SESSION_SECONDS, Drill, Routine, Sides, loose_key
from coach.samples import SAMPLE_RATE, to_samples
from coach.script import (
    INTRO_ID,
    OUTRO_ID,
    Chapter,
    ChapterKind,
    Event,
    EventKind,
    RepSet,
    Script,
)
from coach.tones import TONES, ToneKind
from coach.wording import count_phrase, list_phrase, plural, set_sentence

SpeechLength = Callable[[str], int]
"""Returns the length in samples of the clip for a text."""
ChapterDone = Callable[[Script, bool], None]
"""Called with the script so far as each chapter is laid out, and whether it is the last."""

LEAD_IN = to_samples(1.0)
"""Silence before the first word: Bluetooth headphones swallow the first syllables."""
TAIL = to_samples(1.0)
GAP = to_samples(0.35)
"""Silence between two spoken phrases."""
BEEP_GAP = to_samples(0.06)
"""Silence between a beep and the speech after it, or speech and the beep after it."""
BEAT = to_samples(1.0)
"""The count-in tempo: one beep a second."""
CHANGEOVER = to_samples(4.0)
"""Time from the side-switch beep to the first rep on the other side."""
MAX_SPOKEN_COUNT = 100
"""Reps past this count are beeped without a spoken number."""
HALFWAY_MIN_REPS = 10
"""Sets with at least this many reps (without a side switch) get a halfway cue."""
PACE_RANGE = (0.5, 3.0)
SPOKEN_CHARS_PER_SECOND = 15
"""About how fast a voice speaks at its default rate (the default voice: 15.6 characters a
second in the built-in session): the intro's "about N minutes" is estimated from the text, so
it is said before the rest of the session is rendered."""


@dataclass(frozen=True)
class SessionOptions:
    """What the user chose for this session, beyond the routine file."""

    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    """Equipment the user lacks: drills needing it are skipped."""
    rest_seconds: float | None = None
    """Overrides the routine's rest between drills."""
    pace: float = 1.0
    """Multiplies every drill's `rep_seconds`."""
    brief: bool = False
    """Name, set and counts only: no instructions, no cues."""
    lower: bool = False
    """Use the lower end of rep ranges."""
    rehearse: bool = False
    """Teach one drill: full instructions, every cue before the set, one guided set."""


def select_drills(routine: Routine, options: SessionOptions) -> list[Drill]:
    """The drills of this session after --only, --skip and --without."""
    ids = [d.id for d in routine.drills]
    for option, wanted in (("only", options.only), ("skip", options.skip)):
        unknown = [w for w in wanted if w not in ids]
        if unknown:
            raise OptionError(
                option,
                f"no drill with id {', '.join(repr(u) for u in unknown)} in "
                f"{routine.source}. The drills are: {', '.join(ids)}.",
            )
    lacking = {loose_key(e) for e in options.without}
    known = {loose_key(e): e for d in routine.drills for e in d.equipment}
    unknown = [e for e in options.without if loose_key(e) not in known]
    if unknown:
        listing = ", ".join(dict.fromkeys(known.values())) or "none"
        raise OptionError(
            "without",
            f"no drill in {routine.source} needs {', '.join(repr(u) for u in unknown)}. "
            f"The equipment it uses: {listing}.",
        )
    drills = [
        d
        for d in routine.drills
        if (not options.only or d.id in options.only)
        and d.id not in options.skip
        and not lacking & {loose_key(e) for e in d.equipment}
    ]
    if not drills:
        raise NoDrillsLeftError("No drills left to do: the options removed them all.")
    return drills


def check_options(options: SessionOptions) -> None:
    """Refuse option values no session can use (`compose` expects options checked here)."""
    low, high = PACE_RANGE
    if not (low <= options.pace <= high):
        raise OptionError(
            "pace", f"must be between {low:g} and {high:g}, got {exact(options.pace)}."
        )
    if options.rest_seconds is not None and not (0 <= options.rest_seconds <= 600):
        raise OptionError(
            "rest_seconds", f"must be between 0 and 600 seconds, got {exact(options.rest_seconds)}."
        )


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


@dataclass
class _Composer:
    """Builds one Script; `cursor` is the sample where the next sound may start."""

    routine: Routine
    options: SessionOptions
    drills: list[Drill]
    speech_length: SpeechLength
    chapter_done: ChapterDone | None = None
    events: list[Event] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    sets: list[RepSet] = field(default_factory=list)
    cursor: int = 0
    round: int | None = None
    """The round under way, in a routine of more than one round."""
    set: int | None = None
    """The set under way, in a drill of more than one set."""

    def run(self) -> Script:
        # The intro names the session's length before the rest is laid out: an estimate.
        estimate = _Composer(self.routine, self.options, self.drills, estimated_length)
        estimate.body()
        self.cursor = LEAD_IN
        self.intro(minutes=(estimate.cursor + LEAD_IN) / SAMPLE_RATE / 60)
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
        if self.cursor > to_samples(MAX_SESSION_SECONDS):
            raise SessionTooLongError(
                f"The session would last {self.cursor / SAMPLE_RATE / 3600:.1f} hours; the limit"
                f" is {MAX_SESSION_SECONDS // 3600} hours."
            )
        return self.chapter_end(OUTRO_ID, "Outro", outro_start, ChapterKind.OUTRO, last=True)

    def chapter_end(
        self, id: str, title: str, start: int, kind: ChapterKind, last: bool = False
    ) -> Script:
        """The chapter from `start` to the cursor is laid out: the script so far."""
        self.chapters.append(Chapter(id, title, start, self.cursor, kind))
        script = Script(
            self.routine.name, self.cursor, tuple(sorted(self.events, key=lambda e: e.start)),
            tuple(self.chapters), tuple(self.sets),
        )  # fmt: skip
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

    def count_down(self, drill: Drill, last: ToneKind) -> Event:
        """Three count beeps a beat apart, then `last` on the fourth beat (returned)."""
        for _ in range(3):
            self.beep(ToneKind.COUNT, self.cursor, drill.id)
            self.cursor += BEAT - TONES[ToneKind.COUNT].length
        return self.beep(last, self.cursor, drill.id)

    def pause(self, samples: int = GAP) -> None:
        self.cursor += samples

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
        self.set = None
        if number < total:
            self.rest(drill, self.drills[number], self.rest_seconds)
        elif self.round and self.round < self.rounds:
            self.rest(drill, self.drills[0], self.round_rest_seconds)
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

    def count_in(self, drill: Drill) -> None:
        self.count_down(drill, ToneKind.GO)
        self.pause(BEEP_GAP)
        self.say("Go.", drill.id)
        self.pause()

    def rep_set(self, drill: Drill, cues: tuple[str, ...], early: bool = True) -> None:
        """Count-in, every rep at a steady tempo, cues in the gaps, side switch, end beep.
        With `early`, cues that fit nowhere in the set are said before it."""
        n = drill.rep_count(self.options.lower)
        rep_len = to_samples(drill.rep_seconds * self.options.pace)
        period = to_samples(drill.rep_seconds * self.options.pace + drill.hold_seconds)
        if drill.sides is Sides.SWITCH:
            blocks = [
                [("left", i) for i in range(1, n + 1)],
                [("right", i) for i in range(1, n + 1)],
            ]
        elif drill.sides is Sides.ALTERNATE:
            blocks = [[(side, i) for i in range(1, n + 1) for side in ("left", "right")]]
        else:
            blocks = [[(None, i) for i in range(1, n + 1)]]

        # Plan the optional speech first, so that cues that fit nowhere are spoken before the set.
        extras = self.plan_extras(drill, blocks, cues, rep_len, period)
        placed = {text for text, _ in extras.values()}
        if not early:
            said_first = []
        elif self.options.rehearse:
            said_first = list(cues)
        else:
            said_first = [c for c in cues if c not in placed]
        for cue in said_first:
            self.say(cue, drill.id)
            self.pause()
        set_start, reps = self.cursor, []
        self.count_in(drill)

        for block_number, block in enumerate(blocks):
            if block_number:
                switch_at = self.cursor
                self.beep(ToneKind.SWITCH, switch_at, drill.id)
                self.pause(BEEP_GAP)
                self.say("Switch sides.", drill.id)
                self.cursor = max(self.cursor + GAP, switch_at + CHANGEOVER)
            block_start = self.cursor
            for index, (side, rep) in enumerate(block):
                at = block_start + index * period
                self.beep(ToneKind.REP, at, drill.id, side, rep)
                reps.append((at, side, rep))
                count = self.fitting_count(side, rep, index == len(block) - 1, rep_len)
                if count:
                    self.say(count, drill.id, at=at + TONES[ToneKind.REP].length + BEEP_GAP)
                if self.hold_fits(drill, period - rep_len):
                    self.say("Hold.", drill.id, at=at + rep_len)
                if (block_number, index) in extras:
                    text, offset = extras[(block_number, index)]
                    self.say(text, drill.id, at=at + offset)
                self.cursor = at + period
        end = self.beep(ToneKind.END, self.cursor, drill.id)
        self.sets.append(RepSet(drill.id, set_start, end.end, tuple(reps), end.start,
                                round=self.round, set=self.set))  # fmt: skip
        self.pause()

    def timed_set(self, drill: Drill, cues: tuple[str, ...]) -> None:
        """Count-in, then `seconds` of work from the go beep (on each side, with a changeover
        and a count-in between): "Go.", then where they fit "10 seconds left.", "Halfway." and
        the cues spread over the work, a count beep on each of the last 3 seconds, and the end
        beep when the time is up. An announcement that does not fit is left out."""
        if self.options.rehearse:  # learning the drill: every cue first
            for cue in cues:
                self.say(cue, drill.id)
                self.pause()
        sides = 2 if drill.sides is Sides.SWITCH else 1
        work, set_start = to_samples(drill.seconds), self.cursor
        go = self.count_down(drill, ToneKind.GO)
        for index in range(sides):
            if index:
                switch = self.beep(ToneKind.SWITCH, self.cursor, drill.id)
                self.pause(BEEP_GAP)
                self.say("Switch sides.", drill.id)
                self.cursor = max(self.cursor + GAP, switch.start + CHANGEOVER - 3 * BEAT)
                go = self.count_down(drill, ToneKind.GO)
            end = go.start + work
            free = _Free(go.end + BEEP_GAP, end - 3 * BEAT)
            wanted = [("Go.", go.end + BEEP_GAP, False)]  # (text, when, or later if taken)
            if drill.seconds > 15:
                wanted.append(("10 seconds left.", end - to_samples(10), False))
            if drill.seconds >= 20:
                wanted.append(("Halfway.", go.start + work // 2, False))
            mine = cues[index::sides]
            wanted += [(cue, go.start + work * (k + 1) // (len(mine) + 1), True)
                       for k, cue in enumerate(mine)]  # fmt: skip
            for text, at, later in wanted:
                start = free.take(at, self.speech_length(text), later)
                if start is not None:
                    self.say(text, drill.id, at=start)
            for beat in (3, 2, 1):
                self.beep(ToneKind.COUNT, end - beat * BEAT, drill.id)
            if index == sides - 1:
                finish = self.beep(ToneKind.END, end, drill.id)
            else:
                self.cursor = end
        self.sets.append(RepSet(drill.id, set_start, finish.end, (), finish.start, drill.seconds,
                                self.round, self.set))  # fmt: skip
        self.pause()

    def fitting_count(self, side: str | None, rep: int, last: bool, room: int) -> str:
        """The longest count phrase that ends before the rep's time is up (or none).

        Counts past MAX_SPOKEN_COUNT are beeped, not said (the last one still is), so a set
        of thousands of reps needs a bounded number of clips.
        """
        if rep > MAX_SPOKEN_COUNT and not last:
            return ""
        usable = room - TONES[ToneKind.REP].length - 2 * BEEP_GAP
        candidates = (count_phrase(side, rep, last), count_phrase(None, rep, last), str(rep))
        # Asked in order: a shorter form's clip is wanted (and rendered) only when needed.
        return next((t for t in candidates if self.speech_length(t) <= usable), "")

    def hold_fits(self, drill: Drill, hold: int) -> bool:
        """Whether "Hold." can be said within the hold."""
        return drill.hold_seconds > 0 and self.speech_length("Hold.") + BEEP_GAP <= hold

    def plan_extras(
        self, drill: Drill, blocks: list, cues: tuple[str, ...], rep_len: int, period: int
    ) -> dict[tuple[int, int], tuple[str, int]]:
        """Choose the reps during which a cue (or "Halfway.") is spoken without breaking tempo.

        Returns {(block, rep index): (text, samples from the rep's beep to the text)}. A rep has
        two gaps: after its count, and (with a hold) after "Hold."; a text goes in the larger
        one when it ends a beep-gap before the next sound. A rep gets at most one text.
        """
        beep = TONES[ToneKind.REP].length
        says_hold = self.hold_fits(drill, period - rep_len)
        gaps: dict[tuple[int, int], tuple[int, int]] = {}  # (free samples, where the text starts)
        for b, block in enumerate(blocks):
            for index, (side, rep) in enumerate(block[:-1]):
                count = self.fitting_count(side, rep, False, rep_len)
                after_count = beep + BEEP_GAP + (self.speech_length(count) if count else 0)
                count_gap = (rep_len if drill.hold_seconds else period) - after_count
                after_hold = rep_len + (self.speech_length("Hold.") if says_hold else 0)
                hold_gap = period - after_hold if drill.hold_seconds else 0
                start = after_count if count_gap >= hold_gap else after_hold
                gaps[(b, index)] = (max(count_gap, hold_gap) - 2 * BEEP_GAP, start + BEEP_GAP)
        slots: dict[tuple[int, int], tuple[str, int]] = {}

        def place(text: str, wanted: tuple[int, int]) -> bool:
            length = self.speech_length(text)
            order = sorted(
                gaps, key=lambda k: (k < wanted, abs(k[0] - wanted[0]), abs(k[1] - wanted[1]))
            )
            for key in order:
                free, start = gaps[key]
                if key not in slots and key[1] > 0 and free >= length:
                    slots[key] = (text, start)
                    return True
            return False

        reps_total = sum(len(b) for b in blocks)
        if len(blocks) == 1 and reps_total >= HALFWAY_MIN_REPS and not self.options.rehearse:
            place("Halfway.", (0, reps_total // 2 - 1))
        for i, cue in enumerate(cues):
            block = i % len(blocks)
            size = len(blocks[block])
            place(cue, (block, max(1, math.floor((i // len(blocks) + 1) * size / (len(cues) + 2)))))
        return slots

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


class _Free:
    """The free time of a timed work, from `start` to `end`, as announcements take it: each
    keeps `BEEP_GAP` from the others and from the work's edges."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self.taken: list[tuple[int, int]] = []

    def take(self, at: int, length: int, later: bool = True) -> int | None:
        """Where a sound of `length` wanted at `at` goes: at `at`, or else (if it may come
        `later`) right after the sound in its way; None when it does not fit."""
        blocking = [b for a, b in self.taken if a - BEEP_GAP < at + length and at < b + BEEP_GAP]
        tries = (at, max(blocking, default=at) + BEEP_GAP) if later else (at,)
        for start in tries:
            if self._fits(start, length):
                self.taken.append((start, start + length))
                return start
        return None

    def _fits(self, start: int, length: int) -> bool:
        if start < self.start or start + length > self.end - BEEP_GAP:
            return False
        return all(b + BEEP_GAP <= start or start + length + BEEP_GAP <= a for a, b in self.taken)
