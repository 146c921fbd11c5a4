"""A decoded file measured as it streams in: its integrated loudness (BS.1770, loudness.py's
meter) and the true peak of each block (headroom.py's meter), a stretch at a time, so measuring
a three-hour session holds a few seconds of its samples, not all of them (which in floats, and
K-weighted in doubles, would take gigabytes).

Each stretch is measured with the samples before it that the K-weighting filter and the
true-peak interpolation reach, and the peaks wait for the few samples after it they reach: the
figures are those of the whole file measured at once, but for the rounding of the filter's FFT.
"""

from __future__ import annotations

import numpy as np

from coach.audio.headroom import FULL_SCALE, block_peaks
from coach.audio.loudness import BLOCK, K_TAPS, PEAK_LEAD, gated_loudness, k_weighted

CONTEXT = K_TAPS - 1
"""Samples before a stretch that its measures depend on (the filter reaches furthest)."""


class StreamMeter:
    """Mono float samples (full scale 1), fed in order by `add`; `finish` gives the measures."""

    def __init__(self, floor_db: float) -> None:
        self.floor_db = floor_db
        """Blocks whose true peak cannot reach this (dBTP) read as 0 (block_peaks)."""
        self._held = np.zeros(CONTEXT, dtype=np.float32)  # context, then samples not measured
        self._energies: list[np.ndarray] = []
        self._peaks: list[np.ndarray] = []

    def add(self, samples: np.ndarray) -> None:
        """Take the next samples; measure the whole blocks that no longer wait for any."""
        self._held = np.concatenate([self._held, samples.astype(np.float32, copy=False)])
        ready = (len(self._held) - CONTEXT - PEAK_LEAD) // BLOCK
        if ready > 0:
            self._measure(ready, ready)
            self._held = self._held[ready * BLOCK :]

    def finish(self) -> tuple[float, np.ndarray]:
        """The integrated loudness (LUFS; -inf for silence), and the true peak (full scale 1) of
        every block, a last part block too, 0 for those under the floor. A last part block has
        no loudness of its own, as `loudness.loudness` counts whole blocks."""
        left = len(self._held) - CONTEXT
        blocks = -(-left // BLOCK)
        self._held = np.concatenate([self._held, np.zeros(blocks * BLOCK - left + PEAK_LEAD,
                                                          dtype=np.float32)])  # fmt: skip
        self._measure(left // BLOCK, blocks)
        energy = np.concatenate([np.zeros(0), *self._energies])
        return gated_loudness(energy), np.concatenate([np.zeros(0, np.float32), *self._peaks])

    def _measure(self, loud_blocks: int, peak_blocks: int) -> None:
        """The energy of the first `loud_blocks` held blocks, and the peak of `peak_blocks`."""
        if not peak_blocks:
            return
        stretch = self._held[: CONTEXT + loud_blocks * BLOCK]
        weighted = k_weighted(stretch)[CONTEXT : CONTEXT + loud_blocks * BLOCK]
        energy = np.square(weighted, dtype=np.float64).reshape(-1, BLOCK).sum(axis=1)
        self._energies.append(energy)
        around = self._held[CONTEXT - PEAK_LEAD : CONTEXT + peak_blocks * BLOCK + PEAK_LEAD]
        frames = (around * np.float32(FULL_SCALE))[:, None]
        self._peaks.append(block_peaks(frames, peak_blocks, self.floor_db))
