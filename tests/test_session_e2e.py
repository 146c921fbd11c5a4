"""The built-in session end to end, through the real `coach` command and the default engine."""

from __future__ import annotations

import json
import subprocess
from itertools import pairwise

import pytest
from support.runners import coach

from coach.samples import SAMPLE_RATE

pytestmark = pytest.mark.slow  # the built-in session with the real Piper voice
ARTICLE = {  # id: (rep beeps per side, sides, hold seconds) as the article gives them
    "ankle-mobility": (8, "switch", 0),
    "walking-butt-kick": (5, "alternate", 1),
    "overhead-lunge-walk": (5, "alternate", 0),
    "squat-to-stand": (10, None, 2),
    "hip-spine-rotation": (8, "alternate", 0),
    "walking-spiderman": (5, "alternate", 0),
    "hanging-twist": (12, "switch", 0),
    "wall-slide": (6, None, 0),
    "ankle-bounce": (16, "alternate", 0),
}


def ok(*args: str, cache) -> subprocess.CompletedProcess:
    result = coach(*args, cache=cache)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def script(cache):
    return json.loads(ok("script", "--json", cache=cache).stdout)


def test_default_session_lasts_about_ten_minutes(script):
    assert 8 * 60 <= script["duration"] <= 15 * 60
    assert script["sample_rate"] == SAMPLE_RATE


def test_every_drill_keeps_the_articles_counts_holds_and_sides(script):
    chapters = [c["id"] for c in script["chapters"]]
    assert chapters == ["_intro", *ARTICLE, "_outro"]
    kinds = [c["kind"] for c in script["chapters"]]
    assert kinds == ["intro", *["drill"] * len(ARTICLE), "outro"]
    for drill, (reps, sides, hold) in ARTICLE.items():
        beeps = [e for e in script["events"] if e.get("tone") == "rep" and e["drill"] == drill]
        if sides is None:
            assert [(b["side"], b["rep"]) for b in beeps] == [(None, i) for i in range(1, reps + 1)]
        else:
            assert sorted((b["side"], b["rep"]) for b in beeps) == sorted(
                (s, i) for s in ("left", "right") for i in range(1, reps + 1)
            ), drill
        switches = [
            e for e in script["events"] if e.get("tone") == "switch" and e["drill"] == drill
        ]
        assert len(switches) == (1 if sides == "switch" else 0), drill
        holds = [e for e in script["events"] if e.get("text") == "Hold." and e["drill"] == drill]
        assert len(holds) == (len(beeps) if hold else 0), drill
    # The script says its sets: one per drill, spanning its rep beeps, with its reps and sides.
    sets = {s["drill"]: s for s in script["sets"]}
    assert list(sets) == list(ARTICLE)
    for drill, (reps, sides, _) in ARTICLE.items():
        expected_sides = ["left", "right"] if sides else []
        assert (sets[drill]["reps"], sets[drill]["sides"]) == (reps, expected_sides)
        beeps = [e for e in script["events"] if e.get("tone") == "rep" and e["drill"] == drill]
        assert all(sets[drill]["start"] < b["start"] < sets[drill]["end"] for b in beeps)


def test_nothing_overlaps_with_real_clip_lengths(script):
    events = script["events"]
    for before, after in pairwise(events):
        assert after["start"] >= before["end"] - 1e-6, (before, after)


def test_second_run_renders_nothing_and_gives_identical_json(cache, script):
    warm = json.loads(ok("cache", "warm", "--json", cache=cache).stdout)
    assert warm["rendered"] == 0 and warm["clips"] > 100
    assert json.loads(ok("script", "--json", cache=cache).stdout) == script
    first = ok("script", "--json", "--only", "wall-slide", cache=cache).stdout
    assert ok("script", "--json", "--only", "wall-slide", cache=cache).stdout == first


def test_readable_table_shows_times_and_words(cache):
    table = ok("script", "--only", "squat-to-stand", cache=cache).stdout
    assert "Squat to stand" in table and "Hold." in table and "rep beep" in table
