"""A private PulseAudio server with a null sink: a sound card that plays in real time, for the
tests that need a device to take its time (one that can underrun), reached through ALSA's pulse
plugin as `default`."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TIMEOUT = 10.0
"""Seconds the server may take to answer before the test fails."""


@contextmanager
def pulse_sink(folder: Path) -> Iterator[dict[str, str]]:
    """A server of its own in `folder`, for the duration: yields the variables that make it
    ALSA's (and so PortAudio's) `default` device, to add to a child's environment."""
    if not shutil.which("pulseaudio"):
        pytest.skip("pulseaudio is not installed (scripts/setup installs it)")
    folder.mkdir(mode=0o700, exist_ok=True)
    server_at = {"XDG_RUNTIME_DIR": str(folder), "HOME": str(folder),
                 "PULSE_SERVER": f"unix:{folder}/pulse/native"}  # fmt: skip
    env = {**os.environ, **server_at}
    server = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--system=false", "--exit-idle-time=-1", "-n",
         "--load=module-null-sink sink_name=coach", "--load=module-native-protocol-unix"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode:
            assert time.monotonic() < deadline, "the PulseAudio server did not start"
            time.sleep(0.05)
        yield server_at
    finally:
        server.terminate()
        server.wait(TIMEOUT)
