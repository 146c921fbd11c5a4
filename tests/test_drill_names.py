"""Drill ids and names as people write them (issue 25): ids made from names in any script, a
drill found by its id or its name however it is typed, ids alike but for case or accents
refused, and "did you mean" for drills, engines and voices."""

from __future__ import annotations

import json
import re
import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.routine_parts import HEAD, assert_refused
from support.routines import routine_bytes, routine_path
from support.runners import invoke

from coach.compose.options import SessionOptions, select_drills
from coach.compose.script import ChapterKind
from coach.errors import OptionError
from coach.routine.loading import load_routine, parse_routine
from coach.routine.model import default_routine_path, find_drill, slug

SPANISH = "spanish-glute-bridge.yaml"
GERMAN = "german-plank-and-neck.yaml"
GERMAN_IDS = ("unterarmstütz-plank, seitstütz-links, seitstütz-rechts, nackenrollen, "
              "seitstütz-mit-drehung")
QUICK = ("--engine", "espeak-ng")


def routine(name: str):
    return parse_routine(routine_bytes(name), name)


def drills_of(*args: str, cache) -> list[str]:
    """The ids of the drills `coach script --json ARGS` does, in order."""
    result = invoke("script", "--json", *QUICK, "--cache-dir", str(cache), *args)
    assert result.exit_code == 0, result.output
    chapters = json.loads(result.stdout)["chapters"]
    return [c["id"] for c in chapters if c["kind"] == ChapterKind.DRILL]


# --- ids made from names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Hip-spine rotation", "hip-spine-rotation"),
        ("Puente de glúteos", "puente-de-glúteos"),
        ("Unterarmstütz (Plank)", "unterarmstütz-plank"),
        ("Gainage latéral", "gainage-latéral"),
        ("Straße", "straße"),
        ("Планка боковая", "планка-боковая"),
        ("Σανίδα", "σανίδα"),
        ("深蹲 (Squat)", "深蹲-squat"),
        ("スクワット", "スクワット"),
        ("नमस्ते योग", "नमस्ते-योग"),  # the vowel signs stay: marks of the letters
        ("  90/90 hip switch!  ", "90-90-hip-switch"),
        ("Glu\u0301teos", "glúteos"),  # decomposed: the id is in NFC
    ],
)
def test_an_id_made_from_a_name_keeps_the_letters_of_every_script(name, expected):
    made = slug(name)
    assert made == expected
    assert unicodedata.is_normalized("NFC", made)
    assert slug(made) == made  # an id made from a name is a valid id


@given(st.text(string.printable))
def test_an_ascii_name_makes_the_id_it_always_made(name):
    """Routines in ASCII (the built-in one) keep their ids, so their scripts and exports too."""
    assert slug(name) == re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def test_a_routine_in_german_and_spanish_gets_ids_in_its_own_letters():
    assert [d.id for d in routine(SPANISH).drills] == [
        "puente-de-glúteos", "sentadilla", "zancada-lateral"
    ]
    assert ", ".join(d.id for d in routine(GERMAN).drills) == GERMAN_IDS


def test_an_id_written_in_any_script_is_taken_in_nfc():
    text = HEAD + (
        "  - id: планка\n    name: Plank\n    instructions: Hold.\n    seconds: 20\n"
        "  - id: glu\u0301teos\n    name: Bridge\n    instructions: Lift.\n    reps: 5\n"
    )
    assert [d.id for d in parse_routine(text.encode(), "ids.yaml").drills] == [
        "планка", "glúteos"
    ]


def test_an_id_with_capitals_is_refused_with_the_id_to_write(tmp_path):
    path = tmp_path / "caps.yaml"
    path.write_text(HEAD + "  - id: Puente de Glúteos\n    name: Puente\n"
                    "    instructions: Sube.\n    reps: 5\n")  # fmt: skip
    result = invoke("check", str(path))
    assert_refused(
        result.stderr, result.exit_code, str(path),
        "=, drill 1, field 'id', line 3: 'Puente de Glúteos' is not a valid id; use lower-case "
        "letters (of any alphabet), digits and hyphens, like 'puente-de-glúteos'.",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (
            "  - name: Puente de glúteos\n",
            "  - name: Puente de gluteos\n",
            "=, drill 2 (puente-de-gluteos), line 6: the id 'puente-de-gluteos' is already used "
            "by drill 1 (line 3) as 'puente-de-glúteos' (ids are compared without case, accents "
            "and hyphens); give each drill its own id.",
        ),
        (
            "  - name: Straße\n",
            "  - id: strasse\n    name: Strasse\n",
            "=, drill 2 (strasse), line 6: the id 'strasse' is already used by drill 1 (line 3) "
            "as 'straße' (ids are compared without case, accents and hyphens); give each drill "
            "its own id.",
        ),
        (
            "  - name: Side plank\n",
            "  - name: SIDE PLANK\n",
            "=, drill 2 (side-plank), line 6: the id 'side-plank' is already used by drill 1 "
            "(line 3); give each drill its own id.",
        ),
        (
            "  - name: Side plank\n",
            "  - name: Sidep lank\n",
            "=, drill 2 (sidep-lank), line 6: the id 'sidep-lank' is already used by drill 1 "
            "(line 3) as 'side-plank' (ids are compared without case, accents and hyphens); give "
            "each drill its own id.",
        ),
    ],
    ids=["accents", "sharp-s", "case", "hyphens"],
)
def test_ids_alike_but_for_case_accents_or_hyphens_are_refused(tmp_path, first, second,
                                                               expected):  # fmt: skip
    body = "    instructions: Hold.\n    seconds: 20\n"
    path = tmp_path / "twins.yaml"
    path.write_text(HEAD + first + body + second + body)
    result = invoke("check", str(path))
    assert_refused(result.stderr, result.exit_code, str(path), expected)


# --- finding a drill -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["puente-de-glúteos", "Puente de glúteos", "puente de gluteos", "PUENTE-DE-GLUTEOS",
     "puente_de_glúteos", "PuenteDeGlúteos", "  puente   de glúteos "],
)  # fmt: skip
def test_only_and_skip_take_an_id_or_a_name_in_any_case_with_or_without_accents(typed):
    spanish = routine(SPANISH)
    assert [d.id for d in select_drills(spanish, SessionOptions(only=(typed,)))] == [
        "puente-de-glúteos"
    ]
    assert [d.id for d in select_drills(spanish, SessionOptions(skip=(typed,)))] == [
        "sentadilla", "zancada-lateral"
    ]


@pytest.mark.parametrize(
    ("typed", "found"),
    [("puente", "puente-de-glúteos"), ("GLUTEOS", "puente-de-glúteos"),
     ("lateral", "zancada-lateral"), ("Zancada lateral", "zancada-lateral")],
)  # fmt: skip
def test_rehearse_takes_a_unique_part_as_before(typed, found):
    assert find_drill(routine(SPANISH), typed).id == found


def test_only_takes_a_whole_id_or_name_not_a_part():
    with pytest.raises(OptionError) as error:
        select_drills(routine(SPANISH), SessionOptions(only=("puente",)))
    assert (error.value.option, error.value.problem) == (
        "only",
        f"no drill with id or name 'puente' in {SPANISH}. Did you mean 'puente-de-glúteos'? "
        "The drills are: puente-de-glúteos, sentadilla, zancada-lateral.",
    )


@pytest.mark.parametrize(
    ("typed", "near"),
    [
        ("seitstutz", "'seitstütz-links', 'seitstütz-rechts' or 'seitstütz-mit-drehung'"),
        ("seitstuz-link", "'seitstütz-links', 'seitstütz-mit-drehung' or 'seitstütz-rechts'"),
        ("nakenrollen", "'nackenrollen'"),
        ("Plank", "'unterarmstütz-plank'"),
    ],
)
def test_a_miss_names_the_closest_three_and_the_drills(typed, near):
    with pytest.raises(OptionError) as error:
        select_drills(routine(GERMAN), SessionOptions(skip=(typed,)))
    assert (error.value.option, error.value.problem) == (
        "skip",
        f"no drill with id or name '{typed}' in {GERMAN}. Did you mean {near}? The drills are: "
        f"{GERMAN_IDS}.",
    )


@pytest.mark.parametrize(
    ("routine_file", "typed", "near"),
    [
        (SPANISH, "glutos", "'puente-de-glúteos'"),
        (None, "twsit", "'hanging-twist'"),
        (None, "spidrman", "'walking-spiderman'"),
    ],
)
def test_a_typo_in_one_word_of_a_long_name_is_suggested(routine_file, typed, near):
    """Far from the whole id ("twsit" and "hanging-twist"), near one of its words."""
    drills = routine(routine_file) if routine_file else load_routine(default_routine_path())
    with pytest.raises(OptionError) as error:
        find_drill(drills, typed)
    assert f"Did you mean {near}? The drills are: " in error.value.problem


def test_a_miss_with_nothing_close_names_the_drills_alone():
    with pytest.raises(OptionError) as error:
        find_drill(routine(SPANISH), "burpee")
    assert error.value.problem == (
        f"No drill matches 'burpee' in {SPANISH}. The drills are: puente-de-glúteos (Puente de "
        "glúteos), sentadilla (Sentadilla), zancada-lateral (Zancada lateral)."
    )


# --- end to end, through the command line ---------------------------------------------------


def test_only_and_skip_by_name_through_the_command_line(tmp_path):
    spanish, german = str(routine_path(SPANISH)), str(routine_path(GERMAN))
    cache = tmp_path / "cache"
    assert drills_of("-r", spanish, "--only", "puente de gluteos", cache=cache) == [
        "puente-de-glúteos"
    ]
    assert drills_of("-r", spanish, "--skip", "PUENTE-DE-GLUTEOS,Sentadilla", cache=cache) == [
        "zancada-lateral"
    ]
    assert drills_of("-r", german, "--only", "Nackenrollen", "--only", "unterarmstütz (plank)",
                     cache=cache) == ["unterarmstütz-plank", "nackenrollen"]  # fmt: skip


def test_a_name_with_a_comma_of_its_own_is_one_drill(tmp_path):
    """Commas separate names, unless the whole value is one drill's name."""
    path = tmp_path / "commas.yaml"
    drills = [("Lunge, reverse", "reps: 6"), ("Squat", "reps: 6"), ("Plank", "seconds: 20")]
    path.write_text(HEAD + "".join(f"  - name: {name}\n    instructions: Go.\n    {amount}\n"
                                   for name, amount in drills))  # fmt: skip
    cache = tmp_path / "cache"
    assert drills_of("-r", str(path), "--only", "Lunge, reverse", cache=cache) == ["lunge-reverse"]
    assert drills_of("-r", str(path), "--only", "lunge-reverse, plank", cache=cache) == [
        "lunge-reverse", "plank"
    ]  # fmt: skip
    assert drills_of("-r", str(path), "--skip", "LUNGE, REVERSE", "--skip", "squat,",
                     cache=cache) == ["plank"]  # fmt: skip
    result = invoke("script", *QUICK, "-r", str(path), "--only", "Lunge, squat",
                    "--cache-dir", str(cache))  # fmt: skip
    assert (result.exit_code, result.stderr) == (2, (
        f"coach: error: --only: no drill with id or name 'Lunge' in {path}. Did you mean "
        "'lunge-reverse'? The drills are: lunge-reverse, squat, plank.\n"
    ))  # fmt: skip
    result = invoke("script", *QUICK, "--only", " , ", "--cache-dir", str(cache))
    assert (result.exit_code, result.stderr) == (
        2, "coach: error: --only: no names given; list one or more, comma-separated.\n"
    )  # fmt: skip


def test_an_unknown_drill_through_the_command_line(tmp_path):
    result = invoke("script", *QUICK, "-r", str(routine_path(GERMAN)), "--only", "Nackenrolle",
                    "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"coach: error: --only: no drill with id or name 'Nackenrolle' in "
        f"{routine_path(GERMAN)}. Did you mean 'nackenrollen'? The drills are: {GERMAN_IDS}.\n"
    )


def test_rehearse_finds_the_drill_by_a_part_of_its_name(tmp_path, monkeypatch):
    """`coach rehearse puente` makes a rehearsal of that drill alone (the player is left out:
    what it would play is the live timeline's plan)."""
    played = []
    monkeypatch.setattr("coach.cli.session_commands.play_in_terminal",
                        lambda live, audio: played.append(live))  # fmt: skip
    result = invoke("rehearse", "puente", *QUICK, "-r", str(routine_path(SPANISH)),
                    "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
    assert result.exit_code == 0, result.output
    (live,) = played
    assert live.options.rehearse
    assert [c.id for c in live.plan.chapters if c.kind is ChapterKind.DRILL] == [
        "puente-de-glúteos"
    ]


def test_rehearse_of_an_unknown_drill_suggests_one(tmp_path):
    result = invoke("rehearse", "sentadila", *QUICK, "-r", str(routine_path(SPANISH)),
                    "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"coach: error: No drill matches 'sentadila' in {routine_path(SPANISH)}. Did you mean "
        "'sentadilla'? The drills are: puente-de-glúteos (Puente de glúteos), sentadilla "
        "(Sentadilla), zancada-lateral (Zancada lateral).\n"
    )


def test_the_built_in_routine_keeps_its_ids(tmp_path):
    """Its ids are the ones its file writes, in the script as in the list of drills."""
    written = re.findall(r"^  - id: (\S+)$", default_routine_path().read_text(), re.MULTILINE)
    result = invoke("script", "--json", *QUICK, "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 0, result.output
    script = json.loads(result.stdout)
    drills = [c["id"] for c in script["chapters"] if c["kind"] == ChapterKind.DRILL]
    assert drills == written == [
        "ankle-mobility", "walking-butt-kick", "overhead-lunge-walk", "squat-to-stand",
        "hip-spine-rotation", "walking-spiderman", "hanging-twist", "wall-slide", "ankle-bounce",
    ]  # fmt: skip
    assert {e["drill"] for e in script["events"] if e.get("drill")} == set(written)
    assert [d["id"] for d in json.loads(invoke("drills", "--json").stdout)["drills"]] == written


# --- engines and voices ----------------------------------------------------------------------


def test_an_unknown_engine_suggests_the_closest(tmp_path):
    result = invoke("script", "--engine", "espeak", "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 2
    assert result.stderr == (
        "coach: error: Unknown engine 'espeak'. Did you mean 'espeak-ng'? Known engines: piper, "
        "pyttsx3, espeak-ng, flite.\n"
    )


def test_an_unknown_voice_suggests_the_closest(tmp_path):
    result = invoke("script", "--engine", "flite", "--voice", "awbb", "--only", "wall-slide",
                    "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "coach: error: Unknown flite voice 'awbb'. Did you mean 'awb'? Some voices: slt, rms, "
        "awb, kal16, kal (`coach voices --engine flite` lists all 5).\n"
    )
