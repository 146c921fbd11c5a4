"""The routine format's fields, in one table: each field's kind, bounds and default. The
validator reads every field by its kind and bounds and fills in its default (validate.py), and
`json_schema` turns the table into a JSON Schema (draft 2020-12; printed by the CLI's schema
command) so that an editor with the YAML language server checks and completes routine files as
the loader would."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from coach.language.catalogue import DEFAULT_LANGUAGE, known_tags
from coach.routine.durations import DURATION_PATTERN, FORMS
from coach.routine.model import MAX_REPS, MIN_REP_SECONDS, Sides

MAX_REST_SECONDS = 3600
"""The longest rest, between drills, sets or rounds: an hour (a session lasts 3 at most)."""
MAX_PART_SECONDS = 600
"""The longest rep, hold or timed work: 10 minutes (split longer work into sets)."""

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ID_CHAR = r"[^\x00-/:-`{-\x7f\s]"
ID_PATTERN = rf"^{_ID_CHAR}+(-{_ID_CHAR}+)*$"
"""An id for editors: words of lower-case ASCII letters and digits or any other characters but
spaces, joined by hyphens. A pattern both Python and JavaScript read alike cannot say "a letter
of any script", so the loader's own rule is exact where this is not (an id is its own slug,
model.slug): "Ñandú" passes here and is refused there."""
EXTENSION_PREFIX = "x-"
"""A field whose name starts so is the writer's own, ignored (as in Compose files): the place for
a block that drills share, `x-base: &base`, merged with `<<: *base`."""


class Kind(StrEnum):
    TEXT = "text"
    TEXTS = "texts"
    """A list of short texts (or one text)."""
    SECONDS = "seconds"
    """A length of time in seconds: a number, or a duration as people write one ("45s",
    "1m30s", "1:30"; durations.py)."""
    COUNT = "count"
    """A whole number."""
    REPS = "reps"
    """A whole number, or a [min, max] range of them."""
    SIDES = "sides"
    LANGUAGE = "language"
    """A language tag with a catalogue (coach/language)."""
    DRILLS = "drills"


@dataclass(frozen=True)
class Field:
    kind: Kind
    help: str
    """What the field is, for the schema; `{default}` in it stands for the default."""
    required: bool = False
    default: Any = None
    """The value of an optional field that is absent (or, where `nullable`, empty): the one place
    each default is written. None where the model says what stands for it (an id made from the
    name, a rest left out)."""
    minimum: float | None = None
    maximum: float | None = None
    """Every number has both bounds, so a value is bounded before any arithmetic on it."""
    max_chars: int | None = None
    """The longest text (each text, for a list): 1500 characters is two minutes of speech."""
    max_items: int | None = None
    """The most texts in a list: cues beyond this are more than a set can hold between its reps
    (those that fit nowhere are said before the set, so more would be a speech, not cues)."""
    pattern: str | None = None
    nullable: bool = True
    """Whether YAML's empty value stands for the default (as for an absent field)."""
    tenths: bool = False
    """A number said aloud ("hold 1.5 seconds"): no finer than a tenth, as a coach says it."""

    @property
    def description(self) -> str:
        """The help, with the default in it (and, for a length of time, the ways to write one)."""
        text = self.help.format(default=self.default)
        return f"{text} Written as {FORMS}." if self.kind is Kind.SECONDS else text


ROUTINE_FIELDS = {
    "name": Field(Kind.TEXT, "The routine's name, said first.", True, max_chars=80),
    "description": Field(
        Kind.TEXT, "What the routine is for (not spoken).", default="", max_chars=600
    ),
    "language": Field(
        Kind.LANGUAGE, "The language of its texts, which the coach speaks too: a tag such as "
        "de, es, fr or en-GB (default {default}).", default=DEFAULT_LANGUAGE,
    ),
    "rest_seconds": Field(
        Kind.SECONDS, "Rest between drills, in seconds (default {default:g}).", default=10.0,
        minimum=0, maximum=MAX_REST_SECONDS,
    ),
    "rounds": Field(
        Kind.COUNT, "The whole list of drills, this many times (default {default}).", default=1,
        minimum=1, maximum=100,
    ),
    "round_rest_seconds": Field(
        Kind.SECONDS, "Rest between rounds, in seconds (default: rest_seconds).", minimum=0,
        maximum=MAX_REST_SECONDS,
    ),
    "drills": Field(Kind.DRILLS, "The drills, in order.", True),
}  # fmt: skip
DRILL_FIELDS = {
    "id": Field(
        Kind.TEXT, "The name a session's options pick, skip or rehearse the drill by (default: "
        "made from the name).", max_chars=80, pattern=ID_PATTERN,
    ),
    "name": Field(Kind.TEXT, "The drill's name, said before it.", True, max_chars=80),
    "instructions": Field(Kind.TEXT, "How to do it, said before the set.", True, max_chars=1500),
    "cues": Field(
        Kind.TEXTS, "Short cues, said during the set where they fit.", default=(), max_chars=120,
        max_items=20,
    ),
    "reps": Field(
        Kind.REPS, "Reps per set (per side when sided): 8, or a range [10, 12]. A drill has "
        "reps or seconds.", minimum=1, maximum=MAX_REPS,
    ),
    "seconds": Field(
        Kind.SECONDS, "A timed drill's work, in seconds (per side when sided). A drill has reps "
        "or seconds.", minimum=5, maximum=MAX_PART_SECONDS, nullable=False, tenths=True,
    ),
    "sets": Field(
        Kind.COUNT, "Sets of the drill (default {default}).", default=1, minimum=1, maximum=100
    ),
    "set_rest_seconds": Field(
        Kind.SECONDS, "Rest between sets, in seconds (default: rest_seconds).", minimum=0,
        maximum=MAX_REST_SECONDS,
    ),
    "sides": Field(
        Kind.SIDES, "{default} (default); switch: all reps or the time on one side, then the "
        "other; alternate: left and right rep by rep (counted drills only).", default=Sides.NONE,
    ),
    "rep_seconds": Field(
        Kind.SECONDS, "Tempo of one rep, in seconds (default {default:g}; counted drills only).",
        default=3.0, minimum=MIN_REP_SECONDS, maximum=MAX_PART_SECONDS,
    ),
    "hold_seconds": Field(
        Kind.SECONDS, "A hold at the end of each rep, in seconds, to a tenth at most (default "
        "{default:g}; counted drills only).", default=0.0, minimum=0, maximum=MAX_PART_SECONDS,
        tenths=True,
    ),
    "equipment": Field(
        Kind.TEXTS, "What the drill needs (a session without it leaves the drill out).",
        default=(), max_chars=40, max_items=10,
    ),
    "targets": Field(
        Kind.TEXTS, "What the drill works (not spoken).", default=(), max_chars=40, max_items=10
    ),
}  # fmt: skip
COUNTED_ONLY = ("rep_seconds", "hold_seconds")
"""Fields of a drill of counted reps that a timed drill does not have."""
FIELDS = {**ROUTINE_FIELDS, **DRILL_FIELDS}
"""Both tables by name (a routine's `name` and a drill's have the same bounds)."""


def json_schema() -> dict:
    """The routine format as a JSON Schema, from the tables above."""
    drill = _object(DRILL_FIELDS)
    drill["oneOf"] = [{"required": ["reps"]}, {"required": ["seconds"]}]  # exactly one
    drill["if"] = {"required": ["seconds"]}
    drill["then"] = {
        "not": {"anyOf": [{"required": [key]} for key in COUNTED_ONLY]},
        "properties": {"sides": {"not": {"const": Sides.ALTERNATE.value}}},
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "coach routine",
        "description": "A routine for coach, the voice-guided warm-up coach. Fields that drills "
                       "share may be written once, as `x-base: &base` with the fields under it, "
                       "and used with `<<: *base` in each drill.",
        **_object(ROUTINE_FIELDS),
        "$defs": {"drill": drill},
    }


def _object(fields: dict[str, Field]) -> dict:
    return {
        "type": "object",
        "properties": {name: _property(field) for name, field in fields.items()},
        "required": [name for name, field in fields.items() if field.required],
        "patternProperties": {f"^{EXTENSION_PREFIX}": {}},
        "additionalProperties": False,
    }


def _property(field: Field) -> dict:
    """One field's schema; YAML's empty value is allowed where the loader takes it as absent."""
    text: dict = {"type": ["string", "number"], "pattern": field.pattern or r"\S"}
    if field.max_chars:
        text["maxLength"] = field.max_chars
    bounds = {key: value for key, value in (("minimum", field.minimum),
                                            ("maximum", field.maximum)) if value is not None}
    if field.kind is Kind.TEXT:
        schema = text
    elif field.kind is Kind.TEXTS:
        items = {"maxItems": field.max_items} if field.max_items else {}
        schema = {"anyOf": [{"type": "null"}, text, {"type": "array", "items": text, **items}]}
    elif field.kind is Kind.SECONDS:
        written = {"type": "string", "pattern": DURATION_PATTERN}  # its bounds are the loader's
        empty = [{"type": "null"}] if field.nullable else []
        schema = {"anyOf": [{"type": "number", **bounds}, written, *empty]}
    elif field.kind is Kind.COUNT:
        schema = {"type": ["integer", "null"], **bounds}
    elif field.kind is Kind.REPS:
        count = {"type": "integer", **bounds}
        schema = {"anyOf": [count, {"type": "array", "items": count, "minItems": 2,
                                    "maxItems": 2}]}  # fmt: skip
    elif field.kind is Kind.SIDES:
        schema = {"enum": [*(s.value for s in Sides), None]}
    elif field.kind is Kind.LANGUAGE:
        schema = {"enum": [*known_tags(), None]}
    else:
        schema = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/drill"}}
    return {"description": field.description, **schema}
