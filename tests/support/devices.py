"""An ALSA device backed by a file and short stand-in clips, for the player's tests.

Run as a module (`fixture_player` gives the command), it plays a session of a routine with the
stand-in clips, the way `coach play` would (keys and display when standard input is a
terminal): made whole first, or with `--live` made while it plays, `--slow` making each clip
take longer to render than to play:

    python -m support.devices ROUTINE [--only DRILL] [--rehearse DRILL] [--live] [--slow]
        [--music PATH --cache-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from coach.compose.options import SessionOptions
from coach.music.bed import MusicChoice
from coach.routine.loading import load_routine
from coach.routine.model import Routine
from coach.samples import SAMPLE_RATE
from coach.session import Session, open_session
from support.routines import copy_routine
from support.stand_in import StandInSpeech


def write_routine(folder: Path) -> Path:
    """The player tests' routine, two drills of two one-second reps, as `folder`/tiny.yaml."""
    return copy_routine("ankle-circle-and-spiderman.yaml", folder, "tiny.yaml")


class SlowSpeech(StandInSpeech):
    """Stand-in clips that take `delay` seconds each to render the first time (longer than
    most of them last): the player has to wait for them."""

    def __init__(self, delay: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.delay, self.made = delay, set()

    def clip(self, text: str) -> np.ndarray:
        if text not in self.made:
            time.sleep(self.delay)
            self.made.add(text)
        return super().clip(text)


SHORT_CLIPS = {"level": 0.2, "seconds": 0.03, "per_char": 0.006}
"""The stand-in's clips for the player's tests: short, so sessions play quickly."""


def session(
    routine: Routine, only: str | None = None, rehearse: bool = False, delay: float = 0.0,
    music: Path | None = None, cache_dir: Path | None = None,
) -> Session:  # fmt: skip
    """The session the player plays, with the stand-in engine's short clips (and `music`, its
    bed kept in `cache_dir`)."""
    options = SessionOptions(only=(only,) if only else (), rehearse=rehearse)
    clips = SlowSpeech(delay, **SHORT_CLIPS) if delay else StandInSpeech(**SHORT_CLIPS)
    choice = MusicChoice(music) if music else None
    return open_session(routine, options, cache_dir=cache_dir, music=choice, clips=clips)


TESTS = Path(__file__).resolve().parents[1]


def fixture_player(routine: Path, *args: str) -> list[str]:
    """The command that plays `routine` with the stand-in clips (this module, run as one); the
    environments of `file_device` and `no_device` let it import the tests' helpers."""
    return [sys.executable, "-m", "support.devices", str(routine), *args]


def player_environment() -> dict[str, str]:
    """This environment with tests/ first on PYTHONPATH, for `fixture_player`."""
    path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def seconds(samples: int) -> float:
    return samples / SAMPLE_RATE


def chapter(timeline, drill_id: str):
    """The chapter of the drill `drill_id` in `timeline`'s script."""
    return next(c for c in timeline.script.chapters if c.id == drill_id)


def rep_sets(script) -> list[tuple[int, int]]:
    """Where each set of reps starts and ends in `script`, in samples."""
    return [(s.start, s.end) for s in script.sets]


def file_device(folder: Path, out: Path, slave: str = "{ type null }") -> dict[str, str]:
    """The environment that makes ALSA's `default` a PCM writing every byte it gets to a file.

    The first opening writes `out`, each later one a new `out.0001`, `out.0002`... (ALSA's
    `truncate false`); `reached_device` reads them back. The slave `type null` takes the bytes
    as fast as they come, not in real time. The config replaces ALSA's own (ALSA_CONFIG_PATH),
    so it defines everything it uses.
    """
    config = folder / "asound.conf"
    config.write_text(
        "pcm.!default {\n"
        "    type file\n"
        f"    slave.pcm {slave}\n"
        f'    file "{out}"\n'
        '    format "raw"\n'
        "    truncate false\n"
        "}\n"
    )
    return {**player_environment(), "ALSA_CONFIG_PATH": str(config)}


def reached_device(out: Path) -> list[np.ndarray]:
    """The samples of each opening of a `file_device`, in order."""
    files = sorted(out.parent.glob(out.name + "*"), key=lambda p: (p != out, p.name))
    return [np.fromfile(p, dtype="<i2") for p in files]


PROBE = SAMPLE_RATE // 10
"""Samples of sound that identify a place in a session (a tenth of a second)."""


def play_start(heard: np.ndarray, session: np.ndarray, offset: int, after: int = 0) -> int | None:
    """Where in `heard` (what one opening of a device got) `session` plays from sample
    `offset`, past sample `after`: found by the first tenth of a second of sound from there
    (the silence before it is counted back); None while it has not been heard."""
    lead = int(np.flatnonzero(session[offset:])[0])
    probe = session[offset + lead : offset + lead + PROBE].tobytes()
    found = heard.tobytes().find(probe, 2 * (after + lead))
    while found >= 0 and found % 2:  # a match must start on a sample, not between two bytes
        found = heard.tobytes().find(probe, found + 1)
    return None if found < 0 else found // 2 - lead


def assert_plays(heard: np.ndarray, session: np.ndarray, plays: list[tuple[int, int]]) -> None:
    """Everything `heard` holds is the session played from each (offset, start in `heard`) of
    `plays` until the next one starts, or silence: a jump cuts a play anywhere, a pause or a
    jump may add silence, and nothing else is heard."""
    for (offset, start), (_, end) in zip(plays, [*plays[1:], (0, len(heard))], strict=True):
        assert start <= end, (offset, start, end)
        got = heard[start:end]
        want = session[offset : offset + len(got)]
        same = int(np.argmax(got[: len(want)] != want)) if np.any(got[: len(want)] != want) \
            else len(want)  # fmt: skip
        assert not np.any(got[same:]), f"from sample {offset}: sound that is not the session"


def no_device(folder: Path) -> dict[str, str]:
    """The environment where ALSA's `default` is a sound card that does not exist."""
    config = folder / "asound-none.conf"
    config.write_text("pcm.!default { type hw card 7 }\n")
    return {**player_environment(), "ALSA_CONFIG_PATH": str(config)}


def main() -> None:
    from coach.cli.failures import exit_status, worded
    from coach.cli.terminal import play
    from coach.errors import CoachError
    from coach.routine.model import find_drill

    parser = argparse.ArgumentParser()
    parser.add_argument("routine", type=Path)
    parser.add_argument("--only")
    parser.add_argument("--rehearse")
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--slow", action="store_true", help="implies --live")
    parser.add_argument("--music", type=Path)
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--audio", help="the audio output, as `coach play --audio`")
    args = parser.parse_args()
    routine = load_routine(args.routine)
    delay = 0.3 if args.slow else 0.0
    try:
        if args.rehearse:
            made = session(routine, find_drill(routine, args.rehearse).id, True, delay,
                           args.music, args.cache_dir)  # fmt: skip
        else:
            made = session(routine, args.only, delay=delay, music=args.music,
                           cache_dir=args.cache_dir)  # fmt: skip
        play(made.live() if args.live or args.slow else made.timeline(), args.audio)
    except CoachError as e:  # as the CLI does
        print(f"coach: error: {worded(e)}", file=sys.stderr)
        sys.exit(exit_status(e))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
