"""The timeline: the script's clips and tones at exact sample offsets, laid out a stretch at a time.

The player and the exporter both read a Timeline, so what you hear is what you export. Every
sound is levelled on its own (levels.py), so any stretch of the session can be laid out as soon
as its clips exist: the player starts on the opening while the rest renders, and no more than
the stretch asked for and one copy of each distinct sound is ever held.

The volume (0 to 1) is a last gain on every sound: the session is `20 * log10(volume)` dB under
the target, never louder.

With music (mix.py), the sounds are brought to the music's rate and laid over the ducked bed:
stereo frames, `FACTOR` of them per sample of the script. The timeline's `format` says which
the samples are, for whoever sends them out.
"""

from __future__ import annotations

import bisect
import functools
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from coach.audio.bed import MUSIC_FORMAT
from coach.audio.levels import SPEECH_LUFS, Level, find_level, format_level, parse_level, tone_level
from coach.audio.tones import tone_samples
from coach.compose.script import Event, EventKind, Script
from coach.samples import SPEECH_FORMAT

if TYPE_CHECKING:
    from coach.audio.mix import Ducking, Music


STRETCH_SECONDS = 10
"""`pcm` lays out this much at a time: the working arrays of a stretch with music take several
times its bytes."""


class ClipSource(Protocol):
    """Where clips come from: the TTS layer's `Speech`, or a stand-in in tests."""

    def clips(self, texts: list[str]) -> dict[str, np.ndarray]: ...

    def clip(self, text: str) -> np.ndarray: ...


@runtime_checkable
class KeepsLevels(Protocol):
    """A clip source that also keeps each clip's level (`Speech` does, beside the clip in the
    cache), so a warm session measures nothing: `measures(text)` gives back what
    `store_measures(text, payload)` stored, or None."""

    def measures(self, text: str) -> bytes | None: ...

    def store_measures(self, text: str, payload: bytes) -> None: ...


class Timeline:
    """A script's sounds, levelled, at their sample offsets: mono int16 at the script's rate, or
    with `music` stereo int16 at the music's rate (`format`).

    `final` is False for a script still being composed (its chapters so far); `extended` gives
    the timeline of a longer script, sharing the sounds levelled so far.
    """

    rendering = False
    """A whole timeline renders nothing (`LiveTimeline.rendering`)."""

    def __init__(
        self,
        script: Script,
        speech: ClipSource,
        volume: float = 1.0,
        *,
        music: Music | None = None,
        final: bool = True,
        plan: Script | None = None,
        _sounds: dict | None = None,
    ) -> None:
        self.script = script
        self.speech = speech
        self.volume = volume
        self.music = music
        self.final = final
        self.plan = script if plan is None else plan
        """The session as planned (composer.py's `planned`); a timeline made without one is
        its own."""
        self.sample_rate = script.sample_rate
        """The script's rate: positions in the session are counted in its samples."""
        self._sounds: dict[tuple, np.ndarray] = {} if _sounds is None else _sounds
        self._ends = [e.end for e in script.events]  # in order: sounds never overlap
        self._ducking: Ducking | None = None
        self.format = SPEECH_FORMAT if music is None else MUSIC_FORMAT
        """What `render` and `pcm` give: the session's own format, or with music the bed's."""

    def extended(self, script: Script, final: bool) -> Timeline:
        return Timeline(script, self.speech, self.volume, music=self.music, final=final,
                        plan=self.plan, _sounds=self._sounds)  # fmt: skip

    def until(self, past: int = 0) -> Timeline:
        """A whole timeline reaches every sample (see `LiveTimeline.until`)."""
        return self

    def render(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """Samples `start` to `end` of the script (default: to its end): int16, mono, or with
        music (n * `format.frames_per_sample`, 2) frames."""
        end = self.script.length if end is None else min(end, self.script.length)
        if self.music is not None:
            return self._mixed(start, end)
        out = np.zeros(max(0, end - start), dtype=np.int16)
        events = self.script.events
        for event in events[bisect.bisect_right(self._ends, start) :]:
            if event.start >= end:
                break
            sound = self._sound(event)
            first, last = max(start, event.start), min(end, event.end)
            out[first - start : last - start] = sound[first - event.start : last - event.start]
        return out

    def _mixed(self, start: int, end: int) -> np.ndarray:
        """Frames of samples `start` to `end`: the sounds at the music's rate over the bed."""
        from coach.audio.mix import TAPS_EACH_SIDE, Ducking, upsampled

        factor, reach = self.format.frames_per_sample, TAPS_EACH_SIDE
        first, last = factor * start, factor * max(start, end)
        voice = np.zeros(last - first, dtype=np.float32)
        for event in self.script.events[bisect.bisect_right(self._ends, start - reach) :]:
            if event.start >= end:
                break
            key = (event.kind, event.text or event.tone, factor)
            if key not in self._sounds:
                self._sounds[key] = upsampled(self._sound(event))
            sound, at = self._sounds[key], factor * event.start
            lo, hi = max(first, at), min(last, at + len(sound))
            voice[lo - first : hi - first] += sound[lo - at : hi - at]
        if self._ducking is None:
            self._ducking = Ducking(self.music, self.script, self.final, self.volume)
        bed = self.music.bed.frames(first, last) * self._ducking.gain(first, last)[:, None]
        mixed = np.round(bed + voice[:, None])
        return np.clip(mixed, -32768, 32767).astype(np.int16)

    def pcm(self, start: int = 0, end: int | None = None) -> memoryview:
        """The raw little-endian PCM bytes of samples `start` to `end` (frames interleaved),
        laid out `STRETCH_SECONDS` at a time into one buffer, so a long stretch costs its bytes
        and no more."""
        end = self.script.length if end is None else min(end, self.script.length)
        size = self.format.byte_count
        out = np.empty(size(max(0, end - start)), dtype=np.uint8)
        step = STRETCH_SECONDS * self.sample_rate
        for at in range(start, end, step):
            stop = min(at + step, end)
            laid = self.render(at, stop).astype("<i2", copy=False).reshape(-1)
            out[size(at - start) : size(stop - start)] = laid.view(np.uint8)
        return memoryview(out)

    @functools.cached_property
    def samples(self) -> np.ndarray:
        """The whole session at once (tests and short sessions; the commands go by stretches)."""
        return self.render()

    def _sound(self, event: Event) -> np.ndarray:
        """The levelled samples of one event's sound, made once per distinct sound."""
        key = (event.kind, event.text if event.kind is EventKind.SPEECH else event.tone)
        if key not in self._sounds:
            if event.kind is EventKind.SPEECH:
                clip = self.speech.clip(event.text)
                level = _clip_level(self.speech, event.text, clip)
                sound = clip.astype(np.float32) / 32768
            else:
                level, sound = tone_level(event.tone), tone_samples(event.tone)
            self._sounds[key] = _to_int16(level.apply(sound) * np.float32(self.volume))
        return self._sounds[key]


def _clip_level(speech: ClipSource, text: str, clip: np.ndarray) -> Level:
    """The clip's level: stored beside it when the source keeps levels, else found (and kept)."""
    keeps = isinstance(speech, KeepsLevels)
    level = parse_level(speech.measures(text), clip) if keeps else None
    if level is None:
        level = find_level(clip.astype(np.float32) / 32768, SPEECH_LUFS)
        if keeps:
            speech.store_measures(text, format_level(level, clip))
    return level


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32767), -32768, 32767).astype(np.int16)
