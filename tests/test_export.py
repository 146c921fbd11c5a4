"""The exporter: decoded files hold every beep as planned, tags, chapters, loudness; safe writes."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import wave
from pathlib import Path

import mutagen
import numpy as np
import pytest
from mutagen.id3 import ID3
from support.audio import assert_beeps_on_time, decode, ebur128, ffprobe_chapters
from support.routines import routine_bytes
from support.runners import coach

from coach.audio.timeline import Timeline
from coach.compose.script import INTRO_ID, OUTRO_ID, Event, EventKind, Script
from coach.errors import ExportError, UsageError
from coach.output.export import FORMATS, audio_path, export_timeline, write_captions
from coach.routine.loading import parse_routine
from coach.routine.model import default_routine_path
from coach.samples import SAMPLE_RATE, to_samples

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def planned_chapters(script: Script) -> list[tuple[str, float, float]]:
    return [(c.title, c.start / SAMPLE_RATE, c.end / SAMPLE_RATE) for c in script.chapters]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@pytest.fixture(scope="module")
def routine():
    return parse_routine(routine_bytes("side-lunge-and-calf-raise.yaml"), "test.yaml")


@pytest.fixture(scope="module")
def timeline(routine, stand_in_session):
    return stand_in_session(routine).timeline()


@pytest.fixture(scope="module")
def mp3(timeline, tmp_path_factory):
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    return export_timeline(timeline, tmp_path_factory.mktemp("mp3") / "session.mp3")


# --- WAV ---------------------------------------------------------------------------


def test_wav_holds_the_timeline_sample_for_sample(timeline, tmp_path):
    seen: list[tuple[int, int]] = []
    result = export_timeline(timeline, tmp_path / "session.wav", progress=lambda *p: seen.append(p))
    assert result.path == tmp_path / "session.wav"
    assert result.seconds == timeline.script.duration and result.bytes == result.path.stat().st_size
    with wave.open(str(result.path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        audio = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.array_equal(audio, timeline.samples)
    assert_beeps_on_time(audio, timeline.script, tolerance=0.002)
    assert seen == sorted(seen) and seen[-1] == (timeline.script.length,) * 2 and len(seen) > 2
    assert leftovers(tmp_path) == []


@needs_ffmpeg
def test_wav_loudness_measured_by_ffmpeg(timeline, tmp_path):
    integrated, peak = ebur128(export_timeline(timeline, tmp_path / "session.wav").path)
    assert integrated == pytest.approx(-16, abs=1)
    assert peak <= -1


def test_wav_needs_no_ffmpeg(timeline, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert export_timeline(timeline, tmp_path / "session.wav").bytes > 0
    with pytest.raises(ExportError, match=r"apt-get install ffmpeg.*\.wav"):
        export_timeline(timeline, tmp_path / "session.mp3")


# --- MP3 -----------------------------------------------------------------------------


def test_mp3_decodes_to_the_right_length_with_every_beep_on_time(mp3, timeline):
    audio = decode(mp3.path)
    assert len(audio) == len(timeline.samples)  # the LAME header's encoder delay is trimmed
    assert_beeps_on_time(audio, timeline.script, tolerance=0.005)


def test_mp3_tags_and_chapters_read_back(mp3, timeline):
    script = timeline.script
    tags = ID3(mp3.path)
    assert str(tags["TIT2"]) == "Test routine" and str(tags["TPE1"]) == "coach"
    toc = tags.getall("CTOC")
    assert len(toc) == 1 and toc[0].flags & 1  # one top-level table of contents
    chaps = [tags[f"CHAP:{child}"] for child in toc[0].child_element_ids]
    assert [(str(c.sub_frames["TIT2"]), c.start_time, c.end_time) for c in chaps] == [
        (c.title, round(c.start * 1000 / SAMPLE_RATE), round(c.end * 1000 / SAMPLE_RATE))
        for c in script.chapters
    ]
    for (title, start, end), (want, planned_start, planned_end) in zip(
        ffprobe_chapters(mp3.path), planned_chapters(script), strict=True
    ):
        assert title == want
        assert start == pytest.approx(planned_start, abs=0.001)
        assert end == pytest.approx(planned_end, abs=0.001)


def test_mp3_loudness_and_true_peak(mp3):
    integrated, peak = ebur128(mp3.path)
    assert integrated == pytest.approx(-16, abs=1)
    assert peak <= -1


def test_mp3_is_reproducible(mp3, timeline, tmp_path):
    again = export_timeline(timeline, tmp_path / "again.mp3")
    assert again.path.read_bytes() == mp3.path.read_bytes()


# --- OGG, M4A --------------------------------------------------------------------------


# Each tag's MP4 atom and value (Ogg's comments go by the fields' own names).
TAGS = {"title": ("\xa9nam", "Test routine"), "artist": ("\xa9ART", "coach"),
        "album": ("\xa9alb", "coach"), "genre": ("\xa9gen", "Speech")}  # fmt: skip


@needs_ffmpeg
@pytest.mark.parametrize("ext", [".ogg", ".m4a"])
def test_other_formats_carry_length_tags_and_chapters(timeline, tmp_path, ext):
    path = export_timeline(timeline, tmp_path / f"session{ext}").path
    audio = decode(path)
    assert abs(len(audio) - len(timeline.samples)) <= to_samples(0.05)
    assert_beeps_on_time(audio, timeline.script, tolerance=0.005)
    chapters = ffprobe_chapters(path)
    assert [c[0] for c in chapters] == [c.title for c in timeline.script.chapters]
    tags = mutagen.File(path).tags
    for field, (atom, value) in TAGS.items():
        assert list(tags[atom if ext == ".m4a" else field]) == [value], field


# --- a drill alone, captions ----------------------------------------------------------


def test_only_one_drill_exports_that_drill_alone(tmp_path, stand_in_session):
    timeline = stand_in_session(only=("squat-to-stand",)).timeline()
    script = timeline.script
    assert [c.id for c in script.chapters] == [INTRO_ID, "squat-to-stand", OUTRO_ID]
    assert {e.drill for e in script.events} == {None, "squat-to-stand"}
    path = export_timeline(timeline, tmp_path / "squat.wav").path
    with wave.open(str(path)) as wav:
        assert wav.getnframes() == script.length


@pytest.mark.parametrize("ext", [".srt", ".vtt", ".lrc"])
def test_captions_match_the_script(timeline, tmp_path, ext):
    path = write_captions(timeline.script, tmp_path / f"session{ext}")
    text = path.read_text(encoding="utf-8")
    speech = [e for e in timeline.script.events if e.kind == "speech"]
    stamp = r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d)"
    if ext == ".lrc":
        cues = re.findall(r"^\[(\d\d):(\d\d)\.(\d\d)\](.*)$", text, re.M)
        times = [(int(m) * 60 + int(s) + int(c) / 100, None) for m, s, c, _ in cues]
    else:
        cues = re.findall(rf"^{stamp} --> {stamp}\n(.*)$", text, re.M)
        times = [
            (
                int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000,
                int(h2) * 3600 + int(m2) * 60 + int(s2) + int(ms2) / 1000,
            )
            for h, m, s, ms, h2, m2, s2, ms2, _ in cues
        ]
    assert [c[-1] for c in cues] == [e.text for e in speech]
    tolerance = 0.005 if ext == ".lrc" else 0.0005
    for (start, end), event in zip(times, speech, strict=True):
        assert start == pytest.approx(event.start / SAMPLE_RATE, abs=tolerance)
        if end is not None:
            assert end == pytest.approx(event.end / SAMPLE_RATE, abs=tolerance)
    assert text.startswith({".srt": "1\n", ".vtt": "WEBVTT\n\n", ".lrc": "[ti:Test routine]"}[ext])


@needs_ffmpeg
@pytest.mark.parametrize(
    "ext, heard",
    [(".vtt", "Knees < toes & chest --> up, <b>not bold</b>"),
     (".srt", "Knees ‹ toes & chest -> up, ‹b>not bold‹/b>")],
)  # fmt: skip
def test_caption_text_is_escaped_as_its_format_requires(tmp_path, ext, heard):
    text = "Knees < toes & chest --> up, <b>not bold</b>"
    script = Script("R & D", 2 * SAMPLE_RATE, (Event(0, SAMPLE_RATE, EventKind.SPEECH, text=text),),
                    ())  # fmt: skip
    path = write_captions(script, tmp_path / f"c{ext}")
    # ffmpeg reads the captions as a player would, and writes them back as WebVTT
    back = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "webvtt", "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    cue = back.strip().splitlines()[-1]
    unescaped = cue.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == heard


# --- errors ------------------------------------------------------------------------------


def test_unknown_extensions_are_refused_with_the_known_ones(timeline, tmp_path):
    with pytest.raises(UsageError, match=re.escape(", ".join(FORMATS))):
        export_timeline(timeline, tmp_path / "session.flac")
    with pytest.raises(UsageError, match=r"\.srt, \.vtt, \.lrc"):
        write_captions(timeline.script, tmp_path / "session.txt")
    assert list(tmp_path.iterdir()) == []


def test_no_extension_means_mp3(tmp_path):
    assert audio_path(tmp_path / "session") == tmp_path / "session.mp3"


def test_unwritable_destinations(timeline, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export_timeline(timeline, tmp_path / "missing" / "session.wav")
    (tmp_path / "folder.wav").mkdir()
    with pytest.raises(UsageError, match="is a folder"):
        export_timeline(timeline, tmp_path / "folder.wav")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):
        pytest.skip("running as root: permissions do not stop us")
    with pytest.raises(ExportError, match="permission"):
        export_timeline(timeline, locked / "session.wav")


# --- safe output ---------------------------------------------------------------------


KILLED_EXPORT = """
import sys
import time
from pathlib import Path
import numpy as np
from coach.compose.script import Script
from coach.output.export import export_timeline
from coach.audio.timeline import Timeline

samples = np.random.default_rng(1).integers(-3000, 3000, 22050 * 600).astype(np.int16)
def progress(done, total):
    print(done / total, flush=True)
    time.sleep(600)  # mid-encode until killed, however slow the machine
timeline = Timeline(Script("x", len(samples), (), ()), samples)
export_timeline(timeline, Path(sys.argv[1]), progress=progress)
"""


@needs_ffmpeg
def test_a_killed_export_leaves_no_partial_file(tmp_path):
    out = tmp_path / "session.mp3"
    out.write_bytes(b"old session")
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_EXPORT, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert float(child.stdout.readline()) < 1  # encoding has begun
    os.killpg(child.pid, signal.SIGKILL)  # the exporter and its ffmpeg
    child.wait()
    child.stdout.close()
    assert out.read_bytes() == b"old session"
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["session.mp3"]
    # The killed export's temporary file goes at the next export; a running one's stays.
    running = tmp_path / f".session.mp3.{os.getpid()}-0.part"
    running.touch()
    export_timeline(Timeline(Script("x", 100, (), ()), np.zeros(100, np.int16)), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, "session.mp3"]


# --- end to end, the real engine -------------------------------------------------------


@pytest.mark.slow
@needs_ffmpeg
def test_real_speech_exports_at_minus_16_lufs_with_beeps_on_time(tmp_path, stand_in_session):
    from coach.tts import Speech, VoiceSettings

    speech = Speech(VoiceSettings("espeak-ng"), tmp_path / "cache")
    timeline = stand_in_session(clips=speech, only=("squat-to-stand",)).timeline()
    mp3 = export_timeline(timeline, tmp_path / "squat.mp3")
    assert_beeps_on_time(decode(mp3.path), timeline.script, tolerance=0.005)
    assert [c[0] for c in ffprobe_chapters(mp3.path)] == ["Intro", "Squat to stand", "Outro"]
    for path in (mp3.path, export_timeline(timeline, tmp_path / "squat.wav").path):
        integrated, peak = ebur128(path)
        assert integrated == pytest.approx(-16, abs=1), path
        assert peak <= -1, path
    captions = write_captions(timeline.script, tmp_path / "squat.srt").read_text()
    assert all(e.text in captions for e in timeline.script.events if e.kind == "speech")


# --- the command ---------------------------------------------------------------------


@pytest.mark.slow
@needs_ffmpeg
def test_coach_export_one_drill_with_captions(tmp_path):
    result = coach(
        "export",
        "squat.mp3",
        "--only",
        "squat-to-stand",
        "--engine",
        "espeak-ng",
        "--captions",
        "squat.srt",
        cache=tmp_path / "cache",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"Wrote squat\.mp3 \(1:\d\d\.\d, 0\.\d MB\)\n", result.stdout)
    chapters = ffprobe_chapters(tmp_path / "squat.mp3")
    assert [c[0] for c in chapters] == ["Intro", "Squat to stand", "Outro"]
    assert "Squat to stand." in (tmp_path / "squat.srt").read_text()


@pytest.mark.slow
def test_coach_export_volume_lowers_the_level_without_rendering_again(tmp_path):
    cache = tmp_path / "cache"
    levels = {}
    for volume in ("1", "0.5"):
        name = f"v{volume}.wav"
        args = ("export", name, "--only", "wall-slide", "--engine", "espeak-ng")
        result = coach(*args, "--volume", volume, cache=cache, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        if volume == "1":
            clips = sorted(cache.glob("*.clip"))
        with wave.open(str(tmp_path / name)) as wav:
            levels[volume] = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert sorted(cache.glob("*.clip")) == clips  # no clip rendered for the new volume
    loud, soft = (levels[v].astype(np.float64) for v in ("1", "0.5"))
    assert len(loud) == len(soft) and np.abs(soft - loud * 0.5).max() <= 1


BAD_TARGETS = [
    (("session.flac",), 2, "'.flac'. Use one of .mp3, .wav, .ogg, .m4a, .html."),
    (("session.mp3", "--captions", "c.txt"), 2, "Use one of .srt, .vtt, .lrc."),
    (("nowhere/session.wav",), 1, "Cannot write nowhere/session.wav: the folder nowhere does not"),
    (("",), 2, "The name of the output file is empty; give one, e.g. session.mp3."),
    (("-",), 2, "Cannot write the output to standard output ('-'); give a file name."),
    ((".",), 2, "Cannot write the output to .: it is a folder."),
    (("a-folder",), 2, "Cannot write the output to a-folder: it is a folder."),
    (("/dev/null",), 2, "Cannot write the output to /dev/null: it is not a regular file."),
    (("session.",), 2, "Cannot write the output to 'session.': a file name cannot end in a dot"),
    (("read-only.mp3",), 2, "Cannot write the output to read-only.mp3: it is read-only."),
    (("routine.yaml",), 2, "Cannot write the output to routine.yaml: it is the routine file."),
    (("s.mp3", "--captions", "routine.yaml"), 2, "the captions to routine.yaml: it is the routine"),
    (("x" * 300 + ".mp3",), 2, ": the name is too long for the file system."),
]
"""(export arguments, exit status, the start of the one-line message); the routine is
routine.yaml in the working folder."""


@pytest.mark.parametrize(("args", "status", "message"), BAD_TARGETS)
def test_coach_export_refuses_bad_destinations_before_rendering(tmp_path, args, status, message):
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "read-only.mp3").write_bytes(b"keep me")
    (tmp_path / "read-only.mp3").chmod(0o444)
    routine = tmp_path / "routine.yaml"
    routine.write_text(default_routine_path().read_text())
    before = sorted(p.name for p in tmp_path.iterdir())
    result = coach("export", *args, "-r", "routine.yaml", cache=tmp_path / "cache", cwd=tmp_path)
    assert result.returncode == status and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("coach: error: ")
    assert len(result.stderr) < 300  # a long name is quoted in part
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no cache
    assert (tmp_path / "read-only.mp3").read_bytes() == b"keep me"
    assert routine.read_text() == default_routine_path().read_text()


@pytest.mark.slow
def test_a_long_name_that_fits_exports(tmp_path):
    name = "x" * 240 + ".mp3"  # 244 characters: legal, and the temporary name must fit too
    result = coach("export", name, "--only", "wall-slide", "--engine", "espeak-ng",
                   cache=tmp_path / "cache", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.slow
def test_export_through_a_link_replaces_its_target_and_keeps_its_mode(tmp_path):
    (tmp_path / "real.mp3").write_bytes(b"old")
    (tmp_path / "real.mp3").chmod(0o640)
    (tmp_path / "link.mp3").symlink_to("real.mp3")
    args = ("export", "link.mp3", "--only", "wall-slide", "--engine", "espeak-ng")
    result = coach(*args, cache=tmp_path / "cache", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "link.mp3").is_symlink() and (tmp_path / "real.mp3").stat().st_size > 1000
    assert (tmp_path / "real.mp3").stat().st_mode & 0o777 == 0o640
