"""An MP3 of the voice alone is encoded in two halves at once (output/halves.py): where the cut
falls and when there is none, and what a listener gets from the joined file, decoded by
ffmpeg: the session's length to the sample, every beep on time, the first half as one encoder
makes it, the join silent, and the same bytes however the session was made."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support.audio import assert_beeps_on_time, decode
from support.devices import SlowSpeech
from support.fixtures import music_folder  # noqa: F401 - a module fixture
from support.runners import coach
from support.stand_in import StandInSpeech

from coach.audio.timeline import Timeline
from coach.compose.beeps import ToneKind
from coach.compose.options import SessionOptions
from coach.compose.script import Chapter, Event, EventKind, Script
from coach.music.bed import MusicChoice
from coach.output.ceilings import encoder_headroom
from coach.output.encode import BITEXACT, encode, encoder_options
from coach.output.halves import JOIN_SKIP, MARGIN, MIN_SECONDS, cut_point, frame_samples
from coach.output.wav import write_wav
from coach.routine.loading import load_routine
from coach.routine.model import default_routine_path
from coach.samples import SAMPLE_RATE
from coach.session import open_session

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


@pytest.fixture(scope="module")
def whole(stand_in_session) -> Timeline:
    """The built-in session, whole, with the stand-in engine (about 11 minutes)."""
    timeline = stand_in_session(None).timeline()
    assert timeline.script.duration > 2 * MIN_SECONDS
    return timeline


def encoded(source, path: Path) -> Path:
    """The session encoded into `path` as an MP3 with the encoder's own headroom (an export may
    encode again with another: measured.py)."""
    encode(source, path, ".mp3", lambda _: ";FFMETADATA1\n", lambda *_: None,
           encoder_headroom(".mp3", 1))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def joined(whole, tmp_path_factory) -> Path:
    return encoded(whole, tmp_path_factory.mktemp("halves") / "s.mp3")


def beeps_every(seconds: float, length: int) -> Timeline:
    """A session of beeps every `seconds`, with no silence long enough between them to cut."""
    step = round(seconds * SAMPLE_RATE)
    events = tuple(Event(at, 2000, EventKind.BEEP, tone=ToneKind.REP)
                   for at in range(0, length - 2000, step))  # fmt: skip
    script = Script("beeps", length, events, (Chapter("intro", "Beeps", 0, length),))
    return Timeline(script, speech=None)


def test_the_cut_is_on_a_frame_in_a_silence_from_halfway(whole):
    cut = cut_point(whole)
    halfway = whole.plan.length // 2
    assert cut is not None and cut % frame_samples(SAMPLE_RATE) == 0
    assert halfway <= cut <= halfway + 30 * SAMPLE_RATE
    around = whole.render(cut - MARGIN, cut + JOIN_SKIP + MARGIN)
    assert len(around) == 2 * MARGIN + JOIN_SKIP and not around.any()


def test_a_session_still_being_made_is_cut_where_the_whole_one_is(stand_in_session, whole):
    session = stand_in_session(None, clips=SlowSpeech(0.002))
    try:
        live = session.live()
        assert live.rendering
        assert cut_point(live) == cut_point(whole)
    finally:
        session.close()


def test_no_cut_for_music_a_short_session_or_one_without_silence(stand_in_session, music, tmp_path):
    short = stand_in_session(None, only=("walking-spiderman",)).timeline()
    assert short.script.duration < MIN_SECONDS and cut_point(short) is None
    assert cut_point(beeps_every(0.15, 200 * SAMPLE_RATE)) is None
    assert cut_point(beeps_every(0.5, 200 * SAMPLE_RATE)) is not None  # 0.41 s of silence do
    with_music = open_session(
        load_routine(default_routine_path()), SessionOptions(), music=MusicChoice(music),
        clips=StandInSpeech(), cache_dir=tmp_path,
    )  # fmt: skip
    try:
        assert cut_point(with_music.live()) is None
    finally:
        with_music.close()


@needs_ffmpeg
def test_the_joined_file_is_the_session_to_the_sample_with_every_beep_on_time(joined, whole):
    audio = decode(joined)
    assert len(audio) == whole.script.length  # the encoders' delay and padding are trimmed
    assert_beeps_on_time(audio, whole.script, tolerance=0.005)
    cut = cut_point(whole)
    assert np.abs(audio[cut - MARGIN : cut + JOIN_SKIP + MARGIN].astype(int)).max() <= 2


@needs_ffmpeg
def test_each_half_is_as_true_as_one_encoders_file(joined, whole, tmp_path):
    """The first half decodes exactly as one ffmpeg's file of the same samples does; the second
    as faithfully (signal to error within 0.3 dB), at the same place."""
    limited = tmp_path / "limited.wav"
    with open(limited, "wb") as file:
        write_wav(whole, file, lambda *_: None, encoder_headroom(".mp3", 1))
    single = tmp_path / "single.mp3"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(limited),
                    *BITEXACT, *encoder_options(".mp3", 1), str(single)], check=True)  # fmt: skip
    given = np.frombuffer(limited.read_bytes()[44:], dtype="<i2").astype(float)
    ours, one = decode(joined).astype(float), decode(single).astype(float)
    cut = cut_point(whole)
    assert np.array_equal(ours[:cut], one[:cut])

    def clarity(decoded: np.ndarray) -> float:
        signal, error = given[cut:], decoded[cut:] - given[cut:]
        return 10 * np.log10(np.sum(signal**2) / np.sum(error**2))

    assert clarity(ours) > 15 and abs(clarity(ours) - clarity(one)) < 0.3


@needs_ffmpeg
def test_a_session_encoded_while_made_gives_the_same_bytes(stand_in_session, joined, tmp_path):
    session = stand_in_session(None, clips=SlowSpeech(0.002))
    try:
        live = session.live()
        made_live = encoded(live, tmp_path / "live.mp3")
    finally:
        session.close()
    assert made_live.read_bytes() == joined.read_bytes()


@needs_ffmpeg
def test_a_real_voice_exports_the_same_bytes_cold_and_warm(tmp_path):
    """The built-in session in eSpeak NG's voice, encoded in halves while its clips render,
    then again from the cache."""
    for name in ("cold.mp3", "warm.mp3"):
        done = coach("export", str(tmp_path / name), "--engine", "espeak-ng",
                     cache=tmp_path / "cache")  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "cold.mp3").read_bytes() == (tmp_path / "warm.mp3").read_bytes()
