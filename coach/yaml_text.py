"""A routine's YAML text read safely: a YAML 1.2 reading, mappings that know their lines.

Refused before anything is built: anchors and aliases (a routine never needs them, and they make
bombs) and deep nesting (it makes the constructor recurse past Python's limit). Every problem is
a RoutineError naming the source and, where known, the line, in plain words.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from coach.errors import RoutineError

MAX_DEPTH = 16
"""Deeper nesting than this is refused before it is built: a routine is 4 levels deep."""


def load_document(data: bytes, source: str) -> Any:
    """The YAML document in `data` (the text of the file named `source` in messages)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RoutineError(
            f"{source}: not a UTF-8 text file (byte {e.start}). A routine is a YAML text file."
        ) from None
    if "\x00" in text:
        raise RoutineError(f"{source}: contains NUL bytes; a routine is a YAML text file.")
    try:
        _prescan(text, source)
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as e:
        line = f", line {e.problem_mark.line + 1}" if e.problem_mark else ""
        what = _plain_problem(e, text)
        if isinstance(e, yaml.constructor.ConstructorError) and "tag" in what:
            what = f"{what}; tags that build objects are not allowed in a routine"
        raise RoutineError(f"{source}{line}: {what}.") from None
    except yaml.reader.ReaderError as e:
        # libyaml counts bytes and gives the character's code; the pure-Python reader, characters.
        code = e.character if isinstance(e.character, int) else ord(e.character)
        counted = data if _SafeBase is not yaml.SafeLoader else text
        line = counted[: e.position].count(b"\n" if counted is data else "\n") + 1
        raise RoutineError(
            f"{source}, line {line}: contains the character U+{code:04X}, which YAML does not "
            "allow; a routine is a YAML text file."
        ) from None
    except yaml.YAMLError as e:
        problem = " ".join(str(e).split())
        raise RoutineError(f"{source}: not valid YAML ({problem}).") from None
    return document


def _plain_problem(error: yaml.MarkedYAMLError, text: str) -> str:
    """The parser's problem in plain words where it has a usual cause."""
    problem = error.problem or "not valid YAML"
    if "another document" in problem:
        return "holds more than one YAML document (a '---' line starts another); a routine is one"
    lines, mark = text.splitlines(), error.problem_mark
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
        return "a tab indents this line; YAML indents with spaces only"
    return problem


class LineDict(dict):
    """A mapping that remembers the line (1-based) of each of its keys."""

    lines: dict[Any, int]
    line: int


# libyaml's parser when PyYAML has it: the pure-Python one is several times slower.
_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[misc, valid-type]
    """A safe loader whose mappings remember their lines and refuse duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        mapping = LineDict()
        mapping.lines = {}
        mapping.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is not a name", key_node.start_mark
                )
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' appears twice", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping


    def construct_decimal(self, node: yaml.ScalarNode) -> int:
        """A plain integer, as YAML 1.2 reads it; a leading zero (YAML 1.1's octal) is refused."""
        text = node.value.lstrip("+-")
        if len(text) > 1 and text.startswith("0"):
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value} starts with 0, which YAML 1.1 reads as an octal "
                f"number; write {int(node.value)} (or quote it for text)", node.start_mark,
            )  # fmt: skip
        return int(node.value)

    def construct_real(self, node: yaml.ScalarNode) -> float:
        special = {".inf": "inf", "+.inf": "inf", "-.inf": "-inf", ".nan": "nan"}
        return float(special.get(node.value.lower(), node.value))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
# Scalars as YAML 1.2 reads them, not 1.1: only true/false are booleans (so a cue "Yes" or "On"
# stays text), integers are decimal, and 2e0 is a number.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                           "tag:yaml.org,2002:float")]
    for first, resolvers in _SafeBase.yaml_implicit_resolvers.items()
}  # fmt: skip
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)  # fmt: skip
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_real)


def _prescan(text: str, source: str) -> None:
    """Refuse anchors, aliases and deep nesting from the event stream, before anything is built.

    A routine never needs anchors or aliases, and they make bombs; deep nesting makes the
    constructor recurse past Python's limit (and the pure-Python scanner slow down).
    """
    depth = 0
    too_deep = (
        f"nested more than {MAX_DEPTH} levels deep; a routine is a mapping with a list of drills"
    )
    events = yaml.parse(text, Loader=_SafeBase)
    while True:
        try:
            event = next(events, None)
        except yaml.MarkedYAMLError as e:  # libyaml 0.2.6 stops at its own nesting limit first
            if "nesting depth" not in (e.problem or ""):
                raise
            line = e.problem_mark.line + 1 if e.problem_mark else 1
            raise RoutineError(f"{source}, line {line}: {too_deep}.") from None
        if event is None:
            return
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise RoutineError(
                f"{source}, line {line}: YAML anchors and aliases (&, *) are not allowed in a "
                "routine; write each value out."
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise RoutineError(f"{source}, line {line}: {too_deep}.")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
