"""Benchmark the player on a real-time sound card: a PulseAudio null sink, recorded from it.

    .venv/bin/python scripts/bench_player.py OUT.json [--only IDS] [--starts N]

Starts a private PulseAudio server (its own runtime folder, so it touches no other) with a null
sink at the session rate, a keep-alive stream of silence (so the sink renders in small blocks)
and ALSA's `default` routed to it by libasound2-plugins. Then:

- start-up: N times, plays a short beep through simpleaudio and times the call against the
  moment its first sample reached the sink;
- the session: plays the session (the built-in routine, `--only` some drills; real speech from
  the clip cache) with the Player, and finds every beep of the script in the recording by
  cross-correlation with the timeline's own samples. The error of a beep is when it sounded
  minus when the script says, after the play call; its spread is the timing error, its trend
  over the session the drift. The session is played as `coach play` plays it (`live.py`): a
  chapter at a time until it is whole, then the rest as one buffer, through the output
  `--audio` names (PortAudio's one stream by default; the openings of the device are counted);
  the offset of the last chapter's beeps from the first's, over the chapters between, is the
  drift per chapter, which includes what each reopening of the device would add.

A recorded sample is put on the monotonic clock by the arrival times of parec's chunks around
it (the earliest bounds it), so times include parec's own small capture delay, and a sink
clock drifting from the monotonic one shows as drift.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from coach.audio.tones import tone_samples
from coach.compose.beeps import ToneKind
from coach.compose.options import SessionOptions
from coach.playback.devices import SimpleaudioOutput
from coach.playback.outputs import BACKENDS, open_output
from coach.playback.player import Player
from coach.playback.stream import PortAudioOutput
from coach.routine.loading import load_routine
from coach.samples import SAMPLE_RATE
from coach.session import open_session

SEARCH = 0.25
"""Seconds either side of where a beep should be to look for it."""


class Pulse:
    """A private PulseAudio server with a null sink `coach` and a recorder of its monitor."""

    def __init__(self, folder: Path) -> None:
        self.env = {
            **os.environ,
            "XDG_RUNTIME_DIR": str(folder),
            "HOME": str(folder),
            "PULSE_SERVER": f"unix:{folder}/pulse/native",
        }
        self.procs: list[subprocess.Popen] = []
        self.chunks: list[tuple[float, int]] = []
        """(monotonic arrival time, samples so far) of each chunk the recorder read."""
        self.data = bytearray()

    def __enter__(self) -> Pulse:
        if not shutil.which("pulseaudio"):
            sys.exit("bench_player: pulseaudio is not installed (scripts/setup installs it)")
        self._spawn(
            [
                "pulseaudio",
                "--daemonize=no",
                "--system=false",
                "--exit-idle-time=-1",
                "-n",
                f"--load=module-null-sink sink_name=coach rate={SAMPLE_RATE} channels=1",
                "--load=module-always-sink",
                "--load=module-native-protocol-unix",
            ]
        )
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode:
            if time.monotonic() > deadline:
                sys.exit("bench_player: the PulseAudio server did not start")
            time.sleep(0.1)
        format_ = ["--raw", "--format=s16le", f"--rate={SAMPLE_RATE}", "--channels=1"]
        keep_alive = self._spawn(["pacat", "--playback", *format_], stdin=subprocess.PIPE)
        threading.Thread(target=self._silence, args=(keep_alive,), daemon=True).start()
        recorder = self._spawn(
            ["parec", "-d", "coach.monitor", "--latency-msec=10", *format_], stdout=subprocess.PIPE
        )
        threading.Thread(target=self._record, args=(recorder,), daemon=True).start()
        time.sleep(1.5)  # let the sink settle
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self.procs):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)

    def _spawn(self, args: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, env=self.env, stderr=subprocess.DEVNULL, **kwargs)
        self.procs.append(proc)
        return proc

    def _silence(self, proc: subprocess.Popen) -> None:
        zeros = bytes(SAMPLE_RATE // 10 * 2)
        try:
            while True:
                proc.stdin.write(zeros)
                proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            return

    def _record(self, proc: subprocess.Popen) -> None:
        while chunk := proc.stdout.read1(4096):
            self.data += chunk
            self.chunks.append((time.monotonic(), len(self.data) // 2))

    def recording(self) -> np.ndarray:
        return np.frombuffer(bytes(self.data[: len(self.data) // 2 * 2]), dtype="<i2")

    def when(self, sample: int) -> float:
        """The monotonic time of recorded `sample`: bounded by the earliest chunk arrivals
        within a second of it (local, so the sink's clock may drift from the monotonic one)."""
        reach = SAMPLE_RATE
        near = [t - (n - sample) / SAMPLE_RATE for t, n in self.chunks if abs(n - sample) <= reach]
        return min(near)

    def sample_at(self, moment: float) -> int:
        """The recorded sample playing at about monotonic `moment`."""
        t, n = min(self.chunks, key=lambda c: abs(c[0] - moment))
        return n - round((t - moment) * SAMPLE_RATE)


def find(recording: np.ndarray, pattern: np.ndarray, around: int) -> int | None:
    """The sample of `recording` near `around` where `pattern` fits best (None: out of range)."""
    reach = round(SEARCH * SAMPLE_RATE)
    lo, hi = around - reach, around + reach + len(pattern)
    if lo < 0 or hi > len(recording):
        return None
    window = recording[lo:hi].astype(np.float64)
    scores = np.correlate(window, pattern.astype(np.float64), mode="valid")
    return lo + int(np.argmax(scores))


def bench_startup(pulse: Pulse, runs: int) -> list[float]:
    """Seconds from the play call to the first sample of a beep at the sink, `runs` times."""
    beep = np.round(tone_samples(ToneKind.GO) * 32767).astype("<i2")
    output = SimpleaudioOutput()
    found = []
    for _ in range(runs):
        called = time.monotonic()
        output.play(beep.tobytes())
        time.sleep(0.8)
        output.stop()
        at = find(pulse.recording(), beep, pulse.sample_at(called + 0.2))
        if at is not None:
            found.append(pulse.when(at) - called)
    return found


def bench_session(pulse: Pulse, only: tuple[str, ...], backend: str) -> dict:
    routine = load_routine()
    session = open_session(routine, SessionOptions(only=only))
    timeline = session.timeline()  # the samples to find; the player makes its own, the same
    script = timeline.script
    output = open_output(backend, timeline.format).output
    started = time.monotonic()  # the player's clock starts, and it calls play, microseconds later
    Player(session.live(), output).run()
    output.close()
    openings = output.openings if isinstance(output, PortAudioOutput) else None
    time.sleep(1.5)
    recording = pulse.recording()
    errors, times, chapters = [], [], []
    for event in script.events:
        if event.kind != "beep":
            continue
        expected = started + event.start / SAMPLE_RATE
        pattern = timeline.samples[event.start : event.end]
        at = find(recording, pattern, pulse.sample_at(expected))
        if at is not None:
            errors.append(pulse.when(at) - expected)
            times.append(event.start / SAMPLE_RATE)
            chapters.append(next(i for i, c in enumerate(script.chapters) if event.start < c.end))
    errors_ms = np.array(errors) * 1000
    spread = errors_ms - np.median(errors_ms)
    slope = np.polyfit(times, errors_ms, 1)[0] * 60 if len(times) > 1 else 0.0
    first, last = chapters[0], chapters[-1]
    steps = np.median(errors_ms[np.array(chapters) == last]) - np.median(
        errors_ms[np.array(chapters) == first])
    return {
        "audio": backend,
        "openings": openings,
        "session_seconds": script.duration,
        "beeps": sum(1 for e in script.events if e.kind == "beep"),
        "beeps_found": len(errors),
        "median_offset_ms": float(np.median(errors_ms)),
        "worst_error_ms": float(np.max(np.abs(spread))),
        "median_abs_error_ms": float(np.median(np.abs(spread))),
        "drift_ms_per_minute": float(slope),
        "drift_over_session_ms": float(slope * script.duration / 60),
        "chapters": len(script.chapters),
        "drift_per_chapter_ms": float(steps / max(1, last - first)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="Where to write the JSON results.")
    parser.add_argument(
        "--only", default="", help="Drill ids of the session, comma-separated (default: all)."
    )
    parser.add_argument("--starts", type=int, default=10, help="Start-up measurements.")
    parser.add_argument("--audio", default="portaudio", choices=BACKENDS,
                        help="The output the session plays through (default: portaudio).")
    args = parser.parse_args()
    only = tuple(i for i in args.only.split(",") if i)
    with tempfile.TemporaryDirectory(prefix="coach-pulse-") as folder, Pulse(Path(folder)) as pulse:
        os.environ.update(pulse.env)  # ALSA's `default` (PortAudio's, simpleaudio's) finds it
        startups_ms = [s * 1000 for s in bench_startup(pulse, args.starts)]
        result = {
            "startup_ms": {
                "runs": len(startups_ms),
                "median": float(np.median(startups_ms)),
                "max": float(np.max(startups_ms)),
            },
            "session": bench_session(pulse, only, args.audio),
        }
    args.out.write_text(json.dumps(result, indent=1))
    session = result["session"]
    print(
        "start-up, play call to first sample at the sink: "
        f"median {result['startup_ms']['median']:.1f} ms, "
        f"max {result['startup_ms']['max']:.1f} ms ({len(startups_ms)} runs)"
    )
    print(
        f"session of {session['session_seconds']:.0f} s through {session['audio']} "
        f"({session['openings'] or 'a new'} opening(s) of the device), "
        f"{session['beeps_found']}/{session['beeps']} beeps found: "
        f"offset median {session['median_offset_ms']:.1f} ms, "
        f"error median {session['median_abs_error_ms']:.1f} ms, "
        f"worst {session['worst_error_ms']:.1f} ms, "
        f"drift {session['drift_over_session_ms']:.1f} ms over the session, "
        f"{session['drift_per_chapter_ms']:.1f} ms per chapter ({session['chapters']} chapters)"
    )


if __name__ == "__main__":
    main()
