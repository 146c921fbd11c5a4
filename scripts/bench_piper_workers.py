#!/usr/bin/env python3
"""Benchmark: how Piper uses every core, threads on one loaded model against one process per core.

    .venv/bin/python scripts/bench_piper_workers.py [--runs 5]

Both render the default session's phrases (longest first, the coach's synthesis settings, one
ONNX Runtime thread per run so the samples do not depend on the parallelism) on as many
workers as there are cores: either threads sharing one model loaded once (what the coach does),
or a process per core, each loading the model. Runs alternate; prints the medians.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from coach.compose.composer import phrases
from coach.compose.options import SessionOptions
from coach.routine.loading import load_routine
from coach.tts.piper_engine import PiperEngine
from coach.tts.speech import spoken_text

_engine: PiperEngine | None = None


def _load() -> None:
    global _engine
    _engine = PiperEngine()
    _engine.voice_model = _engine._load()


def _render(text: str) -> int:
    return len(_engine._render_one(_engine.voice_model, text))


def threads(texts: list[str], workers: int) -> float:
    start = time.perf_counter()
    _load()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(_render, texts))
    return time.perf_counter() - start


def processes(texts: list[str], workers: int) -> float:
    start = time.perf_counter()
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_load) as pool:
        list(pool.map(_render, texts))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    texts = sorted({spoken_text(t) for t in phrases(load_routine(), SessionOptions())},
                   key=len, reverse=True)  # fmt: skip
    workers = len(os.sched_getaffinity(0))
    timings: dict[str, list[float]] = {"threads": [], "processes": []}
    for run in range(1, args.runs + 1):
        timings["threads"].append(threads(texts, workers))
        timings["processes"].append(processes(texts, workers))
        print(f"run {run}: threads {timings['threads'][-1]:.2f} s, "
              f"processes {timings['processes'][-1]:.2f} s")
    t, p = (statistics.median(timings[k]) for k in ("threads", "processes"))
    print(f"{len(texts)} phrases on {workers} workers, medians of {args.runs} runs: threads on one "
          f"model {t:.2f} s, a process per core {p:.2f} s (threads / processes {t / p:.2f})")


if __name__ == "__main__":
    main()
