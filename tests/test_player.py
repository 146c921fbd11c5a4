"""The player's control logic, with a fake clock and output: keys, pauses, chapters, the status
shown, finding a drill, making ahead while playing. (Real ALSA playback: test_player_device.py.)"""

from __future__ import annotations

import re
import time

import pytest
from support.devices import (
    chapter,
    rep_sets,
    seconds,
    session,
)
from support.fixtures import player_routine, player_timeline  # noqa: F401 - module fixtures
from support.routines import routine_bytes

from coach.cli.terminal import live_line
from coach.compose.beeps import ToneKind
from coach.compose.script import ChapterKind
from coach.errors import OptionError
from coach.playback.player import Player
from coach.playback.status import Status, resume_offset, status_at
from coach.routine.model import find_drill
from coach.samples import SAMPLE_RATE

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

    def heard(self) -> None:
        return None  # the clock says


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

    routine = parse_routine(routine_bytes("lunge-and-lunge-twist.yaml"), "two.yaml")
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


@pytest.mark.slow
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

        def heard(self):
            return None

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
