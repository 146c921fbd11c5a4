"""Reading a routine's texts: spoken and printed, so plain text of a speakable length.

A part of the validator (validate.py), split off to keep each file to one job: the mixin uses
its `fail`; the limits and defaults are the field table's (fields.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from coach.errors import RoutineError, excerpt
from coach.routine.fields import FIELDS
from coach.routine.numbers import place
from coach.routine.yaml_text import Unreadable
from coach.system.english import a_or_an, number_of

MAX_WORD_CHARS = 40
"""No spoken word is longer; a longer run of letters is not a word and crashes some engines."""
_NOT_PLAIN = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef"
    + "".join(chr(plane | 0xFFFE) + chr(plane | 0xFFFF) for plane in range(0, 0x110000, 0x10000))
    + "]"
)
"""What a text may not hold: control characters and lone surrogates; the bidirectional
embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder what a
terminal, a caption or a tag shows after them; and Unicode's noncharacters (U+FDD0-U+FDEF and
the last two code points of every plane), which are not text at all."""


class TextFields:
    """The validator's readers of text fields (see the module's docstring)."""

    fail: Callable[..., RoutineError]

    def text(self, raw: Mapping, key: str, where: str) -> str | None:
        """A text; an optional field's default when absent. Empty only where the default is
        the empty text."""
        field = FIELDS[key]
        if key not in raw:
            if not field.required:
                return field.default
            raise self.fail(where, f"the field '{key}' is missing.", raw.line)
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(
                place(where, key), f"must be text, not {kind_of(value)}.", raw.lines[key]
            )
        value = " ".join(str(value).split())
        if not value and field.default != "":
            raise self.fail(place(where, key), "must not be empty.", raw.lines[key])
        self.printable(value, where, key, raw.lines[key])
        self.sayable(value, where, key, raw.lines[key])
        return value

    def sayable(self, value: str, where: str, key: str, line: int) -> None:
        """Refuse a text too long to speak well, or with a "word" no voice can say."""
        limit = FIELDS[key].max_chars
        if len(value) > limit:
            raise self.fail(
                place(where, key),
                f"is {len(value)} characters long (\"{excerpt(value, 40)}\"); the limit is "
                f"{limit}. Say it in fewer words.",
                line,
            )
        word = max(value.split(), key=len, default="")
        if len(word) > MAX_WORD_CHARS:
            raise self.fail(
                place(where, key),
                f"has a {len(word)}-character word (\"{excerpt(word, 40)}\"); no word a coach "
                f"says is longer than {MAX_WORD_CHARS}.",
                line,
            )

    def printable(self, value: str, where: str, key: str, line: int) -> None:
        """Text is spoken and printed (the terminal, captions, tags): refuse what is not plain
        text there, as `_NOT_PLAIN` says."""
        found = _NOT_PLAIN.search(value)
        if found is None:
            return
        code = ord(found.group())
        if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
            what = f"the bidirectional control U+{code:04X}, which reorders the text on screen"
        elif 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
            what = f"U+{code:04X}, which is not a character (a Unicode noncharacter)"
        else:
            what = f"the control character U+{code:04X}"
        raise self.fail(place(where, key), f"contains {what}; write plain text.", line)

    def texts(self, raw: Mapping, key: str, where: str) -> tuple[str, ...]:
        """A list of short texts (or one text); the field's default when absent or empty."""
        value = raw.get(key)
        if value is None:
            return FIELDS[key].default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
        ):
            raise self.fail(place(where, key), "must be a list of short texts.", raw.lines[key])
        most = FIELDS[key].max_items
        if len(value) > most:
            raise self.fail(
                place(where, key),
                f"has {number_of(len(value), 'entry', 'entries')}; the limit is {most}. Keep the "
                "ones that matter most.",
                raw.lines[key],
            )
        items = tuple(" ".join(str(v).split()) for v in value)
        if not all(items):
            raise self.fail(place(where, key), "has an empty entry.", raw.lines[key])
        for item in items:
            self.printable(item, where, key, raw.lines[key])
            self.sayable(item, where, key, raw.lines[key])
        return items


def kind_of(value: Any) -> str:
    """What a value of the wrong kind is, with its article, for a message ("must be text, not
    a list", "not an empty value")."""
    return a_or_an(_kind_of(value))


def _kind_of(value: Any) -> str:
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
    if isinstance(value, Unreadable):
        return value.kind
    return type(value).__name__
