"""The timed script: what is heard and when, as sample offsets, with the session's structure.

The one description of a session: the JSON contract, the live player, the export (chapters,
captions) and the tests all read it. It says its own structure (chapters with a kind, sets with
every rep), so nobody downstream infers it from the pattern of beeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from coach.compose.beeps import TONES, ToneKind
from coach.language.catalogue import DEFAULT_LANGUAGE, Language
from coach.samples import SAMPLE_RATE, to_seconds


class EventKind(StrEnum):
    SPEECH = "speech"
    BEEP = "beep"


def _round_and_set(round: int | None, set: int | None) -> dict:
    """The round and the set a sound or a set belongs to, as the JSON gives them: each only
    when there is more than one."""
    return {key: value for key, value in (("round", round), ("set", set)) if value is not None}


@dataclass(frozen=True)
class Event:
    """One sound of the script, at a sample offset."""

    start: int
    length: int
    kind: EventKind
    text: str = ""
    tone: ToneKind | None = None
    drill: str | None = None
    side: str | None = None
    rep: int | None = None
    round: int | None = None
    """1-based, in a routine of more than one round."""
    set: int | None = None
    """1-based, in a set (or the rest before it) of a drill of more than one set."""

    @property
    def end(self) -> int:
        return self.start + self.length

    def to_json(self) -> dict:
        out: dict = {
            "start": to_seconds(self.start),
            "end": to_seconds(self.end),
            "kind": self.kind,
        }
        if self.kind is EventKind.SPEECH:
            out["text"] = self.text
        else:
            out["tone"] = self.tone.value
            out["freq"] = TONES[self.tone].freq
        out["drill"] = self.drill
        if self.tone is ToneKind.REP:
            out["side"] = self.side
            out["rep"] = self.rep
        return out | _round_and_set(self.round, self.set)


class ChapterKind(StrEnum):
    INTRO = "intro"
    DRILL = "drill"
    OUTRO = "outro"


INTRO_ID, OUTRO_ID = "_intro", "_outro"
"""The intro's and outro's chapter ids: a drill id has no "_", so a drill may be called intro."""


PREVIOUS_WINDOW = 2.0
"""Seconds within which a second "previous" goes to the chapter before, not to the start of this
one: in the player and on the phone page alike."""


def part_title(title: str, drill_number: int | None, drill_count: int, words: Language) -> str:
    """What a part of the session is called where it plays ("Drill 3 of 9: Overhead lunge walk",
    "Intro"), in `words`: the live line's head, a media player's track title, the phone page's
    heading. `drill_number` is None for the intro and the outro; a session of one drill says
    its name alone, as the voice does."""
    if drill_number is None or drill_count == 1:
        return title
    return words.say("drill_of", number=drill_number, total=drill_count, name=title)


@dataclass(frozen=True)
class Chapter:
    """A stretch of the session: the intro, one drill (with the rest after it), or the outro."""

    id: str
    """The drill's id for a drill; INTRO_ID or OUTRO_ID otherwise."""
    title: str
    start: int
    end: int
    kind: ChapterKind = ChapterKind.DRILL

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "title": self.title,
            "start": to_seconds(self.start),
            "end": to_seconds(self.end),
        }


@dataclass(frozen=True)
class RepSet:
    """One guided set: from its first count-in beep to the end of its end beep. A timed set
    has no reps: its work is `seconds` long (on each side)."""

    drill: str
    start: int
    end: int
    reps: tuple[tuple[int, str | None, int], ...]
    """(sample of its rep beep, side or None, rep number) of every rep, in order."""
    reps_end: int
    """Where the last rep is over: the end beep's start."""
    seconds: float | None = None
    round: int | None = None
    set: int | None = None

    def rep_at(self, position: int) -> tuple[str | None, int] | None:
        """(side, rep) of the rep under way at sample `position`; None outside the reps."""
        under_way = [(side, rep) for at, side, rep in self.reps if at <= position]
        return under_way[-1] if under_way and position < self.reps_end else None

    def to_json(self) -> dict:
        sides = list(dict.fromkeys(side for _, side, _ in self.reps if side))
        doc = {"drill": self.drill, "start": to_seconds(self.start), "end": to_seconds(self.end)}
        if self.seconds is None:
            doc |= {"reps": max(rep for _, _, rep in self.reps), "sides": sides}
        else:
            doc |= {"seconds": self.seconds}
        return doc | _round_and_set(self.round, self.set)


@dataclass(frozen=True)
class Script:
    """The timed script: what is heard, when; shared by the player, the exporter and the tests."""

    routine: str
    length: int
    """Length of the whole session in samples."""
    events: tuple[Event, ...]
    chapters: tuple[Chapter, ...]
    sets: tuple[RepSet, ...] = ()
    """Every guided set, in order: what the player resumes at and the display counts."""
    sample_rate: int = SAMPLE_RATE
    language: str = DEFAULT_LANGUAGE
    """The tag of the language the coach speaks in it ("en", "de")."""
    differences: tuple[str, ...] = ()
    """Where the session differs from what its routine file says, in one line each
    (differences.py): for warnings, not part of the JSON."""

    @property
    def duration(self) -> float:
        return to_seconds(self.length)

    def texts(self) -> list[str]:
        """The distinct spoken texts, in order of first use."""
        return list(dict.fromkeys(e.text for e in self.events if e.kind is EventKind.SPEECH))

    def to_json(self, music: dict | None = None) -> str:
        """The JSON contract; the same script always gives the same bytes. `music` records the
        music under it (music.py's `Playlist.to_json`)."""
        doc = {
            "routine": self.routine,
            "language": self.language,
            "sample_rate": self.sample_rate,
            "duration": self.duration,
            "chapters": [c.to_json() for c in self.chapters],
            "sets": [s.to_json() for s in self.sets],
            "events": [e.to_json() for e in self.events],
        }
        if music is not None:
            doc["music"] = music
        return json.dumps(doc, indent=1, ensure_ascii=False)
