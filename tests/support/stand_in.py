"""The tests' one stand-in speech engine: deterministic, voice-like clips, made at once."""

from __future__ import annotations

import zlib

import numpy as np

from coach.samples import SAMPLE_RATE, to_samples


def stand_in_length(text: str, seconds: float = 0.15, per_char: float = 0.065) -> int:
    """A clip length that grows with the text, like real speech (about 15 characters a second)."""
    return to_samples(seconds + per_char * len(text))


class StandInSpeech:
    """The tests' one stand-in engine: a peaky, voice-like buzz whose length grows with the text.

    Each text gets its own pitch (120-220 Hz, 16 harmonics, so the crest factor is speech-like)
    and a syllable-rate tremolo; `level` is the peak amplitude as a fraction of full scale.
    `seconds` and `per_char` set the length (`stand_in_length`): the player's tests use short
    clips, so their sessions play quickly.
    """

    def __init__(self, level: float = 0.9, seconds: float = 0.15, per_char: float = 0.065) -> None:
        self.level = level
        self.seconds, self.per_char = seconds, per_char
        self.asked: list[list[str]] = []

    def clip(self, text: str) -> np.ndarray:
        n = stand_in_length(text, self.seconds, self.per_char)
        t = np.arange(n) / SAMPLE_RATE
        f0 = 120 + zlib.crc32(text.encode()) % 100
        buzz = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 17))
        envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
        fade = np.minimum(1, np.minimum(t, t[-1] - t) / 0.01)
        wave = buzz * envelope * fade
        return np.round(wave / np.abs(wave).max() * self.level * 32767).astype(np.int16)

    def clips(self, texts: list[str]) -> dict[str, np.ndarray]:
        self.asked.append(list(texts))
        return {text: self.clip(text) for text in texts}
