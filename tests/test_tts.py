"""The TTS layer with the real engines: determinism, caching, repair, concurrency, errors."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support.runners import coach

from coach.errors import BadSettingError, EngineError
from coach.samples import SAMPLE_RATE, to_samples
from coach.tts import ENGINES, Speech, VoiceSettings, list_voices
from coach.tts.engines import EspeakNgEngine, ProgramEngine
from coach.tts.speech import (
    JOIN_SECONDS,
    KEEP_SECONDS,
    SPLIT_CHARS,
    TRIM_THRESHOLD,
    joined,
    sentences,
    spoken_text,
)

PHRASES = [
    "Ankle mobility.",
    "Face a wall. Put one foot forward so your big toe rests against it.",
    "Switch sides.",
    "Three. Two. One. Go!",
    "Knee points straight at the wall.",
    "Rest for ten seconds.",
]
NEEDS = {"piper": None, "pyttsx3": "espeak-ng", "espeak-ng": "espeak-ng", "flite": "flite"}
"""The program whose presence shows each engine is installed (pyttsx3 uses libespeak-ng; Piper
is a Python package, always installed)."""


def installed(engine: str):
    program = NEEDS[engine]
    missing = pytest.mark.skipif(program and not shutil.which(program), reason=f"no {program}")
    # The real Piper voice takes seconds to load and render with.
    return pytest.param(engine, marks=[missing, pytest.mark.slow] if engine == "piper" else missing)


ALL_ENGINES = [installed(e) for e in ENGINES]


def render(tmp_path: Path, name: str, texts: list[str], workers: int = 2, **settings):
    speech = Speech(VoiceSettings(**settings), tmp_path / name, workers=workers)
    return speech, speech.clips(texts)


def digest(clips: dict[str, np.ndarray]) -> str:
    return hashlib.sha256(b"".join(clips[t].tobytes() for t in sorted(clips))).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_a_clip_depends_only_on_its_text(tmp_path, engine):
    target = PHRASES[4]
    _, alone = render(tmp_path, "alone", [target], workers=1, engine=engine)
    _, after = render(tmp_path, "after", PHRASES[:4] + [target], workers=1, engine=engine)
    _, parallel = render(tmp_path, "parallel", PHRASES[::-1], workers=2, engine=engine)
    assert np.array_equal(alone[target], after[target])
    assert np.array_equal(alone[target], parallel[target])
    clip = alone[target]
    assert clip.dtype == np.int16 and clip.ndim == 1 and len(clip) > SAMPLE_RATE // 2


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_many_renders_of_one_text_are_identical(engine):
    """Without the cache: libespeak-ng's state and pyttsx3's races must not leak into clips."""
    clips = dict(ENGINES[engine]().render([PHRASES[4]] * 30, timeout=10, workers=2))
    assert len(clips) == 30
    assert all(np.array_equal(c, clips[0]) for c in clips.values())


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_second_run_renders_nothing_and_damage_is_repaired(tmp_path, engine):
    seen = []
    cold = Speech(VoiceSettings(engine), tmp_path, progress=lambda *p: seen.append(p))
    clean = cold.clips(PHRASES)
    assert (cold.rendered, cold.repaired) == (len(PHRASES), 0)
    assert seen == [(i, len(PHRASES)) for i in range(1, len(PHRASES) + 1)]

    seen.clear()
    warm = Speech(VoiceSettings(engine), tmp_path, progress=lambda *p: seen.append(p))
    assert digest(warm.clips(PHRASES)) == digest(clean)
    assert (warm.rendered, warm.repaired, seen) == (0, 0, [])

    files = sorted(tmp_path.glob("*.clip"))
    assert len(files) == len(PHRASES)
    for i, f in enumerate(files):
        data = f.read_bytes()
        f.write_bytes([data[: len(data) // 2], b"\0" * 24, b"junk" * 99][i % 3])
    fixed = Speech(VoiceSettings(engine), tmp_path)
    assert digest(fixed.clips(PHRASES)) == digest(clean)
    assert (fixed.rendered, fixed.repaired) == (len(PHRASES), len(PHRASES))


CONCURRENT = """
import hashlib, sys
from pathlib import Path
from coach.tts import Speech, VoiceSettings
clips = Speech(VoiceSettings(sys.argv[2]), Path(sys.argv[1])).clips(sys.argv[3:])
print(hashlib.sha256(b"".join(clips[t].tobytes() for t in sorted(clips))).hexdigest())
"""


@pytest.mark.parametrize("engine", [installed("pyttsx3")])
def test_four_processes_fill_one_cache_at_once(tmp_path, engine):
    cmd = [sys.executable, "-c", CONCURRENT, str(tmp_path / "cache"), engine, *PHRASES]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4
    _, clean = render(tmp_path, "clean", PHRASES, engine=engine)
    assert outs == [digest(clean)] * 4
    files = [p.name for p in (tmp_path / "cache").iterdir() if p.name != "CACHEDIR.TAG"]
    assert sorted(Path(f).suffix for f in files) == [".clip"] * len(PHRASES)


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_clips_are_trimmed_and_never_empty(tmp_path, engine):
    _, clips = render(tmp_path, "c", ["Go!", "...", "  Go!  "], engine=engine)
    keep = round(KEEP_SECONDS * SAMPLE_RATE)
    go = clips["Go!"]
    loud = np.flatnonzero(np.abs(go.astype(np.int32)) > TRIM_THRESHOLD)
    assert loud[0] <= keep and len(go) - 1 - loud[-1] <= keep
    assert len(clips["..."]) > 0
    assert np.array_equal(clips["  Go!  "], go)


def test_an_unwritable_cache_renders_each_text_once(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    speech = Speech(VoiceSettings("espeak-ng"), tmp_path / "file" / "cache", workers=2)
    first = speech.clips(PHRASES[:3] + [PHRASES[0]])
    second = speech.clips(PHRASES[:4])
    assert speech.rendered == 4 and len(speech.unsaved) == 4
    assert all(np.array_equal(first[t], second[t]) for t in PHRASES[:3])


def test_pyttsx3_prints_nothing(tmp_path, capfd):
    render(tmp_path, "c", ["Hello."], engine="pyttsx3")
    assert capfd.readouterr().out == ""


def test_rate_and_voice_change_the_sound(tmp_path):
    _, base = render(tmp_path, "c", [PHRASES[1]], engine="pyttsx3")
    _, slow = render(tmp_path, "c", [PHRASES[1]], engine="pyttsx3", rate=100)
    _, gb = render(tmp_path, "c", [PHRASES[1]], engine="pyttsx3", voice="en-GB-x-rp")
    assert len(slow[PHRASES[1]]) > 1.3 * len(base[PHRASES[1]])
    assert not np.array_equal(gb[PHRASES[1]], base[PHRASES[1]])


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_voices_list_the_default_first_then_english(engine):
    voices = list_voices(engine)
    assert voices[0].default and voices[0].id == ENGINES[engine].DEFAULT_VOICE
    assert sum(v.default for v in voices) == 1
    english = [v.language.startswith("en") for v in voices]
    assert english == sorted(english, reverse=True)
    assert not any(v.id.startswith("mb/") for v in voices)  # MBROLA is not installed


def test_unknown_engine(tmp_path):
    with pytest.raises(BadSettingError) as e:
        Speech(VoiceSettings("festival"), tmp_path)
    assert str(e.value) == (
        "Unknown engine 'festival'. Known engines: piper, pyttsx3, espeak-ng, flite."
    )


def test_unknown_voice(tmp_path):
    with pytest.raises(BadSettingError) as e:
        Speech(VoiceSettings("flite", voice="hal"), tmp_path)
    assert str(e.value) == (
        "Unknown flite voice 'hal'. Did you mean 'kal'? Some voices: slt, rms, awb, kal16, kal."
    )
    assert (e.value.engine, e.value.voice_count) == ("flite", 5)  # the CLI names `coach voices`
    some = r"^Unknown pyttsx3 voice 'elvish'\. Some voices: gmw/en-us, "
    with pytest.raises(BadSettingError, match=some):
        Speech(VoiceSettings("pyttsx3", voice="elvish"), tmp_path)


def test_bad_rate(tmp_path):
    with pytest.raises(BadSettingError) as e:
        Speech(VoiceSettings("espeak-ng", rate=1000), tmp_path)
    assert str(e.value) == "Rate 1000 is out of range: espeak-ng takes 80 to 400 words per minute."


class HangingEngine(ProgramEngine):
    """A program that never finishes."""

    NAME = "hanging"
    PROGRAM = "sleep"
    DEFAULT_VOICE = "none"
    DEFAULT_RATE = 150
    INSTALL = "nothing"

    @classmethod
    def voices(cls):
        return []

    def _version(self):
        return "1"

    def command(self, text):
        return [self.program(), "30"]


class MissingEngine(HangingEngine):
    NAME = "missing"
    PROGRAM = "no-such-tts-program"
    INSTALL = "sudo apt-get install no-such-tts-program"

    def _version(self):
        return self.program()


def test_a_hanging_engine_hits_the_time_limit(tmp_path):
    speech = Speech(VoiceSettings("hanging"), tmp_path, engines={"hanging": HangingEngine},
                    timeout=0.3)  # fmt: skip
    start = time.monotonic()
    with pytest.raises(EngineError) as e:
        speech.clips(["a", "b", "c"])
    # Whichever clip times out first: as many render at once as there are cores.
    assert str(e.value) in {f"hanging rendering '{t}' timed out after 0.3 s." for t in "abc"}
    assert time.monotonic() - start < 5
    assert list(tmp_path.iterdir()) == []


def test_pyttsx3_render_has_a_time_limit(tmp_path):
    speech = Speech(VoiceSettings("pyttsx3"), tmp_path, timeout=0.001)
    timed_out = r"^pyttsx3 rendering '.*' failed: timed out after 0.001 s$"
    with pytest.raises(EngineError, match=timed_out):
        speech.clips(PHRASES)


def test_a_missing_program_says_how_to_install_it(tmp_path):
    with pytest.raises(EngineError) as e:
        Speech(VoiceSettings("missing"), tmp_path, engines={"missing": MissingEngine})
    assert str(e.value) == (
        "The missing engine needs the `no-such-tts-program` program, which is not installed."
        " Probable fix: sudo apt-get install no-such-tts-program"
    )


def test_a_missing_espeak_ng_is_named_with_its_install_command(tmp_path):
    """What a user without eSpeak NG sees: a PATH that lacks the program."""
    bare = tmp_path / "bin"
    bare.mkdir()
    done = coach("script", "--engine", "espeak-ng", cache=tmp_path / "cache", path=str(bare))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "coach: error: The espeak-ng engine needs the `espeak-ng` program, which is not "
        "installed. Probable fix: sudo apt-get install espeak-ng\n"
    )


def test_measurements_are_kept_beside_the_clip_and_a_damaged_file_is_removed(tmp_path):
    speech = Speech(VoiceSettings("espeak-ng"), tmp_path / "c")
    assert speech.measures("Chest  up.") is None
    speech.store_measures("Chest  up.", b"blocks")
    assert speech.measures(" Chest up. ") == b"blocks"  # by the normalised text, as clips are
    (sidecar,) = (tmp_path / "c").glob("*.measures")
    sidecar.write_bytes(sidecar.read_bytes()[:-1])
    assert speech.measures("Chest up.") is None and not sidecar.exists()
    (tmp_path / "file").write_text("not a folder")
    unwritable = Speech(VoiceSettings("espeak-ng"), tmp_path / "file" / "cache")
    unwritable.store_measures("Chest up.", b"blocks")  # no error, and no warning
    assert unwritable.unsaved == [] and unwritable.measures("Chest up.") is None


class CountingEspeak(EspeakNgEngine):
    """eSpeak NG, noting every text it is given."""

    NAME = "counting"
    given: list[str] = []

    def render(self, texts, *, timeout, workers):
        CountingEspeak.given += texts
        yield from super().render(texts, timeout=timeout, workers=workers)


LONG = (
    "Face the wall. Rise onto your toes. Lower your heels slowly. Rise onto your toes. "
    "Keep the knees soft and the chest tall, and breathe out each time you go up again!"
)


def test_a_long_text_renders_a_sentence_at_a_time_and_joins_them(tmp_path):
    parts = sentences(spoken_text(LONG))
    assert len(LONG) > SPLIT_CHARS and len(parts) == 5 and parts[1] == parts[3]
    assert sentences("Rise onto your toes. Lower.") == ["Rise onto your toes. Lower."]  # short
    CountingEspeak.given = []
    counted: list[tuple[int, int]] = []
    speech = Speech(VoiceSettings("counting"), tmp_path / "a", engines={"counting": CountingEspeak},
                    progress=lambda done, total: counted.append((done, total)))  # fmt: skip
    clips = speech.clips([LONG, "Go."])
    assert sorted(CountingEspeak.given) == sorted([*parts, "Go."])  # each part is a render
    assert counted[-1] == (6, 6)  # the progress counts the parts
    alone = Speech(VoiceSettings("espeak-ng"), tmp_path / "b")
    assert np.array_equal(clips[LONG], joined([alone.clip(p) for p in parts]))
    pause = clips[LONG][len(alone.clip(parts[0])) :][: to_samples(JOIN_SECONDS)]
    assert not np.abs(pause.astype(np.int32)).max() > TRIM_THRESHOLD  # silence between them
    # A second session reads the joined clip from the cache: nothing is rendered again.
    CountingEspeak.given = []
    again = Speech(VoiceSettings("counting"), tmp_path / "a", engines={"counting": CountingEspeak})
    assert np.array_equal(again.clip(LONG), clips[LONG]) and CountingEspeak.given == []
