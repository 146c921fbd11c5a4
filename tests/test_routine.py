"""The built-in routine keeps the article's facts, and none of its sentences copies the article.
(Malformed files: test_routine_refusals.py in-process, test_routine_process.py as a real
program.)"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from support.runners import coach, invoke

from coach.routine.loading import load_routine
from coach.routine.model import Drill, Routine, Sides, default_routine_path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).with_name("routines")
ARTICLE = ROOT.parent / "shared" / "seed" / "leg-mobility-article.txt"
"""The seed article; present in the project's workspace, not in a clone (the shingles are)."""
SHINGLES = FIXTURES / "article-shingles.txt"


def drill(routine: Routine, drill_id: str) -> Drill:
    return next(d for d in routine.drills if d.id == drill_id)


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
    result = invoke("drills", "--json")
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
    done = coach("drills", "--json", cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout) == drills_json


def test_drills_table_shows_reps_sides_hold_and_equipment():
    result = invoke("drills")
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
