"""The session pipeline: routine + options -> script -> clips -> timeline.

The one way a session is made, for the CLI, the tests and the benchmarks alike. Every option is
checked once, when the session is opened, with typed errors (errors.py) that name options as the
session knows them; the CLI words them with its flags. No terminal, no flags here.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from coach.cache.store import check_folder, default_cache_dir
from coach.compose.composer import (
    check_length,
    compose,
    estimated_differences,
    estimated_length,
    phrases,
    planned,
)
from coach.compose.options import SessionOptions, check_options, select_drills, session_routine
from coach.compose.script import Script
from coach.errors import OptionError, exact
from coach.music.bed import MusicChoice, Playlist, load_bed, make_playlist
from coach.routine.loading import load_routine
from coach.routine.model import MAX_SESSION_SECONDS, Routine
from coach.system.progress import Progress
from coach.tts import Speech, VoiceSettings

if TYPE_CHECKING:  # numpy and the timeline only for the commands that lay out audio
    from coach.audio.live import LiveTimeline
    from coach.audio.mix import Music
    from coach.audio.timeline import ClipSource, Timeline



def make_script(routine: Routine, options: SessionOptions, clips: ClipSource) -> Script:
    """Render every phrase (in parallel, through the cache), then compose with real clip lengths."""
    lengths = {text: len(clip) for text, clip in clips.clips(phrases(routine, options)).items()}

    def length(text: str) -> int:
        if text not in lengths:  # a shorter count, or the intro's length of the session
            lengths[text] = len(clips.clip(text))
        return lengths[text]

    return compose(routine, options, length)


MUSIC_MARGIN = 2
"""The music is decoded for the session as if each clip took this many times its estimate (a
voice at the slowest rate, 80, takes about twice its default's time); a session longer still
hears the bed loop, crossfaded."""


def music_seconds(routine: Routine, options: SessionOptions) -> float:
    """How long the session may last, known before any speech is rendered: the music it needs."""
    slow = compose(routine, options, lambda text: MUSIC_MARGIN * estimated_length(text))
    return min(slow.duration, MAX_SESSION_SECONDS)


def check_volume(volume: float) -> None:
    """The output level goes from 0 (silent) to 1 (-16 LUFS)."""
    if not 0 <= volume <= 1:
        raise OptionError("volume", f"must be between 0 and 1, got {exact(volume)}.")


@dataclass(frozen=True)
class Session:
    """A routine with checked options, a voice and an output level: what a session command runs.

    Make one with `open_session`, which checks everything; `clips` replaces the speech (tests
    and benchmarks pass a stand-in).
    """

    routine: Routine
    options: SessionOptions
    voice: VoiceSettings
    cache_dir: Path
    volume: float = 1.0
    """The output level, applied by the timeline after loudness normalisation."""
    progress: Progress | None = None
    """Called with (clips done, clips to render) as the speech renders."""
    clips: ClipSource | None = None
    playlist: Playlist | None = None
    """The music under the voice, if any (its tracks found, not yet decoded)."""
    music_progress: Progress | None = None
    """Called with (tracks decoded, tracks to decode) while a bed is made."""
    skipped: Callable[[str], None] | None = None
    """Told, once the bed is made, why each track of a folder that could not be used was not."""

    @functools.cached_property
    def music(self) -> Music | None:
        """The bed under the voice, from the cache or decoded now (see music/bed.py)."""
        if self.playlist is None:
            return None
        from coach.audio.mix import Music

        seconds = music_seconds(self.routine, self.options)
        bed = load_bed(self.playlist, self.cache_dir, seconds, self.music_progress)
        for reason in bed.skipped if self.skipped else ():
            self.skipped(reason)
        return Music(bed, self.playlist.choice.level_db, self.playlist.choice.duck_db)

    @functools.cached_property
    def speech(self) -> ClipSource:
        """Where the clips come from: the TTS layer through the cache, unless `clips` was given;
        a voice for the session's language (the routine's, or the options')."""
        if self.clips is not None:
            return self.clips
        spoken = replace(self.voice, language=session_routine(self.routine, self.options).language)
        return Speech(spoken, self.cache_dir, progress=self.progress)

    @property
    def voice_notice(self) -> str | None:
        """What to tell the user of the voice chosen for the language (a stand-in voice for
        want of a better one), if anything."""
        return None if self.clips is not None else self.speech.notice

    @property
    def differences(self) -> tuple[str, ...]:
        """Where this session's options make it differ from what its file says, in one line
        each (a `--rest` too short for its announcements): the file's own are `coach check`'s
        to tell, not every session's."""
        own = set(estimated_differences(self.routine))
        return tuple(d for d in estimated_differences(self.routine, self.options) if d not in own)

    @functools.cached_property
    def script(self) -> Script:
        return make_script(self.routine, self.options, self.speech)

    def timeline(self) -> Timeline:
        from coach.audio.timeline import Timeline

        music = self.music  # first: bad music is refused before any speech is rendered
        plan = planned(self.routine, self.options)
        return Timeline(self.script, self.speech, self.volume, music=music, plan=plan)

    def live(self) -> LiveTimeline:
        """The session made while it plays or is exported (live.py): the player starts on the
        opening, the encoder on the first chunk, while the rest renders."""
        from coach.audio.live import LiveTimeline

        music = self.music
        live = self.__dict__["live_timeline"] = LiveTimeline(
            self.routine, self.options, self.speech, self.volume, music
        )
        return live.start()

    def close(self) -> None:
        """Stop whatever still renders ahead (see `live`)."""
        from coach.audio.live import RendersAhead

        speech = self.__dict__.get("speech")
        if isinstance(speech, RendersAhead):
            speech.close()

    def warm(self) -> dict:
        """Render every clip the session may need into the cache (the TTS layer's speech), and
        make its music bed: {"clips", "rendered", "repaired", "folder"}, and "music" (the
        tracks heard) with music."""
        music = {"music": list(self.music.bed.tracks)} if self.music else {}  # bad music first
        needed = set(phrases(self.routine, self.options)) | set(self.script.texts())
        return {"clips": len(needed), "rendered": self.speech.rendered,
                "repaired": self.speech.repaired, "folder": str(self.cache_dir),
                **music}  # fmt: skip

    def unspoken(self) -> list[tuple[str, str | None]]:
        """(text, drill id) of each text of the script that the voice says nothing for."""
        live = self.__dict__.get("live_timeline")
        script = self.__dict__.get("script") or (live.script if live else None)
        if "speech" not in self.__dict__ or self.clips or script is None:
            return []
        silent = self.speech.silent
        said = [(e.text, e.drill) for e in script.events if e.text in silent]
        return list(dict.fromkeys(said))

    @property
    def unsaved(self) -> list[str]:
        """Why clips could not be kept in the cache (they were used all the same)."""
        return list(self.speech.unsaved) if "speech" in self.__dict__ and not self.clips else []


def read_routine(path: Path | str | None = None, what: str = "routine file") -> Routine:
    """A routine file (the built-in one when `path` is None) read, validated, and the session it
    makes with no options checked for length: every rule a session runs before rendering, so
    `coach check` says OK only for a file every session command takes. RoutineError otherwise;
    `what` names where the path was given."""
    routine = load_routine(path, what)
    check_length(routine)
    return routine


def open_session(
    routine: Path | Routine | None = None,
    options: SessionOptions | None = None,
    voice: VoiceSettings | None = None,
    cache_dir: str | Path | None = None,
    volume: float = 1.0,
    *,
    music: MusicChoice | None = None,
    progress: Progress | None = None,
    music_progress: Progress | None = None,
    skipped: Callable[[str], None] | None = None,
    clips: ClipSource | None = None,
) -> Session:
    """Load the routine (a path, or None for the built-in one) and check every option once.

    Raises RoutineError for a bad routine file, OptionError for a bad option value or music
    that is not there, NoDrillsLeftError when the options leave nothing to do. The voice is
    checked when the speech is first needed (BadSettingError, EngineError), the music's tracks
    when they are decoded.
    """
    options = options or SessionOptions()
    check_volume(volume)
    loaded = routine if isinstance(routine, Routine) else read_routine(routine)
    check_options(options)
    select_drills(loaded, options)  # unknown ids are bad input, whatever the engine
    check_length(loaded, options)  # too long with these options: refused before rendering
    folder = default_cache_dir(cache_dir)
    check_folder(folder)
    playlist = make_playlist(music) if music is not None else None
    return Session(loaded, options, voice or VoiceSettings(), folder, volume, progress, clips,
                   playlist, music_progress, skipped)  # fmt: skip
