"""The TTS layer: engines behind one interface, and a clip cache that never serves a bad clip."""
from coach.tts.cache import cache_info, clear_cache, default_cache_dir, prune_cache
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
    "cache_info",
    "clear_cache",
    "default_cache_dir",
    "list_voices",
    "prune_cache",
]
