"""The phone page of other sessions: a routine of the second format (rounds, sets, timed
drills), a single drill, music under the voice, a routine whose texts look like markup; and
the destinations it refuses, as every format does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from support.browser import chromium, open_page, seek, text
from support.fixtures import music_folder  # noqa: F401  (the `music` fixture)
from support.routines import copy_routine
from support.runners import coach
from test_page import embedded_mp3

from coach.routine.model import default_routine_path

CLOCK_MARGIN = 0.3
"""Seconds kept from a whole second when a test reads a clock the page rounds."""


def ok(*args: str, folder: Path) -> subprocess.CompletedProcess:
    result = coach(*args, cache=folder / "cache", cwd=folder)
    assert result.returncode == 0, result.stderr
    return result


def exported(folder: Path, name: str, *options: str) -> dict:
    """`coach export NAME OPTIONS` in `folder`; the script of that session."""
    ok("export", name, *options, folder=folder)
    return json.loads(ok("script", "--json", *options, folder=folder).stdout)


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@pytest.mark.slow
def test_a_circuit_shows_rounds_sets_and_the_time_left_on_each_side(tmp_path, browser):
    copy_routine("hip-and-core-circuit.yaml", tmp_path, "circuit.yaml")
    script = exported(tmp_path, "circuit.html", "-r", "circuit.yaml")
    open_page(browser, tmp_path / "circuit.html")
    assert browser.execute_script(
        "return [...document.querySelectorAll('#chapters button span:first-child')]"
        ".map(s => s.textContent)"
    ) == [c["title"] for c in script["chapters"]]
    # The side plank switches sides: two stretches of work, from a go beep to the next
    # switch or end beep.
    beeps = [e for e in script["events"] if e["drill"] == "side-plank" and e["kind"] == "beep"]
    goes = [e["start"] for e in beeps if e["tone"] == "go"]
    ends = [e["start"] for e in beeps if e["tone"] in ("switch", "end")]
    for side, (go, end) in enumerate(list(zip(goes, ends, strict=True))[:2]):
        at = end - 7 - CLOCK_MARGIN
        assert go < at
        seek(browser, at)
        assert text(browser, "part") == "Drill 2 of 6: Side plank, round 1"
        assert text(browser, "detail") == f"{('First', 'Second')[side]} side · 0:07 left"
    # The glute bridge has two sets of 8 reps.
    second = [s for s in script["sets"] if s["drill"] == "glute-bridge" and s.get("set") == 2][0]
    rep = [e for e in script["events"] if e.get("tone") == "rep"
           and second["start"] <= e["start"] < second["end"]][2]  # fmt: skip
    seek(browser, rep["start"] + 0.05)
    assert text(browser, "detail") == "Set 2 of 2 · Rep 3 of 8"
    assert "Stack the feet" not in text(browser, "instructions")
    assert text(browser, "instructions") == "Drive through the heels and lift the hips."


@pytest.mark.slow
def test_a_single_drill_is_named_alone(tmp_path, browser):
    script = exported(tmp_path, "one.html", "--only", "overhead-lunge-walk")
    open_page(browser, tmp_path / "one.html")
    chapter = script["chapters"][1]
    seek(browser, (chapter["start"] + chapter["end"]) / 2)
    assert text(browser, "part") == "Overhead lunge walk"
    assert text(browser, "next") == "Next: Outro"
    duration = browser.execute_script("return document.getElementById('audio').duration")
    assert duration == pytest.approx(script["duration"], abs=0.1)


@pytest.mark.slow
def test_with_music_the_page_carries_the_same_stereo_mp3(tmp_path, browser, music):
    options = ("--only", "wall-slide", "--music", str(music))
    script = exported(tmp_path, "music.html", *options)
    ok("export", "music.mp3", *options, folder=tmp_path)
    mp3 = (tmp_path / "music.mp3").read_bytes()
    assert embedded_mp3(tmp_path / "music.html") == mp3
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=channels", "-of", "csv=p=0",
         str(tmp_path / "music.mp3")], capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probed.stdout.strip() == "2"
    browser.get_log("browser")
    open_page(browser, tmp_path / "music.html")
    duration = browser.execute_script("return document.getElementById('audio').duration")
    assert duration == pytest.approx(script["duration"], abs=0.1)
    assert browser.get_log("browser") == []


MARKUP_ROUTINE = """\
name: "</script><b>Bold</b> & <!-- routine"
drills:
  - id: odd
    name: "<img src=x onerror=alert(1)> reach"
    instructions: "Reach up </script> and <i>hold</i>."
    reps: 2
    equipment: ["<mat>"]
"""


@pytest.mark.slow
def test_texts_that_look_like_markup_are_shown_as_written(tmp_path, browser):
    (tmp_path / "markup.yaml").write_text(MARKUP_ROUTINE)
    drill = exported(tmp_path, "markup.html", "-r", "markup.yaml")["chapters"][1]
    browser.get_log("browser")
    open_page(browser, tmp_path / "markup.html")
    assert text(browser, "routine") == "</script><b>Bold</b> & <!-- routine"
    assert browser.title == "</script><b>Bold</b> & <!-- routine"
    assert browser.execute_script("return document.querySelectorAll('b, i, img').length") == 0
    seek(browser, drill["start"] + 0.1)
    assert text(browser, "instructions") == "Reach up </script> and <i>hold</i>."
    assert text(browser, "equipment") == "You need: <mat>"
    assert browser.get_log("browser") == []


BAD_TARGETS = [
    (("read-only.html",), 2,
     "Cannot write the output to read-only.html: it is read-only. Remove it first."),
    (("a-folder.html",), 2, "Cannot write the output to a-folder.html: it is a folder."),
    (("routine.html", "-r", "routine.html"), 2,
     "Cannot write the output to routine.html: it is the routine file."),
    (("nowhere/s.html",), 1, "Cannot write nowhere/s.html: the folder nowhere does not exist."),
]  # fmt: skip


@pytest.mark.parametrize(("args", "status", "message"), BAD_TARGETS)
def test_a_page_is_refused_where_any_export_is(tmp_path, args, status, message):
    (tmp_path / "a-folder.html").mkdir()
    (tmp_path / "read-only.html").write_bytes(b"keep me")
    (tmp_path / "read-only.html").chmod(0o444)
    (tmp_path / "routine.html").write_text(default_routine_path().read_text())
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    result = coach("export", *args, cache=tmp_path / "cache", cwd=tmp_path)
    assert result.returncode == status, result.stderr
    assert result.stderr == f"coach: error: {message}\n"
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert (tmp_path / "read-only.html").read_bytes() == b"keep me"
    assert (tmp_path / "routine.html").read_text() == default_routine_path().read_text()


@pytest.mark.slow
def test_a_german_page_is_in_german(tmp_path, browser):
    copy_routine("german-circuit.yaml", tmp_path, "zirkel.yaml")
    script = exported(tmp_path, "zirkel.html", "-r", "zirkel.yaml", "--only", "ausfallschritt")
    open_page(browser, tmp_path / "zirkel.html")
    assert browser.execute_script("return document.documentElement.lang") == "de"
    assert text(browser, "chapters-heading") == "Teile"
    rep = next(e for e in script["events"] if e.get("tone") == "rep" and e["side"] == "right")
    seek(browser, rep["start"] + 0.05)
    assert text(browser, "detail") == f"Rechts · Wiederholung {rep['rep']} von 4"
    assert text(browser, "part") == "Übung 1 von 2: Ausfallschritt, Runde 1"
    assert text(browser, "next") == "Als Nächstes: Übung 2 von 2: Ausfallschritt, Runde 2"
    label = browser.find_element(By.ID, "play").get_attribute("aria-label")
    assert label == "Abspielen"
