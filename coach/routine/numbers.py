"""Reading a routine's numbers, each with its field's bounds before any arithmetic on it.

Every number field has a minimum and a maximum (fields.py), and a value is compared with both
before it is multiplied, rounded or converted: NaN, the infinities, a `1e308` that would
overflow a product and an integer too long to convert (yaml_text.py's `Unreadable`) are all
refused as values out of range, naming the field, its line and the range to write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from coach.errors import RoutineError
from coach.routine.fields import COUNTED_ONLY, FIELDS
from coach.routine.model import Sides


def place(where: str, key: str) -> str:
    """The drill (if any) and the field, as a message names them."""
    return f"{where}, field '{key}'" if where else f"field '{key}'"


def shown(value: Any) -> str:
    """A value for a message: its repr (which escapes what a terminal would act on), cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _real(value: Any) -> bool:
    """A number YAML read (true/false are not numbers, though Python's bool is an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class NumberFields:
    """The validator's readers of number fields, a part of it split off to keep each file to one
    job: they use its `fail` (validate.py). Each reads a field by its entry in the table: the
    bounds, the default, whether it is said in tenths."""

    fail: Callable[..., RoutineError]

    def count(self, raw: Mapping, key: str, where: str) -> int:
        """A whole number within the field's bounds (sets, rounds); its default when absent."""
        field = FIELDS[key]
        least, most = int(field.minimum), int(field.maximum)
        if key not in raw or raw[key] is None:
            return field.default
        value = raw[key]
        if isinstance(value, int) and not isinstance(value, bool) and least <= value <= most:
            return value
        raise self.fail(
            place(where, key),
            f"must be a whole number from {least} to {most}, got {shown(value)}.",
            raw.lines[key],
        )

    def number(self, raw: Mapping, key: str, where: str) -> float | None:
        """A number within the field's bounds, in tenths where it is said aloud; its default
        when absent (or empty)."""
        field = FIELDS[key]
        if key not in raw or raw[key] is None:
            return field.default
        value = raw[key]
        if not (_real(value) and field.minimum <= value <= field.maximum):  # NaN compares false
            raise self.fail(
                place(where, key),
                f"must be a number from {field.minimum:g} to {field.maximum:g}, got "
                f"{shown(value)}.",
                raw.lines[key],
            )
        return self._in_tenths(float(value), raw, key, where) if field.tenths else float(value)

    def _in_tenths(self, value: float, raw: Mapping, key: str, where: str) -> float:
        """A spoken number of seconds ("hold 1.5 seconds"): tenths at most, as a coach says it."""
        if abs(value * 10 - round(value * 10)) > 1e-9:
            raise self.fail(
                place(where, key),
                f"{value!r} is finer than a tenth of a second, more than a coach can say; "
                f"write {round(value, 1):g}.",
                raw.lines[key],
            )
        return round(value, 1) + 0.0  # as said: 1e-12 is 0, and -0.0 is 0 (+ 0.0 drops the sign)

    def reps(self, raw: Mapping, key: str, where: str) -> tuple[int, int]:
        """A count or a [min, max] range of whole numbers within the field's bounds."""
        if key not in raw:
            raise self.fail(
                where,
                "the field 'reps' is missing; give a count like 8 or a range like [10, 12], "
                "or 'seconds' for a timed drill.",
                raw.line,
            )
        value, line, at = raw[key], raw.lines[key], place(where, key)
        least, most = int(FIELDS[key].minimum), int(FIELDS[key].maximum)

        def whole(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and v >= least

        if whole(value):
            low = high = value
        elif isinstance(value, list) and len(value) == 2 and all(whole(v) for v in value):
            low, high = value
            if low > high:
                raise self.fail(
                    at, f"the range [{low}, {high}] is reversed; write [{high}, {low}].", line
                )
        else:
            raise self.fail(
                at,
                f"must be a whole number from {least} to {most} or a range [min, max] of them, got "
                f"{shown(value)}.",
                line,
            )
        if high > most:
            raise self.fail(at, f"more than {most} reps in one set is not a warm-up.", line)
        return (low, high)

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
                place(where, counted[0]),
                f"is for counted reps; a timed drill has only 'seconds', so remove "
                f"'{counted[0]}'.",
                raw.lines[counted[0]],
            )
        if sides is Sides.ALTERNATE:
            raise self.fail(
                place(where, "sides"),
                "a timed drill cannot alternate sides rep by rep; use 'switch' (the full time "
                "on each side) or 'none'.",
                raw.lines["sides"],
            )
        value, high = raw["seconds"], FIELDS["seconds"].maximum
        if value is None:
            raise self.fail(
                place(where, "seconds"), "is empty; give the work's length, like 30.", line
            )
        if _real(value) and value > high:
            raise self.fail(
                place(where, "seconds"),
                f"must be at most {high:g} seconds, got {shown(value)}; split a longer work "
                "into sets.",
                line,
            )
        return self.number(raw, "seconds", where)
