"""Malformed and edge-case routine files, each with the message that must refuse it: the table
the refusal tests and the schema tests walk. Here the text is the test, so it stays inline.
This part: the file's shape, its fields and format 1's numbers; support.malformed_values holds
format 2, texts, YAML's own forms and raw bytes."""

from __future__ import annotations

from support.malformed_values import VALUE_CASES
from support.routine_parts import DRILL, HEAD, REPS_RULE, with_field, with_reps

# (case id, file content (str or bytes), text the message must contain after "coach: error: PATH").
# An expectation starting with "=" is the whole message after the path.
SHAPE_CASES: list[tuple[str, str | bytes, str]] = [
    ("empty", "", "=: the file is empty; a routine needs a name and drills."),
    (
        "only-comments",
        "# nothing\n# here\n",
        "=: the file is empty; a routine needs a name and drills.",
    ),
    ("a-list", "- a\n- b\n", "=: a routine is a mapping with 'name' and 'drills', not a list."),
    ("a-scalar", "hello\n", "=: a routine is a mapping with 'name' and 'drills', not a text."),
    ("a-number", "42\n", "not a number."),
    ("missing-name", "drills:\n" + DRILL, "=, line 1: the field 'name' is missing."),
    (
        "missing-drills",
        "name: Test\n",
        "=, line 1: the field 'drills' is missing; list at least one drill.",
    ),
    (
        "null-drills",
        "name: Test\ndrills:\n",
        "=, field 'drills', line 2: must be a list of at least one drill.",
    ),
    (
        "empty-drills",
        "name: Test\ndrills: []\n",
        "=, field 'drills', line 2: must be a list of at least one drill.",
    ),
    ("drills-mapping", "name: Test\ndrills: {a: 1}\n", "field 'drills', line 2: must be a list"),
    (
        "drill-scalar",
        HEAD + "  - squat\n",
        "=, drill 1: a drill is a mapping with name, instructions and reps, not a text.",
    ),
    (
        "missing-instructions",
        HEAD + DRILL.replace("    instructions: Sit down and stand up.\n", ""),
        "=, drill 1 (squat), line 3: the field 'instructions' is missing.",
    ),
    (
        "missing-reps",
        HEAD + DRILL.replace("    reps: 10\n", ""),
        "=, drill 1 (squat), line 3: the field 'reps' is missing; give a count like 8 or a range "
        "like [10, 12], or 'seconds' for a timed drill.",
    ),
    (
        "missing-drill-name",
        HEAD + DRILL.replace("    name: Squat\n", ""),
        "drill 1, line 3: the field 'name' is missing.",
    ),
    ("empty-name", "name: ''\ndrills:\n" + DRILL, "=, field 'name', line 1: must not be empty."),
    (
        "null-name",
        "name:\ndrills:\n" + DRILL,
        "=, field 'name', line 1: must be text, not an empty value.",
    ),
    (
        "name-a-list",
        "name: [a, b]\ndrills:\n" + DRILL,
        "=, field 'name', line 1: must be text, not a list.",
    ),
    (
        "reps-0",
        with_reps("0"),
        f"=, drill 1 (squat), field 'reps', line 6: {REPS_RULE} 0.",
    ),
    (
        "reps-negative",
        with_reps("-3"),
        f"field 'reps', line 6: {REPS_RULE} -3.",
    ),
    (
        "reps-fraction",
        with_reps("2.5"),
        f"field 'reps', line 6: {REPS_RULE} 2.5.",
    ),
    (
        "reps-word",
        with_reps("five"),
        f"field 'reps', line 6: {REPS_RULE} 'five'.",
    ),
    (
        "reps-true",
        with_reps("true"),
        f"field 'reps', line 6: {REPS_RULE} True.",
    ),
    ("reps-null", with_reps(""), "field 'reps', line 6: must be a whole number"),
    (
        "reps-reversed",
        with_reps("[12, 10]"),
        "=, drill 1 (squat), field 'reps', line 6: the range [12, 10] is reversed; write [10, 12].",
    ),
    (
        "reps-three-items",
        with_reps("[10, 12, 14]"),
        f"field 'reps', line 6: {REPS_RULE} "
        "[10, 12, 14].",
    ),
    ("reps-range-of-zero", with_reps("[0, 3]"), "field 'reps', line 6: must be a whole number"),
    (
        "reps-astronomical",
        with_reps("1" + "0" * 400),
        f"=, drill 1 (squat), field 'reps', line 6: {REPS_RULE} a 401-digit number.",
    ),
    (
        "sides-unknown",
        with_field("sides: both"),
        "=, drill 1 (squat), field 'sides', line 7: 'both' is not a side mode; use none, "
        "alternate or switch.",
    ),
    (
        "sides-a-list",
        with_field("sides: [left]"),
        "field 'sides', line 7: ['left'] is not a side mode",
    ),
    (
        "duplicate-ids",
        HEAD + DRILL + DRILL,
        "=, drill 2 (squat), line 7: the id 'squat' is already used by drill 1 (line 3); give "
        "each drill its own id.",
    ),
    (
        "duplicate-ids-from-names",
        HEAD
        + DRILL.replace("  - id: squat\n    name", "  - name")
        + DRILL.replace("  - id: squat\n    name", "  - name"),
        "drill 2 (squat), line 6: the id 'squat' is already used by drill 1 (line 3)",
    ),
    (
        "duplicate-key",
        "name: Test\nname: Other\ndrills:\n" + DRILL,
        "=, line 2: the key 'name' appears twice.",
    ),
    ("duplicate-drill-key", with_field("reps: 12"), "=, line 7: the key 'reps' appears twice."),
    (
        "typo-rep",
        HEAD + DRILL.replace("reps:", "rep:"),
        "=, drill 1, line 6: unknown field 'rep'. Did you mean 'reps'?",
    ),
    (
        "typo-instruction",
        HEAD + DRILL.replace("instructions:", "instruction:"),
        "drill 1, line 5: unknown field 'instruction'. Did you mean 'instructions'?",
    ),
    (
        "typo-rest-second",
        "rest_second: 5\n" + HEAD + DRILL,
        "line 1: unknown field 'rest_second'. Did you mean 'rest_seconds'?",
    ),
    (
        "unknown-top-level-key",
        "name: Test\ncolour: blue\ndrills:\n" + DRILL,
        "=, line 2: unknown field 'colour'. Known fields: name, description, language, "
        "rest_seconds, rounds, round_rest_seconds, drills.",
    ),
]

CASES = [*SHAPE_CASES, *VALUE_CASES]
