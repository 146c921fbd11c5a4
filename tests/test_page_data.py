"""What the phone page is made of, without a browser: its data from a script (the stand-in
engine's), and the page written around an MP3 streamed in pieces."""

from __future__ import annotations

import base64
import io
import json
import re

from support.routines import routine_path

from coach.compose.beeps import ToneKind
from coach.output.page import BASE64_CHUNK, page_data, write_page

DATA = re.compile(r'<script type="application/json" id="session">([^<]*)</script>')


def test_each_chapter_carries_its_title_and_drill_and_each_timed_set_its_work(stand_in_session):
    session = stand_in_session(routine_path("hip-and-core-circuit.yaml").read_bytes())
    script = session.script
    data = page_data(script, session.routine, "coach")
    titles = [c["title"] for c in data["chapters"]]
    assert titles[:3] == ["Intro", "Drill 1 of 6: Forearm plank, round 1",
                          "Drill 2 of 6: Side plank, round 1"]  # fmt: skip
    assert titles[-1] == "Outro" and "instructions" not in data["chapters"][0]
    plank = data["chapters"][2]
    assert plank["instructions"] == "Stack the feet and lift the hips."
    rate = script.sample_rate
    side_plank = [s for s in data["sets"] if "work" in s][1]
    beeps = [e for e in script.events if e.drill == "side-plank" and e.round == 1 and e.tone]
    goes = [e.start / rate for e in beeps if e.tone is ToneKind.GO]
    ends = [e.start / rate for e in beeps if e.tone in (ToneKind.SWITCH, ToneKind.END)]
    assert len(side_plank["work"]) == 2
    for (start, end), go, stop in zip(side_plank["work"], goes, ends, strict=True):
        assert (start, end) == (round(go, 3), round(stop, 3))
    bridge = [s for s in data["sets"] if "reps" in s]
    assert [(s["set"], s["sets"], s["repCount"]) for s in bridge] == [(1, 2, 8), (2, 2, 8)] * 2
    assert len(data["speech"]) == len([e for e in script.events if e.text])


def test_the_mp3_is_streamed_into_the_page_in_pieces_that_join_exactly():
    mp3 = bytes(range(256)) * (2 * BASE64_CHUNK // 256) + b"tail"  # two pieces and a rest
    page = io.BytesIO()
    write_page(page, {"routine": "R", "language": "en"}, io.BytesIO(mp3))
    found = re.search(rb'id="sound">([A-Za-z0-9+/=]*)</script>', page.getvalue())
    assert base64.b64decode(found.group(1), validate=True) == mp3


def test_no_text_can_close_the_pages_script_or_change_its_markup():
    routine = '</script><script>alert(1)</script> <!-- & "quoted"'
    page = io.BytesIO()
    data = {"routine": routine, "language": "en", "speech": [[0, 1, "<b>hi</b>"]]}
    write_page(page, data, io.BytesIO(b"x"))
    html = page.getvalue().decode()
    assert html.count("</script>") == 3 and html.count("<script") == 3
    assert json.loads(DATA.search(html).group(1))["routine"] == routine
    title = re.search(r"<title>(.*)</title>", html).group(1)
    assert title == (
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &lt;!-- &amp; &quot;quoted&quot;"
    )
