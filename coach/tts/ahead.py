"""The clips `Speech` holds in memory, some of them still being rendered ahead on a thread of
their own: the seam between whoever asks for a clip and the thread that renders it first."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator

import numpy as np

Rendered = Generator[tuple[str, np.ndarray], None, None]
"""(spoken text, clip) as each is rendered; closing it cancels what has not started."""
STOP_SECONDS = 5.0
"""How long `close` waits for the clips being rendered ahead to be done."""


class StoppedError(Exception):
    """Speech was closed while a clip was awaited."""


class ClipsAhead:
    """Clips by spoken text, each read or rendered once, and those being rendered ahead: asking
    for one of those waits until it is done, and raises what stopped its rendering."""

    def __init__(self) -> None:
        self._clips: dict[str, np.ndarray] = {}
        self._ready = threading.Condition()
        """Guards what the thread shares: `_pending`, `_failed`, and `_clips` as it grows."""
        self._pending: set[str] = set()
        """Spoken texts being rendered ahead, not yet done."""
        self._failed: BaseException | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.rendered = 0
        """Clips kept as rendered rather than read: counted here, where both threads keep them."""

    def __contains__(self, said: str) -> bool:
        return said in self._clips

    def known(self, said: str) -> np.ndarray | None:
        """The clip of `said` once it is no longer being rendered ahead; None when it is not in
        memory. Raises what stopped the rendering ahead before it was done."""
        with self._ready:
            while said in self._pending and self._failed is None:
                self._ready.wait()
            if said in self._pending:
                raise self._failed
            return self._clips.get(said)

    def keep(self, said: str, clip: np.ndarray, *, rendered: bool) -> None:
        """Hold `clip` as the clip of `said` (`rendered`, else read); whoever waits for it gets
        it."""
        with self._ready:
            self._clips[said] = clip
            self.rendered += rendered
            self._pending.discard(said)
            self._ready.notify_all()

    def start(
        self, todo: list[str], rendered: Rendered,
        keep: Callable[[str, np.ndarray], object],
    ) -> None:  # fmt: skip
        """Render `todo` ahead: on a thread of its own, `keep(said, clip)` for each (spoken
        text, clip) that `rendered` gives, until it ends or `close` is called."""
        self._pending.update(todo)
        self._thread = threading.Thread(target=self._run, args=(rendered, keep), daemon=True)
        self._thread.start()

    def _run(self, rendered: Rendered, keep: Callable[[str, np.ndarray], object]) -> None:
        try:
            for said, clip in rendered:
                keep(said, clip)
                if self._stopping.is_set():
                    break
        except BaseException as e:  # raised again to whoever waits for a clip
            with self._ready:
                self._failed = e
                self._ready.notify_all()
        finally:
            rendered.close()  # what has not started is cancelled
            with self._ready:
                if self._pending and self._failed is None:
                    self._failed = StoppedError("speech was closed")
                self._ready.notify_all()

    def close(self) -> None:
        """Stop rendering ahead; returns once the clips under way are done (or `STOP_SECONDS`)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(STOP_SECONDS)
