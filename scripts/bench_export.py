"""Benchmark (not a test): exporting the default session to MP3, cold and warm clip cache,
next to ffmpeg encoding a WAV of the same length on its own.

    .venv/bin/python scripts/bench_export.py bench-export.json [--engine espeak-ng] [--runs 5]

Writes medians of several runs, each run's seconds, and the ratios to ffmpeg alone as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coach.compose import SessionOptions
from coach.export import ENCODERS, export_timeline
from coach.routine import load_routine
from coach.timeline import build_timeline, make_script
from coach.tts import Speech, VoiceSettings


def export_once(engine: str, cache: Path, out: Path) -> dict[str, float]:
    """One export of the default session; the seconds of each stage and in all."""
    begin = time.perf_counter()
    speech = Speech(VoiceSettings(engine), cache)
    script = make_script(load_routine(), SessionOptions(), speech)
    rendered = time.perf_counter()
    timeline = build_timeline(script, speech)
    built = time.perf_counter()
    export_timeline(timeline, out)
    done = time.perf_counter()
    return {
        "total": done - begin,
        "speech_and_script": rendered - begin,
        "timeline": built - rendered,
        "encode": done - built,
    }


def summary(runs: list[dict[str, float]]) -> dict:
    return {
        "median_seconds": {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]},
        "runs_seconds": [round(r["total"], 3) for r in runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="where to write the JSON results")
    parser.add_argument("--engine", default="pyttsx3", help="speech engine (default: pyttsx3)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement (default: 5)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold-cache runs (default: 3)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coach-bench-") as scratch:
        work = Path(scratch)
        cold = [
            export_once(args.engine, work / f"cold-{i}", work / "cold.mp3")
            for i in range(args.cold_runs)
        ]
        warm = [
            export_once(args.engine, work / "cold-0", work / "warm.mp3") for _ in range(args.runs)
        ]
        speech = Speech(VoiceSettings(args.engine), work / "cold-0")
        timeline = build_timeline(make_script(load_routine(), SessionOptions(), speech), speech)
        wav = export_timeline(timeline, work / "session.wav").path
        alone = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-i",
                    str(wav),
                    *ENCODERS[".mp3"],
                    str(work / "alone.mp3"),
                ],
                check=True,
            )
            alone.append(time.perf_counter() - begin)

    ffmpeg_median = statistics.median(alone)
    results = {
        "session_seconds": timeline.script.duration,
        "engine": args.engine,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "cold_cache": summary(cold),
        "warm_cache": summary(warm),
        "ffmpeg_wav_to_mp3_alone": {
            "median_seconds": round(ffmpeg_median, 3),
            "runs_seconds": [round(s, 3) for s in alone],
        },
        "ratios_to_ffmpeg_alone": {
            "cold": round(statistics.median(r["total"] for r in cold) / ffmpeg_median, 2),
            "warm": round(statistics.median(r["total"] for r in warm) / ffmpeg_median, 2),
        },
    }
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
