"""The benchmarks' devices: when a command's first sound reaches a sound card, or its first bytes
a file.

Two ways to see a command start playing, used by scripts/bench.py:

- a real-time device: a private PulseAudio null sink recorded from its monitor (bench_player.py's
  `Pulse`), where the first sample above silence, less the session's own lead-in, says when the
  session's sample 0 played;
- an ALSA file device (`type file` over `type null`), which writes what it is given to a file as
  fast as it comes, so the first bytes there say when the player started writing.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
from bench_player import Pulse

from coach.samples import SAMPLE_RATE

AUDIBLE = 100
"""A sample above this (of 32767) is sound, not silence."""


def lead_in_seconds(wav: Path) -> float:
    """Seconds of silence at the start of `wav`, so the first sound says when sample 0 played."""
    with wave.open(str(wav)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return int(np.flatnonzero(np.abs(samples.astype(np.int32)) > AUDIBLE)[0]) / w.getframerate()


def wait_for_recorder(pulse: Pulse) -> None:
    """Wait until the sink's recorder has delivered a second of audio (slow on a busy machine)."""
    deadline = time.monotonic() + 30
    while len(pulse.data) < 2 * SAMPLE_RATE:
        if time.monotonic() > deadline:
            sys.exit("bench: the PulseAudio recorder delivered nothing for 30 s")
        time.sleep(0.1)


def first_sample(pulse: Pulse, command: list[str], env: dict[str, str], lead_in: float) -> float:
    """Seconds from starting `command` to its first sample at the sink; then stops it."""
    called = time.monotonic()
    child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = max(pulse.sample_at(called), 0)
        while time.monotonic() < called + 60:
            time.sleep(0.02)
            sound = np.flatnonzero(np.abs(pulse.recording()[start:].astype(np.int32)) > AUDIBLE)
            if sound.size:
                return pulse.when(start + int(sound[0])) - lead_in - called
        sys.exit(f"bench: no sound from `{' '.join(command)}` within a minute")
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=10)
        time.sleep(0.5)  # let the sink fall silent before the next run


def file_device(folder: Path) -> tuple[dict[str, str], Path]:
    """The environment that makes ALSA's `default` write what it gets to a file, and the file."""
    out = folder / "device.raw"
    config = folder / "asound.conf"
    config.write_text(f'pcm.!default {{ type file slave.pcm {{ type null }} file "{out}" '
                      'format "raw" }\n')
    return {**os.environ, "ALSA_CONFIG_PATH": str(config)}, out


def first_bytes(command: list[str], env: dict[str, str], out: Path) -> float:
    """Seconds from starting `command` to the first bytes at the file device; then stops it."""
    out.unlink(missing_ok=True)
    called = time.monotonic()
    child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() < called + 60:
            if out.exists() and out.stat().st_size:
                return time.monotonic() - called
            time.sleep(0.002)
        sys.exit(f"bench: nothing reached the device from `{' '.join(command)}` in a minute")
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=10)
