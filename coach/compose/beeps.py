"""What each beep means and how it sounds: one distinct tone per kind, so each can be told apart
without looking. The script names beeps by kind and knows their lengths; audio/tones.py makes
their samples."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from coach.samples import to_samples


class ToneKind(StrEnum):
    """What a beep means."""

    REP = "rep"
    SWITCH = "switch"
    COUNT = "count"
    GO = "go"
    END = "end"
    REST_OVER = "rest-over"


@dataclass(frozen=True)
class Tone:
    """A beep: one or more pips of a pitch each, with short gaps between them."""

    pips: tuple[tuple[float, float], ...]
    """(frequency in Hz, seconds) of each pip, in order."""
    gap_seconds: float = 0.06

    @property
    def freq(self) -> float:
        """The frequency of the first pip, as the script's JSON reports it."""
        return self.pips[0][0]

    @property
    def length(self) -> int:
        """Length in samples."""
        return sum(to_samples(s) for _, s in self.pips) + to_samples(self.gap_seconds) * (
            len(self.pips) - 1
        )


TONES: dict[ToneKind, Tone] = {
    ToneKind.REP: Tone(((880.0, 0.08),)),
    ToneKind.SWITCH: Tone(((660.0, 0.12), (990.0, 0.12))),
    ToneKind.COUNT: Tone(((587.33, 0.1),)),
    ToneKind.GO: Tone(((1174.66, 0.3),)),
    ToneKind.END: Tone(((990.0, 0.15), (740.0, 0.15), (494.0, 0.3))),
    ToneKind.REST_OVER: Tone(((494.0, 0.12), (740.0, 0.12))),
}
