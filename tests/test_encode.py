"""Exporting a session while it is made: encoding overlaps rendering, and the file is byte for
byte the one a whole session gives, and the one a single ffmpeg given the metadata first writes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from alsa_fixtures import SlowSpeech
from stand_in import ROUTINE, StandInSpeech

from coach.encode import BITEXACT, encoder_options
from coach.export import _ffmetadata, export_timeline
from coach.live import LiveTimeline
from coach.music import MusicChoice
from coach.options import SessionOptions
from coach.routine_file import parse_routine
from coach.session import open_session

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
FORMATS = (".wav", ".mp3", ".ogg", ".m4a")


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    track = tmp_path_factory.mktemp("music") / "hum.flac"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=f=110:d=3", str(track)], check=True)  # fmt: skip
    return track


def made_slowly(cache: Path, music: Path | None = None, delay: float = 0.0):
    """The stand-in session of one drill, its clips taking `delay` seconds each to render."""
    speech = SlowSpeech(delay) if delay else StandInSpeech()
    return open_session(parse_routine(ROUTINE, "test.yaml"), SessionOptions(only=("side-lunge",)),
                        cache_dir=cache, music=MusicChoice(music) if music else None,
                        clips=speech)  # fmt: skip


class Watched:
    """A session being made, noting whether each stretch was asked for before it was whole."""

    def __init__(self, live: LiveTimeline) -> None:
        self.live, self.asked = live, []
        self.rendering = live.rendering

    def until(self, past: int = 0):
        made = self.live.until(past)
        self.asked.append(made.final)
        return made


@pytest.mark.parametrize("with_music", [False, True])
@pytest.mark.parametrize("ext", FORMATS)
def test_a_session_written_as_it_is_made_is_the_whole_ones_file(ext, with_music, music, tmp_path):
    whole = made_slowly(tmp_path, music if with_music else None).timeline()
    expected = export_timeline(whole, tmp_path / f"whole{ext}").path.read_bytes()
    session = made_slowly(tmp_path, music if with_music else None, delay=0.05)
    watched = Watched(session.live())
    try:
        result = export_timeline(watched, tmp_path / f"live{ext}")
    finally:
        session.close()
    assert watched.rendering
    if ext != ".m4a":  # an M4A waits for the whole session (see encode.py)
        assert False in watched.asked  # the first stretches went out before it was whole
    assert result.path.read_bytes() == expected
    assert result.script == whole.script


@pytest.mark.parametrize("with_music", [False, True])
@pytest.mark.parametrize("ext", FORMATS[1:])
def test_the_file_is_what_one_ffmpeg_given_the_metadata_first_writes(ext, with_music, music,
                                                                      tmp_path):  # fmt: skip
    session = made_slowly(tmp_path, music if with_music else None, delay=0.02)
    try:  # made while written, so the MP3 and the Ogg are encoded, then copied with the tags
        exported = export_timeline(session.live(), tmp_path / f"session{ext}")
    finally:
        session.close()
    timeline = made_slowly(tmp_path, music if with_music else None).timeline()
    wav = export_timeline(timeline, tmp_path / "session.wav").path
    tags = tmp_path / "tags.txt"
    tags.write_text(_ffmetadata(timeline, ext), encoding="utf-8")
    one_pass = tmp_path / f"one{ext}"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(wav),
                    "-f", "ffmetadata", "-i", str(tags), "-map", "0:a", "-map_metadata", "1",
                    "-map_chapters", "1", *BITEXACT, *encoder_options(ext, timeline.channels),
                    str(one_pass)], check=True)  # fmt: skip
    assert exported.path.read_bytes() == one_pass.read_bytes()
