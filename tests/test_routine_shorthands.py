"""YAML's shorthands in a routine: anchors (&name), aliases (*name) and merge keys (<<: *name,
<<: [*a, *b]). A routine written with them is the routine written out, to the last event of its
script; an alias that expands too far is refused in one line, cheaply; a refused value that came
through a merge names the line where it is used and the line where it is written; and a YAML
mistake is reported on the line where it starts."""

from __future__ import annotations

import json
import time

import pytest
from jsonschema import Draft202012Validator
from support.routine_parts import assert_refused, write_case
from support.routines import routine_path
from support.runners import invoke

from coach.errors import RoutineError
from coach.routine.fields import json_schema
from coach.routine.loading import parse_routine
from coach.routine.yaml_text import load_document

PAIRS = ["merged-circuit", "merged-with-overrides", "merged-list", "aliased-values",
         "shared-block"]
"""tests/routines/NAME.yaml, written with shorthands, and NAME-written-out.yaml, without."""


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def script(name: str, cache) -> dict:
    result = invoke("script", "--json", "-r", str(routine_path(name)), "--engine", "espeak-ng",
                    "--cache-dir", str(cache))  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", PAIRS)
def test_a_routine_with_shorthands_is_the_routine_written_out(name, cache):
    short, long = script(f"{name}.yaml", cache), script(f"{name}-written-out.yaml", cache)
    assert short == long
    assert short["routine"] == name.replace("-", " ").capitalize()


def test_the_merges_take_effect_and_each_pair_is_its_own_routine(cache):
    """The pairs could not agree by doing nothing: the merges change what is said."""
    drills = {name: [s["drill"] for s in script(f"{name}.yaml", cache)["sets"]] for name in PAIRS}
    assert drills["merged-circuit"].count("squat") == 2  # sets: 2 came from the merge
    assert drills["merged-with-overrides"].count("march") == 3  # sets: 3 beat the merged 2
    assert len({json.dumps(d) for d in drills.values()}) == len(PAIRS)


def test_a_shared_block_under_an_x_key_is_the_writers_own_and_the_schema_takes_it():
    """`x-` fields are ignored where they are (as in Compose files), the home of a shared block;
    the schema an editor checks with says so."""
    path = routine_path("shared-block.yaml")
    document = load_document(path.read_bytes(), str(path))
    Draft202012Validator(json_schema()).validate(document)
    assert "x-base" in document and "x-note" in document["drills"][2]
    checked = invoke("check", str(path))
    assert (checked.exit_code, checked.stdout) == (0, f"{path}: OK, 3 drills.\n")


def test_the_starter_shares_a_block_and_a_drill_overrides_it(tmp_path):
    path = tmp_path / "mine.yaml"
    assert invoke("new", str(path)).exit_code == 0
    text = path.read_text()
    assert "    <<: &base\n" in text and "    <<: *base " in text
    listed = invoke("drills", "-r", str(path), "--json")
    assert listed.exit_code == 0, listed.output
    bridge, _, swing = json.loads(listed.stdout)["drills"]
    assert (bridge["sets"], bridge["set_rest_seconds"], bridge["rep_seconds"]) == (2, 15.0, 3.0)
    assert (swing["sets"], swing["set_rest_seconds"], swing["rep_seconds"]) == (2, 15.0, 2.0)


LAUGHS = "name: Bomb\n" + "".join(
    f"{key}: &{key} {{{', '.join(f'{key}{n}: {value}' for n in range(9))}}}\n"
    for key, value in zip("abcdefgh", ["x", "*a", "*b", "*c", "*d", "*e", "*f", "*g"], strict=True)
)
"""A billion laughs made of mappings: each a mapping of nine aliases of the one before."""

REFUSED = [
    ("mapping-laughs", LAUGHS,
     "=, line 7: the aliases (*e here) expand to more than 256,000 values; a routine written out "
     "in full is at most 256 kB, so use fewer aliases."),
    ("cues-laughs",
     "name: T\ndrills:\n  - {name: A, instructions: B, reps: 1, cues: &a [a, a, a, a, a, a]}\n"
     "  - {name: C, instructions: B, reps: 1, cues: [" + ", ".join(["*a"] * 40_000) + "]}\n",
     "=, line 4: the aliases (*a here) expand to more than 256,000 values; a routine written out "
     "in full is at most 256 kB, so use fewer aliases."),
    ("long-text-repeated",
     "name: T\ndescription: &d " + "Lift and lower. " * 5_000 + "\ndrills:\n"
     "  - {name: A, instructions: *d, reps: 1, cues: [*d, *d, *d]}\n",
     "=, line 4: the aliases (*d here) expand to more than 256,000 characters of text; a routine "
     "written out in full is at most 256 kB, so use fewer aliases."),
    ("deep-through-an-alias",
     "name: T\ndescription: &deep " + "[" * 10 + "]" * 10 + "\ndrills: " + "[" * 8 + "*deep"
     + "]" * 8 + "\n",
     "=, line 3: nested more than 16 levels deep; a routine is a mapping with a list of drills."),
    ("alias-inside-its-anchor",
     "name: T\ndrills: &d\n  - name: A\n    instructions: *d\n",
     "=, line 4: the alias *d is inside the value its anchor marks (&d, line 2), so it would "
     "repeat without end; use an anchor whose value ends before the alias."),
    ("merge-inside-its-anchor",
     "name: T\ndrills:\n  - &d\n    name: A\n    <<: *d\n",
     "=, line 5: the alias *d is inside the value its anchor marks (&d, line 3), so it would "
     "repeat without end; use an anchor whose value ends before the alias."),
    ("alias-before-its-anchor",
     "name: T\ndrills:\n  - {name: A, instructions: B, reps: *n}\n  - {name: C, reps: &n 2}\n",
     "=, line 3: the alias *n names no anchor before it; mark the value to repeat with &n where "
     "it is first written."),
    ("anchor-twice",
     "name: &n T\ndescription: &n U\n",
     "=, line 2: the anchor &n is already used at line 1; give each anchor its own name."),
    ("merge-of-a-text",
     "name: &n T\ndrills:\n  - name: A\n    <<: *n\n",
     "=, line 4: the merge key << takes a mapping, like <<: *base, or a list of mappings, like "
     "<<: [*base, *sided]; write the fields out otherwise."),
    ("merge-of-a-list-with-a-text",
     "name: T\ndrills:\n  - name: A\n    <<: [{reps: 1}, two]\n",
     "=, line 4: the merge key << takes a mapping, like <<: *base, or a list of mappings, like "
     "<<: [*base, *sided]; write the fields out otherwise."),
    ("merge-key-twice",
     "name: T\ndrills:\n  - name: A\n    <<: {reps: 1}\n    <<: {sets: 2}\n",
     "=, line 5: the key '<<' appears twice; merge a list instead, like <<: [*a, *b]."),
    ("written-key-twice-beside-a-merge",
     "name: T\ndrills:\n  - name: A\n    <<: {reps: 1}\n    reps: 2\n    reps: 3\n",
     "=, line 6: the key 'reps' appears twice."),
    ("quoted-merge-key-is-a-name",
     "name: T\n'<<': {reps: 1}\ndrills: []\n",
     "=, line 2: unknown field '<<'. Known fields: name, description, language, rest_seconds, "
     "rounds, round_rest_seconds, drills."),
]  # fmt: skip


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])  # fmt: skip
def test_an_alias_or_merge_that_cannot_be_read_is_refused_in_one_line(tmp_path, content, expected):
    path = write_case(tmp_path, content)
    start = time.process_time()
    result = invoke("check", str(path))
    assert_refused(result.output, result.exit_code, str(path), expected)
    assert time.process_time() - start < 5.0  # expanding any of them would take far longer


TIMED = """\
name: Test
drills:
  - name: Side plank
    instructions: Lift the hips.
    seconds: 30
    <<: &timed
      sides: switch
      seconds: 4
"""
"""A block shared by its first drill, which writes its own `seconds` over the bad one."""
OUT_OF_RANGE = "must be at least 5 seconds, got 4."

BOTH_LINES = [
    ("merged",
     TIMED + "  - name: Plank\n    instructions: Hold one line.\n    <<: *timed\n",
     f"=, drill 2 (plank), field 'seconds', line 11 (from the anchor &timed at line 8): "
     f"{OUT_OF_RANGE}"),
    ("in-a-list",
     TIMED + "  - name: Plank\n    instructions: Hold one line.\n    <<: [{cues: [Go.]}, *timed]\n",
     f"=, drill 2 (plank), field 'seconds', line 11 (from the anchor &timed at line 8): "
     f"{OUT_OF_RANGE}"),
    ("merge-of-a-merge",
     TIMED + "  - name: Wall sit\n    instructions: Sit.\n    <<: &sit {<<: *timed, cues: [Go.]}\n"
     "  - name: Plank\n    instructions: Hold one line.\n    <<: *sit\n",
     f"=, drill 2 (wall-sit), field 'seconds', line 11 (from the anchor &timed at line 8): "
     f"{OUT_OF_RANGE}"),
    ("text",
     "name: Test\ndrills:\n  - name: Bridge\n    instructions: Lift the hips.\n    reps: 8\n"
     '    cues: [Squeeze.]\n    <<: &counted\n      rep_seconds: 2\n      cues: ["Squeeze\\a"]\n'
     "  - name: Lunge\n    instructions: Step.\n    reps: 2\n    <<: *counted\n",
     "=, drill 2 (lunge), field 'cues', line 13 (from the anchor &counted at line 9): contains "
     "the control character U+0007; write plain text."),
    ("written-in-place",
     "name: Test\ndrills:\n  - name: Bridge\n    instructions: Lift the hips.\n    reps: 8\n"
     "    <<:\n      sets: 0\n",
     "=, drill 1 (bridge), field 'sets', line 6 (from the mapping merged at line 7): must be a "
     "whole number from 1 to 100, got 0."),
]  # fmt: skip


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in BOTH_LINES],
                         ids=[c[0] for c in BOTH_LINES])  # fmt: skip
def test_a_refused_merged_value_names_where_it_is_used_and_where_written(
    tmp_path, content, expected
):
    path = write_case(tmp_path, content)
    result = invoke("check", str(path))
    assert_refused(result.output, result.exit_code, str(path), expected)


def test_an_aliased_value_is_refused_on_the_line_where_it_is_used(tmp_path):
    text = ("name: Test\ndescription: &said Ten reps\ndrills:\n"
            "  - name: A\n    instructions: B\n    reps: *said\n")  # fmt: skip
    result = invoke("check", str(write_case(tmp_path, text)))
    assert_refused(result.output, result.exit_code, str(tmp_path / "routine.yaml"),
                   "=, drill 1 (a), field 'reps', line 6: must be a whole number from 1 to 10000 "
                   "or a range [min, max] of them, got 'Ten reps'.")  # fmt: skip


def test_a_merged_key_still_compares_as_its_line():
    """Where a message names the earlier of two fields, a merged one is the line of its <<."""
    routine = ("name: T\ndrills:\n  - name: A\n    instructions: B\n    <<: {seconds: 20}\n"
               "    reps: 3\n")  # fmt: skip
    with pytest.raises(RoutineError, match=r"drill 1 \(a\), line 5: has both 'reps' and 'seconds'"):
        parse_routine(routine.encode(), "t.yaml")


MISTAKES = [
    ("unclosed-quote",
     'name: Test\ndrills:\n  - name: "Side lunge\n    instructions: Step out.\n    reps: 3\n',
     '=, line 3: the text opened with " here is never closed; end it with ".'),
    ("unclosed-single-quote",
     "name: Test\ndrills:\n  - name: A\n    instructions: 'Step out.\n\n    reps: 3\n",
     "=, line 4: the text opened with ' here is never closed; end it with '."),
    ("unclosed-list",
     "name: Test\ndrills:\n  - name: A\n    cues: [Stay tall, Breathe\n    reps: 3\n",
     ", line 4: the list opened with [ here is not closed before line 5 ("),
    ("unclosed-mapping",
     "name: Test\ndrills:\n  - {name: A, reps: 3\n  - name: B\n",
     ", line 3: the mapping opened with { here is not closed before line 4 ("),
    ("key-without-colon",
     "name: Test\ndrills:\n  - name: A\n    reps 3\n    instructions: B\n",
     "=, line 4: 'reps 3' has no ':' after it; write a field as 'name: value'."),
]  # fmt: skip


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in MISTAKES],
                         ids=[c[0] for c in MISTAKES])  # fmt: skip
def test_a_yaml_mistake_is_reported_on_the_line_where_it_starts(tmp_path, content, expected):
    path = write_case(tmp_path, content)
    result = invoke("check", str(path))
    assert_refused(result.output, result.exit_code, str(path), expected)


def test_the_circuit_with_shorthands_exports_the_same_bytes_as_written_out(tmp_path, cache):
    """What is heard, not only the script: the MP3s of the two files are one file."""
    made = {}
    for name in ("shared-block.yaml", "shared-block-written-out.yaml"):
        target = tmp_path / f"{name}.mp3"
        result = invoke("export", str(target), "-r", str(routine_path(name)), "--engine",
                        "espeak-ng", "--cache-dir", str(cache))  # fmt: skip
        assert result.exit_code == 0, result.output
        made[name] = target.read_bytes()
    assert made["shared-block.yaml"] == made["shared-block-written-out.yaml"]
    assert len(made["shared-block.yaml"]) > 100_000  # two minutes of speech and beeps
