"""The pass that turns written text into what is said, table-tested."""

from __future__ import annotations

import pytest

from coach.compose.wording import count_phrase
from coach.language.catalogue import language
from coach.tts.speakable import decimal_words, number_words, ordinal_words, speakable


@pytest.mark.parametrize(
    "written, said",
    [
        ("Left 3.", "Left three."),
        ("Do 10-12 reps.", "Do ten to twelve reps."),
        ("Do 12–16 reps.", "Do twelve to sixteen reps."),
        ("Hold 2 s.", "Hold two seconds."),
        ("Rest 1 s, then go.", "Rest one second, then go."),
        ("Rest 90 secs.", "Rest ninety seconds."),
        ("5 to 8 min.", "five to eight minutes."),
        ("Hold 1.5 seconds.", "Hold one point five seconds."),
        ("Hold 2.50 seconds.", "Hold two point five seconds."),
        ("The 1st, 2nd, 3rd and 11th set.", "The first, second, third and eleventh set."),
        ("The 21st and 100th rep.", "The twenty first and one hundredth rep."),
        ("Hang from a chin-up bar.", "Hang from a chin up bar."),
        ("3x10 reps, or 3 x 8.", "three times ten reps, or three times eight."),
        ("Mr Smith vs Dr Jones.", "Mister Smith versus Doctor Jones."),
        ("Arms & legs, e.g. this.", "Arms and legs, for example this."),
        ("Work at 50%.", "Work at fifty percent."),
        ("1250 steps.", "one thousand two hundred and fifty steps."),
        ("Drill 3 of 9: Wall slide.", "Drill three of nine: Wall slide."),
        ("Mrsomething stays, drum stays.", "Mrsomething stays, drum stays."),
        ("  Stay   tall. ", "Stay tall."),
        ("Last one, left.", "Last one, left."),
    ],
)
def test_speakable(written, said):
    assert speakable(written) == said


@pytest.mark.parametrize(
    "n, words",
    [(0, "zero"), (7, "seven"), (15, "fifteen"), (20, "twenty"), (42, "forty-two"),
     (100, "one hundred"), (101, "one hundred and one"), (999, "nine hundred and ninety-nine"),
     (1000, "one thousand"), (1005, "one thousand and five"), (21000, "twenty-one thousand"),
     (1_000_000, "1000000")],
)  # fmt: skip
def test_number_words(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize(
    "n, words",
    [(1, "first"), (2, "second"), (3, "third"), (4, "fourth"), (5, "fifth"), (8, "eighth"),
     (9, "ninth"), (12, "twelfth"), (20, "twentieth"), (23, "twenty-third"), (40, "fortieth"),
     (101, "one hundred and first")],
)  # fmt: skip
def test_ordinal_words(n, words):
    assert ordinal_words(n) == words


def test_decimal_words():
    assert decimal_words("0.25") == "zero point two five"
    assert decimal_words("3.0") == "three"


@pytest.mark.parametrize(
    "side, rep, last, text",
    [("left", 3, False, "Left 3."), (None, 4, False, "4."), ("right", 8, True, "Last one, right."),
     (None, 10, True, "Last one.")],
)  # fmt: skip
def test_counts_sound_like_a_coach(side, rep, last, text):
    assert count_phrase(side, rep, last, language("en")) == text
