"""Speech: phrases to clips through the cache, rendering the missing ones in parallel."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.samples import to_samples
from coach.tts.cache import (
    DamagedClipError,
    clip_key,
    clip_path,
    read_clip,
    read_sidecar,
    sidecar_path,
    write_clip,
    write_sidecar,
)
from coach.tts.engines import Engine
from coach.tts.registry import DEFAULT_ENGINE, ENGINES, engine_class
from coach.tts.speakable import speakable

TRIM_THRESHOLD = 200
"""Samples quieter than this (about -44 dBFS) at either end of a clip are silence."""
KEEP_SECONDS = 0.02
"""Silence kept before the first and after the last loud sample; the length of a silent clip."""
RENDER_TIMEOUT = 20.0
"""Seconds one clip may take to render before the engine counts as hung."""


@dataclass(frozen=True)
class VoiceSettings:
    """What the coach sounds like."""

    engine: str = DEFAULT_ENGINE
    """The engine's registry name: "piper", "pyttsx3", "espeak-ng" or "flite"."""
    voice: str | None = None
    """A voice id, language or name of the engine; None for its clear English default."""
    rate: int | None = None
    """Words per minute; None for the engine's default, chosen for clarity."""


def trim(samples: np.ndarray) -> np.ndarray:
    """`samples` without the silence at both ends beyond KEEP_SECONDS; never empty."""
    keep = to_samples(KEEP_SECONDS)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > TRIM_THRESHOLD)
    if loud.size == 0:
        return np.zeros(keep, dtype=np.int16)
    return samples[max(0, loud[0] - keep) : loud[-1] + 1 + keep]


def spoken_text(text: str) -> str:
    """What the engine is given for `text`: spelled out (see speakable.py), one space between
    words."""
    return speakable(" ".join(text.split()))


class Speech:
    """Renders phrases to clips through the cache at `cache_dir`.

    The settings are checked here: BadSettingError for an unknown engine, voice or rate;
    EngineError when the engine is not installed. `engines` (the registry) and
    `timeout` (seconds per clip) can be replaced, by tests for example.
    """

    def __init__(
        self,
        settings: VoiceSettings,
        cache_dir: Path,
        progress: Callable[[int, int], None] | None = None,
        workers: int | None = None,
        *,
        engines: dict[str, type[Engine]] = ENGINES,
        timeout: float = RENDER_TIMEOUT,
    ) -> None:
        self.settings = settings
        self.engine = engine_class(settings.engine, engines)(settings.voice, settings.rate)
        self.cache_dir = Path(cache_dir)
        self.progress = progress
        self.workers = workers or len(os.sched_getaffinity(0))
        self.timeout = timeout
        self.rendered = 0
        """Clips rendered by this object so far."""
        self.repaired = 0
        """Damaged cache files thrown away and rendered again."""
        self.silent: set[str] = set()
        """Texts the voice says nothing for (emoji with flite, a script it lacks), as written."""
        self.unsaved: list[str] = []
        """Why clips could not be stored (a full or read-only disk); they were used all the same."""
        self._clips: dict[str, np.ndarray] = {}
        """Clips read or rendered so far, by spoken text: each is read or rendered once."""

    def _path(self, text: str) -> Path:
        key = clip_key(**self.engine.key_parts(), trim=[TRIM_THRESHOLD, KEEP_SECONDS], text=text)
        return clip_path(self.cache_dir, key)

    def _cached(self, text: str) -> np.ndarray | None:
        path = self._path(text)
        try:
            return read_clip(path)
        except FileNotFoundError:
            return None
        except DamagedClipError:
            path.unlink(missing_ok=True)
            self.repaired += 1
            return None
        except OSError:  # an unreadable cache folder: render, and say so if it cannot be stored
            return None

    def _store(self, text: str, clip: np.ndarray) -> None:
        """Cache a clip; an unwritable cache costs a later re-render, never the session."""
        try:
            write_clip(self._path(text), clip)
        except OSError as e:
            self.unsaved.append(f"{self.cache_dir} is not a writable folder: {e.strerror or e}")

    def clips(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The clip (int16 mono at SAMPLE_RATE) of each distinct text in `texts`.

        Clips are kept in memory once read or rendered. Clips not in the cache are rendered
        in parallel and stored; `progress(done, total)` is called as each one is stored.
        """
        wanted = {text: spoken_text(text) for text in texts}
        if "" in wanted.values():
            raise ValueError("A phrase has nothing to say.")
        found = {
            said: self._clips[said] if said in self._clips else self._cached(said)
            for said in dict.fromkeys(wanted.values())
        }
        # Longest first, so no long phrase starts last and leaves a core idle.
        missing = [said for said, clip in found.items() if clip is None]
        missing.sort(key=len, reverse=True)
        if missing:
            render = self.engine.render(missing, timeout=self.timeout, workers=self.workers)
            with contextlib.closing(render):  # stops the engine's processes on an error
                for done, (i, raw) in enumerate(render, 1):
                    clip = trim(raw)
                    self._store(missing[i], clip)
                    found[missing[i]] = clip
                    self.rendered += 1
                    if self.progress:
                        self.progress(done, len(missing))
        self._clips.update(found)
        self.silent.update(text for text, said in wanted.items() if not found[said].any())
        return {text: found[said] for text, said in wanted.items()}

    def clip(self, text: str) -> np.ndarray:
        """The clip of one text, by the same rules as `clips`."""
        return self.clips([text])[text]

    def measures(self, text: str) -> bytes | None:
        """What `store_measures` stored for the clip of `text`; None when there is none whole.

        The caller checks that it belongs to the clip it has (the clip may have been rendered
        again since); a damaged file is removed.
        """
        path = sidecar_path(self._path(spoken_text(text)))
        try:
            return read_sidecar(path)
        except DamagedClipError:
            path.unlink(missing_ok=True)
            return None
        except OSError:
            return None

    def store_measures(self, text: str, payload: bytes) -> None:
        """Keep `payload` (the clip's level, levels.py) beside the clip of `text`; a cache that
        cannot take it costs a measurement next time, and no warning."""
        with contextlib.suppress(OSError):
            write_sidecar(sidecar_path(self._path(spoken_text(text))), payload)
