"""How a set is laid out: the count-in, reps at a steady tempo with counts and cues in their
gaps, or a timed work with its announcements; and the spacing all sounds keep.

`SetLayout` is a part of the composer (compose.py), split off to keep each file to one job: it
uses the composer's `say`, `beep`, `pause`, `cursor`, `options`, `speech_length`, `sets`,
`round` and `set`.
"""

from __future__ import annotations

import math

from coach.compose.beeps import TONES, ToneKind
from coach.compose.script import Event, RepSet
from coach.compose.wording import count_phrase
from coach.routine.model import Drill, Sides
from coach.samples import to_samples

GAP = to_samples(0.35)
"""Silence between two spoken phrases."""
BEEP_GAP = to_samples(0.06)
"""Silence between a beep and the speech after it, or speech and the beep after it."""
BEAT = to_samples(1.0)
"""The count-in tempo: one beep a second."""
CHANGEOVER = to_samples(4.0)
"""Time from the side-switch beep to the first rep (or, timed, the go beep) on the other side."""
MAX_SPOKEN_COUNT = 100
"""Reps past this count are beeped without a spoken number."""
HALFWAY_MIN_REPS = 10
"""Sets with at least this many reps (without a side switch) get a halfway cue."""


class SetLayout:
    """The composer's methods that lay out sets (see the module's docstring)."""

    def count_down(self, drill: Drill, last: ToneKind) -> Event:
        """Three count beeps a beat apart, then `last` on the fourth beat (returned)."""
        for _ in range(3):
            self.beep(ToneKind.COUNT, self.cursor, drill.id)
            self.cursor += BEAT - TONES[ToneKind.COUNT].length
        return self.beep(last, self.cursor, drill.id)

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
