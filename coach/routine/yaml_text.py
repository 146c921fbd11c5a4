"""A routine's YAML text read safely: a YAML 1.2 reading, mappings that know their lines.

Refused before anything is built: aliases that expand past a routine's size, or into
themselves (yaml_aliases.py), tags beyond YAML 1.2's core schema, and deep nesting (it makes the
constructor recurse past Python's limit). Merge keys (`<<: *base`) are read as YAML 1.1 reads
them. A scalar its tag cannot read becomes an `Unreadable`, for the validator to refuse with the
field named. Every problem is a RoutineError naming the source and, where known, the line where
the mistake starts, in plain words.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from coach.errors import RoutineError, excerpt
from coach.routine.yaml_aliases import MERGE_TAG, Expansion, merge, merge_sources

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
        anchor_names = _prescan(text, source)
        loader = _Loader(text)
        loader.anchor_names = anchor_names
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark, what = _plain_problem(e, text)
        line = f", line {mark.line + 1}" if mark else ""
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


def _plain_problem(error: yaml.MarkedYAMLError, text: str) -> tuple[Any, str]:
    """Where the mistake starts and the parser's problem, in plain words where it has a usual
    cause. The parser stops where it notices (an unclosed quote, at the end of the file); for
    an unclosed quote, list or mapping and a key without its colon, the mistake is where that
    started, the error's `context_mark`."""
    problem, mark = error.problem or "not valid YAML", error.problem_mark
    start, lines = error.context_mark, text.splitlines()
    opened = start and mark and start.line < len(lines) and lines[start.line][start.column:][:1]
    if "another document" in problem:
        return mark, ("holds more than one YAML document (a '---' line starts another); a "
                      "routine is one")  # fmt: skip
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
        return mark, "a tab indents this line; YAML indents with spaces only"
    if "quoted scalar" in (error.context or "") and opened in ("'", '"') and (
        "end of stream" in problem or "document" in problem
    ):
        return start, f"the text opened with {opened} here is never closed; end it with {opened}"
    if "flow" in (error.context or "") and opened in ("[", "{") and start.line < mark.line:
        what, close = ("list", "]") if opened == "[" else ("mapping", "}")
        return start, (f"the {what} opened with {opened} here is not closed before line "
                       f"{mark.line + 1} ({problem}); close it with {close}")  # fmt: skip
    if "simple key" in (error.context or "") and opened and start.line < mark.line:
        key = excerpt(lines[start.line][start.column:].strip(), 40)
        return start, f"{key!r} has no ':' after it; write a field as 'name: value'"
    return mark, problem


class LineDict(dict):
    """A mapping that remembers the line (1-based) of each of its keys: for a merged key, a
    yaml_aliases.MergedLine, which names the line it is written on as well."""

    lines: dict[Any, int]
    line: int


# libyaml's parser when PyYAML has it: the pure-Python one is several times slower.
_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[misc, valid-type]
    """A safe loader whose mappings remember their lines, refuse duplicate keys and merge
    (`<<`) as YAML 1.1 does, a key written in the mapping beating a merged one."""

    anchor_names: dict[tuple[int, int], str]
    """The anchors by the place of their values (yaml_aliases.Expansion.names)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        mapping = LineDict()
        mapping.lines = {}
        mapping.line = node.start_mark.line + 1
        merged, merge_line = [], None
        for key_node, value_node in node.value:
            merging = key_node.tag == MERGE_TAG
            key = "<<" if merging else self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is not a name", key_node.start_mark
                )
            if key in mapping or merging and merge_line:
                again = "; merge a list instead, like <<: [*a, *b]" if merging else ""
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' appears twice{again}", key_node.start_mark
                )
            if merging:
                merged = merge_sources(
                    key_node, value_node, self.construct_object, self.anchor_names
                )
                merge_line = key_node.start_mark.line + 1
                continue
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.lines[key] = key_node.start_mark.line + 1
        if merge_line:
            merge(mapping, merged, merge_line)
        return mapping

    def construct_decimal(self, node: yaml.ScalarNode) -> int | Unreadable:
        """A plain integer, as YAML 1.2 reads it: decimal, and never converted when longer than
        MAX_DIGITS (Python's own limit is 4,300 digits)."""
        text = node.value.lstrip("+-")
        if not _INTEGER.match(node.value):
            return Unreadable(node.value, node.tag)
        if len(text) > MAX_DIGITS:
            return Unreadable(node.value, node.tag, f"a {len(text)}-digit number")
        return int(node.value)  # a leading zero was refused before (_check_octal)

    def construct_real(self, node: yaml.ScalarNode) -> float | Unreadable:
        """A float as YAML 1.2 reads it (float() of any length of digits is safe)."""
        if not _FLOAT.match(node.value) and not _INTEGER.match(node.value):
            return Unreadable(node.value, node.tag)
        special = {".inf": "inf", "+.inf": "inf", "-.inf": "-inf", ".nan": "nan"}
        return float(special.get(node.value.lower(), node.value))

    def construct_bool(self, node: yaml.ScalarNode) -> bool | Unreadable:
        """true or false, in YAML 1.2's three spellings of each (`!!bool yes` is not one)."""
        if not _BOOL.match(node.value):
            return Unreadable(node.value, node.tag)
        return node.value.lower() == "true"

    def construct_null(self, node: yaml.ScalarNode) -> None | Unreadable:
        """The empty value: `~`, `null` (three spellings) or nothing (`!!null x` is not one)."""
        if not _NULL.match(node.value):
            return Unreadable(node.value, node.tag)
        return None


class Unreadable:
    """A scalar its tag cannot read (`!!int abc`), or an integer too long to be any routine's
    number: kept as written instead of failing where no field is known, so the validator refuses
    it like any value of the wrong kind, naming the field, the line and what to write."""

    def __init__(self, text: str, tag: str, shown: str | None = None) -> None:
        self.text = text
        self.shown = shown or f"{_short_tag(tag)} {text!r}"
        self.kind = "number" if shown else f"value that {_short_tag(tag)} cannot read"

    def __repr__(self) -> str:  # how the validator shows a value it refuses
        return self.shown


def _short_tag(tag: str) -> str:
    """`tag:yaml.org,2002:int` as it is usually written, `!!int`."""
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


MAX_DIGITS = 40
"""An integer longer than this is not converted: no field takes one (the largest is 10000), and
no spoken word is that long, so as text it would be refused all the same."""
_YAML_TAG = "tag:yaml.org,2002:"
_INTEGER = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")  # fmt: skip
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
ALLOWED_TAGS = {
    yaml.ScalarEvent: {"!", *(_YAML_TAG + name for name in ("str", "int", "float", "bool",
                                                              "null"))},
    yaml.SequenceStartEvent: {_YAML_TAG + "seq"},
    yaml.MappingStartEvent: {_YAML_TAG + "map"},
}  # fmt: skip
"""The explicit tags a routine may use, by the kind of node: YAML 1.2's core schema. Every other
tag (`!!timestamp`, `!!set`, `!!binary`, `!!python/...`, `!local`) is refused before anything
is built: a routine holds only text, numbers, true/false, lists and mappings."""


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
# Scalars as YAML 1.2's core schema reads them, not 1.1: only true/false are booleans (so a cue
# "Yes" or "On" stays text), integers are decimal, 2e0 is a number, and there are no implicit
# dates or values (=). A plain << key is YAML 1.1's merge key, which routines use to share fields.
_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("null", _NULL, ["~", "n", "N", ""]), ("bool", _BOOL, list("tTfF")),
    ("int", _INTEGER, list("-+0123456789")), ("float", _FLOAT, list("-+0123456789.")),
    ("merge", re.compile(r"^<<$"), ["<"]),
):  # fmt: skip
    _Loader.add_implicit_resolver(_YAML_TAG + _tag, _pattern, _first)
_Loader.add_constructor(_YAML_TAG + "int", _Loader.construct_decimal)
_Loader.add_constructor(_YAML_TAG + "float", _Loader.construct_real)
_Loader.add_constructor(_YAML_TAG + "bool", _Loader.construct_bool)
_Loader.add_constructor(_YAML_TAG + "null", _Loader.construct_null)


def _prescan(text: str, source: str) -> dict[tuple[int, int], str]:
    """Refuse tags outside ALLOWED_TAGS, deep nesting and aliases that cannot be expanded (too
    large, or into themselves: yaml_aliases.Expansion) from the event stream, before anything is
    built; the anchors by the place of their values, for the loader.

    Other tags build objects no field takes (or run code); deep nesting, written out or through
    an alias, makes the constructor or the validator recurse past Python's limit (and the
    pure-Python scanner slow down).
    """
    too_deep = (
        f"nested more than {MAX_DEPTH} levels deep; a routine is a mapping with a list of drills"
    )
    open_nodes: list[list] = []
    """Per open list or mapping: [whether a mapping, the key whose value comes next (None when a
    key comes next)], so a message can name the field."""
    expansion = Expansion(source)
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
            return expansion.names
        line = event.start_mark.line + 1
        expansion.see(event)
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            open_nodes.pop()
            _value_done(open_nodes)
            continue
        if isinstance(event, yaml.AliasEvent):
            if len(open_nodes) + expansion.height(event.anchor) > MAX_DEPTH:
                raise RoutineError(f"{source}, line {line}: {too_deep}.")
        elif not isinstance(event, (yaml.ScalarEvent, *_COLLECTIONS)):
            continue
        else:
            _check_tag(event, _field_of(open_nodes), source, line)
            _check_octal(event, _field_of(open_nodes), source, line)
        if open_nodes and open_nodes[-1][0] and open_nodes[-1][1] is None:  # a key
            open_nodes[-1][1] = getattr(event, "value", "?")
        elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            _value_done(open_nodes)
        if isinstance(event, _COLLECTIONS):
            open_nodes.append([isinstance(event, yaml.MappingStartEvent), None])
            if len(open_nodes) > MAX_DEPTH:
                raise RoutineError(f"{source}, line {line}: {too_deep}.")


_COLLECTIONS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)


def _value_done(open_nodes: list[list]) -> None:
    """A value is complete: in a mapping, a key comes next."""
    if open_nodes and open_nodes[-1][0]:
        open_nodes[-1][1] = None


def _field_of(open_nodes: list[list]) -> str | None:
    """The key of the innermost mapping value being read (through lists), if any."""
    for is_mapping, key in reversed(open_nodes):
        if is_mapping:
            return key
    return None


def _check_octal(event: yaml.NodeEvent, field: str | None, source: str, line: int) -> None:
    """Refuse an integer with a leading zero (`010`, octal in YAML 1.1), naming the field."""
    if not isinstance(event, yaml.ScalarEvent):
        return
    if not (event.tag is None and event.implicit[0] or event.tag == _YAML_TAG + "int"):
        return
    digits = event.value.lstrip("+-")
    if _INTEGER.match(event.value) and len(digits) > 1 and digits.startswith("0"):
        where = f", field {excerpt(field, 40)!r}" if field else ""
        number = event.value[: len(event.value) - len(digits)] + (digits.lstrip("0") or "0")
        raise RoutineError(
            f"{source}{where}, line {line}: {excerpt(event.value, 40)} starts with 0, which YAML "
            f"1.1 reads as an octal number; write {excerpt(number, 40)} (or quote it for text)."
        )


def _check_tag(event: yaml.NodeEvent, field: str | None, source: str, line: int) -> None:
    """Refuse an explicit tag outside ALLOWED_TAGS, naming the field it is on."""
    tag = event.tag
    if tag is None or tag in ALLOWED_TAGS[type(event)]:
        return
    on = "" if isinstance(event, yaml.ScalarEvent) else " on a list or mapping"
    where = f", field {excerpt(field, 40)!r}" if field else ""
    raise RoutineError(
        f"{source}{where}, line {line}: the tag {_short_tag(tag)} is not allowed{on} in a routine, "
        "which holds only text, numbers, true/false, lists and mappings; write the value "
        "without the tag."
    )
