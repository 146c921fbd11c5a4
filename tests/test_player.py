"""The player: control logic with a fake clock and output, then real ALSA playback in children."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import termios
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from alsa_fixtures import file_device, no_device, reached_device, session, write_routine

from coach.cli.terminal import live_line
from coach.compose.beeps import ToneKind
from coach.compose.script import ChapterKind
from coach.errors import OptionError
from coach.playback.player import Player
from coach.playback.status import Status, resume_offset, status_at
from coach.routine.loading import load_routine
from coach.routine.model import find_drill
from coach.samples import SAMPLE_RATE

FIXTURES = Path(__file__).with_name("alsa_fixtures.py")


@pytest.fixture(scope="module")
def routine(tmp_path_factory):
    return load_routine(write_routine(tmp_path_factory.mktemp("routine")))


@pytest.fixture(scope="module")
def timeline(routine):
    return session(routine).timeline()


# --- fakes -------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Output:
    """Records the sample offset of every play (from the PCM's length) and every stop."""

    def __init__(self, timeline, clock) -> None:
        self.length, self.clock = len(timeline.samples), clock
        self.log: list[tuple] = []
        self.playing = False

    def play(self, pcm: bytes) -> None:
        self.log.append(("play", self.length - len(pcm) // 2))
        self.playing = True

    def stop(self) -> None:
        if self.playing:
            self.log.append(("stop",))
        self.playing = False

    def busy(self) -> bool:
        return False  # like a file: takes every sample at once


class Keys:
    """Presses each key at its time on the fake clock; reading moves the clock."""

    def __init__(self, clock, presses: list[tuple[float, str]]) -> None:
        self.clock, self.presses = clock, list(presses)

    def read(self, timeout: float) -> str | None:
        self.clock.now += timeout
        if self.presses and self.presses[0][0] <= self.clock.now:
            return self.presses.pop(0)[1]
        return None


def run(timeline, presses=()):
    clock = Clock()
    output = Output(timeline, clock)
    Player(timeline, output, keys=Keys(clock, presses), clock=clock).run()
    return output.log, clock.now


def seconds(samples: int) -> float:
    return samples / SAMPLE_RATE


def chapter(timeline, drill_id):
    return next(c for c in timeline.script.chapters if c.id == drill_id)


# --- control logic -------------------------------------------------------------------


def test_plays_straight_through_in_session_time(timeline):
    log, ended = run(timeline)
    assert log == [("play", 0), ("stop",)]
    assert ended == pytest.approx(timeline.script.duration, abs=0.06)


def test_pause_in_a_set_resumes_at_its_count_in(timeline):
    ankle = chapter(timeline, "ankle-circle")
    count_in, set_end = rep_sets(timeline.script)[0]
    pause_at = seconds(set_end) - 1.0
    log, ended = run(timeline, [(pause_at, " "), (pause_at + 30, " ")])
    assert log[:3] == [("play", 0), ("stop",), ("play", count_in)]
    assert ankle.start < count_in
    replayed = seconds(round(pause_at * SAMPLE_RATE) - count_in)
    assert ended == pytest.approx(timeline.script.duration + 30 + replayed, abs=0.1)


def test_pause_in_speech_resumes_at_the_phrase(timeline):
    phrase = next(e for e in timeline.script.events if e.kind == "speech" and e.length > 2000)
    pause_at = seconds(phrase.start + phrase.length // 2)
    log, _ = run(timeline, [(pause_at, " "), (pause_at + 1, " ")])
    assert log[:3] == [("play", 0), ("stop",), ("play", phrase.start)]


def test_next_skips_to_each_chapter_then_ends(timeline):
    chapters = timeline.script.chapters
    log, ended = run(timeline, [(0.5, "n"), (1.0, "n"), (1.5, "n"), (2.0, "n")])
    plays = [entry[1] for entry in log if entry[0] == "play"]
    assert plays == [0] + [c.start for c in chapters[1:]]
    assert ended == pytest.approx(2.0, abs=0.06)


def test_restart_then_quickly_again_goes_to_the_drill_before(timeline):
    ankle, spider = chapter(timeline, "ankle-circle"), chapter(timeline, "walking-spiderman")
    at = seconds(spider.start) + 1
    log, _ = run(timeline, [(at, "p"), (at + 1, "p"), (at + 5, "p"), (at + 8, "q")])
    plays = [entry[1] for entry in log if entry[0] == "play"]
    assert plays == [0, spider.start, ankle.start, ankle.start]
    assert log[-1] == ("stop",)


def test_quit_stops_the_device(timeline):
    log, ended = run(timeline, [(1.0, "q")])
    assert log == [("play", 0), ("stop",)]
    assert ended == pytest.approx(1.0, abs=0.06)


def test_ctrl_c_stops_the_device_and_propagates(timeline):
    clock = Clock()
    output = Output(timeline, clock)

    class Interrupting:
        def read(self, timeout):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Player(timeline, output, keys=Interrupting(), clock=clock).run()
    assert output.log == [("play", 0), ("stop",)]


def test_display_is_shown_the_status(timeline):
    shown: list[Status] = []

    class Display:
        def show(self, status):
            shown.append(status)

    clock = Clock()
    Player(
        timeline,
        Output(timeline, clock),
        keys=Keys(clock, [(3, " "), (4, "q")]),
        display=Display(),
        clock=clock,
    ).run()
    assert shown[0].chapter.kind is ChapterKind.INTRO and shown[0].drill_number is None
    assert shown[-1].paused and shown[-1].drill_number == 1 and shown[-1].drill_count == 2


# --- where things are in the script ----------------------------------------------------


def rep_sets(script) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in script.sets]


def test_sets_start_at_the_count_in_and_skip_the_rest_count_out(timeline):
    beeps = [e for e in timeline.script.events if e.kind == "beep"]
    sets = rep_sets(timeline.script)
    assert len(sets) == 2
    for rep_set in timeline.script.sets:  # the set's reps are its rep beeps, in order
        inside = [b for b in beeps if rep_set.start <= b.start < rep_set.end]
        assert [(b.start, b.side, b.rep) for b in inside if b.tone is ToneKind.REP] == list(
            rep_set.reps
        )
        assert [b.tone for b in inside[:4]] == [ToneKind.COUNT] * 3 + [ToneKind.GO]
    for start, end in sets:
        first = next(b for b in beeps if b.start == start)
        assert first.tone is ToneKind.COUNT
        assert next(b for b in beeps if b.end == end).tone is ToneKind.END
    rest_count = [b for b in beeps if b.tone is ToneKind.REST_OVER]
    assert rest_count and all(not (s <= rest_count[0].start < e) for s, e in sets)


def test_resume_in_silence_is_where_it_stopped(timeline):
    assert resume_offset(timeline.script, 10) == 10  # the lead-in


def test_status_names_drill_side_and_rep(timeline):
    script = timeline.script
    rep = next(e for e in script.events if e.tone is ToneKind.REP and e.rep == 2)
    status = status_at(script, rep.start + 10)
    assert (status.drill_number, status.drill_count, status.rep) == (1, 2, 2)
    assert status.chapter.title == "Ankle circle"
    text = live_line(status)
    assert "Drill 1 of 2: Ankle circle · rep 2" in text and "q quit" in text
    end = next(e for e in script.events if e.tone is ToneKind.END)
    assert status_at(script, end.start + 10).rep is None
    assert status_at(script, script.length).session_left == 0


def test_a_session_still_being_made_shows_its_totals(routine):
    """The first drill laid out, the rest still to make: the plan gives the drill count and an
    estimate of the time left, and the line says it is one."""
    from coach.compose.composer import compose
    from coach.compose.options import SessionOptions

    made = session(routine)
    parts = []
    whole = compose(routine, SessionOptions(), lambda text: len(made.speech.clip(text)),
                    lambda script, last: parts.append(script))  # fmt: skip
    plan = made.live().plan
    first_drill = parts[1]  # the intro, then the first drill
    at = first_drill.chapters[1].start
    status = status_at(first_drill, at, plan=plan)
    assert (status.drill_number, status.drill_count, status.estimated) == (1, 2, True)
    assert status.render().split("\n")[0] == "Drill 1 of 2: Ankle circle"
    assert "left in this part · about " in status.render()
    assert status.session_left == pytest.approx(seconds(whole.length - at), rel=0.3)
    assert status_at(whole, at).render().count("about") == 0  # made whole: exact


# --- finding a drill for rehearse -------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["walking-spiderman", "Walking Spiderman", "spiderman", "SPIDER", "walking spider-man"]
)
def test_find_drill_loosely(routine, name):
    assert find_drill(routine, name).id == "walking-spiderman"


@pytest.mark.parametrize(
    "name, message",
    [
        ("plank", "No drill matches 'plank'"),
        ("", "No drill matches"),
        ("L", "matches several drills: ankle-circle (Ankle circle), walking-spiderman"),
    ],
)
def test_find_drill_refuses_unknown_and_ambiguous_names(routine, name, message):
    with pytest.raises(OptionError, match=re.escape(message)) as caught:
        find_drill(routine, name)
    assert "ankle-circle" in str(caught.value)


def test_find_drill_prefers_an_exact_match():
    from coach.routine.loading import parse_routine

    routine = parse_routine(
        b"""\
name: Two
drills:
  - {id: lunge, name: Lunge, instructions: Lunge., reps: 1}
  - {id: lunge-twist, name: Lunge twist, instructions: Twist., reps: 1}
""",
        "two.yaml",
    )
    assert find_drill(routine, "lunge").id == "lunge"


class SlowToMix:
    """A session being made whose stretches each take `delay` seconds to lay out (as the rest of
    a long session with music does)."""

    def __init__(self, live, delay: float) -> None:
        self.live, self.delay = live, delay

    def until(self, past: int = 0):
        made, delay = self.live.until(past), self.delay

        class Slow:
            def __getattr__(self, name):
                return getattr(made, name)

            def pcm(self, start, end):
                time.sleep(delay)
                return made.pcm(start, end)

        return Slow()


def test_the_next_piece_is_made_while_one_plays(routine):
    made = session(routine, delay=0.05)  # the intro is ready well before the rest
    plays: list[float] = []

    class Device:
        def play(self, pcm):
            plays.append(time.monotonic())

        def stop(self):
            pass

        def busy(self):
            return False

    class QuitAfterTwo:
        def read(self, timeout):
            time.sleep(timeout)
            return "q" if len(plays) >= 2 else None

    live = made.live()
    try:
        player = Player(SlowToMix(live, 0.5), Device(), keys=QuitAfterTwo())
        player.run()
    finally:
        made.close()
    assert len(plays) == 2
    intro = seconds(live.until(0).script.chapters[0].end)
    # Laying out a piece takes 0.5 s; the second was made while the first played.
    assert plays[1] - plays[0] == pytest.approx(intro, abs=0.2)


# --- through a real ALSA device, in subprocesses -------------------------------------------


def test_session_and_rehearsal_reach_the_device_sample_for_sample(tmp_path, routine):
    routine_file = write_routine(tmp_path)
    runs = {
        "play": (["--live", "--only", "ankle-circle"],
                 session(routine, "ankle-circle").timeline()),
        "rehearse": (
            ["--live", "--rehearse", "spiderman"],
            session(routine, "walking-spiderman", rehearse=True).timeline(),
        ),
    }
    procs = {}
    started = time.monotonic()
    for name, (args, _) in runs.items():
        folder = tmp_path / name
        folder.mkdir()
        procs[name] = subprocess.Popen(
            [sys.executable, str(FIXTURES), str(routine_file), *args],
            env=file_device(folder, folder / "out.raw"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    for name, (_, expected) in runs.items():
        _, err = procs[name].communicate(timeout=60)
        assert procs[name].returncode == 0, err.decode()
        got = reached_device(tmp_path / name / "out.raw")  # in one piece or more
        assert np.array_equal(np.concatenate(got), expected.samples), name
    # The device takes the bytes at once; the session still lasts its time, by the clock.
    assert time.monotonic() - started > max(t.script.duration for _, t in runs.values())


def test_rendering_slower_than_playing_waits_and_loses_nothing(tmp_path, routine):
    expected = session(routine, "ankle-circle").timeline()
    started = time.monotonic()
    played = subprocess.run(
        [sys.executable, str(FIXTURES), str(write_routine(tmp_path)), "--slow",
         "--only", "ankle-circle"],
        env=file_device(tmp_path, tmp_path / "out.raw"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    got = reached_device(tmp_path / "out.raw")
    piece_ends = set(np.cumsum([len(piece) for piece in got]).tolist())
    assert len(got) > 1 and piece_ends <= {c.end for c in expected.script.chapters}  # at chapters
    assert np.array_equal(np.concatenate(got), expected.samples)  # nothing lost or doubled
    clips = len(expected.script.texts())
    # Each clip took 0.3 s to make: the player waited for them, beyond the session's length.
    assert time.monotonic() - started > max(expected.script.duration, 0.3 * clips)


def test_no_device_says_so_and_suggests_export(tmp_path):
    result = subprocess.run(
        [sys.executable, str(FIXTURES), str(write_routine(tmp_path))],
        env=no_device(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("coach: error: No audio device could be opened")
    assert "coach export session.mp3" in result.stderr
    assert "Traceback" not in result.stderr and "ALSA lib" not in result.stderr


class Terminal:
    """A pseudo-terminal running the player; keys go in, what the screen shows is kept."""

    def __init__(self, tmp_path: Path, out: Path | None = None,
                 command: list[str] | None = None, path: str | None = None) -> None:  # fmt: skip
        """`command`: the player to run (default: the fixtures' player with stand-in clips);
        `path`: its PATH."""
        self.out = out or tmp_path / "out.raw"
        self.master, slave = pty.openpty()
        self.settings = termios.tcgetattr(slave)
        self.slave = slave

        def controlling_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            command or [sys.executable, str(FIXTURES), str(write_routine(tmp_path))],
            env={**file_device(tmp_path, self.out), "COACH_CACHE_DIR": str(tmp_path / "cache"),
                 "PATH": path or os.environ["PATH"]},  # fmt: skip
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=controlling_terminal,
        )
        self.screen = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.screen += data

    def press(self, key: str) -> None:
        os.write(self.master, key.encode())

    def wait_for_samples(self, count: int, timeout: float = 20) -> None:
        """Until the device got `count` samples in all (then a little longer, to see any more)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.samples() >= count:
                time.sleep(0.05)
                return
            time.sleep(0.01)
        raise AssertionError(f"the device got {self.samples()} samples, not {count}")

    def samples(self) -> int:
        return sum(len(play) for play in reached_device(self.out))

    def wait_for_screen(self, pattern: str, timeout: float = 60) -> re.Match:
        """Until the screen shows `pattern` (a regular expression): its match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.screen.decode(errors="replace"))
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError(f"never shown: {pattern!r}; the screen: {bytes(self.screen)!r}")

    def finish(self, timeout: float = 20) -> int:
        status = self.proc.wait(timeout=timeout)
        assert termios.tcgetattr(self.slave) == self.settings, "terminal not restored"
        os.close(self.slave)
        self.reader.join(timeout=5)
        os.close(self.master)
        return status


def test_keys_through_a_terminal_pause_resume_skip_restart_quit(tmp_path, timeline):
    script = timeline.script
    ankle, spider = chapter(timeline, "ankle-circle"), chapter(timeline, "walking-spiderman")
    count_in = rep_sets(script)[0][0]
    term = Terminal(tmp_path)
    plays: list[int] = []

    def expect(offset: int) -> None:
        plays.append(offset)
        term.wait_for_samples(sum(script.length - o for o in plays))

    expect(0)
    term.press("n")  # in the intro: to the first drill
    expect(ankle.start)
    time.sleep(seconds(count_in - ankle.start) + 1.5)  # into the count-in
    term.press(" ")  # pause
    time.sleep(0.5)
    assert term.samples() == sum(script.length - o for o in plays)
    term.press(" ")  # resume: the count-in again
    expect(count_in)
    term.press("n")
    expect(spider.start)
    term.press("p")  # restart the drill
    expect(spider.start)
    term.press("p")  # again, quickly: the drill before
    expect(ankle.start)
    term.press("q")
    assert term.finish() == 0
    got = reached_device(term.out)
    assert len(got) == len(plays)
    for offset, play in zip(plays, got, strict=True):
        assert np.array_equal(play, timeline.samples[offset:]), offset
    screen = term.screen.decode(errors="replace")
    assert "Drill 1 of 2: Ankle circle" in screen and "PAUSED" in screen and "space pause" in screen


def test_ctrl_c_through_a_terminal_stops_cleanly(tmp_path, timeline):
    term = Terminal(tmp_path)
    term.wait_for_samples(timeline.script.length)
    term.press("\x03")
    assert term.finish() == 130
    assert term.samples() == timeline.script.length


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_coach_play_stopped_by_a_signal_restores_the_terminal(tmp_path, signum, status):
    routine = write_routine(tmp_path)
    play = [sys.executable, "-m", "coach", "play", "-r", str(routine), "--engine", "espeak-ng"]
    term = Terminal(tmp_path, command=play)
    term.wait_for_samples(SAMPLE_RATE)  # a second of the session has reached the device
    term.proc.send_signal(signum)
    assert term.finish() == status  # as a Ctrl-C would, with the terminal restored
    screen = term.screen.decode(errors="replace")
    assert f"coach: stopped ({signal.Signals(signum).name})." in screen
    assert "Traceback" not in screen
    assert screen.rfind("\x1b[?25h") > screen.rfind("\x1b[?25l")  # the cursor shown again


def slow_espeak(folder: Path, delay: float) -> str:
    """A PATH whose `espeak-ng` makes one clip at a time, each taking `delay` seconds more: a
    cold cache renders slower than the session plays, on any number of cores."""
    real = shutil.which("espeak-ng")
    if real is None:
        pytest.skip("espeak-ng is not installed")
    stand_in = folder / "bin" / "espeak-ng"
    stand_in.parent.mkdir()
    stand_in.write_text(
        "#!/bin/sh\n"
        f'case "$1" in -v) exec flock {folder / "espeak.lock"} sh -c \'sleep {delay}; '
        f'exec {real} "$@"\' sh "$@";; esac\n'
        f'exec {real} "$@"\n'
    )
    stand_in.chmod(0o755)
    return f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}"


COACH_PLAY = [sys.executable, "-m", "coach", "play", "--engine", "espeak-ng", "--rest", "1"]


def test_coach_play_shows_the_totals_while_the_session_is_still_being_made(tmp_path):
    routine = write_routine(tmp_path)
    term = Terminal(tmp_path, command=[*COACH_PLAY, "-r", str(routine)],
                    path=slow_espeak(tmp_path, 0.6))  # fmt: skip
    shown = term.wait_for_screen(r"Drill 1 of \d+: Ankle circle[^\n]*\n[^\n]*session")
    term.press("q")
    assert term.finish() == 0
    line = shown.group(0)
    assert line.startswith("Drill 1 of 2: Ankle circle")
    # Being made: an estimate, said as one; the tail of the session is still rendering.
    assert re.search(r"left in this part · about \d+:\d\d left in the session$", line), line
    assert len(list((tmp_path / "cache").rglob("*.wav"))) < len(session_texts(routine))
    screen = term.screen.decode(errors="replace")
    assert "-:--" not in screen and "Drill 1 of 1" not in screen and "Traceback" not in screen


def session_texts(routine_file: Path) -> list[str]:
    return session(load_routine(routine_file)).timeline().script.texts()


FOREGROUND_SHELL = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
"""A shell's part: it holds the terminal's foreground process group and runs a command."""


def test_coach_play_under_timeout_plays_without_keys_and_says_so(tmp_path):
    """`timeout 120 coach play`: timeout puts itself and coach in a process group of their own,
    which the terminal would stop (SIGTTOU) for setting its keys' mode."""
    routine = write_routine(tmp_path)
    play = [*COACH_PLAY, "-r", str(routine), "--only", "ankle-circle"]
    term = Terminal(tmp_path, command=[sys.executable, "-c", FOREGROUND_SHELL,
                                       "timeout", "120", *play])  # fmt: skip
    assert term.finish(timeout=90) == 0
    screen = term.screen.decode(errors="replace")
    assert screen.count("coach: playing without keys: ") == 1
    assert (
        "\ncoach: playing without keys: not in the terminal's foreground process group; for "
        "keys, run it in the foreground (with `timeout`, add --foreground).\r\n"
    ) in "\n" + screen
    assert "left in the session" not in screen  # no live line drawn over the shell's
    exported = subprocess.run(
        [sys.executable, "-m", "coach", "export", str(tmp_path / "s.wav"), *play[4:]],
        env={**os.environ, "COACH_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    with wave.open(str(tmp_path / "s.wav")) as w:
        whole = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(np.concatenate(reached_device(term.out)), whole)  # played through


def test_device_failing_mid_session_is_an_error(tmp_path, timeline):
    device = tmp_path / "device"
    device.mkdir()
    term = Terminal(tmp_path, device / "out.raw")
    term.wait_for_samples(timeline.script.length)
    device.rename(tmp_path / "gone")  # the device cannot be opened again
    term.press("n")
    assert term.finish() == 1
    screen = term.screen.decode(errors="replace")
    assert "coach: error: The audio device failed during the session" in screen
    assert "Traceback" not in screen


# --- end to end: the `coach` command, the real speech engine --------------------------------


@pytest.mark.slow
def test_coach_play_and_rehearse_on_an_empty_cache_reach_the_device_as_exported(tmp_path, routine):
    import wave

    from coach.compose.options import SessionOptions
    from coach.output.export import export_timeline
    from coach.session import open_session

    cache = tmp_path / "cache"  # empty: both commands render while they play
    routine_file = write_routine(tmp_path)
    runs = {}
    for name, args in (
        ("play", ["play", "--only", "ankle-circle"]),
        ("rehearse", ["rehearse", "SPIDER"]),
    ):
        (tmp_path / name).mkdir()
        env = file_device(tmp_path / name, tmp_path / name / "out.raw") | {
            "COACH_CACHE_DIR": str(cache / name)
        }
        runs[name] = subprocess.Popen(
            [sys.executable, "-m", "coach", *args, "--routine", str(routine_file)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for proc in runs.values():
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    played = np.concatenate(reached_device(tmp_path / "play" / "out.raw"))
    rehearsed = np.concatenate(reached_device(tmp_path / "rehearse" / "out.raw"))

    # The same sessions made whole and exported, in a cache of their own.
    expected = {
        name: open_session(routine, options, cache_dir=tmp_path / "export-cache").timeline()
        for name, options in (
            ("play", SessionOptions(only=("ankle-circle",))),
            ("rehearse", SessionOptions(only=("walking-spiderman",), rehearse=True)),
        )
    }
    assert "Rehearsal: Walking spiderman." in expected["rehearse"].script.texts()
    wav = export_timeline(expected["play"], tmp_path / "session.wav").path
    with wave.open(str(wav)) as w:
        exported = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(played, exported)
    assert np.array_equal(rehearsed, expected["rehearse"].samples)
