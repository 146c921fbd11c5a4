#!/usr/bin/env python3
"""Intelligibility: the word error rate of an offline recogniser on an exported session's speech.

    .venv/bin/python scripts/bench_wer.py SESSION.wav SCRIPT.json

Each speech event of the script with at least MIN_WORDS words is cut from the exported WAV at
its planned times, resampled to 16 kHz and decoded by pocketsphinx with its bundled en-us model
(`pip install -e '.[bench]'`). The reference is what the coach gave the engine (the speakable
form of the text). The rate is the word-level edit distance over all phrases divided by their
words: lower is clearer. A benchmark figure, not a test: the recogniser is old and small, so
read rates side by side, not alone.
"""
from __future__ import annotations

import json
import re
import sys
import wave
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from coach.tts.speech import spoken_text

MIN_WORDS = 4
"""Shorter phrases ("Left three.") give the recogniser too little to go on."""


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", spoken_text(text).lower().replace("-", " "))


def edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two word lists."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def word_error_rate(wav: Path, script: dict) -> tuple[float, int]:
    """(rate, phrases) over the script's speech events of at least MIN_WORDS words."""
    from pocketsphinx import Decoder

    with wave.open(str(wav)) as w:
        rate = w.getframerate()
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    decoder = Decoder()
    errors = total = phrases = 0
    seen: set[str] = set()
    for event in script["events"]:
        reference = words(event.get("text", ""))
        if event["kind"] != "speech" or len(reference) < MIN_WORDS or event["text"] in seen:
            continue
        seen.add(event["text"])
        clip = audio[round(event["start"] * rate) : round(event["end"] * rate)]
        pcm = resample_poly(clip.astype(np.float64), 16000, rate)
        decoder.start_utt()
        decoder.process_raw(np.clip(np.rint(pcm), -32768, 32767).astype("<i2").tobytes(),
                            full_utt=True)  # fmt: skip
        decoder.end_utt()
        heard = re.findall(r"[a-z']+", decoder.hyp().hypstr) if decoder.hyp() else []
        errors += edit_distance(reference, heard)
        total += len(reference)
        phrases += 1
    return errors / total, phrases


def main() -> None:
    wav, script = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    rate, phrases = word_error_rate(wav, script)
    print(f"word error rate {rate:.3f} on {phrases} phrases")


if __name__ == "__main__":
    main()
