"""Malformed and edge-case routine files (continued from support.malformed): format 2, texts,
YAML's own forms, raw bytes, and numbers and tags that were internal errors."""

from __future__ import annotations

import random

from coach.routine.model import MAX_SESSION_SECONDS
from support.routine_parts import DRILL, HEAD, REPS_RULE, TIMED, with_field, with_reps

BOMB = (
    "name: Bomb\n"
    + "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


VALUE_CASES: list[tuple[str, str | bytes, str]] = [
    # Format 2: timed drills, sets and rounds.
    (
        "reps-and-seconds",
        with_field("seconds: 30"),
        "=, drill 1 (squat), line 6: has both 'reps' and 'seconds'; a drill is counted (reps) or "
        "timed (seconds), so keep one.",
    ),
    (
        "typo-second",
        TIMED.replace("seconds:", "second:"),
        "=, drill 1, line 6: unknown field 'second'. Did you mean 'seconds'?",
    ),
    (
        "seconds-too-short",
        TIMED.replace("seconds: 30", "seconds: 2"),
        "=, drill 1 (plank), field 'seconds', line 6: must be at least 5 seconds, got 2.",
    ),
    (
        "seconds-too-long",
        TIMED.replace("seconds: 30", "seconds: 900"),
        "=, drill 1 (plank), field 'seconds', line 6: must be at most 600 seconds, got 900; split "
        "a longer work into sets.",
    ),
    (
        "seconds-not-a-number",
        TIMED.replace("seconds: 30", "seconds: half a minute"),
        "=, drill 1 (plank), field 'seconds', line 6: 'half a minute' is not a duration; write "
        'seconds as 30, "30s", "1m30s" or "1:30".',
    ),
    (
        "seconds-not-a-duration",
        TIMED.replace("seconds: 30", "seconds: 30 x"),
        "=, drill 1 (plank), field 'seconds', line 6: '30 x' is not a duration; write seconds as "
        '30, "30s", "1m30s" or "1:30".',
    ),
    (
        "seconds-quoted-too-short",
        TIMED.replace("seconds: 30", 'seconds: "3"'),
        "=, drill 1 (plank), field 'seconds', line 6: must be at least 5 seconds, got 3.",
    ),
    (
        "rest-minutes-too-long",
        "rest_seconds: 61 min\n" + HEAD + DRILL,
        "=, field 'rest_seconds', line 1: must be at most 3600 seconds, got '61 min' (3660 "
        "seconds).",
    ),
    (
        "seconds-empty",
        TIMED.replace("seconds: 30", "seconds:"),
        "=, drill 1 (plank), field 'seconds', line 6: is empty; give the work's length, like 30.",
    ),
    (
        "seconds-too-fine",
        TIMED.replace("seconds: 30", "seconds: 30.25"),
        "=, drill 1 (plank), field 'seconds', line 6: 30.25 is finer than a tenth of a second, "
        "more than a coach can say; write 30.2.",
    ),
    (
        "timed-alternate",
        TIMED + "    sides: alternate\n",
        "=, drill 1 (plank), field 'sides', line 7: a timed drill cannot alternate sides rep by "
        "rep; use 'switch' (the full time on each side) or 'none'.",
    ),
    (
        "timed-rep-seconds",
        TIMED + "    rep_seconds: 2\n",
        "=, drill 1 (plank), field 'rep_seconds', line 7: is for counted reps; a timed drill has "
        "only 'seconds', so remove 'rep_seconds'.",
    ),
    (
        "sets-zero",
        with_field("sets: 0"),
        "=, drill 1 (squat), field 'sets', line 7: must be a whole number from 1 to 100, got 0.",
    ),
    (
        "sets-fraction",
        with_field("sets: 1.5"),
        "=, drill 1 (squat), field 'sets', line 7: must be a whole number from 1 to 100, got 1.5.",
    ),
    (
        "set-rest-negative",
        with_field("set_rest_seconds: -5"),
        "=, drill 1 (squat), field 'set_rest_seconds', line 7: must be at least 0 seconds, got "
        "-5.",
    ),
    (
        "rounds-huge",
        "rounds: 100000\n" + HEAD + DRILL,
        "=, field 'rounds', line 1: must be a whole number from 1 to 100, got 100000.",
    ),
    (
        "rounds-text",
        "rounds: twice\n" + HEAD + DRILL,
        "=, field 'rounds', line 1: must be a whole number from 1 to 100, got 'twice'.",
    ),
    (
        "round-rest-negative",
        "round_rest_seconds: -1\n" + HEAD + DRILL,
        "=, field 'round_rest_seconds', line 1: must be at least 0 seconds, got -1.",
    ),
    (
        "rounds-too-long",
        "rounds: 10\n" + HEAD + TIMED.split("drills:\n")[1].replace("30", "600")
        + "    sets: 10\n",
        "=: the session would pass the 3-hour limit in drill 1 of 1 (plank), round 2 of 10. "
        "Lower the reps, the seconds, the sets or the rounds.",
    ),
    ("key-not-text", "1: one\n" + HEAD + DRILL, "=, line 1: the key 1 is not a name."),
    (
        "bad-id",
        HEAD + DRILL.replace("id: squat", "id: Deep Squat!"),
        "=, drill 1, field 'id', line 3: 'Deep Squat!' is not a valid id; use lower-case letters "
        "(of any alphabet), digits and hyphens, like 'deep-squat'.",
    ),
    (
        "name-without-id-letters",
        HEAD + DRILL.replace("  - id: squat\n    name: Squat", "  - name: '!!!'"),
        "drill 1, line 3: cannot make an id from the name '!!!'; add an 'id' field.",
    ),
    (
        "rep-seconds-0",
        with_field("rep_seconds: 0"),
        "=, drill 1 (squat), field 'rep_seconds', line 7: must be at least 0.5 seconds, got 0.",
    ),
    (
        "hold-negative",
        with_field("hold_seconds: -1"),
        "=, drill 1 (squat), field 'hold_seconds', line 7: must be at least 0 seconds, got -1.",
    ),
    (
        "hold-nan",
        with_field("hold_seconds: .nan"),
        "field 'hold_seconds', line 7: must be from 0 to 600 seconds, got nan.",
    ),
    (
        "rep-seconds-inf",
        with_field("rep_seconds: .inf"),
        "field 'rep_seconds', line 7: must be at most 600 seconds, got inf.",
    ),
    (
        "rest-negative-inf",
        "rest_seconds: -.inf\n" + HEAD + DRILL,
        "=, field 'rest_seconds', line 1: must be at least 0 seconds, got -inf.",
    ),
    (
        "rest-text",
        "rest_seconds: ten\n" + HEAD + DRILL,
        "field 'rest_seconds', line 1: 'ten' is not a duration; write seconds as 30, \"30s\", "
        '"1m30s" or "1:30".',
    ),
    (
        "rest-astronomical",
        "rest_seconds: 1" + "0" * 400 + "\n" + HEAD + DRILL,
        "=, field 'rest_seconds', line 1: must be at most 3600 seconds, got a 401-digit number.",
    ),
    (
        "cues-a-mapping",
        with_field("cues: {a: b}"),
        "=, drill 1 (squat), field 'cues', line 7: must be a list of short texts.",
    ),
    (
        "cues-empty-entry",
        with_field("cues: ['Chest up.', '']"),
        "field 'cues', line 7: has an empty entry.",
    ),
    (
        "control-character",
        with_field('cues: ["Chest\\aup."]'),
        "=, drill 1 (squat), field 'cues', line 7: contains the control character U+0007; write "
        "plain text.",
    ),
    ("escaped-surrogate", with_field('cues: ["\\ud800"]'), "line 7"),
    (
        "raw-control-character",
        HEAD + DRILL.replace("Sit down", "Sit\x07down"),
        "=, line 5: contains the character U+0007, which YAML does not allow; a routine is a YAML "
        "text file.",
    ),
    (
        "session-too-long",
        with_reps("5000"),
        f"=: the session would pass the {MAX_SESSION_SECONDS // 3600}-hour limit in drill 1 of 1 "
        "(squat). Lower the reps, the seconds, the sets or the rounds.",
    ),
    (
        "session-forever",
        "rounds: 100\n" + HEAD + DRILL.replace("reps: 10", "reps: 10000\n    sets: 100"),
        "=: the session would pass the 3-hour limit in drill 1 of 1 (squat), round 1 of 100. "
        "Lower the reps, the seconds, the sets or the rounds.",
    ),
    (
        "python-name-tag",
        "name: !!python/name:os.system\ndrills:\n" + DRILL,
        "=, field 'name', line 1: the tag !!python/name:os.system is not allowed in a routine, "
        "which holds only text, numbers, true/false, lists and mappings; write the value "
        "without the tag.",
    ),
    (
        "python-module-tag",
        "name: !!python/module:os\n",
        ", field 'name', line 1: the tag !!python/module:os is not allowed in a routine",
    ),
    (
        "custom-tag",
        "name: !shout Test\n",
        ", field 'name', line 1: the tag !shout is not allowed in a routine",
    ),
    (
        "alias-without-anchor",
        "name: Test\ndrills:\n" + DRILL.replace("name: Squat", "name: *n"),
        "=, line 4: the alias *n names no anchor before it; mark the value to repeat with &n "
        "where it is first written.",
    ),
    (
        "merge-of-a-number",
        "name: Test\n<<: 3\ndrills:\n" + DRILL,
        "=, line 2: the merge key << takes a mapping, like <<: *base, or a list of mappings, "
        "like <<: [*base, *sided]; write the fields out otherwise.",
    ),
    (
        "billion-laughs",
        BOMB,
        "=, line 7: the aliases (*e here) expand to more than 256,000 values; a routine written "
        "out in full is at most 256 kB, so use fewer aliases.",
    ),
    (
        "alias-oversized",
        "name: &n " + "Long " * 20_000 + "\ndescription: [*n, *n, *n]\n",
        "=, line 2: the aliases (*n here) expand to more than 256,000 characters of text; a "
        "routine written out in full is at most 256 kB, so use fewer aliases.",
    ),
    (
        "deep-nesting",
        "name: " + "[" * 5000 + "]" * 5000 + "\n",
        "=, line 1: nested more than 16 levels deep; a routine is a mapping with a list of drills.",
    ),
    ("unclosed-brackets", "[" * 100_000, "line 1: nested more than 16 levels deep"),
    ("not-yaml", "name: [Test\ndrills: x\n",
     ", line 1: the list opened with [ here is not closed before line 2 ("),
    ("tab-indent", "name: Test\n\tdrills: []\n", ", line 2: a tab indents this line; YAML "),
    ("two-documents", "name: Test\n---\nname: Other\n", "line 2: holds more than one YAML doc"),
    ("instructions-too-long",
     "name: T\ndrills:\n  - {name: A, reps: 3, instructions: " + "Step. " * 300 + "}\n",
     ", drill 1 (a), field 'instructions', line 3: is 1799 characters long (\"Step. Step."),
    ("word-too-long",
     "name: T\ndrills:\n  - {name: A, reps: 3, instructions: Hop " + "x" * 1_000 + "}\n",
     "field 'instructions', line 3: has a 1000-character word (\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxx…x"),
    ("cue-too-long",
     "name: T\ndrills:\n  - {name: A, reps: 3, instructions: B, cues: [" + "Go " * 50 + "]}\n",
     "field 'cues', line 3: is 149 characters long"),
    ("hold-too-precise",
     "name: T\ndrills:\n  - {name: A, reps: 3, instructions: B, hold_seconds: 1.23456789}\n",
     "field 'hold_seconds', line 3: 1.23456789 is finer than a tenth of a second, more than a coach"
     " can say; write 1.2."),
    ("speech-too-long",
     "name: T\nrest_seconds: 0\ndrills:\n" + "".join(
         f"  - {{name: D{i}, reps: 1, instructions: {'Step and hold. ' * 99}}}\n"
         for i in range(160)
     ),
     "=: the session would pass the 3-hour limit in drill 94 of 160 (d93). Shorten the "
     "instructions and cues, or use fewer drills."),
    ("octal-looking", "name: T\ndrills:\n  - {name: A, instructions: B, reps: 010}\n",
     "=, field 'reps', line 3: 010 starts with 0, which YAML 1.1 reads as an octal number; "
     "write 10 (or quote it for text)."),
    ("random-bytes", random.Random(2).randbytes(4096), ": not a UTF-8 text file (byte "),
    (
        "png-header",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        "=: not a UTF-8 text file (byte 0). A routine is a YAML text file.",
    ),
    (
        "nul-bytes",
        b"name: Test\x00\x00\x00\ndrills: []\n",
        "=: contains NUL bytes; a routine is a YAML text file.",
    ),
    (
        "latin-1",
        "name: Café\ndrills:\n".encode("latin-1") + DRILL.encode(),
        "=: not a UTF-8 text file (byte 9). A routine is a YAML text file.",
    ),
    ("utf-16", (HEAD + DRILL).encode("utf-16"), ": not a UTF-8 text file (byte 0)."),
    ("huge", b"# padding\n" * 120_000, "=: larger than 256 kB; is it a routine file?"),
    # Numbers and tags that were internal errors: each is read with its bounds, the field named.
    ("reps-tagged-text", with_reps("!!int abc"),
     f"=, drill 1 (squat), field 'reps', line 6: {REPS_RULE} !!int 'abc'."),
    ("reps-4301-digits", with_reps("9" * 4301),
     f"=, drill 1 (squat), field 'reps', line 6: {REPS_RULE} a 4301-digit number."),
    ("hold-1e308", with_field("hold_seconds: 1e308"),
     "=, drill 1 (squat), field 'hold_seconds', line 7: must be at most 600 seconds, got "
     "1e+308."),
    ("rep-seconds-over", with_field("rep_seconds: 601"),
     "=, drill 1 (squat), field 'rep_seconds', line 7: must be at most 600 seconds, got 601."),
    ("timestamp-tag", with_field("hold_seconds: !!timestamp 2001-12-14"),
     "=, field 'hold_seconds', line 7: the tag !!timestamp is not allowed in a routine, which "
     "holds only text, numbers, true/false, lists and mappings; write the value without the tag."),
    ("too-many-cues", with_field("cues: [" + ", ".join(f"Cue {n}." for n in range(21)) + "]"),
     "=, drill 1 (squat), field 'cues', line 7: has 21 entries; the limit is 20. Keep the ones "
     "that matter most."),
    ("bidi-override", with_field('cues: ["Chest \\u202Eup."]'),
     "=, drill 1 (squat), field 'cues', line 7: contains the bidirectional control U+202E, which "
     "reorders the text on screen; write plain text."),
    ("noncharacter", HEAD + DRILL.replace("Sit down", "Sit \ufdd0down"),
     "=, drill 1 (squat), field 'instructions', line 5: contains U+FDD0, which is not a "
     "character (a Unicode noncharacter); write plain text."),
    ("checked-as-the-session",
     "rounds: 100\nrest_seconds: 0\n" + HEAD + DRILL.replace("10", "1") + "    sets: 20\n",
     "=: the session would pass the 3-hour limit in drill 1 of 1 (squat), round 53 of 100. Lower "
     "the reps, the seconds, the sets or the rounds."),
]
