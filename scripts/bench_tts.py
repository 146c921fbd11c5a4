#!/usr/bin/env python3
"""Benchmark: the cold render of the default session's phrases against the `espeak-ng` program.

The baseline runs `espeak-ng -w FILE PHRASE` once per phrase, one after another, with the
same voice and rate as the default engine. The two are interleaved run by run, so a busy
machine slows both alike. Prints the medians and their ratio; writes them as JSON to OUT.

    .venv/bin/python scripts/bench_tts.py bench-tts.json [--runs 5] [--engine pyttsx3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coach.compose import SessionOptions, phrases
from coach.routine import load_routine
from coach.tts import ENGINES, Speech, VoiceSettings


def cpu_seconds() -> float:
    """CPU time of this process and its reaped descendants so far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def espeak_one_by_one(texts: list[str], folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds the espeak-ng program takes to render `texts`, a process per phrase."""
    voice, rate = ENGINES["espeak-ng"].DEFAULT_VOICE, ENGINES["espeak-ng"].DEFAULT_RATE
    start, cpu = time.perf_counter(), cpu_seconds()
    for i, text in enumerate(texts):
        wav = folder / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(wav), "--", text],
                       check=True)  # fmt: skip
    return time.perf_counter() - start, cpu_seconds() - cpu


def cold_render(
    texts: list[str], folder: Path, engine: str, workers: int | None
) -> tuple[float, float]:
    """(wall, CPU) seconds `Speech` takes to render `texts` into the empty cache `folder`."""
    start, cpu = time.perf_counter(), cpu_seconds()
    speech = Speech(VoiceSettings(engine), folder, workers=workers)
    speech.clips(texts)
    elapsed = time.perf_counter() - start, cpu_seconds() - cpu
    assert speech.rendered == len(set(texts)), "the cache was not cold"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the results as JSON")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine", default="pyttsx3", choices=list(ENGINES))
    parser.add_argument("--workers", type=int, default=None, help="default: every core")
    args = parser.parse_args()

    texts = list(dict.fromkeys(phrases(load_routine(), SessionOptions())))
    baseline, cold = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            baseline.append(espeak_one_by_one(texts, Path(a)))
            cold.append(cold_render(texts, Path(b), args.engine, args.workers))
        print(f"run {run + 1}: espeak-ng {baseline[-1][0]:.3f} s,"
              f" {args.engine} cold {cold[-1][0]:.3f} s", file=sys.stderr)  # fmt: skip

    def median(runs: list[tuple[float, float]], which: int) -> float:
        return statistics.median(r[which] for r in runs)

    result = {
        "phrases": len(texts),
        "engine": args.engine,
        "runs": args.runs,
        "cores": len(os.sched_getaffinity(0)),
        "load_average": os.getloadavg()[0],
        "espeak_ng_one_by_one_seconds": [r[0] for r in baseline],
        "cold_render_seconds": [r[0] for r in cold],
        "espeak_ng_median": median(baseline, 0),
        "cold_median": median(cold, 0),
        "ratio": median(cold, 0) / median(baseline, 0),
        "target_ratio": 1.3,
        "espeak_ng_cpu_median": median(baseline, 1),
        "cold_cpu_median": median(cold, 1),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{len(texts)} phrases, medians of {args.runs} runs:"
          f" espeak-ng one by one {result['espeak_ng_median']:.3f} s"
          f" (CPU {result['espeak_ng_cpu_median']:.2f} s),"
          f" {args.engine} cold {result['cold_median']:.3f} s"
          f" (CPU {result['cold_cpu_median']:.2f} s),"
          f" ratio {result['ratio']:.2f} (target <= 1.3)")  # fmt: skip


if __name__ == "__main__":
    main()
