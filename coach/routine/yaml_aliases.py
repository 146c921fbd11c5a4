"""Anchors, aliases and merge keys in a routine: a block written once (`base: &base {...}`) and
used again (`<<: *base`, `cues: *cues`), read safely.

An alias costs a few bytes and can stand for a whole tree, so nine lines can stand for a
billion values. The size of the document as its aliases expand is therefore counted over the
event stream, before anything is built, and refused past what a routine file at its size limit
could hold written out; an alias to an anchor not yet complete (one that would contain itself)
is refused too. A merged key remembers where it is used and where it is written, so a message
about its value names both lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from coach.errors import RoutineError
from coach.routine.model import MAX_FILE_BYTES

MAX_EXPANDED_VALUES = MAX_FILE_BYTES
"""The most values (scalars, lists and mappings) a document may hold with its aliases expanded:
a file written out at the size limit holds fewer, since each value takes a byte or more."""
MAX_EXPANDED_CHARS = MAX_FILE_BYTES
"""The most characters of text (keys and values) a document may hold with its aliases expanded,
as many as a file at the size limit could hold written out; a real routine is a few thousand."""
MERGE_TAG = "tag:yaml.org,2002:merge"


class Expansion:
    """The document's size as its aliases expand, counted event by event in the prescan.

    Every anchored value's expanded size (values, characters) and height (levels of lists and
    mappings) is known once its end is read; an alias adds its anchor's size to the running
    totals, which are refused past the limits, naming the line of the alias."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.values = self.chars = 0
        self.sizes: dict[str, tuple[int, int, int]] = {}
        """Per complete anchor: values, characters and height of the value it marks."""
        self.defined: dict[str, int] = {}
        """The line of each anchor, complete or not."""
        self.open: list[list] = []
        """Per open list or mapping: [its anchor or None, the values and characters counted
        before it, the greatest height of its items so far]."""
        self.names: dict[tuple[int, int], str] = {}
        """Each anchor by the place (line, column) where the value it marks starts, the same
        place the value's node starts: how the loader names the anchor of a merged mapping."""

    def see(self, event: yaml.Event) -> None:
        """Count one event of the stream; RoutineError for an alias that cannot be expanded."""
        if isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent,
                                yaml.SequenceStartEvent)):  # fmt: skip
            self._anchor(event)
            self.values += 1
            if isinstance(event, yaml.ScalarEvent):
                self.chars += len(event.value)
                self._done(event.anchor, (1, len(event.value), 0))
            else:
                self.open.append([event.anchor, self.values - 1, self.chars, 0])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, values, chars, height = self.open.pop()
            self._done(anchor, (self.values - values, self.chars - chars, height + 1))

    def height(self, anchor: str) -> int:
        """Levels of lists and mappings in the value an (already seen) alias stands for."""
        return self.sizes[anchor][2]

    def _anchor(self, event: yaml.NodeEvent) -> None:
        name, line = event.anchor, event.start_mark.line + 1
        if name is None:
            return
        if name in self.defined:
            raise RoutineError(
                f"{self.source}, line {line}: the anchor &{name} is already used at line "
                f"{self.defined[name]}; give each anchor its own name."
            )
        self.defined[name] = line
        self.names[(event.start_mark.line, event.start_mark.column)] = name

    def _alias(self, event: yaml.AliasEvent) -> None:
        name, line = event.anchor, event.start_mark.line + 1
        if name not in self.defined:
            raise RoutineError(
                f"{self.source}, line {line}: the alias *{name} names no anchor before it; mark "
                f"the value to repeat with &{name} where it is first written."
            )
        if name not in self.sizes:
            raise RoutineError(
                f"{self.source}, line {line}: the alias *{name} is inside the value its anchor "
                f"marks (&{name}, line {self.defined[name]}), so it would repeat without end; "
                "use an anchor whose value ends before the alias."
            )
        values, chars, height = self.sizes[name]
        self.values += values
        self.chars += chars
        self._done(None, self.sizes[name])
        totals = (self.values, MAX_EXPANDED_VALUES, "values"), (
            self.chars, MAX_EXPANDED_CHARS, "characters of text")  # fmt: skip
        for count, limit, what in totals:
            if count > limit:
                raise RoutineError(
                    f"{self.source}, line {line}: the aliases (*{name} here) expand to more than "
                    f"{limit:,} {what}; a routine written out in full is at most "
                    f"{MAX_FILE_BYTES // 1000} kB, so use fewer aliases."
                )

    def _done(self, anchor: str | None, size: tuple[int, int, int]) -> None:
        """A value is complete: its anchor's size is known, and its parent is that much taller."""
        if anchor is not None:
            self.sizes[anchor] = size
        if self.open:
            self.open[-1][3] = max(self.open[-1][3], size[2])


class MergedLine(int):
    """The line of a merged key: the line of the `<<` that merges it, as a number (so it
    compares and sorts as one), which prints with the line where the value is written, so that
    every message naming it names both without the validator knowing of merges."""

    defined: int
    anchor: str | None

    def __new__(cls, used: int, defined: int, anchor: str | None) -> MergedLine:
        line = super().__new__(cls, used)
        line.defined, line.anchor = defined, anchor
        return line

    def __str__(self) -> str:
        if self.defined == int(self):
            return str(int(self))
        source = f"the anchor &{self.anchor}" if self.anchor else "the mapping merged"
        return f"{int(self)} (from {source} at line {self.defined})"

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else format(int(self), spec)


def merge_sources(
    key_node: yaml.Node, value_node: yaml.Node, construct: Callable[[yaml.Node], Any], names: dict
) -> list[tuple[Any, str | None]]:
    """The mappings a `<<` (`key_node`) merges (its value, or each item of a list of them), in
    order, each with its anchor's name (None when written in place); `construct` builds a node,
    `names` are the anchors by place (Expansion.names)."""
    nodes = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    if not all(isinstance(node, yaml.MappingNode) for node in nodes):
        raise yaml.constructor.ConstructorError(
            None, None, "the merge key << takes a mapping, like <<: *base, or a list of "
            "mappings, like <<: [*base, *sided]; write the fields out otherwise",
            key_node.start_mark,  # the value's own mark is its anchor's, for an alias
        )  # fmt: skip
    return [(construct(node), names.get((node.start_mark.line, node.start_mark.column)))
            for node in nodes]  # fmt: skip


def merge(mapping: Any, sources: list[tuple[Any, str | None]], line: int) -> None:
    """Add to `mapping` (a LineDict) the keys of `sources` it does not have, the first source
    first: YAML's merge, where a key written in the mapping beats a merged one and an earlier
    mapping in the list beats a later one. Each merged key's line is a MergedLine: used at
    `line`, written where its source says (the first anchor's line, for a merge of a merge)."""
    for source, anchor in sources:
        for key, value in source.items():
            if key in mapping:
                continue
            written = source.lines[key]
            mapping[key] = value
            mapping.lines[key] = (MergedLine(line, written.defined, written.anchor)
                                  if isinstance(written, MergedLine)
                                  else MergedLine(line, written, anchor))  # fmt: skip
