#!/usr/bin/env python3
"""Benchmark: ONNX Runtime's session settings for Piper, each against the coach's own.

    .venv/bin/python scripts/bench_piper_options.py [--runs 3] [--every 3]

Renders the default session's phrases (every `--every`th of the parts the coach renders, at its
synthesis settings) on one thread in this process, once per setting and run, the settings in
turn so a busy machine slows each alike. Prints each setting's median processor time, its
ratio to the coach's settings (`session_options`), and whether its samples are the coach's:
a setting that changes them would change every clip in the cache.
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from collections.abc import Callable

import onnxruntime
from piper import PiperConfig, PiperVoice, SynthesisConfig

from coach.compose.composer import phrases
from coach.compose.options import SessionOptions
from coach.routine.loading import load_routine
from coach.tts.piper_engine import PiperEngine, session_options
from coach.tts.speech import sentences, spoken_text

Level = onnxruntime.GraphOptimizationLevel
Change = Callable[[onnxruntime.SessionOptions], object]
SETTINGS: dict[str, Change] = {
    "coach": lambda o: None,
    "no memory arena": lambda o: setattr(o, "enable_cpu_mem_arena", False),
    "no memory pattern": lambda o: setattr(o, "enable_mem_pattern", False),
    "extended optimisation": lambda o: setattr(o, "graph_optimization_level",
                                               Level.ORT_ENABLE_EXTENDED),
    "basic optimisation": lambda o: setattr(o, "graph_optimization_level", Level.ORT_ENABLE_BASIC),
    "denormals as zero": lambda o: o.add_session_config_entry("session.set_denormal_as_zero", "1"),
    "deterministic compute": lambda o: setattr(o, "use_deterministic_compute", True),
}


def voice(engine: PiperEngine, change: Change) -> PiperVoice:
    """The voice loaded with the coach's session settings as `change` leaves them."""
    options = session_options()
    change(options)
    session = onnxruntime.InferenceSession(str(engine.files.model), sess_options=options,
                                           providers=["CPUExecutionProvider"])  # fmt: skip
    return PiperVoice(session=session, config=PiperConfig.from_dict(engine.config))


def render(piper: PiperVoice, texts: list[str], settings: SynthesisConfig) -> tuple[float, str]:
    """Processor seconds to render `texts`, and a digest of their samples."""
    digest = hashlib.sha256()
    start = time.process_time()
    for text in texts:
        for chunk in piper.synthesize(text, settings):
            digest.update(chunk.audio_float_array.tobytes())
    return time.process_time() - start, digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--every", type=int, default=3, help="render every Nth part (default: 3)")
    args = parser.parse_args()
    said = dict.fromkeys(spoken_text(t) for t in phrases(load_routine(), SessionOptions()))
    texts = [part for text in said for part in sentences(text)][:: args.every]
    engine = PiperEngine()
    settings = SynthesisConfig(length_scale=engine.length_scale, noise_scale=0.0,
                               noise_w_scale=0.0, normalize_audio=False)  # fmt: skip
    voices = {name: voice(engine, change) for name, change in SETTINGS.items()}
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    digests: dict[str, str] = {}
    for run in range(1, args.runs + 1):
        for name, piper in voices.items():
            seconds, digests[name] = render(piper, texts, settings)
            times[name].append(seconds)
        print(f"run {run}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()))
    coach = statistics.median(times["coach"])
    print(f"{len(texts)} parts, one thread, medians of {args.runs} runs of processor time:")
    for name, runs in times.items():
        median = statistics.median(runs)
        same = "the same samples" if digests[name] == digests["coach"] else "other samples"
        print(f"  {name}: {median:.2f} s, {median / coach:.2f}x the coach's, {same}")


if __name__ == "__main__":
    main()
