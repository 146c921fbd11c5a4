"""The voice a session is spoken in: the one the user chose, or the engine's voice for the
session's language.

English keeps each engine's own default voice, as before the coach spoke other languages, so
the built-in session sounds (and is cached) as it did. Another language gets the engine's
installed voice for it. Piper bundles only an English voice, so without a Piper voice for the
language eSpeak NG speaks in its place, and a notice says how to get a Piper one. Flite speaks
only English: another language is refused, never read with English sounds. A voice the user
chose is used as given, unless its own files say it speaks another language than the session's
(a Piper voice's config): an English voice reading German is refused too.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from coach.errors import BadSettingError, EngineError
from coach.language.catalogue import DEFAULT_LANGUAGE, Language, UnknownLanguageError, language
from coach.tts.engines import Engine, normal_code
from coach.tts.piper_engine import PiperEngine, voices_dir
from coach.tts.registry import DEFAULT_ENGINE, ENGINES, engine_class

ENGLISH = "en"
"""The language of every engine's default voice, and of speakable.py's words."""
FALLBACK = "espeak-ng"
"""The engine that speaks a language Piper has no installed voice for."""
PIPER_VOICES = "huggingface.co/rhasspy/piper-voices"
"""Where Piper's voices are published."""


@dataclass(frozen=True)
class VoiceSettings:
    """What the coach sounds like."""

    engine: str = DEFAULT_ENGINE
    """The engine's registry name: "piper", "pyttsx3", "espeak-ng" or "flite"."""
    voice: str | None = None
    """A voice id, language or name of the engine; None for its voice for `language`."""
    rate: int | None = None
    """Words per minute; None for the engine's default, chosen for clarity."""
    language: str = DEFAULT_LANGUAGE
    """The language spoken: a tag with a catalogue ("en", "en-GB", "de"; coach/language)."""


@dataclass(frozen=True)
class ChosenVoice:
    """The settings a session is spoken with, and what the user should be told about them."""

    settings: VoiceSettings
    notice: str | None = None
    """One line for the user when the voice is not the one they may expect; None otherwise."""


def primary(code: str) -> str:
    """The language of a code or tag, without its region: "en_US" and "en-GB" are "en"."""
    return normal_code(code).split("-")[0]


def is_english(tag: str) -> bool:
    """Whether the language of `tag` is English, in any of its regional forms."""
    return primary(tag) == ENGLISH


def voice_for_language(settings: VoiceSettings,
                       engines: dict[str, type[Engine]] = ENGINES) -> ChosenVoice:  # fmt: skip
    """The settings that speak `settings.language`: as given for English or a voice the user
    chose; else with the engine's voice for the language, or for Piper without one, eSpeak NG's
    (`notice` says so). BadSettingError for an engine that does not speak the language (flite,
    or one without its voice); EngineError when nothing installed speaks it."""
    spoken = language(settings.language)
    chosen = engine_class(settings.engine, engines)
    if chosen.LANGUAGES is not None and primary(spoken.tag) not in chosen.LANGUAGES:
        only = " and ".join(language(tag).name for tag in chosen.LANGUAGES)
        raise BadSettingError(
            f"The {chosen.NAME} engine speaks only {only}, not {_named(spoken)};"
            f" use one of the engines {_speaking(spoken, engines, chosen.NAME)}."
        )
    if settings.voice is not None or is_english(spoken.tag):
        return ChosenVoice(settings)
    voice = chosen.voice_for(spoken)
    if voice is not None:
        return ChosenVoice(replace(settings, voice=voice))
    if chosen.NAME == PiperEngine.NAME:
        return _instead_of_piper(settings, spoken, engines)
    raise BadSettingError(
        f"The {chosen.NAME} engine has no voice for {_named(spoken)} installed;"
        f" use one of the engines {_speaking(spoken, engines, chosen.NAME)}."
    )


def check_voice_language(engine: Engine, tag: str) -> None:
    """BadSettingError when the voice's own files say it speaks another language than `tag`'s
    (a Piper voice's config). A region does not count: an American voice may speak British
    English."""
    code = engine.voice_language()
    spoken = language(tag)
    if code is None or primary(code) == primary(spoken.tag):
        return
    try:
        said = f"{language(code).name} ({code})"
    except UnknownLanguageError:  # a language the coach has no catalogue for
        said = code
    raise BadSettingError(
        f"The voice {engine.voice} speaks {said}, not {_named(spoken)}: choose a {engine.NAME}"
        f" voice for {spoken.tag}, or none and the coach chooses one."
    )


def _instead_of_piper(settings: VoiceSettings, spoken: Language,
                      engines: dict[str, type[Engine]]) -> ChosenVoice:  # fmt: skip
    """eSpeak NG's voice for `spoken`, for want of an installed Piper voice, and the notice that
    says where to put one; EngineError when eSpeak NG cannot speak it either."""
    get = (f"put a Piper voice for {spoken.piper_code} ({spoken.piper_example}.onnx with its "
           f".onnx.json, from {PIPER_VOICES}) in {voices_dir()}")  # fmt: skip
    missing = f"No Piper voice for {_named(spoken)} is installed"
    try:
        voice = engine_class(FALLBACK, engines).voice_for(spoken)
    except EngineError as e:  # eSpeak NG is not installed: what to do about Piper comes first
        raise EngineError(f"{missing}: {get}. eSpeak NG cannot speak instead: {e}") from None
    if voice is None:
        raise EngineError(f"{missing}, nor an eSpeak NG voice to speak instead: {get}.")
    notice = (f"{missing}, so eSpeak NG's voice {voice} speaks instead; for a more natural one,"
              f" {get}.")  # fmt: skip
    return ChosenVoice(replace(settings, engine=FALLBACK, voice=voice), notice)


def _named(spoken: Language) -> str:
    """A language as messages name it: "Deutsch (de)"."""
    return f"{spoken.name} ({spoken.tag})"


def _speaking(spoken: Language, engines: dict[str, type[Engine]], but: str) -> str:
    """The engines other than `but` that may speak `spoken`, for a message: "a, b, c"."""
    return ", ".join(name for name, engine in engines.items() if name != but
                     and (engine.LANGUAGES is None or primary(spoken.tag) in engine.LANGUAGES))
