"""The TTS layer: engines behind one interface, a registry by name, and speech that renders
what a session says into the clip cache."""
from coach.tts.engines import Engine, UnknownVoiceError, VoiceInfo
from coach.tts.language_voice import VoiceSettings
from coach.tts.registry import DEFAULT_ENGINE, ENGINES, list_voices
from coach.tts.speech import Speech

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "Engine",
    "Speech",
    "UnknownVoiceError",
    "VoiceInfo",
    "VoiceSettings",
    "list_voices",
]
