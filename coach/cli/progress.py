"""The one progress bar of the command line: clips rendering, tracks decoding, an export
encoding. The library reports (done, total) to whatever it is handed; only a terminal shows it."""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from coach.cli.consoles import err


class ProgressBar:
    """A bar on standard error, shown from the first report; `close` on every way out. Once
    closed with `finished`, later reports are not shown: the phrases a session does not use may
    still render after the export's own bar has taken the line."""

    def __init__(self, label: str, counted: bool = True) -> None:
        self.label = label
        self.counted = counted
        """Whether the bar shows "done/total" (clips, tracks), not only its length (samples)."""
        self._bar: Progress | None = None
        self._task: Any = None
        self._finished = False

    def __call__(self, done: int, total: int) -> None:
        if self._finished:
            return
        if self._bar is None:
            counts = [TextColumn("{task.completed}/{task.total}")] if self.counted else []
            self._bar = Progress(TextColumn(self.label), BarColumn(), *counts,
                                 TimeRemainingColumn(), console=err, transient=True)  # fmt: skip
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total)
        self._bar.update(self._task, completed=done, total=total)
        if done >= total:
            self.close()

    def close(self, finished: bool = False) -> None:
        """Take the bar off the screen; `finished`: for good, whatever is reported after."""
        self._finished = self._finished or finished
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def progress_bar(label: str, counted: bool = True) -> ProgressBar | None:
    """A bar for a terminal; none when standard error is a file or a pipe."""
    return ProgressBar(label, counted) if err.is_terminal else None
