"""The routine model: drills and routines, their limits, and finding a drill by a loose name.

Loading and validating a file is loading.py's and validate.py's job; what a field left out of
a file stands for is the field table's (fields.py), so the model has no defaults of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

from coach.errors import OptionError

MAX_FILE_BYTES = 256_000
"""A routine is a few kB (the built-in one is 6 kB); larger files are refused unread."""
MAX_SESSION_SECONDS = 3 * 3600
MIN_REP_SECONDS = 0.5
"""The shortest rep that still has room for its beep and a spoken count."""
MAX_REPS = 10_000
"""More reps than this in one set is refused outright (before the session bound)."""


class Sides(StrEnum):
    """How a drill uses the left and right side."""

    NONE = "none"
    """Both sides at once (or no side at all)."""
    ALTERNATE = "alternate"
    """Left, right, left, right ... rep by rep; `reps` counts each side."""
    SWITCH = "switch"
    """All reps on one side, then all on the other; `reps` counts each side."""


@dataclass(frozen=True)
class Drill:
    """One exercise of a routine."""

    id: str
    name: str
    instructions: str
    """How to do it, spoken before the set."""
    reps: tuple[int, int] | None
    """(min, max) reps, per side when the drill is sided; equal for a fixed count. None for a
    timed drill."""
    sides: Sides
    cues: tuple[str, ...]
    """Short form cues, spoken during the set where they fit."""
    rep_seconds: float
    """Tempo of one rep, before the session's pace factor."""
    hold_seconds: float
    """Hold at the end of each rep."""
    equipment: tuple[str, ...]
    targets: tuple[str, ...]
    seconds: float | None
    """The work of a timed drill (per side when sided); None for counted reps."""
    sets: int
    set_rest_seconds: float | None
    """The rest between sets; None for the routine's `rest_seconds`."""

    @property
    def sided(self) -> bool:
        return self.sides is not Sides.NONE

    @property
    def timed(self) -> bool:
        return self.seconds is not None

    def rep_count(self, lower: bool = False) -> int:
        """Reps per side: the upper end of a range unless `lower` (0 for a timed drill)."""
        if self.reps is None:
            return 0
        return self.reps[0] if lower else self.reps[1]

    def set_seconds(self, pace: float = 1.0, lower: bool = False) -> float:
        """The length of one set's work alone, without speech around it."""
        if self.seconds is not None:
            return self.seconds * (2 if self.sided else 1)
        per_rep = self.rep_seconds * pace + self.hold_seconds
        return per_rep * self.rep_count(lower) * (2 if self.sided else 1)


@dataclass(frozen=True)
class Routine:
    """A named list of drills, with the rest between them."""

    name: str
    drills: tuple[Drill, ...]
    description: str
    rest_seconds: float
    rounds: int
    """The whole list of drills, this many times."""
    round_rest_seconds: float | None
    """The rest between rounds; None for `rest_seconds`."""
    language: str
    """The language the coach speaks it in: a canonical tag with a catalogue ("en", "de")."""
    source: str
    """Where the routine came from, for messages."""
    path: Path | None
    """The file it was loaded from, if any."""

    def to_json(self) -> dict:
        """The routine as `coach drills --json` prints it."""
        doc: dict = {"routine": self.name, "rest_seconds": self.rest_seconds}
        if self.rounds > 1:
            doc |= {"rounds": self.rounds, "round_rest_seconds": self.round_rest}
        doc["drills"] = []
        for d in self.drills:
            drill: dict = {"id": d.id, "name": d.name}
            if d.timed:
                drill |= {"seconds": d.seconds, "sides": d.sides.value}
            else:
                drill |= {"reps": list(d.reps), "sides": d.sides.value,
                          "rep_seconds": d.rep_seconds, "hold_seconds": d.hold_seconds}
            if d.sets > 1:
                drill |= {"sets": d.sets, "set_rest_seconds": self.set_rest(d)}
            doc["drills"].append(drill | {
                "equipment": list(d.equipment), "targets": list(d.targets),
                "cues": list(d.cues), "instructions": d.instructions})
        return doc  # fmt: skip

    @property
    def round_rest(self) -> float:
        """The rest between rounds: a rest left out is the rest between drills."""
        return self.rest_seconds if self.round_rest_seconds is None else self.round_rest_seconds

    def set_rest(self, drill: Drill) -> float:
        """The rest between the sets of `drill`: a rest left out is the rest between drills."""
        return self.rest_seconds if drill.set_rest_seconds is None else drill.set_rest_seconds


def slug(text: str) -> str:
    """`Hip-spine rotation` -> `hip-spine-rotation`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def default_routine_path() -> Path:
    """The packaged leg-mobility routine, the default of every command."""
    return Path(str(resources.files("coach.routine") / "builtin" / "leg-mobility.yaml"))


def loose_key(text: str) -> str:
    """Lower case, letters and digits only: "Walking Spider-man" -> "walkingspiderman"."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def find_drill(routine: Routine, name: str) -> Drill:
    """The drill named loosely: its id, its name, or a unique part of either (any case)."""
    wanted = loose_key(name)
    exact = [d for d in routine.drills if wanted in (loose_key(d.id), loose_key(d.name))]
    found = exact or [
        d for d in routine.drills
        if wanted and (wanted in loose_key(d.id) or wanted in loose_key(d.name))
    ]
    if len(found) == 1:
        return found[0]
    listing = ", ".join(f"{d.id} ({d.name})" for d in (found or routine.drills))
    if found:
        raise OptionError(
            "drill", f"{name!r} matches several drills: {listing}. Name one of them more fully."
        )
    raise OptionError(
        "drill", f"No drill matches {name!r} in {routine.source}. The drills are: {listing}."
    )
