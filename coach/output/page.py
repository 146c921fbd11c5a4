"""The phone page: a session as one HTML file that plays offline, anywhere a browser opens it.

The page carries everything inline: its style and script (page_assets/), the session's
chapters, sets and spoken lines as JSON, and the MP3 as base64, which the page turns into a
blob: URL. Nothing is fetched, so it works opened from a phone's storage (file://), where a
browser refuses `<track src>` and most other loads; its Content-Security-Policy forbids any
request besides data: and blob:. The MP3 is streamed into the page in pieces: a long session's
audio is never held whole in memory.
"""

from __future__ import annotations

import base64
import html
import json
from importlib import resources
from typing import BinaryIO

from coach.compose.beeps import ToneKind
from coach.compose.script import (
    PREVIOUS_WINDOW,
    Chapter,
    ChapterKind,
    Event,
    EventKind,
    RepSet,
    Script,
    part_title,
)
from coach.language.catalogue import language
from coach.routine.model import Drill, Routine

AUDIO_MARK = "<!-- coach:audio -->"
"""Where the template takes the audio's base64 text."""
BASE64_CHUNK = 3 * 64 * 1024
"""Bytes of MP3 encoded at a time: a multiple of 3, so the pieces join into one base64 text."""
PLACES = ("lang", "title", "style", "data", "script")
"""What the template's `<!-- coach:NAME -->` marks take, besides the audio."""


def page_data(script: Script, routine: Routine | None, artist: str) -> dict:
    """What the page shows, in seconds: each chapter with its drill's instructions and cues,
    each set with its reps or timed work, and every spoken line; `artist` is what the phone's
    media controls name as the artist, as the audio files' tags do."""
    drills = {drill.id: drill for drill in routine.drills} if routine else {}
    rate, words = script.sample_rate, language(script.language)

    def seconds(samples: int) -> float:
        return round(samples / rate, 3)

    count = sum(chapter.kind is ChapterKind.DRILL for chapter in script.chapters)
    chapters, number = [], 0
    for chapter in script.chapters:
        drill = drills.get(_drill_of(chapter, script.events) or "")
        number += chapter.kind is ChapterKind.DRILL
        shown = number if chapter.kind is ChapterKind.DRILL else None
        chapters.append({
            "title": part_title(chapter.title, shown, count, words),
            "name": chapter.title,
            "start": seconds(chapter.start),
            "end": seconds(chapter.end),
            **(_how(drill) if drill else {}),
        })  # fmt: skip
    sets = []
    for rep_set in script.sets:
        drill = drills.get(rep_set.drill)
        shown: dict = {"start": seconds(rep_set.start), "end": seconds(rep_set.end)}
        if rep_set.set is not None and drill is not None:
            shown |= {"set": rep_set.set, "sets": drill.sets}
        if rep_set.seconds is None:
            shown |= {
                "reps": [[seconds(at), side and words.say(side), rep]
                         for at, side, rep in rep_set.reps],  # fmt: skip
                "repsEnd": seconds(rep_set.reps_end),
                "repCount": max(rep for _, _, rep in rep_set.reps),
            }
        else:
            shown["work"] = [[seconds(a), seconds(b)] for a, b in _work(rep_set, script.events)]
        sets.append(shown)
    speech = [e for e in script.events if e.kind is EventKind.SPEECH]
    return {
        "routine": script.routine,
        "language": script.language,
        "labels": dict(words.page),
        "artist": artist,
        "duration": seconds(script.length),
        "previousWindow": PREVIOUS_WINDOW,
        "chapters": chapters,
        "sets": sets,
        "speech": [[seconds(e.start), seconds(e.end), e.text] for e in speech],
    }


def _drill_of(chapter: Chapter, events: tuple[Event, ...]) -> str | None:
    """The id of the drill a chapter is about: that of its first sound with one."""
    inside = (e.drill for e in events if chapter.start <= e.start < chapter.end and e.drill)
    return next(inside, None)


def _how(drill: Drill) -> dict:
    """What the page says of how to do a drill."""
    return {
        "instructions": drill.instructions,
        "cues": list(drill.cues),
        "equipment": list(drill.equipment),
    }


def _work(rep_set: RepSet, events: tuple[Event, ...]) -> list[tuple[int, int]]:
    """The stretches of work of a timed set, one per side: from each go beep to the switch or
    end beep that closes it."""
    beeps = [e for e in events if e.tone and rep_set.start <= e.start < rep_set.end]
    goes = [e.start for e in beeps if e.tone is ToneKind.GO]
    ends = [e.start for e in beeps if e.tone in (ToneKind.SWITCH, ToneKind.END)]
    return list(zip(goes, ends, strict=True))


def write_page(page: BinaryIO, data: dict, mp3: BinaryIO) -> None:
    """The page, with `data` (see `page_data`) and the MP3 read from `mp3`, into `page`."""
    template = _asset("page.html")
    filled = {
        "lang": html.escape(data["language"]),
        "title": html.escape(data["routine"]),
        "style": _asset("page.css"),
        "data": _script_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"))),
        "script": _asset("page.js"),
    }
    for name in PLACES:
        template = template.replace(f"<!-- coach:{name} -->", filled[name])
    head, tail = template.split(AUDIO_MARK)
    page.write(head.encode())
    while chunk := mp3.read(BASE64_CHUNK):
        page.write(base64.b64encode(chunk))
    page.write(tail.encode())


def _script_text(text: str) -> str:
    """`text` safe inside a <script> element: no "<" at all, so neither "</script" nor "<!--"
    can end or change it (JSON reads "\\u003c" as "<")."""
    return text.replace("<", "\\u003c")


def _asset(name: str) -> str:
    return (resources.files("coach.output") / "page_assets" / name).read_text(encoding="utf-8")
