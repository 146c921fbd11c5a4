"""Lengths of time as people write them ("30s", "1m30s", "1:30", a quoted "45"): one reader for
every field measured in seconds and for `--rest`, the schema's pattern agreeing with it, a
routine written so sounding exactly as the same routine in numbers, and the refusals' words."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import jsonschema
import pytest
from support.routine_parts import DRILL, HEAD, TIMED, assert_refused, with_field, write_case
from support.routines import routine_bytes
from support.runners import invoke

from coach.cli.options import rest_seconds
from coach.errors import RoutineError
from coach.routine.durations import DURATION_PATTERN, NotADuration, seconds_of
from coach.routine.fields import FIELDS, Kind, json_schema
from coach.routine.loading import parse_routine

FORMS = 'write seconds as 30, "30s", "1m30s" or "1:30".'

ACCEPTED = [
    ("30", 30), ("2.5", 2.5), (" 45 ", 45), ("45s", 45), ("45 s", 45), ("45 sec", 45),
    ("45 secs", 45), ("45 second", 45), ("45 seconds", 45), ("45S", 45), ("45 Seconds", 45),
    ("1m", 60), ("1 min", 60), ("2 mins", 120), ("1 minute", 60), ("2 minutes", 120),
    ("1.5m", 90), ("1.1m", 66), ("1m30s", 90), ("1m 30s", 90), ("1 min 30 sec", 90),
    ("1 minute 30 seconds", 90), ("1M30S", 90), ("1:30", 90), ("0:45", 45), ("10:00", 600),
    ("0:07.5", 7.5), ("0", 0), ("0.5s", 0.5),
]  # fmt: skip
REFUSED = [
    "30x", "-30", "-30s", "+30", "1e3", "nan", "inf", "", "   ", "s", "m30s", "1m30", "30s1m",
    "1:75", "1:5", "1:30:00", ":30", "1,5", "1.s", ".5", "1h", "30 ss", "thirty", "٣٠", "３０",
    "30ſ", "1 mın",
]  # fmt: skip


@pytest.mark.parametrize(("text", "seconds"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_a_written_duration_is_its_seconds(text, seconds):
    assert seconds_of(text) == seconds and isinstance(seconds_of(text), float)


@pytest.mark.parametrize("value", [0, 30, 2.5, 1e308, -5, math.inf])
def test_a_number_is_itself_and_its_bounds_are_the_fields(value):
    assert seconds_of(value) == value


@pytest.mark.parametrize("value", [*REFUSED, True, None, [30], {"s": 30}])
def test_anything_else_is_refused_showing_the_forms_to_write(value):
    with pytest.raises(NotADuration) as caught:
        seconds_of(value)
    assert str(caught.value) == f"{value!r} is not a duration; {FORMS}"


def written(property_schema: dict, value: object) -> bool:
    return jsonschema.Draft202012Validator(property_schema).is_valid(value)


def test_the_schemas_pattern_takes_what_the_reader_takes_and_nothing_else():
    """Every seconds field of the schema takes a number within its bounds or a written duration,
    matched by the same grammar the loader reads."""
    schema = json_schema()
    seconds_fields = [name for name, field in FIELDS.items() if field.kind is Kind.SECONDS]
    assert sorted(seconds_fields) == ["hold_seconds", "rep_seconds", "rest_seconds",
                                      "round_rest_seconds", "seconds", "set_rest_seconds"]
    drill = schema["$defs"]["drill"]["properties"]
    for name in seconds_fields:
        prop = schema["properties"].get(name) or drill[name]
        assert [p for p in prop["anyOf"] if p.get("type") == "string"] == [
            {"type": "string", "pattern": DURATION_PATTERN}
        ]
        assert written(prop, 10) and not written(prop, -1) and not written(prop, True)
        assert all(written(prop, text) for text, _ in ACCEPTED), name
        assert not any(written(prop, text) for text in REFUSED), name
        assert written(prop, None) is FIELDS[name].nullable


def test_a_seconds_field_is_a_number_or_a_duration_text_and_says_so():
    description = FIELDS["rest_seconds"].description
    assert description.endswith('Written as 30, "30s", "1m30s" or "1:30".'), description
    assert FIELDS["hold_seconds"].description.startswith(
        "A hold at the end of each rep, in seconds, to a tenth at most (default 0;"
    )


# --- a routine written with durations sounds exactly as the one in numbers ----------------------

NUMBERS = routine_bytes("durations-as-numbers.yaml").decode()
WRITTEN = [
    ("rest_seconds: 15", 'rest_seconds: "15"'), ("rest_seconds: 15", "rest_seconds: 15 s"),
    ("rest_seconds: 15", "rest_seconds: 0:15"),
    ("round_rest_seconds: 90", 'round_rest_seconds: "1:30"'),
    ("round_rest_seconds: 90", "round_rest_seconds: 1m30s"),
    ("round_rest_seconds: 90", "round_rest_seconds: 1m 30s"),
    ("round_rest_seconds: 90", "round_rest_seconds: 1.5 min"),
    ("round_rest_seconds: 90", "round_rest_seconds: 90 seconds"),
    ("    seconds: 45", '    seconds: "45"'), ("    seconds: 45", '    seconds: "45s"'),
    ("    seconds: 45", "    seconds: 0:45"), ("    seconds: 30", "    seconds: 30 SEC"),
    ("rep_seconds: 2.5", 'rep_seconds: "2.5"'), ("rep_seconds: 2.5", "rep_seconds: 2.5s"),
    ("hold_seconds: 1.5", "hold_seconds: 1.5 seconds"),
    ("hold_seconds: 1.5", 'hold_seconds: "1.5"'),
    ("set_rest_seconds: 60", "set_rest_seconds: 1m"),
    ("set_rest_seconds: 60", "set_rest_seconds: 1 minute"),
    ("set_rest_seconds: 60", 'set_rest_seconds: "1:00"'),
]  # fmt: skip


def script_json(stand_in_session, data: bytes) -> dict:
    """What `coach script --json` prints for the routine `data`, spoken by the stand-in."""
    return json.loads(stand_in_session(data).script.to_json(None))


@pytest.fixture(scope="module")
def in_numbers(stand_in_session) -> dict:
    return script_json(stand_in_session, NUMBERS.encode())


@pytest.mark.parametrize(("plain", "written_out"), WRITTEN, ids=[w[1].strip() for w in WRITTEN])
def test_a_duration_written_out_sounds_as_its_number(stand_in_session, in_numbers, plain,
                                                     written_out):  # fmt: skip
    assert NUMBERS.count(plain + "\n") == 1, plain
    data = NUMBERS.replace(plain + "\n", written_out + "\n").encode()
    assert script_json(stand_in_session, data) == in_numbers


def test_a_routine_of_durations_written_out_sounds_as_the_one_in_numbers(stand_in_session,
                                                                          in_numbers):  # fmt: skip
    written_out = routine_bytes("durations-written-out.yaml")
    assert script_json(stand_in_session, written_out) == in_numbers
    assert in_numbers["duration"] > 0 and len(in_numbers["events"]) > 50


# --- refusals: one line, the forms to write, words that agree ---------------------------------

REFUSALS = [
    (TIMED.replace("seconds: 30", 'seconds: "30x"'),
     f"drill 1 (plank), field 'seconds', line 6: '30x' is not a duration; {FORMS}"),
    ("rest_seconds: -30s\n" + HEAD + DRILL,
     f"field 'rest_seconds', line 1: '-30s' is not a duration; {FORMS}"),
    ("rest_seconds: 2:00:00\n" + HEAD + DRILL,
     f"field 'rest_seconds', line 1: '2:00:00' is not a duration; {FORMS}"),
    (TIMED.replace("seconds: 30", 'seconds: "3"'),
     "drill 1 (plank), field 'seconds', line 6: must be at least 5 seconds, got 3."),
    (TIMED.replace("seconds: 30", "seconds: 4.5 s"),
     "drill 1 (plank), field 'seconds', line 6: must be at least 5 seconds, got '4.5 s' "
     "(4.5 seconds)."),
    (TIMED.replace("seconds: 30", "seconds: 15m"),
     "drill 1 (plank), field 'seconds', line 6: must be at most 600 seconds, got '15m' "
     "(900 seconds); split a longer work into sets."),
    ("rest_seconds: 61:00\n" + HEAD + DRILL,
     "field 'rest_seconds', line 1: must be at most 3600 seconds, got '61:00' (3660 seconds)."),
    (with_field('hold_seconds: "1.25s"'),
     "drill 1 (squat), field 'hold_seconds', line 7: 1.25 is finer than a tenth of a second, "
     "more than a coach can say; write 1.2."),
    (with_field("rep_seconds: 0.4s"),
     "drill 1 (squat), field 'rep_seconds', line 7: must be at least 0.5 seconds, got '0.4s' "
     "(0.4 seconds)."),
]  # fmt: skip


@pytest.mark.parametrize(("content", "problem"), REFUSALS, ids=[r[1][:60] for r in REFUSALS])
def test_a_bad_duration_is_refused_in_one_line(content, problem):
    with pytest.raises(RoutineError) as caught:
        parse_routine(content.encode(), "n.yaml")
    assert str(caught.value) == f"n.yaml, {problem}"


def test_check_refuses_a_bad_duration_with_one_line_and_status_2(tmp_path):
    path = write_case(tmp_path, TIMED.replace("seconds: 30", "seconds: 1m30"))
    result = invoke("check", str(path))
    assert result.stdout == ""
    assert_refused(result.output, result.exit_code, str(path),
                   f"=, drill 1 (plank), field 'seconds', line 6: '1m30' is not a duration; "
                   f"{FORMS}")  # fmt: skip


# Where each seconds field goes, with a value outside bounds of 0, 1 or 2.
PLACES = {
    "rest_seconds": "rest_seconds: VALUE\n" + HEAD + DRILL,
    "round_rest_seconds": "rounds: 2\nround_rest_seconds: VALUE\n" + HEAD + DRILL,
    "seconds": TIMED.replace("seconds: 30", "seconds: VALUE"),
    "set_rest_seconds": HEAD + DRILL + "    sets: 2\n    set_rest_seconds: VALUE\n",
    "rep_seconds": HEAD + DRILL + "    rep_seconds: VALUE\n",
    "hold_seconds": HEAD + DRILL + "    hold_seconds: VALUE\n",
}


def problem_of(content: str) -> str:
    with pytest.raises(RoutineError) as caught:
        parse_routine(content.encode(), "n.yaml")
    return str(caught.value).split(": ", 1)[1]


@pytest.mark.parametrize("key", sorted(PLACES))
@pytest.mark.parametrize("bound", [0, 1, 2])
def test_every_seconds_message_counts_in_english(monkeypatch, key, bound):
    """At 0, 1 and 2 as a field's bounds: "at least 1 second", "at most 2 seconds"."""
    monkeypatch.setitem(FIELDS, key, replace(FIELDS[key], minimum=bound, maximum=bound))
    unit = "second" if bound == 1 else "seconds"
    over = "; split a longer work into sets" if key == "seconds" else ""
    template = PLACES[key]
    if bound:
        assert problem_of(template.replace("VALUE", "-1")) == (
            f"must be at least {bound} {unit}, got -1."
        )
    assert problem_of(template.replace("VALUE", '"3"')) == (
        f"must be at most {bound} {unit}, got 3{over}."
    )
    assert problem_of(template.replace("VALUE", "1m")) == (
        f"must be at most {bound} {unit}, got '1m' (60 seconds){over}."
    )
    one_second = problem_of(template.replace("VALUE", "0:01")) if bound != 1 else None
    assert one_second == {
        0: f"must be at most 0 seconds, got '0:01' (1 second){over}.",
        1: None,
        2: "must be at least 2 seconds, got '0:01' (1 second).",
    }[bound]
    assert problem_of(template.replace("VALUE", ".nan")) == (
        f"must be from {bound} to {bound} {unit}, got nan."
    )


@pytest.mark.parametrize("most", [0, 1, 2])
def test_the_reps_limit_counts_in_english(monkeypatch, most):
    monkeypatch.setitem(FIELDS, "reps", replace(FIELDS["reps"], maximum=most))
    reps = "rep" if most == 1 else "reps"
    assert problem_of(HEAD + DRILL.replace("reps: 10", "reps: 3")) == (
        f"more than {most} {reps} in one set is not a warm-up."
    )


# --- --rest ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "seconds"), [
    ("90", 90), ("2.5", 2.5), ("90s", 90), ("1m30s", 90), ("1:30", 90), ("1 min", 60),
    ("-1", -1), ("1e3", 1000),  # numbers as before: the session checks their bounds
])  # fmt: skip
def test_rest_takes_a_number_or_a_duration(typed, seconds):
    assert rest_seconds(typed) == seconds


def test_rest_as_a_duration_is_the_rest_in_force():
    result = invoke("config", "--json", "--rest", "1m30s")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["rest"] == {"value": 90.0, "from": "flag"}


def test_rest_refuses_what_is_no_duration_before_anything_renders(tmp_path):
    result = invoke("script", "--cache-dir", str(tmp_path / "cache"), "--rest", "90x")
    assert result.exit_code == 2 and result.stdout == ""
    said = " ".join(re.sub("[│╭╮╰╯─]", " ", result.stderr).split())  # click's box, unwrapped
    assert f"Invalid value for '--rest': '90x' is not a duration; {FORMS}" in said
    assert "Traceback" not in result.output and not (tmp_path / "cache").exists()
