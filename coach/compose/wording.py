"""What the coach says in the set's sentence and on each rep, in the session's language (its
catalogue: coach/language)."""

from __future__ import annotations

from coach.language.catalogue import Language
from coach.routine.model import Drill, Sides


def list_phrase(items: list[str], words: Language) -> str:
    """ "a, b and c", with the language's "and"."""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {words.say('and')} " + items[-1]


def set_sentence(drill: Drill, reps: int, words: Language, sets: int = 1) -> str:
    """The set in a sentence: "5 reps each side, alternating sides, hold 1 second.",
    "2 sets of 8 reps.", "20 seconds each side, one side at a time."."""
    work = words.count("seconds", drill.seconds) if drill.timed else words.count("reps", reps)
    if sets > 1:
        work = words.say("sets_of", sets=sets, work=work)
    parts = [words.say("each_side", work=work) if drill.sided else work]
    if drill.sides is Sides.ALTERNATE:
        parts.append(words.say("alternating"))
    elif drill.sides is Sides.SWITCH:
        parts.append(words.say("one_side_at_a_time"))
    if drill.hold_seconds:
        parts.append(words.say("hold_for", duration=words.count("seconds", drill.hold_seconds)))
    return _sentence(", ".join(parts) + ".")


def count_phrase(side: str | None, rep: int, last: bool, words: Language) -> str:
    """What is said on a rep: "Left 3.", or for the last one "Last one, left." (as a coach
    says it: the news first, the side after). `side` is "left", "right" or None."""
    said = words.say(side) if side else None
    if last:
        return words.say("last_one_side", side=said) if said else words.say("last_one")
    if said:
        return _sentence(words.say("side_count", side=said, rep=rep))
    return words.say("count", rep=rep)


def _sentence(text: str) -> str:
    """`text` with a capital first letter."""
    return text[0].upper() + text[1:]
