"""English words for counts in messages: "1 drill", "2 drills", "an empty value".

Every message that counts something says it through these, so none reads "1 drills" or
"a empty value". The coach's spoken phrases are the language catalogues' (coach.language);
these are for the terminal's messages, which are in English.
"""

from __future__ import annotations

_IRREGULAR = {"was": "were", "is": "are", "has": "have", "this": "these", "it": "they"}


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """`word` for a count of one, else its plural (`many`, or the word with an s):
    plural(1, "drill") -> "drill", plural(0, "drill") -> "drills"."""
    if count == 1:
        return word
    return many or _IRREGULAR.get(word) or (word + "es" if word.endswith(("s", "sh", "ch", "x"))
                                            else word + "s")  # fmt: skip


def number_of(count: int | float, word: str, many: str | None = None) -> str:
    """The count and its word: number_of(1, "drill") -> "1 drill", (3, "rep") -> "3 reps"."""
    shown = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{shown} {plural(count, word, many)}"


def a_or_an(phrase: str) -> str:
    """The phrase with its article: "a list", "an empty value". The phrases are the program's
    own nouns (none starts with a silent h or a spoken "you"), so the first letter decides."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' else 'a'} {phrase}"
