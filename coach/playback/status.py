"""Where a session is: the chapter, drill, set and rep at a sample position, the time left,
and where a pause resumes. Pure functions of the script, so the player and its display agree."""

from __future__ import annotations

from dataclasses import dataclass

from coach.compose.script import Chapter, ChapterKind, Script, part_title
from coach.language.catalogue import DEFAULT_LANGUAGE, language

TERMINAL = language(DEFAULT_LANGUAGE)
"""The live line and the media keys' player speak the terminal's language: English, as every
other message of the command line does."""


@dataclass(frozen=True)
class Status:
    """What the display shows at one position of the session."""

    chapter: Chapter
    drill_number: int | None
    """1-based among the drills; None in the intro and outro."""
    drill_count: int
    side: str | None
    rep: int | None
    chapter_left: float
    session_left: float
    paused: bool
    set: int | None = None
    """The set under way, in a drill of more than one set."""
    estimated: bool = False
    """Whether `session_left` is an estimate: the session is still being made."""

    @property
    def part(self) -> str:
        """The part playing ("Drill 3 of 9: Overhead lunge walk", "Intro"): the live line's
        head, and a media player's track title."""
        return part_title(self.chapter.title, self.drill_number, self.drill_count, TERMINAL)

    def render(self) -> str:
        """Two lines: where the session is, then the time left in the part and the session."""
        head = self.part
        if self.set is not None:
            head += f" · set {self.set}"
        if self.rep is not None:
            head += f" · {self.side + ' ' if self.side else ''}rep {self.rep}"
        state = "PAUSED · " if self.paused else ""
        session = f"{'about ' if self.estimated else ''}{_clock(self.session_left)}"
        return (
            f"{head}\n{state}{_clock(self.chapter_left)} left in this part · "
            f"{session} left in the session"
        )


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{rest:02d}"


def chapter_index(script: Script, position: int) -> int:
    """The chapter playing at sample `position` (the last one at or past the end)."""
    for i, chapter in enumerate(script.chapters):
        if position < chapter.end:
            return i
    return len(script.chapters) - 1


def status_at(
    script: Script, position: int, paused: bool = False, plan: Script | None = None
) -> Status:
    """The status at sample `position` of `script`; `plan` is given while `script` is still
    being made (live.py's LiveTimeline.plan): the session laid out with estimated lengths,
    whose chapters are the session's, so the totals are known from the first sound. The
    time left is then what is made plus the plan's estimate of the chapters still to come."""
    index = chapter_index(script, position)
    chapter = script.chapters[index]
    whole = plan or script
    drill_count = sum(c.kind is ChapterKind.DRILL for c in whole.chapters)
    drills_so_far = sum(c.kind is ChapterKind.DRILL for c in script.chapters[: index + 1])
    length = script.length
    if plan is not None:
        length += plan.length - plan.chapters[len(script.chapters) - 1].end
    current = next((s for s in script.sets if s.start <= position < s.end), None)
    side, rep = (current.rep_at(position) if current else None) or (None, None)
    rate = script.sample_rate
    return Status(
        chapter=chapter,
        drill_number=drills_so_far if chapter.kind is ChapterKind.DRILL else None,
        drill_count=drill_count,
        side=side,
        rep=rep,
        set=current.set if current else None,
        chapter_left=max(0, chapter.end - position) / rate,
        session_left=max(0, length - position) / rate,
        paused=paused,
        estimated=plan is not None,
    )


def resume_offset(script: Script, position: int) -> int:
    """Where a session paused at `position` resumes, so nobody is caught mid-rep or mid-word.

    Inside a rep set: at its count-in. Inside a phrase or a beep: at its start.
    Elsewhere (silence): where it stopped.
    """
    for rep_set in script.sets:
        if rep_set.start <= position < rep_set.end:
            return rep_set.start
    for event in script.events:
        if event.start <= position < event.end:
            return event.start
    return position
