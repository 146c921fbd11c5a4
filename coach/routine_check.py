"""Validating a parsed routine document in full, before anything is rendered.

Every problem is one RoutineError naming the file, the drill, the field and the line; the
fields' kinds and bounds are routine_fields.py's.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from coach.errors import RoutineError, excerpt
from coach.routine import (
    DEFAULT_REP_SECONDS,
    DEFAULT_REST_SECONDS,
    MAX_REPS,
    MAX_SESSION_SECONDS,
    Drill,
    Routine,
    Sides,
    slug,
)
from coach.routine_fields import COUNTED_ONLY, DRILL_FIELDS, FIELDS, ID_PATTERN, ROUTINE_FIELDS

FAST_SPEECH_CHARS_PER_SECOND = 20
"""Faster than any engine speaks (Piper at its default rate: about 14 characters a second), so
the speech length estimated from it never refuses a session the composer would accept."""

MAX_WORD_CHARS = 40
"""No spoken word is longer; a longer run of letters is not a word and crashes some engines."""
_ID_PATTERN = re.compile(ID_PATTERN)


_ROUTINE_KEYS = tuple(ROUTINE_FIELDS)
_DRILL_KEYS = tuple(DRILL_FIELDS)


class Validator:
    """Turns a parsed document into a Routine, or raises one RoutineError naming the place."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str, line: int | None = None) -> RoutineError:
        place = f"{self.source}"
        if where:
            place += f", {where}"
        if line:
            place += f", line {line}"
        return RoutineError(f"{place}: {problem}")

    def routine(self, doc: Any) -> Routine:
        if doc is None:
            raise self.fail("", "the file is empty; a routine needs a name and drills.")
        if not isinstance(doc, Mapping):
            raise self.fail(
                "", f"a routine is a mapping with 'name' and 'drills', not a {_kind(doc)}."
            )
        self.check_keys(doc, _ROUTINE_KEYS, "")
        name = self.text(doc, "name", "")
        description = self.text(doc, "description", "", required=False)
        rest = self.number(doc, "rest_seconds", "", DEFAULT_REST_SECONDS)
        rounds = self.count(doc, "rounds", "")
        round_rest = self.number(doc, "round_rest_seconds", "", None)
        raw_drills = doc.get("drills")
        if "drills" not in doc:
            raise self.fail("", "the field 'drills' is missing; list at least one drill.", doc.line)
        if not isinstance(raw_drills, list) or not raw_drills:
            raise self.fail(
                "field 'drills'", "must be a list of at least one drill.", doc.lines["drills"]
            )
        drills: list[Drill] = []
        seen: dict[str, int] = {}
        for number, raw in enumerate(raw_drills, start=1):
            drill = self.drill(raw, number)
            if drill.id in seen:
                raise self.fail(
                    f"drill {number} ({drill.id})",
                    f"the id '{drill.id}' is already used by drill {seen[drill.id]}; "
                    "give each drill its own id.",
                    raw.lines.get("id", raw.line),
                )
            seen[drill.id] = number
            drills.append(drill)
        routine = Routine(
            name, tuple(drills), description, rest, rounds, round_rest, self.source
        )
        self.check_length(routine)
        return routine

    def check_length(self, routine: Routine) -> None:
        """Refuse a session that would last longer than the limit, saying what makes it long."""
        drills, rounds = routine.drills, routine.rounds
        parts = {
            "Lower the reps, the seconds, the sets or the rounds.": rounds * sum(
                d.set_seconds() * d.sets for d in drills
            ),
            "Shorten rest_seconds, set_rest_seconds or round_rest_seconds.": (
                rounds * (routine.rest_seconds * (len(drills) - 1)
                          + sum(routine.set_rest(d) * (d.sets - 1) for d in drills))
                + routine.round_rest * (rounds - 1)
            ),
            "Shorten the instructions and cues, or use fewer drills.": sum(
                len(d.name) + len(d.instructions) + sum(map(len, d.cues)) for d in drills
            ) / FAST_SPEECH_CHARS_PER_SECOND,
        }  # fmt: skip
        total = sum(parts.values())
        if total > MAX_SESSION_SECONDS:
            hours = f"about {total / 3600:.1f}" if total < 1000 * 3600 else "more than 1000"
            raise self.fail(
                "",
                f"the session would last {hours} hours; the limit is "
                f"{MAX_SESSION_SECONDS // 3600} hours. {max(parts, key=parts.__getitem__)}",
            )

    def drill(self, raw: Any, number: int) -> Drill:
        where = f"drill {number}"
        if not isinstance(raw, Mapping):
            raise self.fail(
                where, f"a drill is a mapping with name, instructions and reps, not a {_kind(raw)}."
            )
        self.check_keys(raw, _DRILL_KEYS, where)
        name = self.text(raw, "name", where)
        if "id" in raw:
            drill_id = self.text(raw, "id", where)
            if not _ID_PATTERN.match(drill_id):
                raise self.fail(
                    where + ", field 'id'",
                    f"'{drill_id}' is not a valid id; use lower-case letters, digits and "
                    f"hyphens, like '{slug(drill_id) or 'my-drill'}'.",
                    raw.lines["id"],
                )
        else:
            drill_id = slug(name)
            if not drill_id:
                raise self.fail(
                    where, f"cannot make an id from the name '{name}'; add an 'id' field.", raw.line
                )
        where = f"drill {number} ({drill_id})"
        sides_raw = raw.get("sides", "none")
        if sides_raw is None:
            sides_raw = "none"
        try:
            sides = Sides(sides_raw)
        except ValueError:
            raise self.fail(
                where + ", field 'sides'",
                f"{_show(sides_raw)} is not a side mode; use none, alternate or switch.",
                raw.lines["sides"],
            ) from None
        seconds = self.work_seconds(raw, where, sides)
        return Drill(
            id=drill_id,
            name=name,
            instructions=self.text(raw, "instructions", where),
            reps=None if seconds is not None else self.reps(raw, where),
            sides=sides,
            cues=self.texts(raw, "cues", where),
            rep_seconds=self.number(raw, "rep_seconds", where, DEFAULT_REP_SECONDS),
            hold_seconds=self.tenths(raw, "hold_seconds", where),
            equipment=self.texts(raw, "equipment", where),
            targets=self.texts(raw, "targets", where),
            seconds=seconds,
            sets=self.count(raw, "sets", where),
            set_rest_seconds=self.number(raw, "set_rest_seconds", where, None),
        )

    def work_seconds(self, raw: Mapping, where: str, sides: Sides) -> float | None:
        """A timed drill's `seconds` (None for counted reps): exactly one of reps and seconds."""
        if "seconds" not in raw:
            return None
        line = raw.lines["seconds"]
        if "reps" in raw:
            raise self.fail(
                where,
                "has both 'reps' and 'seconds'; a drill is counted (reps) or timed (seconds), "
                "so keep one.",
                min(line, raw.lines["reps"]),
            )
        counted = [key for key in COUNTED_ONLY if key in raw]
        if counted:
            raise self.fail(
                _field(where, counted[0]),
                f"is for counted reps; a timed drill has only 'seconds', so remove "
                f"'{counted[0]}'.",
                raw.lines[counted[0]],
            )
        if sides is Sides.ALTERNATE:
            raise self.fail(
                _field(where, "sides"),
                "a timed drill cannot alternate sides rep by rep; use 'switch' (the full time "
                "on each side) or 'none'.",
                raw.lines["sides"],
            )
        high = FIELDS["seconds"].maximum
        value = self.number(raw, "seconds", where, None)
        if value is None:
            raise self.fail(
                _field(where, "seconds"), "is empty; give the work's length, like 30.", line
            )
        if value > high:
            raise self.fail(
                _field(where, "seconds"),
                f"must be at most {high:g} seconds, got {_show(raw['seconds'])}; split a longer "
                "work into sets.",
                line,
            )
        return self.tenths(raw, "seconds", where)

    def count(self, raw: Mapping, key: str, where: str) -> int:
        """A whole number within the field's bounds (sets, rounds); 1 when absent."""
        most = int(FIELDS[key].maximum)
        if key not in raw or raw[key] is None:
            return 1
        value = raw[key]
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= most:
            return value
        raise self.fail(
            _field(where, key),
            f"must be a whole number from 1 to {most}, got {_show(value)}.",
            raw.lines[key],
        )

    def check_keys(self, raw: Mapping, known: tuple[str, ...], where: str) -> None:
        for key in raw:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = (
                    f" Did you mean '{near[0]}'?" if near else f" Known fields: {', '.join(known)}."
                )
                raise self.fail(where, f"unknown field '{key}'.{hint}", raw.lines[key])

    def text(self, raw: Mapping, key: str, where: str, required: bool = True) -> str:
        if key not in raw:
            if not required:
                return ""
            raise self.fail(where, f"the field '{key}' is missing.", raw.line)
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(
                _field(where, key), f"must be text, not a {_kind(value)}.", raw.lines[key]
            )
        value = " ".join(str(value).split())
        if required and not value:
            raise self.fail(_field(where, key), "must not be empty.", raw.lines[key])
        self.printable(value, where, key, raw.lines[key])
        self.sayable(value, where, key, raw.lines[key])
        return value

    def sayable(self, value: str, where: str, key: str, line: int) -> None:
        """Refuse a text too long to speak well, or with a "word" no voice can say."""
        limit = FIELDS[key].max_chars
        if len(value) > limit:
            raise self.fail(
                _field(where, key),
                f"is {len(value)} characters long (\"{excerpt(value, 40)}\"); the limit is "
                f"{limit}. Say it in fewer words.",
                line,
            )
        word = max(value.split(), key=len, default="")
        if len(word) > MAX_WORD_CHARS:
            raise self.fail(
                _field(where, key),
                f"has a {len(word)}-character word (\"{excerpt(word, 40)}\"); no word a coach "
                f"says is longer than {MAX_WORD_CHARS}.",
                line,
            )

    def printable(self, value: str, where: str, key: str, line: int) -> None:
        """Text is spoken and printed: refuse control characters and lone surrogates."""
        bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cs")), None)
        if bad is not None:
            raise self.fail(
                _field(where, key),
                f"contains the control character U+{ord(bad):04X}; write plain text.",
                line,
            )

    def texts(self, raw: Mapping, key: str, where: str) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
        ):
            raise self.fail(_field(where, key), "must be a list of short texts.", raw.lines[key])
        items = tuple(" ".join(str(v).split()) for v in value)
        if not all(items):
            raise self.fail(_field(where, key), "has an empty entry.", raw.lines[key])
        for item in items:
            self.printable(item, where, key, raw.lines[key])
            self.sayable(item, where, key, raw.lines[key])
        return items

    def number(
        self,
        raw: Mapping,
        key: str,
        where: str,
        default: float | None,
    ) -> float | None:
        """A number at least the field's minimum; `default` when absent."""
        minimum = FIELDS[key].minimum
        if key not in raw or raw[key] is None:
            return default
        value = raw[key]
        bound = f"at least {minimum:g}"
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
        if ok and value not in (float("inf"), float("-inf")):
            try:
                number = float(value)
            except OverflowError:  # an int with hundreds of digits
                raise self.fail(
                    _field(where, key),
                    f"must be a number {bound}, got a number too large to use.",
                    raw.lines[key],
                ) from None
            if number >= minimum:
                return number
        raise self.fail(
            _field(where, key), f"must be a number {bound}, got {_show(value)}.", raw.lines[key]
        )

    def tenths(self, raw: Mapping, key: str, where: str) -> float:
        """A spoken number of seconds ("hold 1.5 seconds"): tenths at most, as a coach says it."""
        value = self.number(raw, key, where, 0.0)
        if abs(value * 10 - round(value * 10)) > 1e-9:
            raise self.fail(
                _field(where, key),
                f"{value!r} is finer than a tenth of a second, more than a coach can say; "
                f"write {round(value, 1):g}.",
                raw.lines[key],
            )
        return value

    def reps(self, raw: Mapping, where: str) -> tuple[int, int]:
        if "reps" not in raw:
            raise self.fail(
                where,
                "the field 'reps' is missing; give a count like 8 or a range like [10, 12], "
                "or 'seconds' for a timed drill.",
                raw.line,
            )
        value = raw["reps"]
        line = raw.lines["reps"]
        place = _field(where, "reps")

        def whole(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and v >= 1

        if whole(value):
            low = high = value
        elif isinstance(value, list) and len(value) == 2 and all(whole(v) for v in value):
            low, high = value
            if low > high:
                raise self.fail(
                    place, f"the range [{low}, {high}] is reversed; write [{high}, {low}].", line
                )
        else:
            raise self.fail(
                place,
                f"must be a whole number of at least 1 or a range [min, max], got {_show(value)}.",
                line,
            )
        if high > MAX_REPS:
            raise self.fail(place, f"more than {MAX_REPS} reps in one set is not a warm-up.", line)
        return (low, high)


def _field(where: str, key: str) -> str:
    return f"{where}, field '{key}'" if where else f"field '{key}'"


def _show(value: Any) -> str:
    """A value for a message: its repr, cut short."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "empty value"
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false value"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__
