"""Where a session will differ from what its routine file says, in one line each: a rest made
longer so that what is said in it fits, cues that find no room in their set.

The composer notes each case as it lays the session out (on the Track); `coach check` words them
as warnings, and a session warns of those its options bring (a `--rest` too short), so nothing
the file or the command line asked for is changed without a word.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.samples import to_seconds
from coach.system.english import number_of, plural


@dataclass(frozen=True)
class LongerRest:
    """A rest of `asked` seconds lengthened by `extra` samples to fit its announcements."""

    what: str
    """Which rest, as a message names it: "the rest between drills"."""
    asked: float
    extra: int


@dataclass(frozen=True)
class UnfittedCues:
    """`count` of a drill's `total` cues find no room in its set: said before it (`before`),
    or else left out."""

    drill: str
    count: int
    total: int
    before: bool


Difference = LongerRest | UnfittedCues


def worded(differences: list[Difference]) -> tuple[str, ...]:
    """One line per rest and per drill, in the order they first happen: the rests of one kind
    together (how many, and by up to how much), each drill's cues once (rounds repeat them)."""
    rests: dict[tuple[str, float], list[int]] = {}
    cues: dict[str, UnfittedCues] = {}
    order: list[tuple[str, float] | str] = []
    for difference in differences:
        if isinstance(difference, LongerRest):
            key = (difference.what, difference.asked)
            if key not in rests:
                order.append(key)
            rests.setdefault(key, []).append(difference.extra)
        elif difference.drill not in cues:
            cues[difference.drill] = difference
            order.append(difference.drill)
    return tuple(_rest_line(key, rests[key]) if isinstance(key, tuple) else _cue_line(cues[key])
                 for key in order)  # fmt: skip


def _rest_line(key: tuple[str, float], extras: list[int]) -> str:
    what, asked = key
    most = to_seconds(max(extras))
    times = "" if len(extras) == 1 else f" ({number_of(len(extras), 'rest')})"
    return (f"{what} ({number_of(asked, 'second')}) is lengthened by up to about {most:.1f} s "
            f"to fit what is said in it{times}.")  # fmt: skip


def _cue_line(cues: UnfittedCues) -> str:
    fate = "said before the set starts" if cues.before else "left out"
    if cues.count == cues.total:
        which = "its cue" if cues.total == 1 else f"its {cues.total} cues"
    else:
        which = f"{cues.count} of its {cues.total} cues"
    verb = plural(cues.count, "does", "do")
    said = f"{plural(cues.count, 'it')} {plural(cues.count, 'is')} {fate}"
    return f"drill '{cues.drill}': {which} {verb} not fit in its set; {said}."
