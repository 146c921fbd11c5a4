"""`coach check` warns where a session will differ from its file, and a session warns of what
its options change: a rest lengthened to fit its announcements, cues with no room in their set.
Each warning is checked against the script the session then makes."""

from __future__ import annotations

import json

from support.routine_parts import HEAD, write_case
from support.runners import invoke

from coach.compose.composer import estimated_differences
from coach.compose.differences import LongerRest, UnfittedCues, worded
from coach.compose.options import SessionOptions
from coach.routine.loading import parse_routine
from coach.samples import to_samples

SHORT_RESTS = HEAD.replace("drills:", "rest_seconds: 2\ndrills:") + """\
  - name: Squat
    instructions: Sit down and stand up.
    reps: 4
    sets: 2
    set_rest_seconds: 1
  - name: Lunge
    instructions: Step forward and sink.
    reps: 4
"""
CROWDED = HEAD + """\
  - name: Plank
    instructions: Hold a straight line.
    seconds: 6
    cues: [Long straight line from head to heel, Squeeze your glutes hard, Breathe slowly]
  - name: Squat
    instructions: Sit down and stand up.
    reps: 2
    cues: [Knees out over the toes the whole way down and up again]
"""


def check(tmp_path, content: str):
    path = write_case(tmp_path, content)
    return path, invoke("check", str(path))


def test_check_of_the_built_in_routine_warns_of_its_early_cues():
    result = invoke("check", "coach/routine/builtin/leg-mobility.yaml")
    assert (result.exit_code, result.stdout) == (
        0, "coach/routine/builtin/leg-mobility.yaml: OK, 9 drills.\n")  # fmt: skip
    assert result.stderr == (
        "coach: warning: coach/routine/builtin/leg-mobility.yaml: drill 'ankle-bounce': its 2 "
        "cues do not fit in its set; they are said before the set starts.\n"
    )


def test_check_warns_of_every_rest_too_short_for_what_is_said_in_it(tmp_path):
    path, result = check(tmp_path, SHORT_RESTS)
    assert (result.exit_code, result.stdout) == (0, f"{path}: OK, 2 drills.\n")
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(
        f"coach: warning: {path}: the rest between the sets of drill 'squat' (1 second) is "
        "lengthened by up to about ")
    assert lines[1].startswith(
        f"coach: warning: {path}: the rest between drills (2 seconds) is lengthened by up to "
        "about ")
    assert lines[1].endswith(" s to fit what is said in it.")


def test_cues_left_out_or_said_first_are_warned_of_and_the_script_agrees(tmp_path):
    path, result = check(tmp_path, CROWDED)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"coach: warning: {path}: drill 'plank': its 3 cues do not fit in its set; they are "
        "left out.",
        f"coach: warning: {path}: drill 'squat': its cue does not fit in its set; it is said "
        "before the set starts.",
    ]
    made = invoke("script", "--json", "--routine", str(path), "--engine", "espeak-ng")
    assert made.exit_code == 0, made.output
    events = json.loads(made.stdout)["events"]
    said = [e["text"] for e in events if e["kind"] == "speech"]
    assert not {"Long straight line from head to heel", "Breathe slowly"} & set(said)
    cue = said.index("Knees out over the toes the whole way down and up again")
    first_count = next(e for e in events if e["kind"] == "beep" and e["drill"] == "squat")
    assert events.index(next(e for e in events if e.get("text") == said[cue])) < events.index(
        first_count)  # fmt: skip


def test_a_session_warns_of_the_rest_its_option_shortens_and_only_that(tmp_path):
    quiet = invoke("script", "--json", "--only", "wall-slide", "--engine", "espeak-ng")
    assert (quiet.exit_code, quiet.stderr) == (0, "")  # the file's own warnings are check's
    result = invoke("script", "--json", "--rest", "3", "--engine", "espeak-ng")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("coach: warning: the rest between drills (3 seconds) is "
                                    "lengthened by up to about ")  # fmt: skip
    assert result.stderr.endswith(" s to fit what is said in it (8 rests).\n")
    events = json.loads(result.stdout)["events"]
    rest_said = next(e for e in events if e["kind"] == "speech" and e["text"] == "Rest.")
    over = next(e for e in events
                if e.get("tone") == "rest-over" and e["start"] > rest_said["start"])  # fmt: skip
    assert over["end"] - rest_said["start"] > 3 + 0.5  # longer than asked, as the warning says


def test_the_words_count_rests_and_cues_in_the_singular_and_plural():
    one = worded([LongerRest("the rest between drills", 1, to_samples(0.5))])
    assert one == ("the rest between drills (1 second) is lengthened by up to about 0.5 s to fit "
                   "what is said in it.",)  # fmt: skip
    two = worded([LongerRest("the rest between drills", 2, to_samples(0.5))] * 2)
    assert two[0].startswith("the rest between drills (2 seconds)") and two[0].endswith(
        "(2 rests).")  # fmt: skip
    zero = worded([LongerRest("the rest between drills", 0.5, 0)])
    assert zero[0].startswith("the rest between drills (0.5 seconds)")
    assert worded([UnfittedCues("d", 1, 2, True)]) == (
        "drill 'd': 1 of its 2 cues does not fit in its set; it is said before the set starts.",)
    assert worded([UnfittedCues("d", 2, 3, False), UnfittedCues("d", 1, 3, False)]) == (
        "drill 'd': 2 of its 3 cues do not fit in its set; they are left out.",)  # once a drill


def test_no_rest_asked_for_is_not_a_rest_lengthened():
    routine = parse_routine(SHORT_RESTS.replace("rest_seconds: 2", "rest_seconds: 0").encode(),
                            "t.yaml")  # fmt: skip
    assert not any("between drills" in d for d in estimated_differences(routine))
    assert any("between drills" in d for d in
               estimated_differences(routine, SessionOptions(rest_seconds=1)))  # fmt: skip
