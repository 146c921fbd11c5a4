"""The rests: between the sets of a drill, between drills and between rounds. Each holds what
is said in it, then ends on time for what follows, or later when what is said does not fit in
the rest asked for (a difference the track notes, for `coach check` to warn of)."""

from __future__ import annotations

from coach.compose.beeps import ToneKind
from coach.compose.track import BEAT, GAP, Track
from coach.compose.wording import list_phrase
from coach.routine.model import Drill
from coach.samples import to_samples


def lay_set_rest(track: Track, drill: Drill, set_number: int, rest: float) -> None:
    """Between sets: "Rest.", then "Set 2 of 3." so that the count-in starts when the rest of
    `rest` seconds is over."""
    rest_start = track.cursor
    track.phrase("rest", drill.id)
    announce = track.words.say("set_of", number=set_number, total=drill.sets)
    wanted = rest_start + to_samples(rest) - track.speech_length(announce) - GAP
    track.rest_until(wanted, f"the rest between the sets of drill '{drill.id}'", rest)
    track.say(announce, drill.id)
    track.pause()


def lay_rest(track: Track, drill: Drill, following: Drill, rest: float, between: str) -> None:
    """A rest of `rest` seconds after `drill` ("between drills", "between rounds"): "Rest.
    Next up: ...", the equipment it needs, a count-out, the rest-over beep."""
    rest_start, words = track.cursor, track.words
    track.phrase("rest" if rest else "next_drill", drill.id)
    track.pause()
    track.say(words.say("next_up", name=following.name), drill.id)
    needed = [e for e in following.equipment if e not in drill.equipment]
    if needed:
        track.pause()
        track.say(words.say("you_will_need", items=list_phrase(needed, words)), drill.id)
    track.rest_until(rest_start + to_samples(rest) - 3 * BEAT, f"the rest {between}", rest)
    track.count_down(drill.id, ToneKind.REST_OVER)
    track.pause()
