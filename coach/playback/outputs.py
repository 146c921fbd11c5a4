"""Which audio output a session plays through: one PortAudio stream by default, simpleaudio
(a device opened per piece) when PortAudio is missing or when asked for."""

from __future__ import annotations

from dataclasses import dataclass

from coach.errors import UsageError
from coach.playback.devices import AudioOutput, SimpleaudioOutput
from coach.samples import PcmFormat

BACKENDS = ("portaudio", "simpleaudio")
"""The audio outputs by name, the default first."""


@dataclass(frozen=True)
class ChosenOutput:
    """The output opened, and why it is not the one asked for (None when it is)."""

    output: AudioOutput
    fallback: str | None = None


def check_backend(backend: str | None) -> None:
    """Refuse an output no one has heard of, before anything is made."""
    if backend is not None and backend not in BACKENDS:
        raise UsageError(f"Unknown audio output {backend!r}; the outputs are: "
                         f"{', '.join(BACKENDS)}.")  # fmt: skip


def open_output(backend: str | None, pcm: PcmFormat) -> ChosenOutput:
    """An output for samples in format `pcm`: `backend` by name, or PortAudio when it is
    installed and simpleaudio when it is not (saying why)."""
    check_backend(backend)
    if backend == "simpleaudio":
        return ChosenOutput(SimpleaudioOutput(pcm.rate, pcm.channels))
    from coach.playback.stream import PortAudioOutput

    try:
        return ChosenOutput(PortAudioOutput(pcm.rate, pcm.channels))
    except OSError as e:  # the PortAudio library is not installed
        if backend == "portaudio":
            raise UsageError(f"PortAudio cannot be loaded ({e}); install libportaudio2, or "
                             "play through simpleaudio.") from None  # fmt: skip
        return ChosenOutput(SimpleaudioOutput(pcm.rate, pcm.channels),
                            f"PortAudio cannot be loaded ({e})")  # fmt: skip
