"""The session options: what the user chose beyond the routine file, and their checks.

Checked once, when a session is opened (session.py), with typed errors that name options as
the session knows them; the CLI words them with its flags.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coach.errors import NoDrillsLeftError, OptionError, exact
from coach.language.catalogue import UnknownLanguageError, known_tags, language
from coach.routine.model import Drill, Routine, find_drill, loose_key

PACE_RANGE = (0.5, 3.0)


@dataclass(frozen=True)
class SessionOptions:
    """What the user chose for this session, beyond the routine file."""

    only: tuple[str, ...] = ()
    """Drills by id or name, each value one or several comma-separated (`select_drills`)."""
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
    language: str | None = None
    """The language the coach speaks, over the routine's own (a tag: "de", "en-GB")."""


def session_routine(routine: Routine, options: SessionOptions) -> Routine:
    """The routine as this session runs it: the drills `select_drills` leaves, the options'
    rest between drills in place of the file's, and for a rehearsal one round of one set. The
    routine's own rule for a rest it leaves out (the rest between drills) then holds for the
    session as it does for the file."""
    drills = tuple(select_drills(routine, options))
    if options.rehearse:
        drills = tuple(replace(drill, sets=1) for drill in drills)
    chosen_rest = options.rest_seconds
    rest = routine.rest_seconds if chosen_rest is None else chosen_rest
    rounds = 1 if options.rehearse else routine.rounds
    spoken = routine.language if options.language is None else language(options.language).tag
    return replace(routine, drills=drills, rest_seconds=rest, rounds=rounds, language=spoken)


def select_drills(routine: Routine, options: SessionOptions) -> list[Drill]:
    """The drills of this session after the options `only`, `skip` and `without`; `only` and
    `skip` name drills by id or name, as `find_drill` finds them (whole, not a part of one)."""
    only = _chosen_ids(routine, options.only, option="only")
    skip = _chosen_ids(routine, options.skip, option="skip")
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
        if (not only or d.id in only)
        and d.id not in skip
        and not lacking & {loose_key(e) for e in d.equipment}
    ]
    if not drills:
        raise NoDrillsLeftError("No drills left to do: the options removed them all.")
    return drills


def _chosen_ids(routine: Routine, values: tuple[str, ...], option: str) -> set[str]:
    """The ids of the drills that `values` of `option` ("only", "skip") name, as `find_drill`
    finds them: each value a drill's id or name, or several of them comma-separated. A value
    that is one drill's name whole is that drill, so a name with a comma of its own can be
    given ("Lunge, reverse")."""

    def key(text: str) -> str:  # `loose_key` of each comma-separated part, the commas kept
        return ",".join(loose_key(part) for part in text.split(","))

    with_commas = {key(d.name) for d in routine.drills if "," in d.name}
    ids = set()
    for value in values:
        whole = key(value) in with_commas
        wanted = [value] if whole else [name.strip() for name in value.split(",") if name.strip()]
        ids |= {find_drill(routine, name, option=option, parts=False).id for name in wanted}
    return ids


def check_options(options: SessionOptions) -> None:
    """Refuse option values no session can use (`compose` expects options checked here)."""
    low, high = PACE_RANGE
    if not (low <= options.pace <= high):
        raise OptionError(
            "pace", f"must be between {low:g} and {high:g}, got {exact(options.pace)}."
        )
    if options.language is not None:
        try:
            language(options.language)
        except UnknownLanguageError:
            raise OptionError(
                "language",
                f"{options.language!r} is not a language the coach speaks; use one "
                f"of {', '.join(known_tags())}.",
            ) from None
    if options.rest_seconds is not None and not (0 <= options.rest_seconds <= 600):
        raise OptionError(
            "rest_seconds", f"must be between 0 and 600 seconds, got {exact(options.rest_seconds)}."
        )
