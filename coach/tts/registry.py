"""The speech engines by name; the first is the default."""
from __future__ import annotations

from coach.errors import BadSettingError
from coach.system.suggest import did_you_mean
from coach.tts.engines import Engine, EspeakNgEngine, FliteEngine, VoiceInfo, speaks
from coach.tts.piper_engine import PiperEngine
from coach.tts.pyttsx3_engine import Pyttsx3Engine

ENGINES: dict[str, type[Engine]] = {
    e.NAME: e for e in (PiperEngine, Pyttsx3Engine, EspeakNgEngine, FliteEngine)
}
"""The engines by name; the first (Piper, a neural voice) is the default."""
DEFAULT_ENGINE = next(iter(ENGINES))


def engine_class(name: str, engines: dict[str, type[Engine]] = ENGINES) -> type[Engine]:
    """The engine registered as `name`; BadSettingError naming the closest ("espeak" is
    espeak-ng's program) and listing the known names otherwise."""
    try:
        return engines[name]
    except KeyError:
        raise BadSettingError(
            f"Unknown engine {name!r}.{did_you_mean(name, engines)} "
            f"Known engines: {', '.join(engines)}."
        ) from None


def list_voices(engine: str, language: str | None = None,
                engines: dict[str, type[Engine]] = ENGINES) -> list[VoiceInfo]:  # fmt: skip
    """The voices of the engine named `engine`, the default first, then English ones; with
    `language` (a code: "de", "en-GB", "pt_BR"), only those that speak it (see `speaks`)."""
    voices = engine_class(engine, engines).voices()
    return voices if language is None else [v for v in voices if speaks(v, language)]
