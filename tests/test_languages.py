"""The coach in the routine's language: complete catalogues, no English the coach added left in
a German, Spanish or French session, the `language` field and `--language`, and their errors."""

from __future__ import annotations

import json
import re
import string
import subprocess

import jsonschema
import pytest
import yaml
from support.routines import copy_routine, routine_bytes, routine_path
from support.runners import coach, invoke

from coach.language.catalogue import PLURAL_RULES, _read, _tags, known_tags, language

ROUTINES = {"de": "german-circuit.yaml", "es": "spanish-circuit.yaml", "fr": "french-circuit.yaml"}
CATALOGUES = sorted(set(_tags().values()))
KNOWN = "de, en, en-GB, en-US, es, fr"


def placeholders(phrase: str | dict) -> dict:
    forms = {"": phrase} if isinstance(phrase, str) else phrase
    return {form: sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)
            for form, text in forms.items()}  # fmt: skip


@pytest.mark.parametrize("tag", CATALOGUES)
def test_every_catalogue_has_every_phrase_with_the_same_placeholders(tag):
    english, other = _read("en"), _read(tag)
    for table in ("phrases", "page"):
        assert set(other[table]) == set(english[table])
        for key, phrase in english[table].items():
            assert placeholders(other[table][key]) == placeholders(phrase), key
    about = other["language"]
    assert set(about) == {"name", "espeak", "piper", "piper_example", "iso639_2", "decimal",
                          "plural"}  # fmt: skip
    assert about["plural"] in PLURAL_RULES and len(about["iso639_2"]) == 3


def test_every_languages_espeak_voice_is_one_espeak_ng_has():
    listed = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=True)
    names = {line.split()[1] for line in listed.stdout.splitlines()[1:]}
    files = {line.split()[4].split("/")[-1].lower() for line in listed.stdout.splitlines()[1:]}
    for tag in known_tags():
        voice = language(tag).espeak_voice
        assert voice in names or voice in files, (tag, voice)


@pytest.mark.parametrize(("tag", "one", "many"), [
    ("en", "1 second", "1.5 seconds"), ("de", "1 Sekunde", "1,5 Sekunden"),
    ("es", "1 segundo", "1,5 segundos"), ("fr", "1 seconde", "1,5 seconde"),
])  # fmt: skip
def test_counts_follow_the_languages_plural_rule_and_decimal_sign(tag, one, many):
    words = language(tag)
    assert (words.count("seconds", 1), words.count("seconds", 1.5)) == (one, many)


def english_words(tag: str) -> set[str]:
    """The words of the English catalogue that the catalogue of `tag` does not use too."""

    def words(catalogue: dict) -> set[str]:
        texts = [v for p in catalogue["phrases"].values()
                 for v in ([p] if isinstance(p, str) else p.values())]  # fmt: skip
        return {w.lower() for t in texts for w in re.findall(r"[^\W\d_]+", re.sub(r"{\w+}", "", t))}

    return words(_read("en")) - words(_read(tag))


@pytest.mark.parametrize("tag", sorted(ROUTINES))
def test_no_english_word_the_coach_adds_is_left_in_a_session(tag, stand_in_session):
    session = stand_in_session(routine_bytes(ROUTINES[tag]))
    assert session.routine.language == tag
    script = json.loads(session.script.to_json())
    drills = session.routine.drills
    texts = (t for d in drills for t in (d.name, d.instructions, *d.cues, *d.equipment))
    own = [session.routine.name, *texts]
    added = [e["text"] for e in script["events"] if e["kind"] == "speech"]
    added += [c["title"] for c in script["chapters"]]
    left = []
    for text in added:
        for mine in sorted(own, key=len, reverse=True):
            text = text.replace(mine, " ")
        left += [w for w in re.findall(r"[^\W\d_]+", text) if w.lower() in english_words(tag)]
    assert left == []
    kinds = {e.get("tone") for e in script["events"]}  # every kind of sound was laid out
    assert {"rep", "switch", "go", "end"} <= kinds and len(script["chapters"]) == 14


def test_language_on_the_command_line_overrides_the_routines():
    result = invoke("script", "--json", "--language", "de", "--engine", "espeak-ng",
                    "--only", "wall-slide")  # fmt: skip
    assert result.exit_code == 0, result.output
    said = [e["text"] for e in json.loads(result.stdout)["events"] if e["kind"] == "speech"]
    assert "1 Übung, etwa 1 Minute." in said and "Los." in said


def test_an_unknown_language_in_a_routine_names_the_file_the_line_and_the_known_ones(tmp_path):
    path = copy_routine("spanish-circuit.yaml", tmp_path)
    path.write_text(path.read_text().replace("language: es", "language: klingon"))
    result = invoke("check", str(path))
    assert result.exit_code == 2
    assert result.output == (
        f"coach: error: {path}, field 'language', line 4: 'klingon' is not a language the "
        f"coach speaks; use one of {KNOWN}.\n"
    )


@pytest.mark.parametrize("args", [("script", "--language", "xx"), ("new", "x.yaml", "--language",
                                                                   "xx")])  # fmt: skip
def test_an_unknown_language_flag_is_bad_input_and_writes_nothing(tmp_path, args):
    result = invoke(*args, "--cache-dir", str(tmp_path)) if args[0] == "script" else invoke(
        args[0], str(tmp_path / args[1]), *args[2:])  # fmt: skip
    assert result.exit_code == 2
    assert result.output == (
        f"coach: error: --language: 'xx' is not a language the coach speaks; use one of "
        f"{KNOWN}.\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_regional_tag_takes_its_languages_catalogue_and_case_does_not_matter():
    assert (language("de-AT").tag, language("EN-gb").tag, language("fr_CA").tag) == (
        "de", "en-GB", "fr")  # fmt: skip


def test_new_writes_the_language_asked_for_and_the_file_checks(tmp_path):
    path = tmp_path / "mine.yaml"
    assert invoke("new", str(path), "--language", "es").exit_code == 0
    assert "\nlanguage: es " in path.read_text()
    checked = invoke("drills", "-r", str(path), "--json")
    assert checked.exit_code == 0 and invoke("check", str(path)).exit_code == 0
    session = invoke("script", "--json", "-r", str(path), "--engine", "espeak-ng",
                     "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
    said = [e["text"] for e in json.loads(session.stdout)["events"] if e["kind"] == "speech"]
    assert "Ya." in said and "Go." not in said


def test_the_schema_knows_the_languages():
    schema = json.loads(invoke("schema").stdout)
    assert schema["properties"]["language"]["enum"] == [*KNOWN.split(", "), None]
    validator = jsonschema.Draft202012Validator(schema)
    document = yaml.safe_load(routine_path("german-circuit.yaml").read_text())
    assert list(validator.iter_errors(document)) == []
    assert list(validator.iter_errors(document | {"language": "xx"}))


NOTICE = (
    "coach: note: No Piper voice for {name} ({tag}) is installed, so eSpeak NG's voice {voice} "
    "speaks instead; for a more natural one, put a Piper voice for {tag} ({example}.onnx with "
    "its .onnx.json, from huggingface.co/rhasspy/piper-voices) in {folder}.\n"
)


@pytest.mark.slow
@pytest.mark.parametrize(("tag", "fmt", "voice", "example", "drills"), [
    ("de", ".mp3", "gmw/de", "de_DE-thorsten-medium", "kniebeuge,beinpendel"),
    ("es", ".ogg", "roa/es", "es_ES-davefx-medium", "sentadilla,zancada"),
    ("fr", ".m4a", "roa/fr", "fr_FR-siwis-medium", "squat,fente"),
])  # fmt: skip
def test_a_routine_is_coached_in_its_language_by_a_voice_for_it_and_the_file_says_so(
    tmp_path, tag, fmt, voice, example, drills
):
    copy_routine(ROUTINES[tag], tmp_path, "mine.yaml")
    voices = tmp_path / "voices"
    env = {"COACH_VOICES_DIR": str(voices)}
    out = f"mine{fmt}"
    result = coach("export", out, "-r", "mine.yaml", "--only", drills, "--captions", "mine.vtt",
                   cache=tmp_path / "cache", cwd=tmp_path, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    words = language(tag)
    assert result.stderr == NOTICE.format(name=words.name, tag=tag, voice=voice,
                                          example=example, folder=voices)  # fmt: skip
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags=language:stream_tags=language",
         "-of", "json", str(tmp_path / out)], capture_output=True, text=True, check=True,
    )  # fmt: skip
    tags = json.loads(probed.stdout)
    found = {tags.get("format", {}).get("tags", {}).get("language")}
    found |= {s.get("tags", {}).get("language") for s in tags["streams"]}
    assert words.iso639_2 in found, tags
    captions = (tmp_path / "mine.vtt").read_text()
    assert captions.startswith(f"WEBVTT\nLanguage: {tag}\n\n")
    assert words.say("go") in captions and "Go." not in captions


def test_the_built_in_english_session_carries_no_language_tag(tmp_path):
    result = coach("export", "s.mp3", "--only", "wall-slide", "--engine", "espeak-ng",
                   "--captions", "s.vtt", cache=tmp_path / "cache", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert b"TLAN" not in (tmp_path / "s.mp3").read_bytes()[:4096]
    assert (tmp_path / "s.vtt").read_text().startswith("WEBVTT\n\n")
