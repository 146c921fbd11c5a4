"""`coach schema` (a JSON Schema of the routine format, for editors) and `coach new`."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from support.malformed import CASES
from support.routines import routine_bytes, routine_text
from support.runners import invoke

from coach.routine.model import default_routine_path

FORMAT_2 = routine_text("every-format-2-field.yaml")
CIRCUIT = routine_bytes("hip-and-core-circuit.yaml")

SESSION = "the session's length, from every drill together"
TENTHS = "tenths of a second (JSON Schema's numbers are not decimal)"
NOT_JSON = "NaN and infinity, which are not JSON numbers"
BEYOND_A_SCHEMA = {
    # What the loader checks that a JSON Schema cannot say.
    "duplicate-ids": "ids unique across drills",
    "duplicate-ids-from-names": "ids unique across drills",
    "reps-reversed": "the order of a range's two numbers",
    "name-without-id-letters": "an id made from the name",
    "session-too-long": SESSION,
    "session-forever": SESSION,
    "speech-too-long": SESSION,
    "rounds-too-long": SESSION,
    "seconds-too-fine": TENTHS,
    "hold-too-precise": TENTHS,
    "hold-nan": NOT_JSON,
    "rep-seconds-inf": NOT_JSON,
    "checked-as-the-session": SESSION,
    "control-character": "control characters inside a text",
    "bidi-override": "control characters inside a text",
    "noncharacter": "control characters inside a text",
    "escaped-surrogate": "lone surrogates inside a text",
    "word-too-long": "the length of one word",
    "seconds-quoted-too-short": "the bounds of a duration written as text",
    "rest-minutes-too-long": "the bounds of a duration written as text",
}
YAML_LEVEL = ("billion-laughs", "alias-oversized", "deep-nesting", "duplicate-key",
              "duplicate-drill-key", "octal-looking", "utf-16")  # fmt: skip
"""Refused by the loader's reading (UTF-8, YAML 1.2, aliases bounded, no repeated keys), before
any schema could look; PyYAML reads them otherwise."""


@pytest.fixture(scope="module")
def schema() -> dict:
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(doc)  # a valid draft 2020-12 schema
    return doc


def errors(schema: dict, document) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(with_text_keys(document))]


def with_text_keys(document):
    """The document as an editor's schema check sees it: JSON, whose keys are all text (YAML's
    `1: one` is the key "1")."""
    if isinstance(document, dict):
        return {str(key): with_text_keys(value) for key, value in document.items()}
    if isinstance(document, list):
        return [with_text_keys(item) for item in document]
    return document


@pytest.mark.parametrize(
    "text",
    [default_routine_path().read_text(), CIRCUIT.decode(), FORMAT_2,
     routine_text("durations-written-out.yaml")],
    ids=["built-in", "circuit", "format-2", "durations-written-out"],
)
def test_the_schema_accepts_valid_routines(schema, text):
    assert errors(schema, yaml.safe_load(text)) == []


def yaml_cases() -> list[tuple[str, object]]:
    """The loader's table of bad files that are YAML at all (the rest never reach a schema)."""
    found = []
    for name, content, _ in CASES:
        if name in YAML_LEVEL:
            continue
        try:
            document = yaml.safe_load(content)
        except (yaml.YAMLError, ValueError, RecursionError):
            continue
        found.append((name, document))
    return found


@pytest.mark.parametrize(("name", "document"), yaml_cases(), ids=[c[0] for c in yaml_cases()])
def test_the_schema_refuses_what_the_loader_refuses(schema, name, document):
    if name in BEYOND_A_SCHEMA:
        pytest.skip(BEYOND_A_SCHEMA[name])
    assert errors(schema, document), name


def test_the_schema_refuses_reps_with_seconds_and_alternate_timed_drills(schema):
    doc = yaml.safe_load(FORMAT_2)
    doc["drills"][0]["reps"] = 5
    assert errors(schema, doc)
    doc = yaml.safe_load(FORMAT_2)
    doc["drills"][1]["sides"] = "alternate"
    assert errors(schema, doc)
    doc = yaml.safe_load(FORMAT_2)
    doc["drills"][0]["hold_seconds"] = 1
    assert errors(schema, doc)
    doc = yaml.safe_load(FORMAT_2)
    del doc["drills"][2]["reps"]
    assert errors(schema, doc)


def test_new_writes_a_starter_that_checks_and_never_overwrites(schema, tmp_path):
    path = tmp_path / "mine.yaml"
    result = invoke("new", str(path))
    assert result.exit_code == 0, result.output
    wrote = f"Wrote {path}: a starter routine. Edit it, then `coach check {path}`.\n"
    assert result.stdout == wrote
    checked = invoke("check", str(path))
    assert checked.stdout == f"{path}: OK, 3 drills.\n"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    doc = yaml.safe_load(text)
    assert errors(schema, doc) == []
    drills = doc["drills"]
    assert any("seconds" in d for d in drills) and any(d.get("sets", 1) > 1 for d in drills)
    assert {d.get("sides") for d in drills} >= {"switch", "alternate"}

    path.write_text("name: keep me\n")
    again = invoke("new", str(path))
    assert again.exit_code == 2
    assert again.stderr == (
        f"coach: error: {path} already exists; a starter routine is never written over a file. "
        "Pick a new name.\n"
    )
    assert path.read_text() == "name: keep me\n"
    missing = invoke("new", str(tmp_path / "no" / "x.yaml"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]  # nothing else left
