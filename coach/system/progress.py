"""Progress as every layer reports it, so one bar in the CLI can show any of them."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]
"""Called with (done, total) as work goes on, in the work's own unit: clips rendered, tracks
decoded, samples of the session encoded."""
