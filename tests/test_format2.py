"""Routine format 2: timed drills, sets and rounds, through the composer and a decoded export."""

from __future__ import annotations

import wave
from itertools import pairwise

import numpy as np
import pytest
from support.audio import beep_onset
from support.routines import routine_bytes
from support.stand_in import stand_in_length

from coach.compose.beeps import ToneKind
from coach.compose.composer import compose
from coach.compose.options import SessionOptions
from coach.compose.script import ChapterKind, EventKind
from coach.compose.track import BEEP_GAP
from coach.output.export import export_timeline
from coach.routine.loading import load_routine, parse_routine
from coach.routine.model import default_routine_path
from coach.samples import SAMPLE_RATE, to_samples

CIRCUIT = routine_bytes("hip-and-core-circuit.yaml")


def script_of(data: bytes, **options):
    routine = parse_routine(data, "circuit.yaml")
    return compose(routine, SessionOptions(**options), stand_in_length)


@pytest.fixture(scope="module")
def script():
    return script_of(CIRCUIT)


def beeps(script, tone, drill=None, round=None):
    return [
        e for e in script.events
        if e.kind is EventKind.BEEP and e.tone is tone
        and (drill is None or e.drill == drill) and (round is None or e.round == round)
    ]  # fmt: skip


def said(script, text, drill=None):
    return [e for e in script.events if e.text == text and (drill is None or e.drill == drill)]


def test_a_timed_drill_ends_exactly_its_seconds_after_the_go_beep(script):
    for round_number in (1, 2):
        (go,) = beeps(script, ToneKind.GO, "forearm-plank", round_number)
        (end,) = beeps(script, ToneKind.END, "forearm-plank", round_number)
        assert end.start - go.start == to_samples(30)
        counts = [e.start for e in beeps(script, ToneKind.COUNT, "forearm-plank", round_number)
                  if go.start < e.start < end.start]  # fmt: skip
        assert [end.start - c for c in counts] == [to_samples(s) for s in (3, 2, 1)]
        (left,) = [e for e in said(script, "10 seconds left.") if go.start < e.start < end.start]
        assert left.start == end.start - to_samples(10)
        (half,) = [e for e in said(script, "Halfway.") if go.start < e.start < end.start]
        assert half.start == go.start + to_samples(15)


def test_a_sided_timed_drill_gives_each_side_its_full_time(script):
    gos = beeps(script, ToneKind.GO, "side-plank", 1)
    (switch,) = beeps(script, ToneKind.SWITCH, "side-plank", 1)
    (end,) = beeps(script, ToneKind.END, "side-plank", 1)
    assert len(gos) == 2
    assert switch.start - gos[0].start == to_samples(20)
    assert end.start - gos[1].start == to_samples(20)
    (switch_said,) = [e for e in said(script, "Switch sides.") if e.round == 1]
    assert switch.end < switch_said.start < gos[1].start
    # At 20 s, "halfway" would be said with "10 seconds left": only the one is said.
    assert not [e for e in said(script, "Halfway.") if e.drill == "side-plank"]
    assert len([e for e in said(script, "10 seconds left.") if e.drill == "side-plank"]) == 4
    sentence = [e.text for e in script.events if e.drill == "side-plank" and "seconds" in e.text]
    assert sentence[0] == "20 seconds each side, one side at a time."


def test_sets_and_rounds_multiply_the_reps_with_rests_between(script):
    reps = beeps(script, ToneKind.REP, "glute-bridge")
    assert len(reps) == 8 * 2 * 2
    assert [(e.round, e.set) for e in reps[::8]] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    ends = beeps(script, ToneKind.END, "glute-bridge")
    for round_number in (1, 2):
        (rest,) = [e for e in said(script, "Rest.", "glute-bridge")
                   if e.round == round_number and e.set == 2]  # fmt: skip
        (announce,) = [e for e in said(script, "Set 2 of 2.") if e.round == round_number]
        first_end = [e for e in ends if e.round == round_number and e.set == 1][0]
        second_count = [e for e in beeps(script, ToneKind.COUNT, "glute-bridge", round_number)
                        if e.set == 2][0]  # fmt: skip
        assert first_end.end < rest.start < announce.start < second_count.start
        assert second_count.start - first_end.end >= to_samples(10)
    (round_two,) = said(script, "Round 2 of 2.")
    assert round_two.round == 2
    last_of_first = [e for e in script.events if e.round == 1][-1]
    assert round_two.start - last_of_first.end < to_samples(1)  # the round rest came before it
    rest_over = [e for e in beeps(script, ToneKind.REST_OVER) if e.round == 1][-1]
    rest_said = [e for e in said(script, "Rest.") if e.round == 1][-1]
    assert rest_over.end - rest_said.start >= to_samples(20)


def test_chapters_are_one_per_drill_per_round_unique_and_named_for_the_round(script):
    drills = [c for c in script.chapters if c.kind is ChapterKind.DRILL]
    assert [c.title for c in drills[:3]] == [
        "Forearm plank, round 1", "Side plank, round 1", "Glute bridge, round 1"
    ]
    assert drills[3].title == "Forearm plank, round 2"
    ids = [c.id for c in script.chapters]
    assert len(ids) == len(set(ids)) == 2 + 3 * 2
    assert all(a.end == b.start for a, b in pairwise(script.chapters))


def test_nothing_overlaps_and_rehearse_brief_and_pace_keep_working(script):
    for made in (script, script_of(CIRCUIT, brief=True), script_of(CIRCUIT, pace=2.0),
                 script_of(CIRCUIT, rehearse=True, only=("side-plank",))):  # fmt: skip
        for a, b in pairwise(made.events):
            assert a.end <= b.start, (a, b)
    # --pace scales rep tempo, never a timed drill's seconds.
    slow = script_of(CIRCUIT, pace=2.0)
    (go,), (end,) = beeps(slow, ToneKind.GO, "forearm-plank", 1), beeps(
        slow, ToneKind.END, "forearm-plank", 1)
    assert end.start - go.start == to_samples(30)
    # A rehearsal is one set of one round.
    rehearsal = script_of(CIRCUIT, rehearse=True, only=("glute-bridge",))
    assert len(beeps(rehearsal, ToneKind.REP)) == 8 and not said(rehearsal, "Set 2 of 2.")
    assert all(e.round is None for e in rehearsal.events)
    # Brief keeps the time calls, drops cues.
    brief = script_of(CIRCUIT, brief=True)
    assert said(brief, "10 seconds left.") and not said(brief, "Squeeze the glutes.")


def test_a_cue_that_does_not_fit_is_left_out_not_squeezed():
    long_cue = "Keep breathing slowly and steadily through the nose the whole time."
    data = CIRCUIT.replace(b"seconds: 30", b"seconds: 6").replace(
        b"cues: [Squeeze the glutes., Breathe out slowly.]", f"cues: [{long_cue}]".encode()
    )
    made = script_of(data)
    assert not said(made, long_cue)
    for a, b in pairwise(made.events):
        assert a.end + (BEEP_GAP if a.kind != b.kind else 0) <= b.start or a.end <= b.start


def test_old_files_give_the_same_script_and_no_round_or_set():
    built_in = load_routine()
    plain = compose(built_in, SessionOptions(), stand_in_length)
    text = default_routine_path().read_bytes()
    explicit = text.replace(b"rest_seconds: 10\n", b"rest_seconds: 10\nrounds: 1\n").replace(
        b"    reps:", b"    sets: 1\n    reps:")
    assert explicit != text
    assert compose(parse_routine(explicit, "x"), SessionOptions(), stand_in_length) == plain
    assert all(e.round is None and e.set is None for e in plain.events)
    assert [c.id for c in plain.chapters[1:-1]] == [d.id for d in built_in.drills]
    assert '"round"' not in plain.to_json() and '"set"' not in plain.to_json()


def test_the_exported_go_and_end_beeps_are_the_seconds_apart(tmp_path, stand_in_session):
    session = stand_in_session(CIRCUIT, only=("side-plank",))
    wav = export_timeline(session.timeline(), tmp_path / "plank.wav").path
    with wave.open(str(wav)) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    script = session.script
    gos = [beep_onset(audio, ToneKind.GO, e.start) for e in beeps(script, ToneKind.GO)]
    ends = [beep_onset(audio, e.tone, e.start) for e in sorted(
        beeps(script, ToneKind.SWITCH) + beeps(script, ToneKind.END), key=lambda e: e.start)]
    assert len(gos) == 4  # two rounds, two sides
    for go, end in zip(gos, ends, strict=True):
        assert abs((end - go) - 20 * SAMPLE_RATE) <= to_samples(0.002)


def test_the_live_line_names_the_round_and_the_set(script):
    from coach.playback.status import status_at

    bridges = [s for s in script.sets if s.drill == "glute-bridge"]
    second = next(s for s in bridges if (s.round, s.set) == (2, 2))
    status = status_at(script, second.reps[0][0] + 10)
    assert status.render().startswith("Drill 6 of 6: Glute bridge, round 2 · set 2 · rep 1\n")
    plank = next(s for s in script.sets if s.drill == "forearm-plank")
    assert status_at(script, plank.start + 10).render().startswith(
        "Drill 1 of 6: Forearm plank, round 1\n"
    )


@pytest.mark.slow
def test_the_mp3_has_a_chapter_per_drill_per_round(tmp_path, stand_in_session):
    from mutagen.id3 import ID3

    session = stand_in_session(CIRCUIT, brief=True)
    mp3 = export_timeline(session.timeline(), tmp_path / "circuit.mp3").path
    tags = ID3(mp3)
    (toc,) = tags.getall("CTOC")
    titles = [str(tags[f"CHAP:{child}"].sub_frames["TIT2"]) for child in toc.child_element_ids]
    drills = ["Forearm plank", "Side plank", "Glute bridge"]
    assert titles == ["Intro", *(f"{d}, round {r}" for r in (1, 2) for d in drills), "Outro"]
