"""The routine format: the built-in routine keeps the article's facts, and bad routine files get
one clear message (file, place, problem), exit status 2, no traceback, within a second."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.cli.failures import exit_status
from coach.compose.composer import check_length
from coach.errors import RoutineError
from coach.routine.loading import load_routine, parse_routine
from coach.routine.model import MAX_SESSION_SECONDS, Drill, Routine, Sides, default_routine_path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).with_name("routines")
ARTICLE = ROOT.parent / "shared" / "seed" / "leg-mobility-article.txt"
"""The seed article; present in the project's workspace, not in a clone (the shingles are)."""
SHINGLES = FIXTURES / "article-shingles.txt"

runner = CliRunner()


def drill(routine: Routine, drill_id: str) -> Drill:
    return next(d for d in routine.drills if d.id == drill_id)


def run_cli(*args: str):
    """Run `coach ARGS` in-process; (result, seconds of CPU it took). CPU time, not the clock:
    what a refusal costs, whatever else the shared machine is doing."""
    start = time.process_time()
    result = runner.invoke(app, list(args))
    return result, time.process_time() - start


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- the built-in routine: the article's facts -----------------------------------

IDS = [
    "ankle-mobility",
    "walking-butt-kick",
    "overhead-lunge-walk",
    "squat-to-stand",
    "hip-spine-rotation",
    "walking-spiderman",
    "hanging-twist",
    "wall-slide",
    "ankle-bounce",
]
NAMES = [
    "Ankle mobility",
    "Walking butt kick",
    "Overhead lunge walk",
    "Squat to stand",
    "Hip-spine rotation",
    "Walking spiderman",
    "Hanging twist",
    "Wall slide",
    "Ankle bounce",
]

# (id, lowest count the article allows, exact [min, max] when the article fixes it, hold seconds,
#  sided, equipment). "At least 5" is a lower bound; "10-12" and "8 per side" are exact.
FACTS = [
    ("ankle-mobility", 1, None, 0, True, ["wall"]),  # the article gives no count
    ("walking-butt-kick", 5, None, 1, True, []),  # "at least 5 times for each leg", hold ~1 s
    ("overhead-lunge-walk", 5, None, 0, True, []),  # "at least 5 cycles"
    ("squat-to-stand", 10, None, 2, False, []),  # "at least 10 times", hold ~2 s
    ("hip-spine-rotation", 8, [8, 8], 0, True, []),  # "8 cycles on each side"
    ("walking-spiderman", 5, [5, 5], 0, True, []),  # "5 lunges for each leg"
    ("hanging-twist", 10, [10, 12], 0, True, ["chin-up bar"]),  # "10-12 times for each side"
    ("wall-slide", 6, [6, 6], 0, False, ["wall"]),  # "6 times"
    ("ankle-bounce", 12, [12, 16], 0, True, ["wall"]),  # "12 to 16 bounces on each leg"
]


@pytest.fixture(scope="module")
def drills_json() -> dict:
    result, _ = run_cli("drills", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_drills_json_lists_the_nine_drills_in_order(drills_json):
    assert [d["id"] for d in drills_json["drills"]] == IDS
    assert [d["name"] for d in drills_json["drills"]] == NAMES
    assert drills_json["routine"] == "Leg mobility for runners"


@pytest.mark.parametrize(
    ("drill_id", "at_least", "exact", "hold", "sided", "equipment"),
    FACTS,
    ids=[f[0] for f in FACTS],
)
def test_drills_json_keeps_each_fact_of_the_article(
    drills_json, drill_id, at_least, exact, hold, sided, equipment
):
    drill = next(d for d in drills_json["drills"] if d["id"] == drill_id)
    low, high = drill["reps"]
    assert at_least <= low <= high
    if exact is not None:
        assert drill["reps"] == exact
    assert drill["hold_seconds"] == hold
    assert (drill["sides"] != "none") is sided
    assert drill["equipment"] == equipment
    assert drill["instructions"] and drill["cues"]


def test_drills_json_from_a_real_process_matches_the_in_process_one(drills_json):
    done = subprocess.run(
        [sys.executable, "-m", "coach", "drills", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout) == drills_json


def test_drills_table_shows_reps_sides_hold_and_equipment():
    result, _ = run_cli("drills")
    assert result.exit_code == 0
    rows = {
        line.split("│")[2].strip(): line
        for line in result.stdout.splitlines()
        if line.count("│") > 3 and line.split("│")[2].strip() in IDS
    }
    assert set(rows) == set(IDS)
    # 80 columns (no terminal here): long cells wrap onto a second line, so look at the first.
    assert "10-12" in rows["hanging-twist"] and "switch" in rows["hanging-twist"]
    assert "chin-up" in rows["hanging-twist"] and "wall" in rows["wall-slide"]
    assert "1 s" in rows["walking-butt-kick"] and "2 s" in rows["squat-to-stand"]


def test_built_in_routine_loads_as_the_default():
    routine = load_routine()
    assert routine.source == "built-in routine leg-mobility.yaml"
    assert drill(routine, "hanging-twist").sides is Sides.SWITCH
    assert drill(routine, "squat-to-stand").set_seconds() == (3 + 2) * 10
    # About the ten minutes the article promises: the sets and rests alone take less than that.
    sets = sum(d.set_seconds() for d in routine.drills) + routine.rest_seconds * 8
    assert 5 * 60 < sets < 10 * 60


# --- every sentence is ours: no run of 6 words from the article ---------------------

SHINGLE_WORDS = 6


def words(text: str) -> list[str]:
    text = text.lower().replace("’", "'")
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text)


def shingles(text: str) -> set[str]:
    """Short hashes of every run of SHINGLE_WORDS words of `text`, case and punctuation ignored."""
    w = words(text)
    return {
        hashlib.sha256(" ".join(w[i : i + SHINGLE_WORDS]).encode()).hexdigest()[:16]
        for i in range(len(w) - SHINGLE_WORDS + 1)
    }


def article_shingles() -> set[str]:
    lines = SHINGLES.read_text().splitlines()
    return {line for line in lines if line and not line.startswith("#")}


def spoken_texts() -> list[str]:
    routine = load_routine()
    return [routine.name, routine.description] + [
        text for d in routine.drills for text in (d.name, d.instructions, *d.cues)
    ]


def copied_runs(text: str, article: set[str]) -> set[str]:
    return shingles(text) & article


@pytest.mark.skipif(not ARTICLE.exists(), reason="the seed article is not beside this clone")
def test_the_shingle_fixture_is_the_articles():
    assert article_shingles() == shingles(ARTICLE.read_text())


def test_no_instruction_or_cue_repeats_six_words_of_the_article():
    article = article_shingles()
    assert len(article) > 1000
    copied = {text: copied_runs(text, article) for text in spoken_texts()}
    assert {text: runs for text, runs in copied.items() if runs} == {}


@pytest.mark.skipif(not ARTICLE.exists(), reason="the seed article is not beside this clone")
def test_the_copy_guard_catches_a_copied_sentence():
    text = ARTICLE.read_text()
    cue = next(line.strip(" •\t") for line in text.splitlines() if line.strip().startswith("•"))
    assert copied_runs(cue, article_shingles())  # one of the article's cues, as it stands
    inside = "Then " + " ".join(words(text)[500:508]) + ", arms up."
    assert copied_runs(inside, article_shingles())  # a copied run inside our own words


def test_the_articles_slips_are_fixed():
    text = default_routine_path().read_text().lower()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\bfall\b", body)  # "facing a fall", "placed on the fall": a wall
    assert "chip-up" not in body  # "hang from chip-up bar": a chin-up bar
    routine = load_routine()
    assert "wall" in drill(routine, "ankle-mobility").instructions.lower()
    assert "wall" in drill(routine, "ankle-bounce").instructions.lower()
    assert "chin-up bar" in drill(routine, "hanging-twist").instructions.lower()


# --- malformed routine files ------------------------------------------------------

DRILL = """\
  - id: squat
    name: Squat
    instructions: Sit down and stand up.
    reps: 10
"""
HEAD = "name: Test\ndrills:\n"
TIMED = HEAD + """\
  - id: plank
    name: Plank
    instructions: Hold a straight line.
    seconds: 30
"""


REPS_RULE = "must be a whole number from 1 to 10000 or a range [min, max] of them, got"


def with_field(line: str) -> str:
    """A one-drill routine with `line` added to the drill (it lands on line 7)."""
    return HEAD + DRILL + f"    {line}\n"


def with_reps(value: str) -> str:
    return HEAD + DRILL.replace("reps: 10", f"reps: {value}")


BOMB = (
    "name: Bomb\n"
    + "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
)

# (case id, file content (str or bytes), text the message must contain after "coach: error: PATH").
# An expectation starting with "=" is the whole message after the path.
CASES: list[tuple[str, str | bytes, str]] = [
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
        "=, field 'name', line 1: must be text, not a empty value.",
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
        "=, drill 2 (squat), line 7: the id 'squat' is already used by drill 1; give each drill "
        "its own id.",
    ),
    (
        "duplicate-ids-from-names",
        HEAD
        + DRILL.replace("  - id: squat\n    name", "  - name")
        + DRILL.replace("  - id: squat\n    name", "  - name"),
        "drill 2 (squat), line 6: the id 'squat' is already used by drill 1",
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
        "=, line 2: unknown field 'colour'. Known fields: name, description, rest_seconds, "
        "rounds, round_rest_seconds, drills.",
    ),
    # Format 2: timed drills, sets and rounds.
    (
        "reps-and-seconds",
        with_field("seconds: 30"),
        "=, drill 1 (squat), line 6: has both 'reps' and 'seconds'; a drill is counted (reps) or "
        "timed (seconds), so keep one.",
    ),
    (
        "typo-second",
        TIMED.replace("seconds:", "second:"),
        "=, drill 1, line 6: unknown field 'second'. Did you mean 'seconds'?",
    ),
    (
        "seconds-too-short",
        TIMED.replace("seconds: 30", "seconds: 2"),
        "=, drill 1 (plank), field 'seconds', line 6: must be a number from 5 to 600, got 2.",
    ),
    (
        "seconds-too-long",
        TIMED.replace("seconds: 30", "seconds: 900"),
        "=, drill 1 (plank), field 'seconds', line 6: must be at most 600 seconds, got 900; split "
        "a longer work into sets.",
    ),
    (
        "seconds-not-a-number",
        TIMED.replace("seconds: 30", "seconds: half a minute"),
        "=, drill 1 (plank), field 'seconds', line 6: must be a number from 5 to 600, got "
        "'half a minute'.",
    ),
    (
        "seconds-empty",
        TIMED.replace("seconds: 30", "seconds:"),
        "=, drill 1 (plank), field 'seconds', line 6: is empty; give the work's length, like 30.",
    ),
    (
        "seconds-too-fine",
        TIMED.replace("seconds: 30", "seconds: 30.25"),
        "=, drill 1 (plank), field 'seconds', line 6: 30.25 is finer than a tenth of a second, "
        "more than a coach can say; write 30.2.",
    ),
    (
        "timed-alternate",
        TIMED + "    sides: alternate\n",
        "=, drill 1 (plank), field 'sides', line 7: a timed drill cannot alternate sides rep by "
        "rep; use 'switch' (the full time on each side) or 'none'.",
    ),
    (
        "timed-rep-seconds",
        TIMED + "    rep_seconds: 2\n",
        "=, drill 1 (plank), field 'rep_seconds', line 7: is for counted reps; a timed drill has "
        "only 'seconds', so remove 'rep_seconds'.",
    ),
    (
        "sets-zero",
        with_field("sets: 0"),
        "=, drill 1 (squat), field 'sets', line 7: must be a whole number from 1 to 100, got 0.",
    ),
    (
        "sets-fraction",
        with_field("sets: 1.5"),
        "=, drill 1 (squat), field 'sets', line 7: must be a whole number from 1 to 100, got 1.5.",
    ),
    (
        "set-rest-negative",
        with_field("set_rest_seconds: -5"),
        "=, drill 1 (squat), field 'set_rest_seconds', line 7: must be a number from 0 to 3600, "
        "got -5.",
    ),
    (
        "rounds-huge",
        "rounds: 100000\n" + HEAD + DRILL,
        "=, field 'rounds', line 1: must be a whole number from 1 to 100, got 100000.",
    ),
    (
        "rounds-text",
        "rounds: twice\n" + HEAD + DRILL,
        "=, field 'rounds', line 1: must be a whole number from 1 to 100, got 'twice'.",
    ),
    (
        "round-rest-negative",
        "round_rest_seconds: -1\n" + HEAD + DRILL,
        "=, field 'round_rest_seconds', line 1: must be a number from 0 to 3600, got -1.",
    ),
    (
        "rounds-too-long",
        "rounds: 10\n" + HEAD + TIMED.split("drills:\n")[1].replace("30", "600")
        + "    sets: 10\n",
        "=: the session would pass the 3-hour limit in drill 1 of 1 (plank), round 2 of 10. "
        "Lower the reps, the seconds, the sets or the rounds.",
    ),
    ("key-not-text", "1: one\n" + HEAD + DRILL, "=, line 1: the key 1 is not a name."),
    (
        "bad-id",
        HEAD + DRILL.replace("id: squat", "id: Deep Squat!"),
        "=, drill 1, field 'id', line 3: 'Deep Squat!' is not a valid id; use lower-case letters, "
        "digits and hyphens, like 'deep-squat'.",
    ),
    (
        "name-without-id-letters",
        HEAD + DRILL.replace("  - id: squat\n    name: Squat", "  - name: '!!!'"),
        "drill 1, line 3: cannot make an id from the name '!!!'; add an 'id' field.",
    ),
    (
        "rep-seconds-0",
        with_field("rep_seconds: 0"),
        "=, drill 1 (squat), field 'rep_seconds', line 7: must be a number from 0.5 to 600, got 0.",
    ),
    (
        "hold-negative",
        with_field("hold_seconds: -1"),
        "=, drill 1 (squat), field 'hold_seconds', line 7: must be a number from 0 to 600, got -1.",
    ),
    (
        "hold-nan",
        with_field("hold_seconds: .nan"),
        "field 'hold_seconds', line 7: must be a number from 0 to 600, got nan.",
    ),
    (
        "rep-seconds-inf",
        with_field("rep_seconds: .inf"),
        "field 'rep_seconds', line 7: must be a number from 0.5 to 600, got inf.",
    ),
    (
        "rest-negative-inf",
        "rest_seconds: -.inf\n" + HEAD + DRILL,
        "=, field 'rest_seconds', line 1: must be a number from 0 to 3600, got -inf.",
    ),
    (
        "rest-text",
        "rest_seconds: ten\n" + HEAD + DRILL,
        "field 'rest_seconds', line 1: must be a number from 0 to 3600, got 'ten'.",
    ),
    (
        "rest-astronomical",
        "rest_seconds: 1" + "0" * 400 + "\n" + HEAD + DRILL,
        "=, field 'rest_seconds', line 1: must be a number from 0 to 3600, got a 401-digit "
        "number.",
    ),
    (
        "cues-a-mapping",
        with_field("cues: {a: b}"),
        "=, drill 1 (squat), field 'cues', line 7: must be a list of short texts.",
    ),
    (
        "cues-empty-entry",
        with_field("cues: ['Chest up.', '']"),
        "field 'cues', line 7: has an empty entry.",
    ),
    (
        "control-character",
        with_field('cues: ["Chest\\aup."]'),
        "=, drill 1 (squat), field 'cues', line 7: contains the control character U+0007; write "
        "plain text.",
    ),
    ("escaped-surrogate", with_field('cues: ["\\ud800"]'), "line 7"),
    (
        "raw-control-character",
        HEAD + DRILL.replace("Sit down", "Sit\x07down"),
        "=, line 5: contains the character U+0007, which YAML does not allow; a routine is a YAML "
        "text file.",
    ),
    (
        "session-too-long",
        with_reps("5000"),
        f"=: the session would pass the {MAX_SESSION_SECONDS // 3600}-hour limit in drill 1 of 1 "
        "(squat). Lower the reps, the seconds, the sets or the rounds.",
    ),
    (
        "session-forever",
        "rounds: 100\n" + HEAD + DRILL.replace("reps: 10", "reps: 10000\n    sets: 100"),
        "=: the session would pass the 3-hour limit in drill 1 of 1 (squat), round 1 of 100. "
        "Lower the reps, the seconds, the sets or the rounds.",
    ),
    (
        "python-name-tag",
        "name: !!python/name:os.system\ndrills:\n" + DRILL,
        "=, field 'name', line 1: the tag !!python/name:os.system is not allowed in a routine, "
        "which holds only text, numbers, true/false, lists and mappings; write the value "
        "without the tag.",
    ),
    (
        "python-module-tag",
        "name: !!python/module:os\n",
        ", field 'name', line 1: the tag !!python/module:os is not allowed in a routine",
    ),
    (
        "custom-tag",
        "name: !shout Test\n",
        ", field 'name', line 1: the tag !shout is not allowed in a routine",
    ),
    (
        "anchor-and-alias",
        "name: &n Test\ndrills:\n" + DRILL.replace("name: Squat", "name: *n"),
        "=, line 1: YAML anchors and aliases (&, *) are not allowed in a routine; write each "
        "value out.",
    ),
    (
        "merge-key",
        "name: Test\n<<: {rest_seconds: 3}\ndrills:\n" + DRILL,
        "=, line 2: unknown field '<<'. Known fields: name, description, rest_seconds, rounds, "
        "round_rest_seconds, drills.",
    ),
    (
        "billion-laughs",
        BOMB,
        "line 2: YAML anchors and aliases (&, *) are not allowed in a routine",
    ),
    (
        "deep-nesting",
        "name: " + "[" * 5000 + "]" * 5000 + "\n",
        "=, line 1: nested more than 16 levels deep; a routine is a mapping with a list of drills.",
    ),
    ("unclosed-brackets", "[" * 100_000, "line 1: nested more than 16 levels deep"),
    ("not-yaml", "name: [Test\ndrills: x\n", "line 2:"),
    ("tab-indent", "name: Test\n\tdrills: []\n", ", line 2: a tab indents this line; YAML "),
    ("two-documents", "name: Test\n---\nname: Other\n", "line 2: holds more than one YAML doc"),
    ("instructions-too-long",
     "name: T\ndrills:\n  - {name: A, reps: 3, instructions: " + "Step. " * 300 + "}\n",
     ", drill 1 (a), field 'instructions', line 3: is 1799 characters long (\"Step. Step."),
    ("word-too-long",
     "name: T\ndrills:\n  - {name: A, reps: 3, instructions: Hop " + "x" * 1_000 + "}\n",
     "field 'instructions', line 3: has a 1000-character word (\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxx…x"),
    ("cue-too-long",
     "name: T\ndrills:\n  - {name: A, reps: 3, instructions: B, cues: [" + "Go " * 50 + "]}\n",
     "field 'cues', line 3: is 149 characters long"),
    ("hold-too-precise",
     "name: T\ndrills:\n  - {name: A, reps: 3, instructions: B, hold_seconds: 1.23456789}\n",
     "field 'hold_seconds', line 3: 1.23456789 is finer than a tenth of a second, more than a coach"
     " can say; write 1.2."),
    ("speech-too-long",
     "name: T\nrest_seconds: 0\ndrills:\n" + "".join(
         f"  - {{name: D{i}, reps: 1, instructions: {'Step and hold. ' * 99}}}\n"
         for i in range(160)
     ),
     "=: the session would pass the 3-hour limit in drill 94 of 160 (d93). Shorten the "
     "instructions and cues, or use fewer drills."),
    ("octal-looking", "name: T\ndrills:\n  - {name: A, instructions: B, reps: 010}\n",
     "=, field 'reps', line 3: 010 starts with 0, which YAML 1.1 reads as an octal number; "
     "write 10 (or quote it for text)."),
    ("random-bytes", random.Random(2).randbytes(4096), ": not a UTF-8 text file (byte "),
    (
        "png-header",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        "=: not a UTF-8 text file (byte 0). A routine is a YAML text file.",
    ),
    (
        "nul-bytes",
        b"name: Test\x00\x00\x00\ndrills: []\n",
        "=: contains NUL bytes; a routine is a YAML text file.",
    ),
    (
        "latin-1",
        "name: Café\ndrills:\n".encode("latin-1") + DRILL.encode(),
        "=: not a UTF-8 text file (byte 9). A routine is a YAML text file.",
    ),
    ("utf-16", (HEAD + DRILL).encode("utf-16"), ": not a UTF-8 text file (byte 0)."),
    ("huge", b"# padding\n" * 120_000, "=: larger than 256 kB; is it a routine file?"),
    # Numbers and tags that were internal errors: each is read with its bounds, the field named.
    ("reps-tagged-text", with_reps("!!int abc"),
     f"=, drill 1 (squat), field 'reps', line 6: {REPS_RULE} !!int 'abc'."),
    ("reps-4301-digits", with_reps("9" * 4301),
     f"=, drill 1 (squat), field 'reps', line 6: {REPS_RULE} a 4301-digit number."),
    ("hold-1e308", with_field("hold_seconds: 1e308"),
     "=, drill 1 (squat), field 'hold_seconds', line 7: must be a number from 0 to 600, got "
     "1e+308."),
    ("rep-seconds-over", with_field("rep_seconds: 601"),
     "=, drill 1 (squat), field 'rep_seconds', line 7: must be a number from 0.5 to 600, got 601."),
    ("timestamp-tag", with_field("hold_seconds: !!timestamp 2001-12-14"),
     "=, field 'hold_seconds', line 7: the tag !!timestamp is not allowed in a routine, which "
     "holds only text, numbers, true/false, lists and mappings; write the value without the tag."),
    ("too-many-cues", with_field("cues: [" + ", ".join(f"Cue {n}." for n in range(21)) + "]"),
     "=, drill 1 (squat), field 'cues', line 7: has 21 entries; the limit is 20. Keep the ones "
     "that matter most."),
    ("bidi-override", with_field('cues: ["Chest \\u202Eup."]'),
     "=, drill 1 (squat), field 'cues', line 7: contains the bidirectional control U+202E, which "
     "reorders the text on screen; write plain text."),
    ("noncharacter", HEAD + DRILL.replace("Sit down", "Sit \ufdd0down"),
     "=, drill 1 (squat), field 'instructions', line 5: contains U+FDD0, which is not a "
     "character (a Unicode noncharacter); write plain text."),
    ("checked-as-the-session",
     "rounds: 100\nrest_seconds: 0\n" + HEAD + DRILL.replace("10", "1") + "    sets: 20\n",
     "=: the session would pass the 3-hour limit in drill 1 of 1 (squat), round 53 of 100. Lower "
     "the reps, the seconds, the sets or the rounds."),
]


def write_case(folder: Path, content: str | bytes) -> Path:
    path = folder / "routine.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def assert_refused(output: str, status: int, seconds: float, path: str, expected: str) -> None:
    """Exit status 2, one line that names the file and says `expected`, no traceback, and in
    under a second of CPU (rendering anything takes many)."""
    assert status == 2, output
    assert "Traceback" not in output
    assert output.startswith(f"coach: error: {path}"), output
    assert output.count("\n") == 1, output  # one line
    message = output[len(f"coach: error: {path}") :].rstrip("\n")
    if expected.startswith("="):
        assert message == expected[1:]
    else:
        assert expected in message
    assert seconds < 1.0


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_refuses_a_malformed_routine(tmp_path, content, expected):
    path = write_case(tmp_path, content)
    result, seconds = run_cli("check", str(path))
    assert_refused(result.output, result.exit_code, seconds, str(path), expected)
    assert result.stdout == ""


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_command_taking_a_routine_refuses_it_the_same_way(tmp_path, content, expected):
    path = write_case(tmp_path, content)
    result, seconds = run_cli("drills", "--routine", str(path), "--json")
    assert_refused(result.output, result.exit_code, seconds, str(path), expected)


def test_the_case_ids_are_unique():
    assert len({c[0] for c in CASES}) == len(CASES)


def test_an_object_building_tag_is_never_run(tmp_path):
    target = tmp_path / "pwned"
    path = write_case(
        tmp_path, f'name: !!python/object/apply:os.system ["touch {target}"]\ndrills:\n{DRILL}'
    )
    result, seconds = run_cli("check", str(path))
    assert_refused(
        result.output,
        result.exit_code,
        seconds,
        str(path),
        "=, field 'name', line 1: the tag !!python/object/apply:os.system is not allowed on a "
        "list or mapping in a routine, which holds only text, numbers, true/false, lists and "
        "mappings; write the value without the tag.",
    )
    assert not target.exists()


def test_a_folder_is_refused(tmp_path):
    result, seconds = run_cli("check", str(tmp_path))
    assert_refused(
        result.output,
        result.exit_code,
        seconds,
        str(tmp_path),
        "=: is a folder, not a routine file.",
    )


def test_a_missing_file_is_refused(tmp_path):
    path = tmp_path / "nope.yaml"
    result, seconds = run_cli("check", str(path))
    assert_refused(
        result.output,
        result.exit_code,
        seconds,
        str(path),
        "=: no such file. Check the path.",
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_an_endless_file_is_refused_without_reading_it_all():
    result, seconds = run_cli("check", "/dev/zero")
    assert_refused(
        result.output,
        result.exit_code,
        seconds,
        "/dev/zero",
        "=: not a regular file; a routine is a YAML text file.",
    )


def many_drills(count: int) -> str:
    """A routine of `count` one-rep drills and no rests: the most drills for its length."""
    drill = (
        "  - name: Drill {n}\n    instructions: Step forward, then back again.\n"
        "    reps: 1\n    rep_seconds: 0.5\n"
    )
    return "name: Many\nrest_seconds: 0\ndrills:\n" + "".join(
        drill.format(n=n) for n in range(1, count + 1)
    )


def test_a_routine_of_nearly_three_hours_is_checked_within_a_second(tmp_path):
    path = write_case(tmp_path, many_drills(600))  # 2.85 hours as estimated
    result, seconds = run_cli("check", str(path))
    assert (result.exit_code, result.stdout) == (0, f"{path}: OK, 600 drills.\n"), result.output
    assert seconds < 1.0


def test_the_largest_file_is_refused_within_a_second(tmp_path):
    """250 kB of drills: the session's estimate stops at the limit, not at the file's end."""
    text = many_drills(2438)
    assert 250_000 <= len(text) < 256_000
    path = write_case(tmp_path, text)
    result, seconds = run_cli("check", str(path))
    assert_refused(result.output, result.exit_code, seconds, str(path),
                   "=: the session would pass the 3-hour limit in drill 629 of 2438 (drill-629). "
                   "Shorten the instructions and cues, or use fewer drills.")  # fmt: skip


def test_a_valid_file_passes_check(tmp_path):
    path = write_case(tmp_path, HEAD + DRILL + "    sides: alternate\n    hold_seconds: 0\n")
    result, _ = run_cli("check", str(path))
    assert (result.exit_code, result.stdout) == (0, f"{path}: OK, 1 drills.\n")


def test_debug_shows_the_traceback(tmp_path):
    path = write_case(tmp_path, with_reps("[12, 10]"))
    result = runner.invoke(app, ["--debug", "check", str(path)])
    assert result.exit_code == 2
    assert "Traceback" in result.output and "RoutineError" in result.output
    assert result.output.rstrip().endswith("is reversed; write [10, 12].")
    runner.invoke(app, ["check", str(path)])  # the flag is per run
    assert "Traceback" not in runner.invoke(app, ["check", str(path)]).output


# A handful of the cases through a real process: what a user sees in a terminal or a pipe.
SUBPROCESS_CASES = [
    "empty",
    "a-list",
    "reps-reversed",
    "typo-rep",
    "duplicate-ids",
    "python-name-tag",
    "billion-laughs",
    "png-header",
    "deep-nesting",
    "huge",
    "session-too-long",
    "control-character",
]


@pytest.fixture(scope="module")
def process_baseline() -> float:
    """Seconds a real `coach check` of the built-in file takes (mostly start-up), median of 3."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "coach", "check", str(default_routine_path())],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr
    return sorted(times)[1]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_a_real_process_refuses_a_malformed_routine(tmp_path, process_baseline, case):
    _, content, expected = next(c for c in CASES if c[0] == case)
    path = write_case(tmp_path, content)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "coach", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    seconds = time.perf_counter() - start
    assert done.stdout == ""
    assert_refused(done.stderr, done.returncode, 0.0, str(path), expected)
    # The in-process tests hold each case to 1 s; a whole process (its start-up alone takes about
    # as long, and varies with the machine's load) must not take much longer than a good file's.
    assert seconds < 2 * process_baseline + 1.0


def test_a_real_process_does_not_run_an_object_building_tag(tmp_path):
    target = tmp_path / "pwned"
    path = write_case(tmp_path, f'!!python/object/apply:os.system ["touch {target}"]\n')
    done = subprocess.run(
        [sys.executable, "-m", "coach", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and str(path) in done.stderr
    assert not target.exists()


def test_a_real_process_refuses_a_folder_and_a_missing_file(tmp_path):
    for path, message in (
        (tmp_path, "is a folder, not a routine file."),
        (tmp_path / "nope.yaml", "no such file."),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "coach", "check", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert done.stderr.startswith(f"coach: error: {path}: {message}")
        assert "Traceback" not in done.stderr


# --- the library side: one error class, the source named ---------------------------


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_routine_raises_only_routine_error(content, expected):
    """Reading a file and the one length rule (what `coach check` runs) raise RoutineError only."""
    data = content.encode() if isinstance(content, str) else content
    with pytest.raises(RoutineError) as caught:
        check_length(parse_routine(data, "my.yaml"))
    assert str(caught.value).startswith("my.yaml")
    assert exit_status(caught.value) == 2
    error = caught.value  # raised `from None` when it replaces a YAML error: no chained traceback
    assert error.__context__ is None or error.__suppress_context__


def test_a_duplicate_id_names_the_line_of_the_second_id():
    text = HEAD + DRILL + "  - name: Other\n    instructions: x\n    reps: 1\n" + DRILL
    with pytest.raises(
        RoutineError,
        match=r"^r.yaml, drill 3 \(squat\), line 10: the id 'squat' "
        r"is already used by drill 1",
    ):
        parse_routine(text.encode(), "r.yaml")


def test_scalars_are_read_as_yaml_1_2_reads_them():
    routine = parse_routine(
        b"name: On\ndrills:\n"
        b"  - {name: No, instructions: Off, cues: [Yes, On, y], reps: 8, rep_seconds: 2e0}\n",
        "plain.yaml",
    )
    (drill,) = routine.drills
    assert (routine.name, drill.name, drill.instructions) == ("On", "No", "Off")
    assert drill.cues == ("Yes", "On", "y") and drill.rep_seconds == 2.0


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "routine.yaml"
    os.mkfifo(fifo)
    result, seconds = run_cli("check", str(fifo))
    assert_refused(result.output, result.exit_code, seconds, str(fifo),
                   "=: not a regular file; a routine is a YAML text file.")  # fmt: skip
