"""What a listener gets from an exported file, read back with real tools: the samples as a
player decodes them, ffmpeg's loudness meter, beeps found where the script plans them, and the
chapters as ffprobe reads them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
from pydub import AudioSegment
from stand_in import beep_onset

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
