"""Written text to what should be said: small pure functions, applied to every engine's input.

Engines read digits, ranges, units and abbreviations differently (Piper says "Mr" as "m r",
eSpeak says "10-12" as "ten minus twelve"), so the coach spells them out once, the same way
for every voice. The script keeps the written text (captions show "10-12"); the cache key
holds the spoken one.
"""
from __future__ import annotations

import re

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()  # fmt: skip
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_ENDINGS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                    "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip
_UNITS = {"s": "second", "sec": "second", "secs": "second", "min": "minute", "mins": "minute",
          "kg": "kilogram", "km": "kilometre", "lb": "pound", "lbs": "pound"}  # fmt: skip
_ABBREVIATIONS = {"Mr": "Mister", "Mrs": "Missus", "Dr": "Doctor", "St": "Saint",
                  "e.g.": "for example", "i.e.": "that is", "vs": "versus", "etc.": "and so on",
                  "approx.": "about", "&": "and", "%": " percent"}  # fmt: skip

_NUMBER = r"\d+(?:\.\d+)?"
_RANGE = re.compile(rf"\b({_NUMBER})\s*(?:-|–|—|to)\s*({_NUMBER})\b")
_UNIT = re.compile(rf"\b({_NUMBER}(?: to {_NUMBER})?)\s*({'|'.join(_UNITS)})\b")
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_TIMES = re.compile(rf"\b({_NUMBER})\s*[x×]\s*(?=\d)|\b({_NUMBER})[x×](?=\W|$)")
_ABBREVIATION = re.compile(
    "|".join(rf"(?<!\w){re.escape(a)}(?!\w)" if a[0].isalnum() else re.escape(a)
             for a in sorted(_ABBREVIATIONS, key=len, reverse=True))
)  # fmt: skip
_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")


def number_words(n: int) -> str:
    """`n` (0 to 999,999) in words: 42 -> "forty-two"; larger numbers stay as digits."""
    if not 0 <= n < 1_000_000:
        return str(n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    tail = "" if not rest else (" and " if rest < 100 else " ") + number_words(rest)
    return f"{number_words(thousands)} thousand{tail}"


def ordinal_words(n: int) -> str:
    """`n` as an ordinal in words: 1 -> "first", 21 -> "twenty-first"."""
    words = number_words(n)
    head, _, last = words.rpartition("-" if "-" in words else " ")
    joiner = "-" if "-" in words else " "
    if last in _ORDINAL_ENDINGS:
        last = _ORDINAL_ENDINGS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{joiner}{last}" if head else last


def decimal_words(text: str) -> str:
    """A written number ("12", "1.5") in words: "twelve", "one point five"."""
    whole, _, fraction = text.partition(".")
    words = number_words(int(whole))
    if fraction.strip("0"):
        words += " point " + " ".join(_ONES[int(d)] for d in fraction.rstrip("0"))
    return words


def _unit(match: re.Match) -> str:
    amount, unit = match.group(1), _UNITS[match.group(2)]
    return f"{amount} {unit}" + ("" if amount in ("1", "1.0") else "s")


def speakable(text: str) -> str:
    """What should be said for `text`: ranges, units, ordinals, "x", abbreviations and
    numbers in words; a hyphen between two words becomes a space ("chin-up" -> "chin up")."""
    text = _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(0)], text)
    text = _RANGE.sub(r"\1 to \2", text)
    text = _UNIT.sub(_unit, text)
    text = _TIMES.sub(lambda m: f"{m.group(1) or m.group(2)} times" + (" " if m.group(1) else ""),
                      text)  # fmt: skip
    text = _ORDINAL.sub(lambda m: ordinal_words(int(m.group(1))), text)
    text = re.sub(_NUMBER, lambda m: decimal_words(m.group(0)), text)
    return " ".join(_HYPHEN.sub(" ", text).split())
