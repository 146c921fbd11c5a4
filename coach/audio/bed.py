"""The music bed as the mix takes it: the format it is mixed at, and the bed itself. The music
package (music/) makes beds from the runner's tracks; the audio layer only reads them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coach.samples import PcmFormat

MUSIC_RATE = 44100
"""A session with music is mixed at this rate, in stereo (22.05 kHz mono is poor for music)."""
MUSIC_CHANNELS = 2
MUSIC_FORMAT = PcmFormat(MUSIC_RATE, MUSIC_CHANNELS)
"""A session with music goes out in the bed's format."""
MIN_LEVEL_DB = 12.0
"""The bed sits at least this far under the speech's loudness; it is stored at this level."""


@dataclass(frozen=True)
class Bed:
    """The music, levelled, crossfaded and looped, for a session of any length (`frames`).

    `samples` is the bed once through (int16 stereo, from the cache, mapped rather than read);
    its last `head` frames are already crossfaded into its first ones, so after one pass the
    bed goes on at frame `head`.
    """

    samples: np.ndarray
    head: int
    tracks: tuple[str, ...]
    """The names of the tracks heard, in order."""
    skipped: tuple[str, ...] = field(default=())
    """Why tracks of a folder were left out (one line each)."""

    def frames(self, first: int, last: int) -> np.ndarray:
        """Frames `first` to `last` of the looped bed, as float32 (n, 2) on the int16 scale."""
        out = np.empty((max(0, last - first), MUSIC_CHANNELS), dtype=np.float32)
        period, at = len(self.samples) - self.head, first
        while at < last:  # the bed once through, then from `head` on, again and again
            index = at if at < self.head else self.head + (at - self.head) % period
            count = min(last - at, len(self.samples) - index)
            out[at - first : at - first + count] = self.samples[index : index + count]
            at += count
        return out
