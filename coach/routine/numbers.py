"""Reading a routine's numbers, each with its field's bounds before any arithmetic on it.

Every number field has a minimum and a maximum (fields.py), and a value is compared with both
before it is multiplied, rounded or converted: NaN, the infinities, a `1e308` that would
overflow a product and an integer too long to convert (yaml_text.py's `Unreadable`) are all
refused as values out of range, naming the field, its line and the range to write. A length of
time may be written as people write one ("30s", "1m30s", "1:30"): durations.py reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from coach.errors import RoutineError, exact
from coach.routine.durations import NotADuration, seconds_of
from coach.routine.fields import COUNTED_ONLY, FIELDS, Field
from coach.routine.model import Sides
from coach.routine.yaml_text import Unreadable
from coach.system.english import number_of


def place(where: str, key: str) -> str:
    """The drill (if any) and the field, as a message names them."""
    return f"{where}, field '{key}'" if where else f"field '{key}'"


def shown(value: Any) -> str:
    """A value for a message: its repr (which escapes what a terminal would act on), cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _seconds_of(value: Any) -> float:
    """The seconds of a field's value (durations.py); an integer too long to convert is a
    number all the same, beyond any bound."""
    if isinstance(value, Unreadable) and value.kind == "number":
        return float(value.text)  # its sign, and an infinity: out of range either way
    return seconds_of(value)


def _out_of_range(field: Field, seconds: float, value: Any, over: str) -> str:
    """What is wrong with a length of time beyond its field's bounds: the bound it passes, and
    the value as written (with its seconds, when written otherwise)."""
    got = shown(value)
    if isinstance(value, str):  # a quoted number as the number; any other text with its seconds
        read = exact(seconds)
        got = read if value.strip() == read else f"{got} ({number_of(seconds, 'second')})"
    if seconds < field.minimum:
        return f"must be at least {number_of(field.minimum, 'second')}, got {got}."
    if seconds > field.maximum:
        return f"must be at most {number_of(field.maximum, 'second')}, got {got}{over}."
    return (f"must be from {field.minimum:g} to {number_of(field.maximum, 'second')}, "
            f"got {got}.")  # fmt: skip


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

    def seconds(self, raw: Mapping, key: str, where: str, over: str = "") -> float | None:
        """A length of time as a number or a written duration (durations.py), within the field's
        bounds, in tenths where it is said aloud; its default when absent (or empty). `over`:
        the advice that ends the message about a value above the maximum."""
        field = FIELDS[key]
        if key not in raw or raw[key] is None:
            return field.default
        value, line, at = raw[key], raw.lines[key], place(where, key)
        try:
            seconds = _seconds_of(value)
        except NotADuration as error:
            raise self.fail(at, str(error), line) from None
        if not field.minimum <= seconds <= field.maximum:  # NaN compares false
            raise self.fail(at, _out_of_range(field, seconds, value, over), line)
        return self._in_tenths(seconds, raw, key, where) if field.tenths else seconds

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
            raise self.fail(
                at, f"more than {number_of(most, 'rep')} in one set is not a warm-up.", line
            )
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
        if raw["seconds"] is None:
            raise self.fail(
                place(where, "seconds"), "is empty; give the work's length, like 30.", line
            )
        return self.seconds(raw, "seconds", where, over="; split a longer work into sets")
