"""The measured pass (output/measured.py): an encoded file of the voice alone that misses the
promise is encoded again until ffmpeg's own meter finds it within (at most -1 dBTP, the
session's loudness within 1 LU), the spots that lower the ceiling at a few places alone, and
the records that spare a warm export the measuring, without changing a byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from support.audio import ebur128
from support.fixtures import music_folder  # noqa: F401 - a module fixture
from support.routines import routine_bytes
from support.stand_in import StandInSpeech

import coach.output.measured as measured
from coach.audio.headroom import SPOT_REACH, Headroom
from coach.audio.loudness import BLOCK, loudness, true_peak
from coach.audio.meter import StreamMeter
from coach.audio.timeline import Timeline
from coach.compose.options import SessionOptions
from coach.compose.script import Script
from coach.errors import ExportError
from coach.music.bed import MusicChoice
from coach.output.ceilings import encoder_headroom
from coach.output.export import export_timeline
from coach.output.measured import PEAK_AIM, SLOPE_UP, SPOT_MARGIN, Measures, corrected
from coach.routine.loading import parse_routine
from coach.session import open_session

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
ROUTINE = routine_bytes("side-lunge-and-calf-raise.yaml")


class LoudSpeech(StandInSpeech):
    """The stand-in's buzz, squared off (clipped at half its peak, then raised): dense like a
    voice limited hard, so an encoder given the usual headroom makes it too loud."""

    def clip(self, text: str) -> np.ndarray:
        buzz = super().clip(text).astype(np.float64)
        flat = np.clip(buzz, -16000, 16000) * 1.9
        return np.round(flat).astype(np.int16)


def session(volume: float = 1.0, clips: StandInSpeech | None = None) -> Timeline:
    routine = parse_routine(ROUTINE, "test.yaml")
    opened = open_session(routine, SessionOptions(), volume=volume, clips=clips or LoudSpeech())
    return opened.timeline()


def export(timeline: Timeline, path: Path, records: Path | None = None) -> Path:
    return export_timeline(timeline, path, records=records).path


def records_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.measures"))


# --- what a listener gets ------------------------------------------------------------------


@needs_ffmpeg
@pytest.mark.parametrize("ext", [".mp3", ".ogg", ".m4a"])
def test_a_file_that_misses_is_encoded_again_within_the_promise(ext, tmp_path, monkeypatch):
    encodes = []
    original = measured.encode
    monkeypatch.setattr(measured, "encode", lambda *a: encodes.append(a[-1]) or original(*a))
    whole = session()
    path = export(whole, tmp_path / f"s{ext}")
    first = tmp_path / f"first{ext}"
    original(whole, first, ext, lambda _: ";FFMETADATA1\n", lambda *_: None,
             encoder_headroom(ext, 1))  # fmt: skip
    assert ebur128(first)[0] > -15.0  # the encoder's own headroom makes it too loud
    integrated, peak = ebur128(path)
    assert integrated == pytest.approx(-16, abs=1) and peak <= -1.0, (integrated, peak)
    assert len(encodes) >= 2 and encodes[0] == encoder_headroom(ext, 1)


@needs_ffmpeg
def test_a_session_turned_down_is_measured_against_its_own_loudness(tmp_path):
    """At half volume the session is 6 dB quieter, and so is its file."""
    path = export(session(volume=0.5), tmp_path / "half.mp3")
    integrated, peak = ebur128(path)
    assert integrated == pytest.approx(-16 - 6.02, abs=1) and peak <= -1.0


@needs_ffmpeg
def test_silence_and_music_are_not_measured(tmp_path, monkeypatch, music):
    def refuse(*_):
        raise AssertionError("measured")

    monkeypatch.setattr(measured, "measure", refuse)
    assert export(session(volume=0.0), tmp_path / "silent.mp3").stat().st_size > 0
    routine = parse_routine(ROUTINE, "test.yaml")
    options = SessionOptions(only=("side-lunge",))
    mixed = open_session(routine, options, music=MusicChoice(music), cache_dir=tmp_path / "cache",
                         clips=StandInSpeech()).timeline()  # fmt: skip
    assert export(mixed, tmp_path / "music.mp3").stat().st_size > 0


@needs_ffmpeg
def test_a_silent_session_is_encoded_once(tmp_path, monkeypatch):
    """No gain raises silence: it is no loudness missed (and no gain made of -inf LUFS)."""
    encodes = []
    original = measured.encode
    monkeypatch.setattr(measured, "encode", lambda *a: encodes.append(a[-1]) or original(*a))
    silent = Timeline(Script("x", 22050, (), ()), None)
    export(silent, tmp_path / "silent.mp3")
    assert encodes == [encoder_headroom(".mp3", 1)]


@needs_ffmpeg
def test_a_file_that_does_not_decode_is_an_export_error(tmp_path):
    garbage = tmp_path / "g.mp3"
    garbage.write_bytes(b"not audio at all" * 64)
    with pytest.raises(ExportError, match="^ffmpeg could not decode the file to measure it: "):
        measured.measure(garbage, session())


# --- the records ---------------------------------------------------------------------------


@needs_ffmpeg
def test_a_record_spares_the_measuring_and_changes_no_byte(tmp_path, monkeypatch):
    whole, cache = session(), tmp_path / "cache"
    measured_once = export(whole, tmp_path / "once.mp3", records=cache).read_bytes()
    assert len(records_in(cache)) == 1
    unrecorded = export(whole, tmp_path / "none.mp3").read_bytes()

    def refuse(*_):
        raise AssertionError("measured again")

    with monkeypatch.context() as patched:
        patched.setattr(measured, "measure", refuse)
        assert export(whole, tmp_path / "again.mp3", records=cache).read_bytes() == measured_once
    assert unrecorded == measured_once
    record = records_in(cache)[0]
    record.write_bytes(record.read_bytes()[:-3] + b"}}}")  # damaged: measured again
    assert export(whole, tmp_path / "damaged.mp3", records=cache).read_bytes() == measured_once


# --- the corrections -----------------------------------------------------------------------


def test_a_peak_over_the_aim_lowers_the_ceiling_at_that_place_alone():
    first = Headroom(3.0, -2.8)
    one = corrected([(first, Measures(-16.2, -1.1, ((44_100, 0.5),)))], target=-16.0)
    assert (one.gain_db, one.ceiling_db) == (3.0, -2.8)  # loudness within the window: kept
    assert one.spots == ((44_100, 0.5 + SPOT_MARGIN),)
    nearby = 44_100 + SPOT_REACH // 2  # the same place, still over: lowered further
    two = corrected([(first, Measures(0, 0)), (one, Measures(-16.2, -1.4, ((nearby, 0.2),)))],
                    target=-16.0)  # fmt: skip
    assert two.spots == ((44_100, round(0.5 + 0.2 + 2 * SPOT_MARGIN, 2)),)


def test_a_file_too_quiet_gets_more_gain_by_what_it_missed():
    quiet = corrected([(Headroom(3.0, -2.8), Measures(-17.2, -3.0))], target=-16.0)
    assert quiet.gain_db == pytest.approx(3.0 + 1.2 / SLOPE_UP, abs=0.01)
    # the next step goes by the slope the two tries measured (limiting ate 0.3 LU of 4 dB)
    then = corrected([(Headroom(3.0, -2.8), Measures(-17.2, -3.0)),
                      (Headroom(7.0, -2.8), Measures(-16.9, -2.5))], target=-16.0)  # fmt: skip
    assert then.gain_db > quiet.gain_db + 0.9 / SLOPE_UP


# --- the spots -----------------------------------------------------------------------------


def test_a_spot_limits_its_place_and_leaves_the_rest_as_it_was(stand_in_session):
    whole = stand_in_session(ROUTINE).timeline()
    length = whole.script.length
    speech = [e for e in whole.script.events if e.text]
    frame = (speech[3].start + speech[3].end) // 2
    plain = Headroom(3.0, -2.8)
    spotted = Headroom(3.0, -2.8, spots=((frame, 3.0),))
    a = np.frombuffer(plain.pcm(whole, 0, length), "<i2")
    b = np.frombuffer(spotted.pcm(whole, 0, length), "<i2")
    near = slice(frame - SPOT_REACH, frame + SPOT_REACH)
    assert true_peak(b[near] / 32768) <= -5.8 + 0.01 < true_peak(a[near] / 32768)
    reach = SPOT_REACH + 8 * BLOCK  # and the limiter's own ramps
    assert np.array_equal(a[: frame - reach], b[: frame - reach])
    assert np.array_equal(a[frame + reach :], b[frame + reach :])
    cuts = sorted({0, length, *np.random.default_rng(5).integers(1, length, 30).tolist()})
    pieces = b"".join(spotted.pcm(whole, x, y) for x, y in zip(cuts, cuts[1:], strict=False))
    assert pieces == b.tobytes()  # the same bytes however the session is cut


def test_a_file_measured_as_it_streams_reads_as_it_does_whole(stand_in_session):
    """The meter holds a stretch at a time; its figures are those of the whole session."""
    whole = stand_in_session(ROUTINE).timeline()
    samples = np.frombuffer(Headroom(3.0, -2.8).pcm(whole, 0, whole.script.length), "<i2")
    samples = (samples / 32768).astype(np.float32)[:-17]  # and a last part block
    meter = StreamMeter(-6.0)
    cuts = sorted({0, len(samples), *np.random.default_rng(3).integers(1, len(samples), 25)})
    for a, b in zip(cuts, cuts[1:], strict=False):
        meter.add(samples[a:b])
    lufs, peaks = meter.finish()
    assert lufs == pytest.approx(loudness(samples), abs=1e-6)
    assert len(peaks) == -(-len(samples) // BLOCK)
    loud = peaks >= 10 ** (-6 / 20)
    assert loud.any() and 20 * np.log10(peaks.max()) == pytest.approx(true_peak(samples), abs=1e-4)


def test_the_peak_aim_leaves_room_under_the_promise():
    assert PEAK_AIM < measured.PEAK_LIMIT < -1.0
