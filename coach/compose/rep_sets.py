"""How a set of counted reps is laid out: the count-in, every rep at a steady tempo with its
count, "Hold." where the hold has room, cues and "Halfway." in the gaps between reps, the side
switch, and the end beep."""

from __future__ import annotations

import math
from dataclasses import dataclass

from coach.compose.beeps import TONES, ToneKind
from coach.compose.differences import UnfittedCues
from coach.compose.options import SessionOptions
from coach.compose.script import RepSet
from coach.compose.track import BEEP_GAP, CHANGEOVER, GAP, Track
from coach.compose.wording import count_phrase
from coach.routine.model import Drill, Sides
from coach.samples import to_samples

MAX_SPOKEN_COUNT = 100
"""Reps past this count are beeped without a spoken number."""
HALFWAY_MIN_REPS = 10
"""Sets with at least this many reps (without a side switch) get a halfway cue."""

Block = list[tuple[str | None, int]]
"""The reps done without a break, in order: (side or None, rep number) of each."""


@dataclass
class RepSetLayout:
    """Lays counted sets on `track`, at the tempo and count the session's options set."""

    track: Track
    options: SessionOptions

    def lay(self, drill: Drill, cues: tuple[str, ...], early: bool = True) -> None:
        """Count-in, every rep at a steady tempo, cues in the gaps, side switch, end beep.
        With `early`, cues that fit nowhere in the set are said before it."""
        track = self.track
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
            if said_first:
                track.differences.append(UnfittedCues(drill.id, len(said_first), len(cues), True))
        for cue in said_first:
            track.say(cue, drill.id)
            track.pause()
        set_start, reps = track.cursor, []
        self.count_in(drill)

        for block_number, block in enumerate(blocks):
            if block_number:
                switch_at = track.cursor
                track.beep(ToneKind.SWITCH, switch_at, drill.id)
                track.pause(BEEP_GAP)
                track.phrase("switch_sides", drill.id)
                track.cursor = max(track.cursor + GAP, switch_at + CHANGEOVER)
            block_start = track.cursor
            for index, (side, rep) in enumerate(block):
                at = block_start + index * period
                track.beep(ToneKind.REP, at, drill.id, side, rep)
                reps.append((at, side, rep))
                count = self.fitting_count(side, rep, index == len(block) - 1, rep_len)
                if count:
                    track.say(count, drill.id, at=at + TONES[ToneKind.REP].length + BEEP_GAP)
                if self.hold_fits(drill, period - rep_len):
                    track.phrase("hold", drill.id, at=at + rep_len)
                if (block_number, index) in extras:
                    text, offset = extras[(block_number, index)]
                    track.say(text, drill.id, at=at + offset)
                track.cursor = at + period
        end = track.beep(ToneKind.END, track.cursor, drill.id)
        track.sets.append(RepSet(drill.id, set_start, end.end, tuple(reps), end.start,
                                 round=track.round, set=track.set))  # fmt: skip
        track.pause()

    def count_in(self, drill: Drill) -> None:
        self.track.count_down(drill.id, ToneKind.GO)
        self.track.pause(BEEP_GAP)
        self.track.phrase("go", drill.id)
        self.track.pause()

    def fitting_count(self, side: str | None, rep: int, last: bool, room: int) -> str:
        """The longest count phrase that ends before the rep's time is up (or none).

        Counts past MAX_SPOKEN_COUNT are beeped, not said (the last one still is), so a set
        of thousands of reps needs a bounded number of clips.
        """
        if rep > MAX_SPOKEN_COUNT and not last:
            return ""
        usable = room - TONES[ToneKind.REP].length - 2 * BEEP_GAP
        words = self.track.words
        candidates = (count_phrase(side, rep, last, words), count_phrase(None, rep, last, words),
                      str(rep))  # fmt: skip
        # Asked in order: a shorter form's clip is wanted (and rendered) only when needed.
        return next((t for t in candidates if self.track.speech_length(t) <= usable), "")

    def hold_fits(self, drill: Drill, hold: int) -> bool:
        """Whether "Hold." can be said within the hold."""
        hold_said = self.track.speech_length(self.track.words.say("hold"))
        return drill.hold_seconds > 0 and hold_said + BEEP_GAP <= hold

    def plan_extras(
        self, drill: Drill, blocks: list[Block], cues: tuple[str, ...], rep_len: int, period: int
    ) -> dict[tuple[int, int], tuple[str, int]]:
        """Choose the reps during which a cue (or "Halfway.") is spoken without breaking tempo.

        Returns {(block, rep index): (text, samples from the rep's beep to the text)}. A rep has
        two gaps: after its count, and (with a hold) after "Hold."; a text goes in the larger
        one when it ends a beep-gap before the next sound. A rep gets at most one text.
        """
        speech_length = self.track.speech_length
        beep = TONES[ToneKind.REP].length
        says_hold = self.hold_fits(drill, period - rep_len)
        hold_length = speech_length(self.track.words.say("hold")) if says_hold else 0
        gaps: dict[tuple[int, int], tuple[int, int]] = {}  # (free samples, where the text starts)
        for b, block in enumerate(blocks):
            for index, (side, rep) in enumerate(block[:-1]):
                count = self.fitting_count(side, rep, False, rep_len)
                after_count = beep + BEEP_GAP + (speech_length(count) if count else 0)
                count_gap = (rep_len if drill.hold_seconds else period) - after_count
                after_hold = rep_len + hold_length
                hold_gap = period - after_hold if drill.hold_seconds else 0
                start = after_count if count_gap >= hold_gap else after_hold
                gaps[(b, index)] = (max(count_gap, hold_gap) - 2 * BEEP_GAP, start + BEEP_GAP)
        slots: dict[tuple[int, int], tuple[str, int]] = {}

        def place(text: str, wanted: tuple[int, int]) -> bool:
            length = speech_length(text)
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
            place(self.track.words.say("halfway"), (0, reps_total // 2 - 1))
        for i, cue in enumerate(cues):
            block = i % len(blocks)
            size = len(blocks[block])
            place(cue, (block, max(1, math.floor((i // len(blocks) + 1) * size / (len(cues) + 2)))))
        return slots
