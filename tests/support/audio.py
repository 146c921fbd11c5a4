"""What a listener gets from an exported file, read back with real tools: the samples as a
player decodes them, ffmpeg's loudness meter, beeps found where the script plans them, and the
chapters as ffprobe reads them."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from coach.audio.tones import tone_samples
from coach.compose.beeps import TONES, ToneKind
from coach.compose.script import Script
from coach.samples import SAMPLE_RATE, to_samples


def decode(path: Path) -> np.ndarray:
    """The file as a player decodes it (pydub through ffmpeg; MP3 encoder delay trimmed)."""
    audio = AudioSegment.from_file(path).set_channels(1).set_frame_rate(SAMPLE_RATE)
    return np.frombuffer(audio.set_sample_width(2).raw_data, dtype="<i2")


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) measured by ffmpeg's ebur128 filter."""
    command = [
        "ffmpeg",
        "-hide_banner",
        "-nostats",
        "-i",
        str(path),
        "-af",
        "ebur128=peak=true",
        "-f",
        "null",
        "-",
    ]
    log = subprocess.run(command, capture_output=True, text=True).stderr
    summary = log[log.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak


def page_audio(page: Path, out: Path) -> Path:
    """The MP3 a phone page carries inline (base64), written to `out` to be measured."""
    found = re.search(rb'<script type="text/plain" id="sound">([A-Za-z0-9+/=]*)</script>',
                      page.read_bytes())
    assert found, "no inline audio"
    out.write_bytes(base64.b64decode(found.group(1), validate=True))
    return out


def assert_beeps_on_time(audio: np.ndarray, script: Script, tolerance: float) -> None:
    beeps = [e for e in script.events if e.kind == "beep"]
    assert beeps
    for event in beeps:
        found = beep_onset(audio, event.tone, event.start)
        assert abs(found - event.start) <= to_samples(tolerance), (event, found - event.start)


def ffprobe_chapters(path: Path) -> list[tuple[str, float, float]]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        (c["tags"]["title"], float(c["start_time"]), float(c["end_time"]))
        for c in json.loads(out)["chapters"]
    ]


def beep_onset(audio: np.ndarray, kind: ToneKind, planned: int) -> int:
    """Where a beep of `kind` starts in `audio`, searched for from 30 ms before `planned` on.

    The audio is demodulated at the tone's first pitch and smoothed over 2 ms; the onset is where
    the envelope first reaches half the beep's level, less the lag this has on the bare tone.
    """
    lead = to_samples(0.03)
    bare = np.concatenate([np.zeros(lead), tone_samples(kind)])
    return _half_level(audio, kind, max(0, planned - lead)) - (_half_level(bare, kind, 0) - lead)


def _half_level(audio: np.ndarray, kind: ToneKind, start: int) -> int:
    freq, seconds = TONES[kind].pips[0]
    window = audio[start : start + to_samples(0.03 + seconds)].astype(np.float64)
    t = np.arange(len(window)) / SAMPLE_RATE
    width = to_samples(0.002)
    envelope = np.abs(np.convolve(window * np.exp(-2j * np.pi * freq * t), np.ones(width), "same"))
    return start + int(np.argmax(envelope >= envelope.max() / 2))
