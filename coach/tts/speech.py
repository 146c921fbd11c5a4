"""Speech: phrases to clips through the cache, rendering the missing ones in parallel."""

from __future__ import annotations

import contextlib
import os
import re
import textwrap
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from coach.cache.store import (
    DamagedClipError,
    clip_key,
    clip_path,
    read_clip,
    read_sidecar,
    sidecar_path,
    write_clip,
    write_sidecar,
)
from coach.language.catalogue import DEFAULT_LANGUAGE
from coach.samples import to_samples
from coach.system.progress import Progress
from coach.tts.ahead import ClipsAhead, Rendered
from coach.tts.engines import Engine
from coach.tts.language_voice import (
    VoiceSettings,
    check_voice_language,
    is_english,
    voice_for_language,
)
from coach.tts.registry import ENGINES, engine_class
from coach.tts.speakable import speakable

TRIM_THRESHOLD = 200
"""Samples quieter than this (about -44 dBFS) at either end of a clip are silence."""
KEEP_SECONDS = 0.02
"""Silence kept before the first and after the last loud sample; the length of a silent clip."""
RENDER_TIMEOUT = 20.0
"""Seconds one clip may take to render before the engine counts as hung."""
SPLIT_CHARS = 160
"""A longer text is rendered a sentence at a time, the sentences in parallel, and joined, so a
long instruction uses every core (1,354 characters with Piper on two cores: 4.1 s, against 7.9 s
rendered whole)."""
PIECE_CHARS = 200
"""A longer sentence is rendered in pieces of at most this many characters: cut at its clause
marks (, ; : — –), then at word boundaries. An engine's memory grows with what it is given
(Piper: 2.0 GB for one sentence of 1,489 characters), so it is bounded by the longest piece.
No sentence of the built-in routines is this long (the longest has 156), so their clips are
rendered as they always were."""
JOIN_SECONDS = 0.3
"""Silence between the parts of a text rendered in parts (Piper's own sentence pause)."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:—–])\s*")


def trim(samples: np.ndarray) -> np.ndarray:
    """`samples` without the silence at both ends beyond KEEP_SECONDS; never empty."""
    keep = to_samples(KEEP_SECONDS)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > TRIM_THRESHOLD)
    if loud.size == 0:
        return np.zeros(keep, dtype=np.int16)
    return samples[max(0, loud[0] - keep) : loud[-1] + 1 + keep]


def sentences(said: str) -> list[str]:
    """The parts a spoken text is rendered in: itself, or if it is long, its sentences, each in
    `pieces`."""
    if len(said) <= SPLIT_CHARS:
        return [said]
    return [piece for part in _SENTENCE_END.split(said) if part for piece in pieces(part)]


def pieces(sentence: str) -> list[str]:
    """`sentence` itself, or if it is longer than PIECE_CHARS, its clauses joined again as long
    as they fit, a clause that does not fit cut at word boundaries (a longer word at the limit)."""
    if len(sentence) <= PIECE_CHARS:
        return [sentence]
    cut: list[str] = []
    for clause in filter(None, (c.strip() for c in _CLAUSE_END.split(sentence))):
        if cut and len(cut[-1]) + 1 + len(clause) <= PIECE_CHARS:
            cut[-1] += " " + clause
        else:
            cut += textwrap.wrap(clause, PIECE_CHARS, break_on_hyphens=False)
    return cut


def joined(parts: list[np.ndarray]) -> np.ndarray:
    """The clip of a text from the raw renders of its parts: each trimmed, `JOIN_SECONDS` of
    silence between them."""
    if len(parts) == 1:
        return trim(parts[0])
    pause = np.zeros(to_samples(JOIN_SECONDS), dtype=np.int16)
    pieces = [piece for part in parts for piece in (pause, trim(part).astype(np.int16))][1:]
    return trim(np.concatenate(pieces))


def spoken_text(text: str, tag: str = DEFAULT_LANGUAGE) -> str:
    """What the engine is given for `text` in the language of `tag`: one space between words,
    and in English spelled out (see speakable.py). Another language's voice reads digits in
    that language itself ("1,5" in German is "eins Komma fünf"), never as English words."""
    said = " ".join(text.split())
    return speakable(said) if is_english(tag) else said


class Speech:
    """Renders phrases to clips through the cache at `cache_dir`, in the settings' language.

    The settings are checked here: BadSettingError for an unknown engine, voice or rate, or one
    that does not speak the language; EngineError when the engine is not installed. The voice
    for the language is chosen here too (language_voice.py): `settings` and `notice` say which.
    `engines` (the registry) and `timeout` (seconds per clip) can be replaced, by tests.
    """

    def __init__(
        self,
        settings: VoiceSettings,
        cache_dir: Path,
        progress: Progress | None = None,
        workers: int | None = None,
        *,
        engines: dict[str, type[Engine]] = ENGINES,
        timeout: float = RENDER_TIMEOUT,
    ) -> None:
        chosen = voice_for_language(settings, engines)
        self.settings = chosen.settings
        """The settings spoken with: the engine and voice chosen for the language."""
        self.notice = chosen.notice
        """One line for the user about that choice (eSpeak NG for want of a Piper voice)."""
        self.engine = engine_class(self.settings.engine, engines)(self.settings.voice,
                                                                  self.settings.rate)
        check_voice_language(self.engine, self.settings.language)
        self.cache_dir = Path(cache_dir)
        self.progress = progress
        """Called with (parts rendered, parts to render) as clips render."""
        self.workers = workers or len(os.sched_getaffinity(0))
        self.timeout = timeout
        self.silent: set[str] = set()
        """Texts the voice says nothing for (emoji with flite, a script it lacks), as written."""
        self._cache = VoiceCache(self.cache_dir, self.engine, self.settings.language)
        self._ahead = ClipsAhead()
        """Clips read or rendered so far, by spoken text, and those being rendered ahead."""

    @property
    def rendered(self) -> int:
        """Clips rendered by this object so far."""
        return self._ahead.rendered

    @property
    def repaired(self) -> int:
        """Damaged cache files thrown away and rendered again."""
        return self._cache.repaired

    @property
    def unsaved(self) -> list[str]:
        """Why clips could not be stored (a full or read-only disk); they were used all the same."""
        return self._cache.unsaved

    def clips(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The clip (int16 mono at SAMPLE_RATE) of each distinct text in `texts`.

        Clips are kept in memory once read or rendered. Clips being rendered ahead are waited
        for; the others not in the cache are rendered in parallel and stored; `progress(done,
        total)` is called as each one is stored.
        """
        wanted = {text: self._said(text) for text in texts}
        if "" in wanted.values():
            raise ValueError("A phrase has nothing to say.")
        found = {said: self._known(said) for said in dict.fromkeys(wanted.values())}
        missing = [said for said, clip in found.items() if clip is None]
        # Longest first, so no long phrase starts last and leaves a core idle.
        with contextlib.closing(self._rendered(missing, longest_first=True)) as rendered:
            for said, clip in rendered:
                found[said] = self._keep(said, clip)
        self.silent.update(text for text, said in wanted.items() if not found[said].any())
        return {text: found[said] for text, said in wanted.items()}

    def _said(self, text: str) -> str:
        """What the engine is given for `text` (`spoken_text` in the session's language)."""
        return spoken_text(text, self.settings.language)

    def _known(self, said: str) -> np.ndarray | None:
        """The clip of spoken text `said` in memory or the cache, after waiting for it if it is
        being rendered ahead; None when it must be rendered."""
        clip = self._ahead.known(said)
        if clip is None:
            clip = self._cache.read(said)
            if clip is not None:
                self._ahead.keep(said, clip, rendered=False)
        return clip

    def _rendered(self, saids: list[str], longest_first: bool = False) -> Rendered:
        """(spoken text, clip) of each of `saids`, rendered in parallel (a long one a sentence at
        a time), as each is done; `progress(done, total)` counts the parts."""
        units = [(said, k, part) for said in saids for k, part in enumerate(sentences(said))]
        if longest_first:
            units.sort(key=lambda unit: len(unit[2]), reverse=True)
        if not units:
            return
        parts: dict[str, list] = {said: [None] * len(sentences(said)) for said in saids}
        render = self.engine.render([part for _, _, part in units], timeout=self.timeout,
                                    workers=self.workers)  # fmt: skip
        with contextlib.closing(render):  # stops the engine's processes on an error
            for done, (i, raw) in enumerate(render, 1):
                said, k, _ = units[i]
                waiting = parts[said]
                waiting[k] = raw
                if self.progress:
                    self.progress(done, len(units))
                if all(p is not None for p in waiting):
                    yield said, joined(waiting)

    def _keep(self, said: str, clip: np.ndarray) -> np.ndarray:
        """A rendered clip, stored and kept in memory."""
        self._cache.write(said, clip)
        self._ahead.keep(said, clip, rendered=True)
        return clip

    def render_ahead(self, texts: Iterable[str]) -> int:
        """Start rendering, in this order, those of `texts` the cache lacks, on a thread of their
        own (which uses every core), so that a caller can use the first before the last is
        done; returns how many. `clips` waits for them; an error rendering one is raised there.
        Call `close`."""
        order = [said for said in dict.fromkeys(map(self._said, texts)) if said]
        todo = [s for s in order if s not in self._ahead and not self._cache.path(s).is_file()]
        if todo:
            self._ahead.start(todo, self._rendered(todo), self._keep)
        return len(todo)

    def close(self) -> None:
        """Stop rendering ahead; returns once the clips under way are done."""
        self._ahead.close()

    def clip(self, text: str) -> np.ndarray:
        """The clip of one text, by the same rules as `clips`."""
        return self.clips([text])[text]

    def measures(self, text: str) -> bytes | None:
        """What `store_measures` stored for the clip of `text`; None when there is none whole.
        The caller checks that it belongs to the clip it has (the clip may have been rendered
        again since)."""
        return self._cache.measures(self._said(text))

    def store_measures(self, text: str, payload: bytes) -> None:
        """Keep `payload` (the clip's level, levels.py) beside the clip of `text`."""
        self._cache.store_measures(self._said(text), payload)


class VoiceCache:
    """One voice's clips in the cache at `folder`, by spoken text in the language of `tag`,
    keyed by everything that changes their sound, with the measures kept beside each. A cache
    that cannot be read or written costs renders and measurements, never the session."""

    def __init__(self, folder: Path, engine: Engine, tag: str) -> None:
        self.folder, self.engine, self.tag = folder, engine, tag
        self.repaired = 0
        """Damaged files thrown away (their clips are rendered again)."""
        self.unsaved: list[str] = []
        """Why clips could not be stored."""

    def path(self, said: str) -> Path:
        """Where the clip of spoken text `said` is kept."""
        # The piece limit is in the key only of texts it cuts: every other key is as it was.
        cuts = any(len(p) > PIECE_CHARS for p in _SENTENCE_END.split(said))
        limits = [SPLIT_CHARS, JOIN_SECONDS, *([PIECE_CHARS] if cuts else [])]
        split = {"split": limits} if len(sentences(said)) > 1 else {}
        # The language is in the key of every language but English: English keys are as they
        # were before the coach spoke others, and no two languages share a clip.
        spoken = {} if is_english(self.tag) else {"language": self.tag}
        key = clip_key(**self.engine.key_parts(), trim=[TRIM_THRESHOLD, KEEP_SECONDS], text=said,
                       **split, **spoken)  # fmt: skip
        return clip_path(self.folder, key)

    def read(self, said: str) -> np.ndarray | None:
        """The kept clip of `said`; None when there is none whole (a damaged file is removed)."""
        path = self.path(said)
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

    def write(self, said: str, clip: np.ndarray) -> None:
        """Keep `clip` as the clip of `said`, or note in `unsaved` why it cannot be."""
        try:
            write_clip(self.path(said), clip)
        except OSError as e:
            self.unsaved.append(f"{self.folder} is not a writable folder: {e.strerror or e}")

    def measures(self, said: str) -> bytes | None:
        """What `store_measures` kept for the clip of `said`; None when there is none whole (a
        damaged file is removed)."""
        path = sidecar_path(self.path(said))
        try:
            return read_sidecar(path)
        except DamagedClipError:
            path.unlink(missing_ok=True)
            return None
        except OSError:
            return None

    def store_measures(self, said: str, payload: bytes) -> None:
        """Keep `payload` beside the clip of `said`; when it cannot be, no warning: it costs a
        measurement next time."""
        with contextlib.suppress(OSError):
            write_sidecar(sidecar_path(self.path(said)), payload)
