"""The session's one sample format: mono, signed 16-bit, 22050 Hz (eSpeak NG's native rate)."""
from __future__ import annotations

SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2
CHANNELS = 1


def to_samples(seconds: float) -> int:
    """The sample offset where `seconds` falls: `round(seconds * SAMPLE_RATE)`."""
    return round(seconds * SAMPLE_RATE)


def to_seconds(samples: int) -> float:
    """Seconds of `samples`, rounded to the microsecond for stable JSON."""
    return round(samples / SAMPLE_RATE, 6)
