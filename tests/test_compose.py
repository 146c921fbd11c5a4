"""The composer, with a stand-in for clip lengths (the real engine: test_session_e2e)."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from support.routines import routine_bytes
from support.stand_in import stand_in_length

from coach.compose.beeps import TONES, ToneKind
from coach.compose.composer import compose, phrases
from coach.compose.options import SessionOptions, check_options
from coach.compose.script import INTRO_ID, OUTRO_ID, ChapterKind, EventKind
from coach.compose.track import BEEP_GAP
from coach.compose.wording import set_sentence
from coach.errors import NoDrillsLeftError, OptionError
from coach.language.catalogue import language
from coach.routine.loading import load_routine, parse_routine
from coach.samples import SAMPLE_RATE, to_samples

ROUTINE = routine_bytes("lunge-swing-and-calf-raise.yaml")


@pytest.fixture
def routine():
    return parse_routine(ROUTINE, "test.yaml")


def rep_beeps(script, drill=None):
    return [
        e
        for e in script.events
        if e.kind == "beep" and e.tone is ToneKind.REP and (drill is None or e.drill == drill)
    ]


def test_switch_drill_does_all_reps_on_one_side_then_the_other(routine):
    script = compose(routine, SessionOptions(), stand_in_length)
    beeps = rep_beeps(script, "side-lunge")
    assert [(b.side, b.rep) for b in beeps] == [("left", i) for i in range(1, 7)] + [
        ("right", i) for i in range(1, 7)
    ]
    switches = [e for e in script.events if e.tone is ToneKind.SWITCH]
    assert len(switches) == 1
    assert beeps[5].start < switches[0].start < beeps[6].start
    spoken = [e.text for e in script.events if e.kind == "speech" and e.drill == "side-lunge"]
    assert "Switch sides." in spoken
    assert spoken.count("Hold.") == 12


def test_alternate_drill_goes_left_right_rep_by_rep(routine):
    script = compose(routine, SessionOptions(), stand_in_length)
    beeps = rep_beeps(script, "leg-swing")
    assert [(b.side, b.rep) for b in beeps] == [
        (side, i) for i in range(1, 6) for side in ("left", "right")
    ]
    assert not any(e.tone is ToneKind.SWITCH and e.drill == "leg-swing" for e in script.events)


@pytest.mark.parametrize("pace", [0.5, 1.0, 1.3, 2.0])
def test_reps_keep_a_steady_tempo(routine, pace):
    script = compose(routine, SessionOptions(pace=pace), stand_in_length)
    for drill in routine.drills:
        beeps = rep_beeps(script, drill.id)
        sides = {b.side for b in beeps}
        period = to_samples(drill.rep_seconds * pace + drill.hold_seconds)
        for side in sides:
            starts = [b.start for b in beeps if b.side == side]
            step = period * (2 if drill.sides.value == "alternate" else 1)
            assert {b - a for a, b in pairwise(starts)} == {step}, (drill.id, side)


@pytest.mark.parametrize(
    "options",
    [
        SessionOptions(),
        SessionOptions(pace=0.5),
        SessionOptions(pace=3),
        SessionOptions(brief=True),
        SessionOptions(rest_seconds=0),
        SessionOptions(lower=True),
    ],
)
def test_no_two_sounds_overlap(routine, options):
    script = compose(routine, options, stand_in_length)
    events = script.events
    assert [e.start for e in events] == sorted(e.start for e in events)
    for before, after in pairwise(events):
        assert after.start >= before.end, (before, after)
    assert events[-1].end <= script.length


def test_speech_never_runs_into_the_next_rep(routine):
    script = compose(routine, SessionOptions(pace=0.5), stand_in_length)
    beeps = rep_beeps(script)
    speech = [e for e in script.events if e.kind == "speech"]
    for beep in beeps:
        assert not any(s.start < beep.start < s.end for s in speech)
        assert not any(s.start < beep.end and s.end > beep.start for s in speech)


def test_range_uses_the_upper_number_unless_lower(routine):
    upper = rep_beeps(compose(routine, SessionOptions(), stand_in_length), "side-lunge")
    lower = rep_beeps(compose(routine, SessionOptions(lower=True), stand_in_length), "side-lunge")
    assert len(upper) == 12 and len(lower) == 8


def test_count_in_and_last_one_and_halfway(routine):
    script = compose(routine, SessionOptions(), stand_in_length)
    calf = [e for e in script.events if e.drill == "calf-raise"]
    first_rep = next(i for i, e in enumerate(calf) if e.tone is ToneKind.REP)
    before = [e.tone for e in calf[:first_rep] if e.kind == "beep"]
    assert before == [ToneKind.COUNT] * 3 + [ToneKind.GO]
    texts = [e.text for e in calf if e.kind == "speech"]
    assert "Go." in texts
    assert texts.count("Last one.") == 1 and "Halfway." in texts
    counts = [e for e in calf if e.kind == "speech" and e.text in {f"{i}." for i in range(1, 12)}]
    assert len(counts) == 11
    # the last rep's count is "Last one." and comes right after the last beep
    last_beep = rep_beeps(script, "calf-raise")[-1]
    last_words = next(e for e in calf if e.start > last_beep.start and e.kind == "speech")
    assert last_words.text == "Last one."
    assert last_words.start == last_beep.end + BEEP_GAP
    # the last drill ends on its end beep: no rest and no count-out after it
    beeps = [e.tone for e in calf if e.kind is EventKind.BEEP]
    assert beeps[-1] is ToneKind.END and ToneKind.REST_OVER not in beeps


def test_sided_counts_say_the_side(routine):
    script = compose(routine, SessionOptions(), stand_in_length)
    texts = [e.text for e in script.events if e.kind == "speech" and e.drill == "leg-swing"]
    assert "Left 1." in texts and "Right 1." in texts and "Last one, right." in texts
    assert not any(t.endswith("last one.") for t in texts)


def test_cues_fit_during_the_set_or_are_said_before(routine):
    script = compose(routine, SessionOptions(), stand_in_length)
    during = {}
    for drill in routine.drills:
        spoken = [e for e in script.events if e.kind == "speech" and e.drill == drill.id]
        beeps = rep_beeps(script, drill.id)
        for cue in drill.cues:
            assert [e.text for e in spoken].count(cue) == 1, (drill.id, cue)
            said = next(e for e in spoken if e.text == cue)
            during[cue] = beeps[0].start < said.start < beeps[-1].start
            if during[cue]:  # between two reps, ending before the next rep's beep
                following = next(b for b in beeps if b.start > said.start)
                assert said.end <= following.start - BEEP_GAP, cue
    # With these lengths three cues fit between the reps; the long one on the quick calf raise
    # does not, and is said before the set.
    assert during == {"Chest up.": True, "Knee over toes.": True, "Stay tall.": True,
                      "Slow on the way down.": False}  # fmt: skip
    # With a tempo too fast for any cue between counts, the cues are all said before the set.
    fast = compose(routine, SessionOptions(pace=0.5), stand_in_length)
    first_beep = rep_beeps(fast, "leg-swing")[0]
    cue = next(e for e in fast.events if e.text == "Stay tall.")
    assert cue.start < first_beep.start


def test_brief_drops_instructions_and_cues(routine):
    full = compose(routine, SessionOptions(), stand_in_length)
    brief = compose(routine, SessionOptions(brief=True), stand_in_length)
    brief_texts = {e.text for e in brief.events}
    for drill in routine.drills:
        assert drill.instructions in {e.text for e in full.events}
        assert drill.instructions not in brief_texts
        assert not set(drill.cues) & brief_texts
        assert f"{drill.name}." in " ".join(brief_texts)
    assert brief.length < full.length
    assert len(rep_beeps(brief)) == len(rep_beeps(full))


def test_only_skip_without(routine):
    def drills(options):
        return [
            c.id
            for c in compose(routine, options, stand_in_length).chapters
            if c.kind is ChapterKind.DRILL
        ]

    assert drills(SessionOptions(only=("calf-raise",))) == ["calf-raise"]
    assert drills(SessionOptions(skip=("leg-swing",))) == ["side-lunge", "calf-raise"]
    assert drills(SessionOptions(without=("Wall",))) == ["side-lunge", "leg-swing"]
    with pytest.raises(OptionError) as error:
        compose(routine, SessionOptions(only=("calf",)), stand_in_length)
    assert (error.value.option, error.value.problem) == (
        "only",
        "no drill with id or name 'calf' in test.yaml. Did you mean 'calf-raise'? The drills "
        "are: side-lunge, leg-swing, calf-raise.",
    )
    with pytest.raises(NoDrillsLeftError):
        compose(
            routine, SessionOptions(without=("mat", "wall"), skip=("leg-swing",)), stand_in_length
        )


def test_rest_announces_next_drill_and_its_equipment(routine):
    script = compose(routine, SessionOptions(), stand_in_length)
    texts = [e.text for e in script.events if e.kind == "speech"]
    assert "Next up: Leg swing." in texts
    assert "Next up: Calf raise." in texts and "You'll need the wall." in texts
    end = next(e for e in script.events if e.tone is ToneKind.END and e.drill == "side-lunge")
    rest_over = next(
        e for e in script.events if e.tone is ToneKind.REST_OVER and e.drill == "side-lunge"
    )
    assert rest_over.start - end.end == pytest.approx(6 * SAMPLE_RATE, abs=0.7 * SAMPLE_RATE)


def test_chapters_cover_the_session_in_order(routine):
    script = compose(routine, SessionOptions(), stand_in_length)
    ids = [c.id for c in script.chapters]
    assert ids == [INTRO_ID, "side-lunge", "leg-swing", "calf-raise", OUTRO_ID]
    assert script.chapters[0].start == 0 and script.chapters[-1].end == script.length
    for a, b in pairwise(script.chapters):
        assert a.end == b.start
    for event in script.events:
        if event.drill:
            chapter = next(c for c in script.chapters if c.id == event.drill)
            assert chapter.start <= event.start < chapter.end


def test_json_contract_is_stable_and_complete(routine):
    first = compose(routine, SessionOptions(), stand_in_length).to_json()
    again = compose(routine, SessionOptions(), stand_in_length).to_json()
    assert first == again
    doc = json.loads(first)
    assert doc["routine"] == "Test routine" and doc["sample_rate"] == SAMPLE_RATE
    assert [c["title"] for c in doc["chapters"]][1:4] == ["Side lunge", "Leg swing", "Calf raise"]
    reps = [e for e in doc["events"] if e.get("tone") == "rep"]
    assert len(reps) == 12 + 10 + 12
    assert all(e["freq"] == TONES[ToneKind.REP].freq for e in reps)
    assert {e["side"] for e in reps if e["drill"] == "calf-raise"} == {None}
    switch = [e for e in doc["events"] if e.get("tone") == "switch"]
    assert len(switch) == 1 and switch[0]["freq"] == TONES[ToneKind.SWITCH].freq
    assert doc["duration"] == doc["chapters"][-1]["end"]
    starts = [e["start"] for e in doc["events"]]
    assert starts == sorted(starts)


def test_intro_names_length_and_equipment(routine):
    script = compose(routine, SessionOptions(), stand_in_length)
    intro = [
        e.text for e in script.events if e.drill is None and e.start < script.chapters[1].start
    ]
    minutes = round(script.length / SAMPLE_RATE / 60)
    assert intro[0] == "Test routine."
    assert intro[1] in {f"3 drills, about {m} minutes." for m in (minutes - 1, minutes)}
    assert intro[2] == "Have ready: mat and wall."
    assert script.events[0].start == SAMPLE_RATE  # a second of lead-in silence


def test_rehearse_speaks_every_cue_before_the_set(routine):
    script = compose(routine, SessionOptions(only=("side-lunge",), rehearse=True), stand_in_length)
    first_beep = rep_beeps(script)[0]
    before = [e.text for e in script.events if e.start < first_beep.start]
    assert before[0] == "Rehearsal: Side lunge."
    assert "Step out wide and sit into the hip." in before
    assert {"Chest up.", "Knee over toes."} <= set(before)


def test_phrases_cover_everything_compose_says(routine):
    for options in (
        SessionOptions(),
        SessionOptions(pace=0.5, brief=True),
        SessionOptions(lower=True),
    ):
        needed = set(phrases(routine, options))
        script = compose(routine, options, stand_in_length)
        assert script.texts() and set(script.texts()) <= needed, set(script.texts()) - needed


@pytest.mark.parametrize(
    "options, message",
    [
        (SessionOptions(pace=0.2), "pace: must be between 0.5 and 3, got 0.2."),
        (SessionOptions(pace=4), "pace: must be between 0.5 and 3, got 4."),
        (
            SessionOptions(rest_seconds=-1),
            "rest_seconds: must be between 0 and 600 seconds, got -1.",
        ),
    ],
)
def test_bad_options_are_refused_without_naming_a_flag(options, message):
    with pytest.raises(OptionError) as error:
        check_options(options)
    assert str(error.value) == message


def test_set_sentence():
    routine = load_routine()
    sentences = {d.id: set_sentence(d, d.rep_count(), language("en")) for d in routine.drills}
    assert sentences["walking-butt-kick"] == "5 reps each side, alternating sides, hold 1 second."
    assert sentences["squat-to-stand"] == "10 reps, hold 2 seconds."
    assert sentences["hanging-twist"] == "12 reps each side, one side at a time."


def test_built_in_session_is_about_ten_minutes():
    script = compose(load_routine(), SessionOptions(), stand_in_length)
    assert 8 * 60 <= script.length / SAMPLE_RATE <= 15 * 60


def test_a_cue_fits_between_the_count_and_a_short_hold():
    routine = parse_routine(routine_bytes("kick-with-cue-and-hold.yaml"), "kicks.yaml")
    script = compose(routine, SessionOptions(), stand_in_length)
    cue = next(e for e in script.events if e.text == "Stay tall.")
    beeps = rep_beeps(script)
    rep = max((b for b in beeps if b.start < cue.start), key=lambda b: b.start)
    hold = next(e for e in script.events if e.text == "Hold." and e.start > rep.start)
    assert rep.end < cue.start and cue.end + BEEP_GAP <= hold.start


def test_drills_called_intro_and_outro_get_chapters_of_their_own():
    named = parse_routine(routine_bytes("drills-named-intro-and-outro.yaml"), "odd.yaml")
    script = compose(named, SessionOptions(), stand_in_length)
    chapters = [(c.id, c.kind) for c in script.chapters]
    assert chapters == [
        (INTRO_ID, ChapterKind.INTRO),
        ("intro", ChapterKind.DRILL),
        ("outro", ChapterKind.DRILL),
        (OUTRO_ID, ChapterKind.OUTRO),
    ]
    from coach.playback.status import status_at

    drill = script.chapters[1]
    assert status_at(script, drill.start).drill_number == 1
    assert status_at(script, 0).drill_number is None
    assert json.loads(script.to_json())["chapters"][1]["kind"] == "drill"


def test_counts_past_a_hundred_are_beeped_not_said():
    long_set = parse_routine(routine_bytes("skip-rope-150-reps.yaml"), "many.yaml")
    script = compose(long_set, SessionOptions(), stand_in_length)
    said = [e.text for e in script.events if e.kind is EventKind.SPEECH]
    assert [f"{n}." for n in range(1, 101)] == [t for t in said if t[:-1].isdigit()]
    assert "101." not in said and said.count("Last one.") == 1
    assert len(rep_beeps(script, "skip")) == 150
    assert len(set(phrases(long_set, SessionOptions()))) < 120  # the clips a session can need
