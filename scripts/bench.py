#!/usr/bin/env python3
"""The benchmarks (`make bench`, not a test): each figure of the coach against its anchor.

    .venv/bin/python scripts/bench.py --json bench/results.json [--runs 5 | --quick]

Every figure is the median of several runs of the `coach` command as a user runs it (a child
process, its clip cache in a temporary folder), divided by the median of its anchor, the tools
the coach stands on doing the same job. Coach and anchor alternate run by run, so a busy
machine slows both alike:

- cold export of the default session to MP3 (empty cache) against Piper's own Python API
  rendering the same phrases one by one in one process (piper_anchor.py) plus ffmpeg encoding
  the session's WAV;
- warm export (clips cached, and the file's measures recorded by an export before: the warm
  runs export a session again) against that ffmpeg encode alone;
- `coach play` to the first sample at a real-time device (a private PulseAudio null sink, see
  bench_player.py), warm cache, against `aplay` playing the session's WAV there; shown as the
  difference, since aplay's first sample comes within milliseconds;
- `coach play` and `coach rehearse spiderman` to the first bytes at an ALSA file device (`type
  file` over `type null`), from the process start, with an empty cache and a warm one, against
  `aplay` there; the targets are absolute (1.2 s cold, 0.5 s warm);
- memory: the cold render (`coach cache warm`) of one legal sentence of 1,489 characters, cut
  into pieces for the engine, against the cold export of the default session, in peak memory;
- scaling: warm export of a routine four times as long (the built-in drills repeated with
  distinct ids) against the default routine, in time and in the child's peak memory;
- with music (two 3-minute tracks made by ffmpeg), warm export (the bed cached) against ffmpeg
  encoding the same mixed WAV, and its peak memory against the export without music; the
  first decoding of the bed (`coach cache warm --music`, speech cached) against ffmpeg
  decoding and measuring the same tracks one by one;
- `coach script --json` warm, against a bare Python start;
- per engine: the cold render of the session's phrases (`coach cache warm`, empty cache) and
  the word error rate of an offline recogniser on its exported speech (bench_wer.py).

The results file is what bench_tables.py writes into docs/benchmarks.md (`make bench` runs both);
the devices the start-up figures are timed at are bench_devices.py's.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_devices import (  # noqa: E402
    file_device,
    first_bytes,
    first_sample,
    lead_in_seconds,
    wait_for_recorder,
)
from bench_player import Pulse  # noqa: E402
from bench_tables import tables  # noqa: E402
from bench_wer import word_error_rate  # noqa: E402

from coach.output.encode import encoder_options  # noqa: E402
from coach.routine.model import default_routine_path  # noqa: E402
from coach.tts import ENGINES  # noqa: E402
from coach.tts.piper_engine import NATURAL_RATE, PiperEngine  # noqa: E402
from coach.tts.speech import spoken_text  # noqa: E402

COACH = str(Path(sys.executable).with_name("coach"))
PIPER_ANCHOR = str(Path(__file__).with_name("piper_anchor.py"))
COPIES = 4
"""The long routine is the built-in one this many times."""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_bytes: int
    """The child's maximum resident set size."""


def timed(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `command` to the end: its wall time and peak memory; exit the benchmark if it fails."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            errors.seek(0)
            sys.exit(f"bench: `{' '.join(command)}` failed ({child.returncode}): "
                     f"{errors.read().decode(errors='replace').strip()}")
    return Run(seconds, usage.ru_maxrss * 1024)


def seconds(runs: list[Run]) -> list[float]:
    return [run.seconds for run in runs]


def peaks(runs: list[Run]) -> list[float]:
    return [run.peak_bytes for run in runs]


def coach_env(cache: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a coach run with its clips in `cache`: Python may keep its compiled
    modules, as on a user's machine (PYTHONDONTWRITEBYTECODE would have every start compile
    the coach's own modules again, 60 ms of each)."""
    env = {**(base or os.environ), "COACH_CACHE_DIR": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def script_json(env: dict[str, str], *options: str) -> dict:
    done = subprocess.run([COACH, "script", "--json", *options], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def write_long_routine(path: Path) -> None:
    """The built-in routine with its drills `COPIES` times over, each copy with its own ids."""
    routine = yaml.safe_load(default_routine_path().read_text(encoding="utf-8"))
    routine["drills"] = [{**copy.deepcopy(drill), "id": f"{drill['id']}-{n}"}  # no YAML aliases
                         for n in range(1, COPIES + 1) for drill in routine["drills"]]
    path.write_text(yaml.safe_dump(routine, sort_keys=False), encoding="utf-8")


def write_long_sentence(path: Path) -> None:
    """A routine of one drill whose instructions are one sentence of 1,489 characters."""
    clauses = ["keep your chest tall", "breathe out slowly as you lower", "soften the shoulders",
               "let the knee track over the second toe", "press the heel into the floor"]
    sentence = ("Stand tall with your feet apart, " + ", ".join(clauses * 12))[:1488] + "."
    drill = {"name": "Deep squat", "instructions": sentence, "reps": 1, "rep_seconds": 2}
    path.write_text(yaml.safe_dump({"name": "Long sentence", "drills": [drill]}), "utf-8")


def piper_one_by_one(texts: list[str], folder: Path) -> Run:
    """Piper's own API rendering `texts` one by one in one process, at the coach's settings."""
    phrases = folder / "phrases.json"
    phrases.write_text(json.dumps([spoken_text(t) for t in texts]), encoding="utf-8")
    length_scale = str(round(NATURAL_RATE / PiperEngine.DEFAULT_RATE, 4))
    with open(phrases, "rb") as stdin:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, PIPER_ANCHOR, str(folder), length_scale],
                                 stdin=stdin)
        _, status, usage = os.wait4(child.pid, 0)
    if status:
        sys.exit("bench: the Piper anchor failed")
    return Run(time.perf_counter() - start, usage.ru_maxrss * 1024)


def engine_figures(work: Path, runs: int) -> list[dict]:
    """Per engine: median cold render of the session's phrases, and the word error rate."""
    rows = []
    for engine in ENGINES:
        renders = []
        for _ in range(runs):
            with tempfile.TemporaryDirectory(dir=work) as cache:
                renders.append(timed([COACH, "cache", "warm", "--engine", engine],
                                     coach_env(Path(cache))).seconds)
        env = coach_env(work / "warm-cache")
        wav = work / f"{engine}.wav"
        timed([COACH, "export", str(wav), "--engine", engine], env)
        rate, phrases = word_error_rate(wav, script_json(env, "--engine", engine))
        rows.append({"engine": engine, "cold_render_median": statistics.median(renders),
                     "cold_render_runs": renders, "word_error_rate": rate, "phrases": phrases})
        print(f"{engine}: cold render {rows[-1]['cold_render_median']:.2f} s, word error rate "
              f"{rate:.3f} on {phrases} phrases", file=sys.stderr)
    return rows


def ffmpeg_encode(wav: Path, out: Path, channels: int = 1) -> Run:
    """ffmpeg encoding `wav` to MP3 with the exporter's encoder settings."""
    return timed(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav),
                  "-fflags", "+bitexact", "-flags:a", "+bitexact",
                  *encoder_options(".mp3", channels), str(out)])


def ffmpeg_decode(tracks: list[Path]) -> Run:
    """ffmpeg decoding `tracks` to 44.1 kHz stereo and measuring them (ebur128 with true peak),
    as the coach has it do, one after the other."""
    started = time.monotonic()
    for track in tracks:
        timed(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(track), "-af",
               "aresample=44100,aformat=channel_layouts=stereo,ebur128=peak=true",
               "-f", "s16le", "-y", "/dev/null"])
    return Run(time.monotonic() - started, 0)


def make_music(folder: Path) -> Path:
    """A folder of two 3-minute tracks from ffmpeg's own sources (MP3 and FLAC)."""
    folder.mkdir()
    for name, source in (("1 noise.mp3", "anoisesrc=d=180:c=pink:a=0.3:r=44100"),
                         ("2 chord.flac", "sine=f=220:d=180:sample_rate=44100")):
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                        source, str(folder / name)], check=True)
    return folder


def figure(name: str, unit: str, runs: list[float], anchor: str, anchor_runs: list[float],
           target: float | None = None, target_text: str = "", compare: str = "ratio") -> dict:
    """One row: the medians, their ratio (or, `compare="difference"`, coach minus anchor)."""
    median, anchor_median = statistics.median(runs), statistics.median(anchor_runs)
    ratio = median / anchor_median
    return {"name": name, "unit": unit, "median": median, "runs": runs, "anchor": anchor,
            "anchor_median": anchor_median, "anchor_runs": anchor_runs, "compare": compare,
            "ratio": ratio, "difference": median - anchor_median,
            "target": target, "target_text": target_text,
            "met": None if target is None else (ratio if compare == "ratio" else median) <= target}


def version(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True).stdout.splitlines()[0].strip()


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor())
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": version(["git", "-C", str(Path(__file__).parent), "describe", "--always",
                           "--dirty"]),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "espeak_ng": version(["espeak-ng", "--version"]),
        "piper": PiperEngine().version,
        "ffmpeg": version(["ffmpeg", "-version"]),
    }


def measure(work: Path, runs: int) -> dict:
    info = machine()
    warm = work / "warm-cache"
    env = coach_env(warm)
    long_routine = work / "long.yaml"
    write_long_routine(long_routine)
    long_sentence = work / "sentence.yaml"
    write_long_sentence(long_sentence)
    # Warm the cache for both routines, and write the session's WAV for the anchors.
    timed([COACH, "cache", "warm"], env)
    timed([COACH, "cache", "warm", "--routine", str(long_routine)], env)
    wav = work / "session.wav"
    timed([COACH, "export", str(wav)], env)
    music = make_music(work / "music")
    timed([COACH, "cache", "warm", "--music", str(music)], env)
    mixed_wav = work / "mixed.wav"
    timed([COACH, "export", str(mixed_wav), "--music", str(music)], env)
    # Export both once: what their files measured is recorded (output/measured.py), as it is
    # for any session exported before, so the warm runs measure nothing.
    timed([COACH, "export", str(work / "warm.mp3")], env)
    timed([COACH, "export", "--routine", str(long_routine), str(work / "long.mp3")], env)
    session = script_json(env)
    long_session = script_json(env, "--routine", str(long_routine))
    texts = list(dict.fromkeys(e["text"] for e in session["events"] if e["kind"] == "speech"))

    cold, engines, ffmpeg, warm_export, long_export, script, python = ([] for _ in range(7))
    music_export, music_ffmpeg, bed, decode, sentence = ([] for _ in range(5))
    for run in range(1, runs + 1):
        with tempfile.TemporaryDirectory(dir=work) as cache, \
                tempfile.TemporaryDirectory(dir=work) as clips:
            cold.append(timed([COACH, "export", str(work / "cold.mp3")], coach_env(Path(cache))))
            piper = piper_one_by_one(texts, Path(clips)).seconds
        with tempfile.TemporaryDirectory(dir=work) as cache:
            sentence.append(timed([COACH, "cache", "warm", "--routine", str(long_sentence)],
                                  coach_env(Path(cache))))
        ffmpeg.append(ffmpeg_encode(wav, work / "alone.mp3"))
        engines.append(piper + ffmpeg[-1].seconds)
        warm_export.append(timed([COACH, "export", str(work / "warm.mp3")], env))
        long_export.append(timed([COACH, "export", "--routine", str(long_routine),
                                  str(work / "long.mp3")], env))
        music_export.append(timed([COACH, "export", str(work / "music.mp3"),
                                   "--music", str(music)], env))
        music_ffmpeg.append(ffmpeg_encode(mixed_wav, work / "mixed.mp3", channels=2))
        with tempfile.TemporaryDirectory(dir=work) as beds:
            for clip in [*warm.glob("*.clip"), *warm.glob("*.measures")]:  # no bed yet
                os.link(clip, Path(beds) / clip.name)
            bed.append(timed([COACH, "cache", "warm", "--music", str(music)],
                             coach_env(Path(beds))))
        decode.append(ffmpeg_decode(sorted(music.iterdir())))
        script.append(timed([COACH, "script", "--json"], env))
        python.append(timed([sys.executable, "-c", "pass"]))
        print(f"run {run}/{runs}: cold export {cold[-1].seconds:.2f} s, raw engines "
              f"{engines[-1]:.2f} s, warm export {warm_export[-1].seconds:.2f} s, ffmpeg "
              f"{ffmpeg[-1].seconds:.2f} s, {COPIES}x export {long_export[-1].seconds:.2f} s",
              file=sys.stderr)

    lead_in = lead_in_seconds(wav)
    play, aplay = [], []
    with tempfile.TemporaryDirectory(prefix="coach-pulse-") as folder, Pulse(Path(folder)) as pulse:
        wait_for_recorder(pulse)
        for run in range(1, runs + 1):
            play.append(first_sample(pulse, [COACH, "play"], coach_env(warm, pulse.env), lead_in))
            aplay.append(first_sample(pulse, ["aplay", "-q", str(wav)], pulse.env, lead_in))
            print(f"run {run}/{runs}: coach play {play[-1] * 1000:.0f} ms, "
                  f"aplay {aplay[-1] * 1000:.0f} ms", file=sys.stderr)

    device_env, device = file_device(work)
    starts: dict[str, list[float]] = {"aplay": []}
    commands = {"play": [COACH, "play"], "rehearse": [COACH, "rehearse", "spiderman"]}
    for run in range(1, runs + 1):
        for name, command in commands.items():
            with tempfile.TemporaryDirectory(dir=work) as cache:
                empty = first_bytes(command, coach_env(Path(cache), device_env), device)
            starts.setdefault(f"{name} cold", []).append(empty)
            warm_start = first_bytes(command, coach_env(warm, device_env), device)
            starts.setdefault(f"{name} warm", []).append(warm_start)
        starts["aplay"].append(first_bytes(["aplay", "-q", str(wav)], device_env, device))
        print(f"run {run}/{runs}: first bytes " + ", ".join(
            f"{name} {values[-1] * 1000:.0f} ms" for name, values in starts.items()),
            file=sys.stderr)

    engine_rows = engine_figures(work, runs)
    length_ratio = long_session["duration"] / session["duration"]
    info["load_average_at_end"] = os.getloadavg()
    return {
        "machine": info,
        "runs": runs,
        "session_seconds": session["duration"],
        "phrases": len(texts),
        "long_session_seconds": long_session["duration"],
        "length_ratio": length_ratio,
        "engines": engine_rows,
        "figures": [
            figure("cold export (empty cache)", "s", seconds(cold),
                   "Piper's API one by one + ffmpeg encode", engines, 0.7, "≤ 0.7×"),
            figure("warm export", "s", seconds(warm_export), "ffmpeg encode alone",
                   seconds(ffmpeg), 1.15, "≤ 1.15×"),
            # aplay starts in a few milliseconds, so a ratio to it would be noise: the difference.
            figure("coach play to first sample (warm)", "ms", [s * 1000 for s in play],
                   "aplay of the same audio", [s * 1000 for s in aplay], compare="difference"),
            *(figure(f"coach {name}, first bytes ({cache} cache)", "ms",
                     [s * 1000 for s in starts[f"{name} {state}"]], "aplay of the session's WAV",
                     [s * 1000 for s in starts["aplay"]], limit * 1000, f"≤ {limit:.1f} s",
                     compare="difference")
              for name in commands
              for state, cache, limit in (("cold", "empty", 1.2), ("warm", "warm", 0.5))),
            figure(f"{COPIES}x routine, warm export time", "s", seconds(long_export),
                   "default routine", seconds(warm_export), 1.1 * length_ratio,
                   f"≤ {1.1 * length_ratio:.2f}× (length +10%)"),
            figure(f"{COPIES}x routine, warm export peak memory", "B", peaks(long_export),
                   "default routine", peaks(warm_export), length_ratio,
                   f"≤ {length_ratio:.2f}× (length)"),
            figure("one sentence of 1,489 characters, cold render peak memory", "B",
                   peaks(sentence), "cold export of the default session", peaks(cold)),
            figure("warm export with music", "s", seconds(music_export),
                   "ffmpeg encode of the same mix alone", seconds(music_ffmpeg), 1.3, "≤ 1.3×"),
            figure("warm export with music, peak memory", "B", peaks(music_export),
                   "export without music", peaks(warm_export)),
            figure("music bed, first decoding (6 min of tracks)", "s", seconds(bed),
                   "ffmpeg decoding and measuring the tracks, one by one", seconds(decode)),
            figure("coach script --json (warm)", "s", seconds(script),
                   "bare Python start", seconds(python)),
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True,
                        help="where to write the figures as JSON")
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement (default: 5)")
    parser.add_argument("--quick", action="store_true", help="2 runs: a smoke check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as work:
        results = measure(Path(work), 2 if args.quick else args.runs)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for lines in tables(results).values():
        print("\n".join(lines), end="\n\n")


if __name__ == "__main__":
    main()
