"""The routine model: drills and routines, their limits, and finding a drill by a loose name.

Loading and validating a file is loading.py's and validate.py's job; what a field left out of
a file stands for is the field table's (fields.py), so the model has no defaults of its own."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

from coach.errors import OptionError
from coach.system.suggest import closest, did_you_mean, fold

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


def _word_char(char: str) -> bool:
    """A letter or digit of any script, or a mark that is part of a letter (the vowel signs of
    Devanagari are not letters to `str.isalnum`, yet a word without them is another word)."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def slug(text: str) -> str:
    """The id made from a name: its letters and digits, of any script, in lower case (NFC), and
    one hyphen for each run of anything else: "Hip-spine rotation" -> "hip-spine-rotation",
    "Puente de glúteos" -> "puente-de-glúteos". An id is valid when it is its own slug."""
    lowered = unicodedata.normalize("NFC", text.lower())
    return "-".join("".join(ch if _word_char(ch) else " " for ch in lowered).split())


def default_routine_path() -> Path:
    """The packaged leg-mobility routine, the default of every command."""
    return Path(str(resources.files("coach.routine") / "builtin" / "leg-mobility.yaml"))


def loose_key(text: str) -> str:
    """A name as a user's typing of it is compared: folded (case and accents do not count) and
    letters and digits only, so spaces, hyphens and punctuation do not count either: "Walking
    Spider-man" -> "walkingspiderman", "PUENTE DE GLUTEOS" -> "puentedegluteos". The validator
    refuses two ids with one key, so an id found by its key is the only one."""
    return "".join(ch for ch in fold(text) if _word_char(ch))


def find_drill(routine: Routine, wanted: str, option: str = "drill", parts: bool = True) -> Drill:
    """The drill `wanted` names, as `loose_key` compares them: the one of that id, else of that
    name, else (with `parts`, as rehearse takes "spider") the one with it inside its id or name.
    Else OptionError for `option` ("drill" is rehearse's argument; "only", "skip") naming the
    closest drills."""
    key = loose_key(wanted)
    drills = routine.drills
    found = (
        [d for d in drills if key == loose_key(d.id)]
        or [d for d in drills if key == loose_key(d.name)]
        or [d for d in drills if parts and key and _inside(key, d)]
    )
    if len(found) == 1:
        return found[0]
    if found:
        listing = ", ".join(f"{d.id} ({d.name})" for d in found)
        raise OptionError(
            option, f"{wanted!r} matches several drills: {listing}. Name one of them more fully."
        )
    if option == "drill":  # an argument: its own sentence, the drills with their names
        miss, listing = "No drill matches", ", ".join(f"{d.id} ({d.name})" for d in drills)
    else:  # after the flag that names it, the ids it takes
        miss, listing = "no drill with id or name", ", ".join(d.id for d in drills)
    raise OptionError(
        option,
        f"{miss} {wanted!r} in {routine.source}.{_near(wanted, drills)} "
        f"The drills are: {listing}.",
    )


def _inside(key: str, drill: Drill) -> bool:
    return key in loose_key(drill.id) or key in loose_key(drill.name)


def _near(wanted: str, drills: tuple[Drill, ...]) -> str:
    """" Did you mean ...?" with the ids of up to three drills, the closest first: those with
    `wanted` inside their id or name ("calf" for calf-raise), and those with ids like it (a
    typo)."""
    key, typed = loose_key(wanted), slug(wanted) or wanted
    ids = [d.id for d in drills]
    inside = [d.id for d in drills if key and _inside(key, d)]
    near = [*inside, *closest(typed, ids, n=3), *_like_a_word(typed, drills)]
    return did_you_mean(typed, near, n=3, cutoff=0)


def _like_a_word(typed: str, drills: tuple[Drill, ...]) -> list[str]:
    """The ids of the drills with a word of their id or name like a word of `typed` ("twsit"
    for hanging-twist, "glutos" for puente-de-glúteos): a typo in one word of a long name is
    far from the whole name. Words of three letters or fewer ("de", "to") are left out, and a
    word must be nearer than a whole name ("plank" is not "links")."""
    ids_by_word: dict[str, list[str]] = {}
    for drill in drills:
        words = dict.fromkeys([*slug(drill.id).split("-"), *slug(drill.name).split("-")])
        for word in (w for w in words if len(w) > 3):
            ids_by_word.setdefault(word, []).append(drill.id)
    like = [word for part in typed.split("-") for word in closest(part, ids_by_word, cutoff=0.75)]
    return [found for word in like for found in ids_by_word[word]]
