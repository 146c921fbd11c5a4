"""Exporting a session while it is made: encoding overlaps rendering, and the file is byte for
byte the one a whole session gives, and the one a single ffmpeg given the metadata first (and the
whole session with the encoder's headroom) writes.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pytest
from support.devices import SlowSpeech
from support.routines import routine_bytes
from support.stand_in import StandInSpeech

from coach.audio.live import LiveTimeline
from coach.compose.options import SessionOptions
from coach.music.bed import MusicChoice
from coach.output.ceilings import encoder_headroom
from coach.output.encode import BITEXACT, encode, encoder_options
from coach.output.export import _ffmetadata, export_timeline
from coach.output.wav import write_wav
from coach.routine.loading import parse_routine
from coach.session import open_session

ROUTINE = routine_bytes("side-lunge-and-calf-raise.yaml")
"""Two drills with sides, a hold, a cue and equipment: the stand-in session's routine."""

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


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
        self.rendering, self.plan = live.rendering, live.plan

    def until(self, past: int = 0):
        made = self.live.until(past)
        self.asked.append(made.final)
        return made


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ext", "with_music"),
    [(".wav", False), (".wav", True), (".mp3", False), (".mp3", True), (".ogg", False),
     (".m4a", False)],
)  # fmt: skip
def test_a_session_written_as_it_is_made_is_what_one_pass_writes(ext, with_music, music, tmp_path):
    """Encoded as it is made, then copied with the metadata: the bytes of one ffmpeg given the
    whole session's WAV, raised and limited for the encoder, and its metadata first (and for a
    WAV, the whole session's WAV). (An export may then encode again, from the whole session,
    with another headroom: test_measured.py.)"""
    tune = music if with_music else None
    session = made_slowly(tmp_path, tune, delay=0.03)
    watched = Watched(session.live())
    live = tmp_path / f"live{ext}"
    try:
        if ext == ".wav":
            made = export_timeline(watched, live).script
        else:
            channels = watched.until(0).format.channels
            made = encode(watched, live, ext, functools.partial(_ffmetadata, fmt=ext),
                          lambda *_: None, encoder_headroom(ext, channels)).script  # fmt: skip
    finally:
        session.close()
    assert watched.rendering
    if ext != ".m4a":  # an M4A waits for the whole session (see encode.py)
        assert False in watched.asked  # the first stretches went out before it was whole
    whole = made_slowly(tmp_path, tune).timeline()
    assert made == whole.script
    wav = export_timeline(whole, tmp_path / "whole.wav").path
    if ext == ".wav":
        assert live.read_bytes() == wav.read_bytes()
        return
    with open(tmp_path / "limited.wav", "wb") as limited:
        write_wav(whole, limited, lambda *_: None, encoder_headroom(ext, whole.format.channels))
    tags = tmp_path / "tags.txt"
    tags.write_text(_ffmetadata(whole, ext), encoding="utf-8")
    one_pass = tmp_path / f"one{ext}"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(limited.name),
                    "-f", "ffmetadata", "-i", str(tags), "-map", "0:a", "-map_metadata", "1",
                    "-map_chapters", "1", *BITEXACT, *encoder_options(ext, whole.format.channels),
                    str(one_pass)], check=True)  # fmt: skip
    assert live.read_bytes() == one_pass.read_bytes()
