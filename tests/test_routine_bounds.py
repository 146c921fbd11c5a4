"""Routine files at their edges: numbers and tags of every form are read with their bounds (one
line naming the file, the field and the line, never an internal error); `coach check` runs every
rule a session runs, and a session runs them all before anything renders; texts hold no
bidirectional controls or noncharacters."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.routine_parts import DRILL, HEAD, REPS_RULE, TIMED, many_drills, write_case
from support.routines import routine_bytes
from support.runners import coach
from support.stand_in import StandInSpeech

from coach.compose.composer import check_length, compose, estimate, estimated_length
from coach.compose.options import SessionOptions
from coach.errors import RoutineError, SessionTooLongError
from coach.routine.fields import FIELDS
from coach.routine.loading import load_routine, parse_routine
from coach.samples import SAMPLE_RATE, to_samples
from coach.session import open_session

LIMIT = "the session would pass the 3-hour limit in"
CIRCUIT = routine_bytes("hip-and-core-circuit.yaml")


def one_line_naming(message: str, field: str, line: int) -> None:
    """A message of the loader: one line, the file first, the field and its line named."""
    assert message.startswith("n.yaml") and "\n" not in message, message
    assert f"field '{field}'" in message and f"line {line}" in message, message


# --- numbers of every form, in every number field ------------------------------------------

# Where each number field goes: (the file with VALUE in it, the line of the field).
NUMBER_PLACES = {
    "rest_seconds": ("rest_seconds: VALUE\n" + HEAD + DRILL, 1),
    "round_rest_seconds": ("rounds: 2\nround_rest_seconds: VALUE\n" + HEAD + DRILL, 2),
    "rounds": ("rounds: VALUE\n" + HEAD + DRILL, 1),
    "reps": (HEAD + DRILL.replace("reps: 10", "reps: VALUE"), 6),
    "sets": (HEAD + DRILL + "    sets: VALUE\n", 7),
    "set_rest_seconds": (HEAD + DRILL + "    sets: 2\n    set_rest_seconds: VALUE\n", 8),
    "rep_seconds": (HEAD + DRILL + "    rep_seconds: VALUE\n", 7),
    "hold_seconds": (HEAD + DRILL + "    hold_seconds: VALUE\n", 7),
    "seconds": (TIMED.replace("seconds: 30", "seconds: VALUE"), 6),
}
SPECIAL_NUMBERS = [
    ".inf", "-.inf", "+.inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "1e308", "-1e308", "1e309",
    "1.7976931348623157e308", "5e-324", "1e-320", "0.0000000001", "-0", "-0.0", "+5", "1.", ".5",
    "2E0", "1e+5", "1_000", "0x10", "0o7", "0b1", "010", "00", "1:30", "٣", "１０", "10 ", "~",
    "",
    "9" * 4300, "9" * 4301, "-" + "9" * 5000, "9" * 400 + ".5", "0." + "0" * 400 + "1",
]  # fmt: skip
TAGS = ["", "!!int ", "!!float ", "!!str ", "!!bool ", "!!null ", "! ",
        "!<tag:yaml.org,2002:int> ", "!<tag:yaml.org,2002:float> "]  # fmt: skip


@st.composite
def number_text(draw) -> str:
    """A number as a routine might hold one: huge, tiny, infinite, NaN, a long run of digits,
    an exponent form, a special spelling; maybe tagged, maybe in a [min, max] list."""
    sign = draw(st.sampled_from(["", "-", "+"]))
    text = draw(st.one_of(
        st.sampled_from(SPECIAL_NUMBERS),
        st.integers().map(str),
        st.integers(1, 6000).map(lambda n: sign + "9" * n),
        st.floats().map(repr),
        st.builds(lambda m, e: f"{sign}{m}e{e}", st.integers(0, 999), st.integers(-99999, 99999)),
        st.builds(lambda a, b: f"{sign}{'7' * a}.{'3' * b}", st.integers(0, 500),
                  st.integers(0, 500)),
    ))  # fmt: skip
    text = draw(st.sampled_from(TAGS)) + text
    if text.strip() and draw(st.integers(0, 4)) == 0:  # ("[, 3]" is not YAML at all)
        text = f"[{text}, {draw(st.sampled_from(['3', '12', text]))}]"
    return text


def within_bounds(routine, field: str) -> None:
    """The number the loader let through is finite, of its kind, and within its field's bounds."""
    drill = routine.drills[0]
    values = {
        "rest_seconds": [routine.rest_seconds], "round_rest_seconds": [routine.round_rest],
        "rounds": [routine.rounds], "reps": list(drill.reps or ()), "sets": [drill.sets],
        "set_rest_seconds": [routine.set_rest(drill)], "rep_seconds": [drill.rep_seconds],
        "hold_seconds": [drill.hold_seconds], "seconds": [drill.seconds],
    }[field]  # fmt: skip
    bounds = FIELDS[field]
    assert values and all(bounds.minimum <= v <= bounds.maximum for v in values), values
    whole = field in ("reps", "sets", "rounds")
    assert all(isinstance(v, int) if whole else isinstance(v, float) for v in values), values


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(field=st.sampled_from(sorted(NUMBER_PLACES)), value=number_text())
def test_every_number_is_read_with_its_bounds_or_refused_naming_the_field(field, value):
    template, line = NUMBER_PLACES[field]
    try:
        routine = parse_routine(template.replace("VALUE", value).encode(), "n.yaml")
        check_length(routine)
    except RoutineError as error:
        message = str(error)
        if LIMIT in message:  # within bounds, and too long a session all the same
            assert message.startswith(f"n.yaml: {LIMIT} drill 1 of 1")
        else:
            one_line_naming(message, field, line)
    else:
        within_bounds(routine, field)
        assert check_length(routine) <= to_samples(3 * 3600)


NOT_A_DURATION = 'is not a duration; write seconds as 30, "30s", "1m30s" or "1:30".'


@pytest.mark.parametrize(("text", "problem"), [
    ("!!int abc", f"!!int 'abc' {NOT_A_DURATION}"), ("!!int 1.5", f"!!int '1.5' {NOT_A_DURATION}"),
    ("!!float ten", f"!!float 'ten' {NOT_A_DURATION}"),
    ("!!bool yes", f"!!bool 'yes' {NOT_A_DURATION}"), ("!!null x", f"!!null 'x' {NOT_A_DURATION}"),
    ("9" * 4301, "must be at most 600 seconds, got a 4301-digit number."),
    ("-" + "9" * 50, "must be at least 0 seconds, got a 50-digit number."),
    ("1e308", "must be at most 600 seconds, got 1e+308."),
    (".nan", "must be from 0 to 600 seconds, got nan."),
    ("1e999", "must be at most 600 seconds, got inf."),
])  # fmt: skip
def test_a_number_no_field_takes_is_shown_as_written(text, problem):
    data = HEAD + DRILL + f"    hold_seconds: {text}\n"
    with pytest.raises(RoutineError) as caught:
        parse_routine(data.encode(), "n.yaml")
    assert str(caught.value) == f"n.yaml, drill 1 (squat), field 'hold_seconds', line 7: {problem}"


def test_a_hold_finer_than_any_number_is_no_hold():
    routine = parse_routine((HEAD + DRILL + "    hold_seconds: 1e-12\n").encode(), "n.yaml")
    assert repr(routine.drills[0].hold_seconds) == "0.0"  # never "hold 1e-12 seconds"


# --- tags of every form ----------------------------------------------------------------------

ALLOWED = {"str", "int", "float", "bool", "null", "seq", "map"}
TAG_NAMES = [*sorted(ALLOWED), "binary", "timestamp", "set", "omap", "pairs", "merge", "value",
             "yaml", "python/name:os.system", "python/object/apply:os.system",
             "python/module:os"]  # fmt: skip
VALUES = ["abc", "5", "1.5", "true", "", "~", "2001-12-14", "aGk=", "[a, b]", "{a: b}", "[3, 5]"]


@st.composite
def tagged(draw) -> tuple[str, str, bool]:
    """(a YAML tag written one of its ways, the value, whether the tag names a core tag)."""
    name = draw(st.sampled_from(TAG_NAMES) | st.text("abcxyz/:.-_", min_size=1, max_size=8))
    form = draw(st.sampled_from(["!!{}", "!<tag:yaml.org,2002:{}>", "!e!{}", "!{}", "!<!{}>"]))
    core = name in ALLOWED and form in ("!!{}", "!<tag:yaml.org,2002:{}>", "!e!{}")
    return form.format(name), draw(st.sampled_from(VALUES)), core


FIELD_LINES = {"name": (HEAD.replace("name: Test", "name: VALUE") + DRILL, 1),
               "instructions": (HEAD + DRILL.replace("Sit down and stand up.", "VALUE"), 5),
               "reps": (HEAD + DRILL.replace("reps: 10", "reps: VALUE"), 6),
               "cues": (HEAD + DRILL + "    cues: VALUE\n", 7),
               "sides": (HEAD + DRILL + "    sides: VALUE\n", 7),
               "rest_seconds": ("rest_seconds: VALUE\n" + HEAD + DRILL, 1)}  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(field=st.sampled_from(sorted(FIELD_LINES)), tag=tagged())
def test_every_tag_form_is_read_or_refused_naming_the_field(field, tag):
    written, value, core = tag
    template, line = FIELD_LINES[field]
    text = template.replace("VALUE", f"{written} {value}")
    if written.startswith("!e!"):  # a %TAG directive names the handle: two more lines
        text, line = "%TAG !e! tag:yaml.org,2002:\n---\n" + text, line + 2
    try:
        parse_routine(text.encode(), "n.yaml")
    except RoutineError as error:
        message = str(error)
        if "not valid YAML" in message:  # a tag YAML's own grammar refuses: its line is named
            return
        one_line_naming(message, field, line)
        if not core:
            assert "is not allowed" in message and "write the value without the tag" in message


def test_a_tag_on_a_key_or_the_whole_document_is_refused_with_its_line():
    for text, line in (("!!set x: 1\n" + HEAD + DRILL, 1), ("!!omap\n- a: 1\n", 1)):
        with pytest.raises(RoutineError, match=rf"^n.yaml, line {line}: the tag !!\w+ is not"):
            parse_routine(text.encode(), "n.yaml")


def test_dates_and_merge_keys_are_plain_text_as_in_yaml_1_2():
    routine = parse_routine((HEAD + DRILL + "    cues: [2001-12-14, =]\n").encode(), "n.yaml")
    assert routine.drills[0].cues == ("2001-12-14", "=")


# --- the session's length: one rule, decided before rendering, in check and in sessions -------

TOO_LONG = "rounds: 100\nrest_seconds: 0\n" + HEAD + DRILL.replace("10", "1") + "    sets: 20\n"
"""Issue 20's file: 100 rounds of 20 sets of a one-rep drill, which `check` used to pass."""


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.slow
@pytest.mark.parametrize(("content", "expected"), [
    (TOO_LONG, f"{LIMIT} drill 1 of 1 (squat), round 53 of 100. Lower the reps, the seconds, "
               "the sets or the rounds."),
    (many_drills(800), f"{LIMIT} drill 631 of 800 (drill-631). Shorten the instructions and "
                       "cues, or use fewer drills."),
], ids=["rounds-of-sets", "800-drills"])  # fmt: skip
def test_check_and_every_session_command_refuse_the_same_file_before_rendering(
    tmp_path, content, expected
):
    path = write_case(tmp_path, content)
    line = f"coach: error: {path}: {expected}\n"
    done = coach("check", str(path), cache=tmp_path / "cache-check")
    assert (done.returncode, done.stdout, done.stderr) == (2, "", line)
    for command in (["export", str(tmp_path / "s.wav")], ["script"], ["cache", "warm"]):
        cache = tmp_path / f"cache-{command[0]}"
        start = time.perf_counter()
        done = coach(*command, "--routine", str(path), "--engine", "espeak-ng",
                     "--cache-dir", str(cache), cache=cache)  # fmt: skip
        assert (done.returncode, done.stdout, done.stderr) == (2, "", line), command
        assert time.perf_counter() - start < 10  # no rendering (it took 8 s and more)
        assert files_in(cache) == [] and not (tmp_path / "s.wav").exists()


def test_options_that_make_a_session_too_long_are_refused_when_it_opens():
    routine = parse_routine(many_drills(600).encode(), "n.yaml")  # 2.85 hours: check passes
    speech = StandInSpeech()
    with pytest.raises(SessionTooLongError) as caught:
        open_session(routine, SessionOptions(pace=3.0), clips=speech)
    assert str(caught.value) == (
        "The session would pass the 3-hour limit in drill 597 of 600 (drill-597)."
    )
    assert speech.asked == []  # nothing asked of the engine


def test_a_real_export_with_a_slow_pace_is_refused_before_rendering(tmp_path):
    path = write_case(tmp_path, many_drills(600))
    cache = tmp_path / "cache"
    done = coach("export", str(tmp_path / "s.wav"), "--routine", str(path), "--pace", "3",
                 "--engine", "espeak-ng", "--cache-dir", str(cache), cache=cache)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "coach: error: The session would pass the 3-hour limit in drill 597 of 600 (drill-597). "
        "Use fewer drills, a shorter --rest or a faster --pace.\n"
    )
    assert files_in(cache) == [] and not (tmp_path / "s.wav").exists()


def test_the_limit_is_decided_on_the_estimate_not_on_the_rendered_clips():
    """Clips three times the estimate would make this a 8-hour session; it is composed, not
    refused after rendering, since check passed it."""
    routine = parse_routine(many_drills(600).encode(), "n.yaml")
    script = compose(routine, SessionOptions(), lambda text: 3 * estimated_length(text))
    assert script.length > to_samples(3 * 3600)


THREE_HOURS_OF_REPS = (
    "name: Long\nrest_seconds: 0\ndrills:\n  - name: A\n    instructions: B\n    reps: 10000\n"
    "    sides: alternate\n    rep_seconds: 0.5\n"
)


@pytest.mark.parametrize("text", [THREE_HOURS_OF_REPS, many_drills(600)], ids=["reps", "drills"])
def test_the_length_check_of_a_three_hour_routine_is_cheap(text):
    routine = parse_routine(text.encode(), "n.yaml")
    estimate.cache_clear()
    start = time.process_time()
    assert check_length(routine) > to_samples(2.7 * 3600)
    assert time.process_time() - start < 5.0  # CPU (not the clock, which load stretches): 0.1-0.3 s
    hits = estimate.cache_info().hits
    check_length(routine)  # the session asks again as it opens and composes: remembered
    assert estimate.cache_info().hits == hits + 1


# --- the estimate counts everything said -------------------------------------------------------

CUED = HEAD + DRILL.replace("reps: 10", "reps: 3") + "    cues: [" + ", ".join(
    f"'Keep the chest up and the knees soft, breath {n}.'" for n in range(20)) + "]\n"  # fmt: skip
EQUIPPED = HEAD + DRILL + "    equipment: [" + ", ".join(
    f"band number {n}" for n in range(10)) + "]\n"  # fmt: skip


@pytest.mark.parametrize("text", [None, CIRCUIT, CUED.encode(), EQUIPPED.encode()],
                         ids=["built-in", "circuit", "20-cues", "10-equipment"])  # fmt: skip
def test_the_estimate_is_the_session_laid_out_with_estimated_speech(text):
    routine = load_routine() if text is None else parse_routine(text, "n.yaml")
    for options in (SessionOptions(), SessionOptions(brief=True)):
        script = compose(routine, options, estimated_length)
        # All but the intro's own number of minutes, whose two characters are not known yet.
        assert abs(check_length(routine, options) - script.length) <= to_samples(0.2)
        minutes = max(1, round(script.length / SAMPLE_RATE / 60))
        assert f"about {minutes} minute" in script.events[1].text + script.events[2].text


def test_twenty_cues_fit_and_twenty_one_are_refused_in_the_schema_too():
    assert FIELDS["cues"].max_items == 20
    parse_routine(CUED.encode(), "n.yaml")
    from coach.routine.fields import json_schema

    cues = json_schema()["$defs"]["drill"]["properties"]["cues"]["anyOf"][2]
    assert cues["maxItems"] == 20


# --- bidirectional controls and noncharacters --------------------------------------------------

BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
NONCHARACTERS = [0xFDD0, 0xFDE7, 0xFDEF, 0xFFFE, 0xFFFF, 0x1FFFE, 0x1FFFF, 0x10FFFE, 0x10FFFF]
TEXT_FIELDS = {"name": (1, "", HEAD.replace("name: Test", 'name: "VALUE"') + DRILL),
               "description": (1, "", 'description: "VALUE"\n' + HEAD + DRILL),
               "instructions": (5, "drill 1 (squat), ",
                                HEAD + DRILL.replace("Sit down and stand up.", '"VALUE"')),
               "cues": (7, "drill 1 (squat), ", HEAD + DRILL + '    cues: ["VALUE"]\n'),
               "equipment": (7, "drill 1 (squat), ", HEAD + DRILL + '    equipment: ["VALUE"]\n'),
               "targets": (7, "drill 1 (squat), ", HEAD + DRILL + '    targets: ["VALUE"]\n'),
               "id": (3, "drill 1, ", HEAD + DRILL.replace("id: squat", 'id: "VALUE"')),
               }  # fmt: skip


@pytest.mark.parametrize("code", BIDI + NONCHARACTERS, ids=lambda c: f"U+{c:04X}")
@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
def test_bidi_controls_and_noncharacters_are_refused_in_every_text(field, code):
    line, where, template = TEXT_FIELDS[field]
    escaped = f"\\U{code:08X}"  # YAML's escape: the reader itself refuses some written raw
    with pytest.raises(RoutineError) as caught:
        parse_routine(template.replace("VALUE", f"stand{escaped}tall").encode(), "n.yaml")
    what = (f"the bidirectional control U+{code:04X}, which reorders the text on screen"
            if code in BIDI else f"U+{code:04X}, which is not a character (a Unicode "
            "noncharacter)")  # fmt: skip
    place = f"{where}field '{field}', line {line}"
    assert str(caught.value) == f"n.yaml, {place}: contains {what}; write plain text."


def test_a_real_check_names_a_raw_override_without_printing_it(tmp_path):
    path = write_case(tmp_path, HEAD + DRILL + "    cues: [Stand \u202etall.]\n")
    done = coach("check", str(path), cache=tmp_path / "cache")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"coach: error: {path}, drill 1 (squat), field 'cues', line 7: contains the "
        "bidirectional control U+202E, which reorders the text on screen; write plain text.\n"
    )


def test_an_unknown_key_with_an_override_is_shown_escaped():
    with pytest.raises(RoutineError) as caught:
        parse_routine(('"rep\\u202Es": 3\n' + HEAD + DRILL).encode(), "n.yaml")
    assert "\u202e" not in str(caught.value) and "'rep\\u202es'" in str(caught.value)


# --- numbers, tags and the session's rules through real processes --------------------------------


@pytest.mark.parametrize(("content", "expected"), [
    (HEAD + DRILL.replace("reps: 10", "reps: !!int abc"),
     f", drill 1 (squat), field 'reps', line 6: {REPS_RULE} !!int 'abc'."),
    (HEAD + DRILL.replace("reps: 10", "reps: " + "9" * 4301),
     f", drill 1 (squat), field 'reps', line 6: {REPS_RULE} a 4301-digit number."),
    (HEAD + DRILL + "    hold_seconds: 1e308\n",
     ", drill 1 (squat), field 'hold_seconds', line 7: must be at most 600 seconds, got "
     "1e+308."),
], ids=["tagged-text", "4301-digits", "1e308"])  # fmt: skip
def test_a_real_process_names_the_field_of_a_number_that_was_an_internal_error(
    tmp_path, content, expected
):
    path = write_case(tmp_path, content)
    for args in (["check", str(path)], ["export", str(tmp_path / "s.wav"), "--routine", str(path),
                                        "--engine", "espeak-ng"]):  # fmt: skip
        done = coach(*args, cache=tmp_path / "cache")
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr == f"coach: error: {path}{expected}\n"
    assert files_in(tmp_path / "cache") == [] and not (tmp_path / "s.wav").exists()
