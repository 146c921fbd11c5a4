"""What the coach says in the set's sentence and on each rep, and small helpers for phrases."""

from __future__ import annotations

from coach.routine.model import Drill, Sides


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _seconds_phrase(seconds: float) -> str:
    value = f"{seconds:g}"
    return f"{value} second" if seconds == 1 else f"{value} seconds"


def list_phrase(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def set_sentence(drill: Drill, reps: int, sets: int = 1) -> str:
    """The set in a sentence: "5 reps each side, alternating sides, hold 1 second.",
    "2 sets of 8 reps.", "20 seconds each side, one side at a time."."""
    work = _seconds_phrase(drill.seconds) if drill.timed else plural(reps, "rep")
    sets_of = f"{sets} sets of " if sets > 1 else ""
    parts = [sets_of + work + (" each side" if drill.sided else "")]
    if drill.sides is Sides.ALTERNATE:
        parts.append("alternating sides")
    elif drill.sides is Sides.SWITCH:
        parts.append("one side at a time")
    if drill.hold_seconds:
        parts.append(f"hold {_seconds_phrase(drill.hold_seconds)}")
    sentence = ", ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def count_phrase(side: str | None, rep: int, last: bool) -> str:
    """What is said on a rep: "Left 3.", or for the last one "Last one, left." (as a coach
    says it: the news first, the side after)."""
    if last:
        return f"Last one, {side}." if side else "Last one."
    return f"{side.capitalize()} {rep}." if side else f"{rep}."
