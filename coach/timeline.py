"""The timeline: the script's clips and tones laid into one buffer at exact sample offsets.

The player and the exporter both consume a Timeline, so what you hear is what you export.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coach.compose import Script, SessionOptions, compose, phrases
from coach.routine import Routine
from coach.samples import SAMPLE_RATE
from coach.tones import tone_samples


class ClipSource(Protocol):
    """Where clips come from: the TTS layer's `Speech`, or a stand-in in tests."""

    def clips(self, texts: list[str]) -> dict[str, np.ndarray]: ...

    def clip(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Timeline:
    """The whole session as mono int16 samples, with the script that placed them."""

    script: Script
    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE

    def pcm(self, start: int = 0) -> bytes:
        """The raw little-endian PCM bytes from sample `start` on."""
        return self.samples[start:].astype("<i2", copy=False).tobytes()


def make_script(routine: Routine, options: SessionOptions, speech: ClipSource) -> Script:
    """Render every phrase (in parallel, through the cache), then compose with real clip lengths."""
    speech.clips(phrases(routine, options))
    return compose(routine, options, lambda text: len(speech.clip(text)))


def build_timeline(script: Script, speech: ClipSource) -> Timeline:
    """Place every clip and tone of the script at its sample offset in one buffer."""
    clips = speech.clips(script.texts())
    buffer = np.zeros(script.length, dtype=np.float32)
    for event in script.events:
        if event.kind == "speech":
            sound = clips[event.text].astype(np.float32) / 32768.0
        else:
            sound = tone_samples(event.tone)
        buffer[event.start : event.start + len(sound)] += sound
    samples = np.clip(np.round(buffer * 32767.0), -32768, 32767).astype(np.int16)
    return Timeline(script, samples)
