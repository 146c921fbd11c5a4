"""The TTS layer: engines behind one interface, a registry by name, and speech that renders
what a session says into the clip cache."""
from coach.tts.engines import Engine, UnknownVoiceError, VoiceInfo
from coach.tts.registry import DEFAULT_ENGINE, ENGINES, list_voices
from coach.tts.speech import Speech, VoiceSettings

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
