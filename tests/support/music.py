"""Music for the tests, made by ffmpeg's own sources, and what can be read back of it: the probe
track's tones are at 15 and 17 kHz, where the voice (22.05 kHz) has nothing, so the music's level
can be read under the words."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from coach.audio.bed import MUSIC_RATE
from coach.compose.script import Script

TONES = (15000, 17000)
"""The probe track: 4 s of the first tone, then 4 s of the second."""
SESSION_SECONDS = 30.0
"""A session's length for the beds made here without one: its bed holds a minute."""


def make_track(path: Path, *sources: str) -> Path:
    """A track of ffmpeg's lavfi `sources` played one after the other."""
    inputs = [arg for source in sources for arg in ("-f", "lavfi", "-i", source)]
    joined = "".join(f"[{n}]" for n in range(len(sources))) + f"concat=n={len(sources)}:v=0:a=1"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *inputs,
                    "-filter_complex", joined, str(path)], check=True)  # fmt: skip
    return path


def probe_folder(folder: Path) -> Path:
    """`folder` holding the probe track: 4 s of the first of TONES, then 4 s of the second."""
    make_track(folder / "1 probe.flac", *(f"sine=f={f}:d=4:sample_rate=44100" for f in TONES))
    return folder


def noisy_folder(folder: Path) -> Path:
    """`folder` holding two tracks: pink noise (MP3) then a chord (Ogg)."""
    make_track(folder / "01 noise.mp3", "anoisesrc=d=9:c=pink:a=0.5:r=44100")
    make_track(folder / "02 chord.ogg", "sine=f=220:d=7", "sine=f=330:d=7")
    return folder


def tone_db(frames: np.ndarray, start: float, end: float, freq: float) -> float:
    """The level (dB) of the tone `freq` in seconds `start` to `end` of stereo `frames`."""
    window = frames[round(start * MUSIC_RATE) : round(end * MUSIC_RATE)].mean(axis=1)
    taper = np.hanning(len(window))
    spectrum = np.abs(np.fft.rfft(window * taper)) / taper.sum()  # any length: one scale
    near = round(freq * len(window) / MUSIC_RATE)
    return 20 * np.log10(spectrum[near - 3 : near + 4].max() + 1e-9)


def music_db(frames: np.ndarray, start: float, end: float) -> float:
    return max(tone_db(frames, start, end, f) for f in TONES)


def gaps(script: Script, clear: float = 0.6, least: float = 0.2) -> list[tuple[float, float]]:
    """Stretches (seconds) at least `clear` after one sound and 0.2 s before the next."""
    rate, found = script.sample_rate, []
    for before, after in zip(script.events, script.events[1:], strict=False):
        start, end = before.end / rate + clear, after.start / rate - 0.2
        if end - start >= least:
            found.append((start, end))
    return found

