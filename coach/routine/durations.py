"""Lengths of time as people write them: `30`, `"30s"`, `45 sec`, `1m30s`, `1 min 30 s`, `"1:30"`.

One reader, `seconds_of`, for every field measured in seconds (the routine's, through the
validator, and the command line's `--rest`), and one pattern, `DURATION_PATTERN`, that the JSON
Schema gives editors: both are made from the same grammar below, so what an editor accepts as a
duration is what the loader reads. The bounds of each field are the caller's to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from coach.errors import excerpt

SECOND_WORDS = ("seconds", "second", "secs", "sec", "s")
MINUTE_WORDS = ("minutes", "minute", "mins", "min", "m")
"""Longest first, so that a pattern tries "sec" before "s"."""
FORMS = '30, "30s", "1m30s" or "1:30"'
"""The forms a message shows (and the docs): a number, seconds, minutes and seconds, a clock."""


def _grammar(word: Callable[[str], str]) -> str:
    """The grammar of a written duration, unanchored, with each unit word as `word` spells it in
    a pattern (the reader ignores case; JSON Schema's patterns have no flag for it). Digits are
    ASCII ([0-9], not \\d, which is every script's digits in Python); no sign, no exponent."""
    number = r"[0-9]+(?:\.[0-9]+)?"
    seconds = "(?:" + "|".join(word(w) for w in SECOND_WORDS) + ")"
    minutes = "(?:" + "|".join(word(w) for w in MINUTE_WORDS) + ")"
    return (
        rf"(?P<plain>{number})[ \t]*(?:{seconds})?"  # 30, 30s, 30 sec
        rf"|(?P<minutes>{number})[ \t]*{minutes}(?:[ \t]*(?P<and>{number})[ \t]*{seconds})?"
        rf"|(?P<clock>[0-9]+):(?P<clock_seconds>[0-5][0-9](?:\.[0-9]+)?)"  # 1:30, 0:45
    )


_READER = re.compile(_grammar(re.escape), re.IGNORECASE | re.ASCII)  # "ſ" is no "s"


def _both_cases(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)


DURATION_PATTERN = r"^\s*(?:" + re.sub(r"\?P<\w+>", "?:", _grammar(_both_cases)) + r")\s*$"
"""The grammar as a JSON Schema `pattern` (ECMA-262: no named groups, no case flag)."""


class NotADuration(ValueError):
    """A value that no written duration is; the message says so and shows the forms to write,
    the same for a routine's field and for `--rest`."""

    def __init__(self, value: Any) -> None:
        super().__init__(f"{excerpt(repr(value), 60)} is not a duration; write seconds as {FORMS}.")


def seconds_of(value: Any) -> float:
    """The seconds a routine's value or an option's text stands for: a number as it is (its
    bounds are the field's), or a text in one of the grammar's forms. NotADuration for anything
    else, a negative text among them."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    found = _READER.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise NotADuration(value)
    part = {name: Decimal(text or 0) for name, text in found.groupdict().items()}
    # In decimal, so that "1.1m" is 66 seconds exactly, as a number written out would be.
    total = part["plain"] + 60 * (part["minutes"] + part["clock"]) + part["and"]
    return float(total + part["clock_seconds"])
