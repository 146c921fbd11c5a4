"""Validating a parsed routine document in full, before anything is rendered.

Every problem is one RoutineError naming the file, the drill, the field and the line. Every
field is read by the reader of its kind in the field table (fields.py), with the table's bounds
and default; only what ties fields together (an id made from the name, reps or seconds) is
read here by name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coach.errors import RoutineError
from coach.language.catalogue import UnknownLanguageError, known_tags, language
from coach.routine.fields import DRILL_FIELDS, EXTENSION_PREFIX, FIELDS, ROUTINE_FIELDS, Kind
from coach.routine.model import Drill, Routine, Sides, loose_key, slug
from coach.routine.numbers import NumberFields, place, shown
from coach.routine.texts import TextFields, kind_of
from coach.system.suggest import did_you_mean


class Validator(NumberFields, TextFields):
    """Turns a parsed document into a Routine, or raises one RoutineError naming the place.

    Its number fields are read by NumberFields (numbers.py), its texts by TextFields
    (texts.py); the session's length is checked on the whole routine afterwards (the
    composer's `check_length`)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str, line: int | None = None) -> RoutineError:
        place = f"{self.source}"
        if where:
            place += f", {where}"
        if line:
            place += f", line {line}"
        return RoutineError(f"{place}: {problem}")

    def read(self, raw: Mapping, key: str, where: str) -> Any:
        """The field `key` of `raw`, read as the table's kind for it says."""
        readers = {
            Kind.TEXT: self.text,
            Kind.TEXTS: self.texts,
            Kind.SECONDS: self.seconds,
            Kind.COUNT: self.count,
            Kind.REPS: self.reps,
            Kind.SIDES: self.sides,
            Kind.LANGUAGE: self.language,
            Kind.DRILLS: self.drills,
        }
        return readers[FIELDS[key].kind](raw, key, where)

    def routine(self, doc: Any, path: Path | None = None) -> Routine:
        """The routine of a parsed document (read from `path`, if from a file)."""
        if doc is None:
            raise self.fail("", "the file is empty; a routine needs a name and drills.")
        if not isinstance(doc, Mapping):
            raise self.fail(
                "", f"a routine is a mapping with 'name' and 'drills', not {kind_of(doc)}."
            )
        self.check_keys(doc, tuple(ROUTINE_FIELDS), "")
        values = {key: self.read(doc, key, "") for key in ROUTINE_FIELDS}
        return Routine(**values, source=self.source, path=path)

    def drills(self, doc: Mapping, key: str, where: str) -> tuple[Drill, ...]:
        """The routine's drills: at least one, each with its own id."""
        if key not in doc:
            raise self.fail(where, "the field 'drills' is missing; list at least one drill.",
                            doc.line)  # fmt: skip
        raw_drills = doc[key]
        if not isinstance(raw_drills, list) or not raw_drills:
            raise self.fail(
                place(where, key), "must be a list of at least one drill.", doc.lines[key]
            )
        drills: list[Drill] = []
        seen: dict[str, tuple[int, str, int]] = {}  # an id's loose key: (drill number, id, line)
        for number, raw in enumerate(raw_drills, start=1):
            drill = self.drill(raw, number)
            line = raw.lines.get("id", raw.line)
            if (problem := _reused(drill.id, seen)) is not None:
                raise self.fail(f"drill {number} ({drill.id})", problem, line)
            seen[loose_key(drill.id)] = (number, drill.id, line)
            drills.append(drill)
        return tuple(drills)

    def drill(self, raw: Any, number: int) -> Drill:
        """One drill. The fields the others depend on are read first (the name for the id, the
        sides for the seconds, the seconds for the reps), the rest in the table's order."""
        where = f"drill {number}"
        if not isinstance(raw, Mapping):
            raise self.fail(
                where,
                f"a drill is a mapping with name, instructions and reps, not {kind_of(raw)}.",
            )
        self.check_keys(raw, tuple(DRILL_FIELDS), where)
        name = self.read(raw, "name", where)
        drill_id = self.drill_id(raw, name, where)
        where = f"drill {number} ({drill_id})"
        sides = self.read(raw, "sides", where)
        seconds = self.work_seconds(raw, where, sides)
        first = {"id": drill_id, "name": name, "sides": sides, "seconds": seconds}
        if seconds is not None:
            first["reps"] = None  # a timed drill
        values = {key: first[key] if key in first else self.read(raw, key, where)
                  for key in DRILL_FIELDS}  # fmt: skip
        return Drill(**values)

    def drill_id(self, raw: Mapping, name: str, where: str) -> str:
        """The drill's id as written (in NFC), or else made from its name; a valid id is its own
        slug (model.slug)."""
        drill_id = self.read(raw, "id", where)
        if drill_id is None:
            drill_id = slug(name)
            if not drill_id:
                raise self.fail(
                    where, f"cannot make an id from the name '{name}'; add an 'id' field.", raw.line
                )
        elif (drill_id := unicodedata.normalize("NFC", drill_id)) != slug(drill_id):
            raise self.fail(
                place(where, "id"),
                f"'{drill_id}' is not a valid id; use lower-case letters (of any alphabet), "
                f"digits and hyphens, like '{slug(drill_id) or 'my-drill'}'.",
                raw.lines["id"],
            )
        return drill_id

    def sides(self, raw: Mapping, key: str, where: str) -> Sides:
        """How the drill uses its sides; the field's default when absent (or empty)."""
        if key not in raw or raw[key] is None:
            return FIELDS[key].default
        try:
            return Sides(raw[key])
        except ValueError:
            raise self.fail(
                place(where, key),
                f"{shown(raw[key])} is not a side mode; use none, alternate or switch.",
                raw.lines[key],
            ) from None

    def language(self, raw: Mapping, key: str, where: str) -> str:
        """The language's canonical tag ("en-gb" is "en-GB"); the field's default when absent
        (or empty)."""
        if key not in raw or raw[key] is None:
            return FIELDS[key].default
        try:
            return language(str(raw[key])).tag
        except UnknownLanguageError:
            raise self.fail(
                place(where, key),
                f"{shown(raw[key])} is not a language the coach speaks; use one of "
                f"{', '.join(known_tags())}.",
                raw.lines[key],
            ) from None

    def check_keys(self, raw: Mapping, known: tuple[str, ...], where: str) -> None:
        for key in raw:
            if key not in known and not key.startswith(EXTENSION_PREFIX):
                hint = did_you_mean(key, known) or f" Known fields: {', '.join(known)}."
                raise self.fail(where, f"unknown field {shown(key)}.{hint}", raw.lines[key])


def _reused(drill_id: str, seen: dict[str, tuple[int, str, int]]) -> str | None:
    """What is wrong with an id that an earlier drill's id is, or is but for case, accents and
    hyphens (`seen`: by loose key, the drill number, id and line of each): the options find a
    drill by its id compared so (model.loose_key), so each must be the only one. None for an id
    of its own."""
    if (used := seen.get(loose_key(drill_id))) is None:
        return None
    other, other_id, line = used
    alike = "" if other_id == drill_id else (
        f" as '{other_id}' (ids are compared without case, accents and hyphens)"
    )  # fmt: skip
    return (f"the id '{drill_id}' is already used by drill {other} (line {line}){alike}; give "
            "each drill its own id.")  # fmt: skip
