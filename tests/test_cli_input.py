"""Bad input, property-based: random damage to the built-in routine file never gives anything but
a RoutineError (or a valid routine), and the CLI answers bad options before rendering anything,
with one message, exit status 2 and no traceback.
"""

from __future__ import annotations

import json
import math
import string
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.routines import routine_text
from support.runners import invoke

from coach.errors import RoutineError
from coach.routine.loading import load_routine, parse_routine
from coach.routine.model import default_routine_path, loose_key

VALID = default_routine_path().read_bytes()
LINES = VALID.decode().splitlines(keepends=True)
FORMAT_2 = routine_text("every-format-2-field.yaml")
"""A routine with every field of format 2: mutated as the built-in one is."""
IDS = [d.id for d in load_routine().drills]
KEYS = {loose_key(text) for d in load_routine().drills for text in (d.id, d.name)}
"""What --only and --skip find a drill by: its id or its name, compared as loose keys."""

PARSE_EXAMPLES = 1000
CHECK_EXAMPLES = 250
OPTION_EXAMPLES = 40

# --- mutations of the valid file --------------------------------------------------

WEIRD_VALUES = [
    "",
    "~",
    "[]",
    "{}",
    "true",
    "no",
    "0",
    "-1",
    "2.5",
    "1e3",
    ".nan",
    "-.inf",
    "'5'",
    "five",
    "[1, 2, 3]",
    "[3, 1]",
    "[1, [2]]",
    "{reps: 1}",
    "!!binary aGk=",
    "!!set {a}",
    "2024-01-01",
    "&a x",
    "*a",
    "!!python/object/apply:os.system ['false']",
    "!!python/name:os.system",
    "'\\u0007'",
    '"\\ud800"',
    '"\\x00"',
    "|\n  text",
    ">-",
    "? a",
    "- a",
    "[",
    "]",
    "{",
    '"',
    "1" + "0" * 400,
    "x" * 2000,
]


@st.composite
def mutation(draw) -> bytes:
    """The built-in file, or one of format 2, after one to three random edits."""
    lines = list(draw(st.sampled_from([LINES, FORMAT_2.splitlines(keepends=True)])))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["delete", "retype", "text", "bytes", "duplicate", "swap", "indent", "unicode"]
            )
        )
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        if kind == "delete":  # a key (or a line of a folded text) goes
            del lines[i]
        elif kind == "retype" and ":" in line:  # a value becomes another type
            key = line.split(":", 1)[0]
            value = draw(st.sampled_from(WEIRD_VALUES) | st.text(max_size=20))
            lines[i] = f"{key}: {value}\n"
        elif kind == "text":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.text(max_size=30)) + line[at:]
        elif kind == "bytes":
            at = draw(st.integers(0, len(line)))
            raw = (
                line[:at].encode("utf-8", "surrogateescape")
                + draw(st.binary(min_size=1, max_size=20))
                + line[at:].encode("utf-8", "surrogateescape")
            )
            lines[i] = raw.decode("utf-8", "surrogateescape")
        elif kind == "duplicate":
            n = draw(st.integers(1, 6))
            lines[i:i] = lines[i : i + n]
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "indent":
            lines[i] = " " * draw(st.integers(0, 9)) + line.lstrip(" ")
        elif kind == "unicode":
            chars = st.characters(blacklist_categories=("Cs",))
            lines[i] = line.replace(
                draw(st.sampled_from(list(line) or [" "])),
                draw(st.text(chars, min_size=1, max_size=3)),
                1,
            )
        if not lines:
            break
    data = "".join(lines).encode("utf-8", "surrogateescape")
    if draw(st.booleans()) and draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]  # truncated at a random point
    return data


@pytest.mark.slow
def test_a_damaged_routine_parses_or_raises_a_routine_error_naming_it():
    outcomes: Counter[str] = Counter()

    @settings(max_examples=PARSE_EXAMPLES, deadline=None)
    @given(mutation())
    def parses_or_is_refused(data):
        outcomes[parsed_or_refused(data)] += 1

    parses_or_is_refused()
    assert sum(outcomes.values()) >= PARSE_EXAMPLES // 2, outcomes
    # The damage is neither always fatal nor always harmless: both paths were tried.
    assert outcomes["refused"] > 0 and outcomes["valid"] > 0, outcomes


def parsed_or_refused(data: bytes) -> str:
    """"valid" or "refused", after checking what the loader made of `data`."""
    try:
        routine = parse_routine(data, "damaged.yaml")
    except RoutineError as e:
        message = str(e)
        assert message.startswith("damaged.yaml")
        assert "\n" not in message
        message.encode("utf-8")  # printable: no lone surrogates
        return "refused"
    assert routine.drills
    for drill in routine.drills:  # what is valid can be spoken and printed
        for text in (drill.name, drill.instructions, *drill.cues, *drill.equipment):
            assert text.strip()
            text.encode("utf-8")  # no lone surrogates
            assert not any(unicodedata.category(c) == "Cc" for c in text)
    return "valid"


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("input")


@pytest.mark.slow
@settings(
    max_examples=CHECK_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=mutation())
def test_check_answers_a_damaged_routine_with_ok_or_one_message(work_dir, data):
    path = work_dir / "damaged.yaml"
    path.write_bytes(data)
    result = invoke("check", str(path))
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stdout == ""
        assert result.stderr.startswith(f"coach: error: {path}")
        assert result.stderr.count("\n") == 1
    else:
        assert result.stdout.startswith(f"{path}: OK, ")
        listed = invoke("drills", "--routine", str(path), "--json")
        assert listed.exit_code == 0, listed.output
        assert json.loads(listed.stdout)["drills"]


# --- session options that must fail before anything is rendered ------------------


def number(value: float) -> str:
    return repr(value) if math.isfinite(value) else str(value)


def unknown_ids() -> st.SearchStrategy[str]:
    """A comma-separated --only/--skip value with at least one id the routine lacks."""
    idish = st.text(string.ascii_lowercase + string.digits + "-_ .ÄßЖ", min_size=1, max_size=12)
    unknown = idish.filter(lambda s: s.strip() and loose_key(s) not in KEYS and "," not in s)
    return st.tuples(st.lists(st.sampled_from(IDS), max_size=3), unknown).map(
        lambda t: ",".join([*t[0], t[1]])
    )


# {label: (option, strategy of its bad value, text the message must contain)}
BAD_OPTIONS = {
    "--pace out of range": (
        "--pace",
        st.one_of(st.floats(max_value=0.4999), st.floats(min_value=3.0001), st.just(math.nan)).map(
            number
        ),
        "--pace: must be between 0.5 and 3, got ",
    ),
    "--rest out of range": (
        "--rest",
        st.one_of(st.floats(max_value=-1e-6), st.floats(min_value=600.001), st.just(math.nan)).map(
            number
        ),
        "--rest: must be between 0 and 600 seconds, got ",
    ),
    "--volume out of range": (
        "--volume",
        st.one_of(st.floats(max_value=-1e-6), st.floats(min_value=1.0001), st.just(math.nan)).map(
            number
        ),
        "--volume: must be between 0 and 1, got ",
    ),
    "--only unknown id": ("--only", unknown_ids(), "--only: no drill with id "),
    "--skip unknown id": ("--skip", unknown_ids(), "--skip: no drill with id "),
    "--rate out of range": (
        "--rate",
        st.one_of(st.integers(max_value=79), st.integers(400 + 1, 10**6)).map(str),
        " is out of range: ",
    ),
    "--engine unknown": (
        "--engine",
        st.text(string.ascii_letters + "-", min_size=1, max_size=10).filter(
            lambda s: s not in ("pyttsx3", "espeak-ng", "flite")
        ),
        "Known engines: ",
    ),
    "--pace not a number": (
        "--pace",
        st.text(string.ascii_letters, min_size=1, max_size=8).filter(
            lambda s: s.lower() not in ("nan", "inf", "infinity", "e")
        ),
        "Invalid value for '--pace'",
    ),
}


@pytest.mark.slow
@settings(
    max_examples=OPTION_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(choice=st.data())
@pytest.mark.parametrize("label", list(BAD_OPTIONS))
def test_script_refuses_a_bad_option_before_rendering(work_dir, label, choice):
    option, strategy, expected = BAD_OPTIONS[label]
    value = choice.draw(strategy, label=option)
    cache = work_dir / "cache"
    result = invoke("script", "--cache-dir", str(cache), f"{option}={value}")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert expected in " ".join(result.stderr.split()), result.stderr
    assert not cache.exists() or not any(cache.rglob("*.*")), "rendering started"


def test_skipping_every_drill_is_refused_before_rendering(work_dir):
    cache = work_dir / "cache-skip"
    result = invoke("script", "--cache-dir", str(cache), "--skip", ",".join(IDS))
    assert result.exit_code == 2
    assert result.stderr == (
        "coach: error: No drills left to do: --only, --skip and --without removed them all.\n"
    )
    assert not cache.exists() or not any(cache.rglob("*.*"))


def test_a_bad_routine_given_to_script_is_refused_before_rendering(work_dir):
    cache = work_dir / "cache-routine"
    path = work_dir / "reversed.yaml"
    path.write_text(VALID.decode().replace("reps: [10, 12]", "reps: [12, 10]"))
    result = invoke("script", "--cache-dir", str(cache), "--routine", str(path))
    assert result.exit_code == 2
    line = next(n for n, text in enumerate(LINES, start=1) if "reps: [10, 12]" in text)
    assert result.stderr == (
        f"coach: error: {path}, drill 7 (hanging-twist), field 'reps', "
        f"line {line}: the range [12, 10] is reversed; write [10, 12].\n"
    )
    assert not cache.exists() or not any(cache.rglob("*.*"))
