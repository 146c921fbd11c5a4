"""The TTS layer: engines behind one interface, a registry by name, and speech that renders
what a session says into the clip cache."""
from coach.tts.engines import Engine, VoiceInfo
from coach.tts.registry import DEFAULT_ENGINE, ENGINES, list_voices
from coach.tts.speech import Speech, VoiceSettings

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "Engine",
    "Speech",
    "VoiceInfo",
    "VoiceSettings",
    "list_voices",
]
