"""The session's one sample format: mono, signed 16-bit, 22050 Hz (eSpeak NG's native rate), and
the format its samples travel in to a device or a file (`PcmFormat`)."""
from __future__ import annotations

from dataclasses import dataclass

SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2
CHANNELS = 1


def to_samples(seconds: float) -> int:
    """The sample offset where `seconds` falls: `round(seconds * SAMPLE_RATE)`."""
    return round(seconds * SAMPLE_RATE)


def to_seconds(samples: int) -> float:
    """Seconds of `samples`, rounded to the microsecond for stable JSON."""
    return round(samples / SAMPLE_RATE, 6)


@dataclass(frozen=True)
class PcmFormat:
    """Raw PCM as a session is sent out: `rate` frames a second, each `channels` interleaved
    little-endian samples of `SAMPLE_WIDTH` bytes. Positions in a session are counted in samples
    at `SAMPLE_RATE` whatever its format, so the format says how many frames each one takes: the
    mix, the player and the writers all count bytes here rather than each by its own sums."""

    rate: int
    channels: int

    def __post_init__(self) -> None:
        if self.rate % SAMPLE_RATE:
            raise ValueError(f"{self.rate} Hz is not a whole multiple of {SAMPLE_RATE} Hz.")

    @property
    def frames_per_sample(self) -> int:
        """Frames of this format in one sample of the session (at `SAMPLE_RATE`)."""
        return self.rate // SAMPLE_RATE

    @property
    def frame_bytes(self) -> int:
        """Bytes of one frame: a sample of every channel."""
        return SAMPLE_WIDTH * self.channels

    def byte_count(self, samples: int) -> int:
        """Bytes of `samples` samples of the session in this format."""
        return samples * self.frames_per_sample * self.frame_bytes


SPEECH_FORMAT = PcmFormat(SAMPLE_RATE, CHANNELS)
"""A session without music goes out as it is made: the session's own format."""
