"""Validating a parsed routine document in full, before anything is rendered.

Every problem is one RoutineError naming the file, the drill, the field and the line; the
fields' kinds and bounds are routine_fields.py's.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coach.errors import RoutineError
from coach.routine.fields import DRILL_FIELDS, ID_PATTERN, ROUTINE_FIELDS
from coach.routine.model import (
    DEFAULT_REP_SECONDS,
    DEFAULT_REST_SECONDS,
    Drill,
    Routine,
    Sides,
    slug,
)
from coach.routine.numbers import NumberFields, shown
from coach.routine.texts import TextFields, kind_of

_ID_PATTERN = re.compile(ID_PATTERN)
_ROUTINE_KEYS = tuple(ROUTINE_FIELDS)
_DRILL_KEYS = tuple(DRILL_FIELDS)


class Validator(NumberFields, TextFields):
    """Turns a parsed document into a Routine, or raises one RoutineError naming the place.

    Its number fields are read by NumberFields (routine_numbers.py), its texts by TextFields
    (routine_texts.py); the session's length is checked on the whole routine afterwards
    (compose.check_length)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str, line: int | None = None) -> RoutineError:
        place = f"{self.source}"
        if where:
            place += f", {where}"
        if line:
            place += f", line {line}"
        return RoutineError(f"{place}: {problem}")

    def routine(self, doc: Any, path: Path | None = None) -> Routine:
        """The routine of a parsed document (read from `path`, if from a file)."""
        if doc is None:
            raise self.fail("", "the file is empty; a routine needs a name and drills.")
        if not isinstance(doc, Mapping):
            raise self.fail(
                "", f"a routine is a mapping with 'name' and 'drills', not a {kind_of(doc)}."
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
        return Routine(
            name, tuple(drills), description, rest, rounds, round_rest, self.source, path
        )

    def drill(self, raw: Any, number: int) -> Drill:
        where = f"drill {number}"
        if not isinstance(raw, Mapping):
            raise self.fail(
                where, f"a drill is a mapping with name, instructions and reps, not a {kind_of(raw)}."
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
                f"{shown(sides_raw)} is not a side mode; use none, alternate or switch.",
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

    def check_keys(self, raw: Mapping, known: tuple[str, ...], where: str) -> None:
        for key in raw:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = (
                    f" Did you mean '{near[0]}'?" if near else f" Known fields: {', '.join(known)}."
                )
                raise self.fail(where, f"unknown field {shown(key)}.{hint}", raw.lines[key])
