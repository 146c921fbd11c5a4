"""How a timed set is laid out: a count-in, then the work with its announcements where they
fit, a count of the last three seconds and the end beep (on each side, for a drill that
switches sides)."""

from __future__ import annotations

from coach.compose.beeps import ToneKind
from coach.compose.differences import UnfittedCues
from coach.compose.script import RepSet
from coach.compose.track import BEAT, BEEP_GAP, CHANGEOVER, GAP, Track
from coach.routine.model import Drill, Sides
from coach.samples import to_samples


def lay_timed_set(track: Track, drill: Drill, cues: tuple[str, ...], rehearse: bool) -> None:
    """Count-in, then `seconds` of work from the go beep (on each side, with a changeover and a
    count-in between): "Go.", then where they fit "10 seconds left.", "Halfway." and the cues
    spread over the work, a count beep on each of the last 3 seconds, and the end beep when the
    time is up. An announcement that does not fit is left out. In a rehearsal (learning the
    drill) every cue is said first."""
    if rehearse:
        for cue in cues:
            track.say(cue, drill.id)
            track.pause()
    sides = 2 if drill.sides is Sides.SWITCH else 1
    left_out = 0
    work, set_start = to_samples(drill.seconds), track.cursor
    go = track.count_down(drill.id, ToneKind.GO)
    for index in range(sides):
        if index:
            switch = track.beep(ToneKind.SWITCH, track.cursor, drill.id)
            track.pause(BEEP_GAP)
            track.phrase("switch_sides", drill.id)
            track.cursor = max(track.cursor + GAP, switch.start + CHANGEOVER - 3 * BEAT)
            go = track.count_down(drill.id, ToneKind.GO)
        end = go.start + work
        free = _Free(go.end + BEEP_GAP, end - 3 * BEAT)
        say = track.words.say
        wanted = [(say("go"), go.end + BEEP_GAP, False)]  # (text, when, or later if taken)
        if drill.seconds > 15:
            wanted.append((say("ten_seconds_left"), end - to_samples(10), False))
        if drill.seconds >= 20:
            wanted.append((say("halfway"), go.start + work // 2, False))
        mine = cues[index::sides]
        wanted += [(cue, go.start + work * (k + 1) // (len(mine) + 1), True)
                   for k, cue in enumerate(mine)]  # fmt: skip
        for text, at, later in wanted:
            start = free.take(at, track.speech_length(text), later)
            if start is not None:
                track.say(text, drill.id, at=start)
            elif later:  # a cue
                left_out += 1
        for beat in (3, 2, 1):
            track.beep(ToneKind.COUNT, end - beat * BEAT, drill.id)
        if index == sides - 1:
            finish = track.beep(ToneKind.END, end, drill.id)
        else:
            track.cursor = end
    if left_out and not rehearse:
        track.differences.append(UnfittedCues(drill.id, left_out, len(cues), False))
    track.sets.append(RepSet(drill.id, set_start, finish.end, (), finish.start, drill.seconds,
                             track.round, track.set))  # fmt: skip
    track.pause()


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
