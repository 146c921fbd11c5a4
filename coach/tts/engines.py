"""Speech engines behind one interface, and the registry of them by name.

An engine is built from a voice and a rate (None: its default, chosen for clarity), checks up
front that its program or library and the voice exist, and renders texts to int16 mono clips at
SAMPLE_RATE. Every clip is rendered in a fresh process with a time limit, so its samples depend
only on the engine, its version, the voice, the rate and the text.

Every child starts in a session of its own, and every wait on one is bounded: on a timeout, an
error or Ctrl-C its whole process group is ended, so a program's own children (a wrapper
script's, say) are never left running. The program engines write their WAV to a pipe, not to
the temporary folder, so a full $TMPDIR cannot cut a clip short without a word (eSpeak NG exits
0 and patches the header of the truncated file).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import wave
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from coach.errors import BadSettingError, EngineError, excerpt
from coach.language.catalogue import Language
from coach.samples import SAMPLE_RATE
from coach.system.suggest import did_you_mean

MIN_RATE, MAX_RATE = 80, 400
"""The words-per-minute range every engine accepts."""
PROBE_SECONDS = 10.0
"""How long asking an engine for its version or voices may take; also the slack a worker gets
over the time limit of a clip (to start, and between answers)."""


@dataclass(frozen=True)
class VoiceInfo:
    """One voice of an engine."""

    id: str
    """What `--voice` takes (a voice's language code or name is accepted too)."""
    name: str
    language: str
    gender: str | None = None
    default: bool = False
    """The engine's default voice, chosen for clarity."""


class UnknownVoiceError(BadSettingError):
    """A voice the engine does not have; the message names the closest of its voices' ids (a
    typo) and a few it has. `engine` (its registry name) and `voice_count` (how many voices it
    has) are for a caller that can say how to list them all (the CLI names its command)."""

    SOME = 8
    """How many of the engine's voices the message names."""

    def __init__(self, engine: str, wanted: str, voices: list[VoiceInfo]) -> None:
        some = ", ".join(v.id for v in voices[: self.SOME])
        near = did_you_mean(wanted, [v.id for v in voices])
        super().__init__(f"Unknown {engine} voice {wanted!r}.{near} Some voices: {some}.")
        self.engine = engine
        self.wanted = wanted
        self.voice_count = len(voices)


def english_first(voices: list[VoiceInfo]) -> list[VoiceInfo]:
    """The default first, then English voices, then the rest; otherwise in the given order."""
    return sorted(voices, key=lambda v: (not v.default, not v.language.startswith("en")))


def normal_code(language: str) -> str:
    """A language code as codes are compared: "de_DE" and "de-de" are both "de-de"."""
    return language.lower().replace("_", "-")


def speaks(voice: VoiceInfo, code: str) -> bool:
    """Whether `voice` speaks what `code` names: its language is `code` or a regional form of it
    ("de" takes the "de-de" and "de-at" voices, "en-gb" the "en-gb-scotland" one). Whole subtags
    are compared ("hy" is not "hyw"), in any case, "_" as "-"."""
    wanted, spoken = normal_code(code), normal_code(voice.language)
    return spoken == wanted or spoken.startswith(wanted + "-")


def voice_speaking(voices: list[VoiceInfo], code: str) -> str | None:
    """The id of the voice a speaker of `code` expects first: the one of that very code, then
    the form of the language's own country ("fr" -> "fr-fr", "es" -> "es-es", before "fr-be"
    and "es-mx"), then the first other one that `speaks` it; None when none does."""
    wanted = normal_code(code)

    def rank(voice: VoiceInfo) -> tuple[bool, bool]:
        spoken = normal_code(voice.language)
        return spoken != wanted, spoken != f"{wanted}-{wanted}"

    found = [v for v in voices if speaks(v, code)]
    return min(found, key=rank).id if found else None  # the first of the best, in their order


def read_wav(source: Path | bytes, what: str) -> np.ndarray:
    """The samples of a mono 16-bit WAV (a file, or its bytes), resampled to SAMPLE_RATE;
    EngineError naming `what` made it when it is not one (empty, cut short, another format)."""
    try:
        with wave.open(str(source) if isinstance(source, Path) else io.BytesIO(source)) as w:
            if (w.getnchannels(), w.getsampwidth()) != (1, 2):
                raise EngineError(f"{what} gave a WAV of another format (not mono 16-bit).")
            rate = w.getframerate()
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    except (EOFError, wave.Error, ValueError) as e:
        raise EngineError(f"{what} gave no readable WAV ({e or 'it is empty'}).") from None
    return resample(samples, rate)


def no_space(engine: str) -> EngineError:
    """The error for a temporary folder too full for `engine`'s clips, naming it and the fix."""
    return EngineError(
        f"no space left in {tempfile.gettempdir()} (the temporary folder, $TMPDIR) for the"
        f" {engine} clips; free some space there, or set TMPDIR to a folder with room."
    )


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` (int16, or floats on the int16 scale) at `rate`, as int16 at SAMPLE_RATE."""
    if rate != SAMPLE_RATE:
        from math import gcd

        from scipy.signal import resample_poly  # imported late: scipy takes ~1 s to import

        g = gcd(rate, SAMPLE_RATE)
        samples = resample_poly(samples.astype(np.float64), SAMPLE_RATE // g, rate // g)
    elif samples.dtype == np.int16:
        return samples.astype(np.int16)
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16)


class Engine(ABC):
    """A speech engine with a fixed voice and rate.

    Subclasses set NAME, DEFAULT_VOICE and DEFAULT_RATE, and implement `voices`, `_version`
    and `render`. The constructor raises EngineError when the engine is not installed and
    BadSettingError for a voice or rate it does not have.
    """

    NAME: ClassVar[str]
    DEFAULT_VOICE: ClassVar[str]
    DEFAULT_RATE: ClassVar[int]
    INSTALL: ClassVar[str]
    """How to install what the engine needs, for the error message."""
    LANGUAGES: ClassVar[tuple[str, ...] | None] = None
    """The only languages (tags) its voices speak, when that is known without asking it (flite:
    English); None: whichever its installed voices speak."""

    def __init__(self, voice: str | None = None, rate: int | None = None) -> None:
        self.version = self._version()
        self.voice = self.DEFAULT_VOICE if voice is None else self._find_voice(voice)
        self.rate = self.DEFAULT_RATE if rate is None else rate
        if not MIN_RATE <= self.rate <= MAX_RATE:
            raise BadSettingError(
                f"Rate {self.rate} is out of range: {self.NAME} takes {MIN_RATE} to {MAX_RATE}"
                " words per minute."
            )

    @classmethod
    @abstractmethod
    def voices(cls) -> list[VoiceInfo]:
        """The voices installed here, English first."""

    @classmethod
    def voice_for(cls, spoken: Language) -> str | None:
        """The id of its installed voice for `spoken` (see `voice_speaking`), by the language's
        eSpeak NG code, which eSpeak NG's voices (pyttsx3's too) are listed by; None when it has
        none."""
        return voice_speaking(cls.voices(), spoken.espeak_voice)

    @abstractmethod
    def _version(self) -> str:
        """The engine's version (part of every cache key); EngineError when it is missing."""

    def voice_language(self) -> str | None:
        """The language code the voice's own files give ("de_DE"), so that a voice of another
        language than the session's can be refused; None when they give none."""
        return None

    def key_parts(self) -> dict[str, object]:
        """Everything of the engine that changes the sound, for the clip cache's key."""
        return {"engine": self.NAME, "version": self.version, "voice": self.voice,
                "rate": self.rate}  # fmt: skip

    @abstractmethod
    def render(self, texts: Sequence[str], *, timeout: float, workers: int) -> Iterator[
        tuple[int, np.ndarray]
    ]:
        """Yield `(index in texts, clip at SAMPLE_RATE)` as each clip is done, in any order.

        Raises EngineError when a clip fails or takes longer than `timeout` seconds.
        """

    def _find_voice(self, wanted: str) -> str:
        """The id of the voice whose id, language or name is `wanted` (any case)."""
        found = self.voices()
        for v in found:
            if wanted.lower() in (v.id.lower(), v.language.lower(), v.name.lower()):
                return v.id
        raise UnknownVoiceError(self.NAME, wanted, found)

    @classmethod
    def _missing(cls, what: str) -> EngineError:
        return EngineError(
            f"The {cls.NAME} engine needs {what}, which is not installed."
            f" Probable fix: {cls.INSTALL}"
        )


@contextlib.contextmanager
def group_ended(proc: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """`proc` (started with `start_new_session`), its whole process group killed and the
    leader reaped on the way out, whatever the way (an end, an error, a timeout, Ctrl-C)."""
    try:
        yield proc
    finally:
        # Its group id outlives the leader while any member is alive, so this is safe even
        # once the leader has been reaped; an empty group is ESRCH.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):  # a pipe the child left full
                    stream.close()


def run_bounded(cmd: list[str], timeout: float, what: str, check: bool = True,
         text: bool = True) -> subprocess.CompletedProcess:  # fmt: skip
    """Run `cmd` in its own session within `timeout` seconds (see `group_ended`); EngineError
    when it hangs or (with `check`) fails."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    with group_ended(proc):
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EngineError(f"{what} timed out after {timeout} s.") from None
    errors = err.decode(errors="replace")
    if check and proc.returncode != 0:
        detail = errors.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise EngineError(f"{what} failed: {detail[0]}")
    return subprocess.CompletedProcess(cmd, proc.returncode,
                                       out.decode(errors="replace") if text else out, errors)


def in_parallel(
    render_one: Callable[[int], np.ndarray], count: int, workers: int
) -> Iterator[tuple[int, np.ndarray]]:
    """`(i, render_one(i))` for i in range(count), on `workers` threads, as each one is done;
    what has not started is cancelled when the caller stops (an error, Ctrl-C)."""
    with ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(render_one, i): i for i in range(count)}
        try:
            for f in as_completed(futures):
                yield futures[f], f.result()
        finally:
            for f in futures:
                f.cancel()


class ProgramEngine(Engine):
    """An engine that runs a program once per clip, which writes a WAV to its standard output."""

    PROGRAM: ClassVar[str]

    @abstractmethod
    def command(self, text: str) -> list[str]:
        """The command line that renders `text` as a WAV on standard output."""

    def render(self, texts, *, timeout, workers):
        def one(i: int) -> np.ndarray:
            what = f"{self.NAME} rendering {excerpt(texts[i], 60)!r}"
            wav = run_bounded(self.command(texts[i]), timeout, what, text=False).stdout
            return read_wav(wav, what)

        yield from in_parallel(one, len(texts), workers)

    @classmethod
    def program(cls) -> str:
        """The program's path; EngineError saying how to install it when it is missing."""
        path = shutil.which(cls.PROGRAM)
        if path is None:
            raise cls._missing(f"the `{cls.PROGRAM}` program")
        return path


def _version_in(listing: str, pattern: str) -> str:
    """The version a program printed, or its whole first line when the pattern misses."""
    found = re.search(pattern, listing)
    return found.group(1) if found else listing.strip().split("\n")[0]


def _espeak_voices(lines: list[str], default: str) -> list[VoiceInfo]:
    """VoiceInfo of each line of `espeak-ng --voices`, without MBROLA voices unless installed."""
    mbrola = shutil.which("mbrola") is not None
    voices = []
    for line in lines[1:]:
        fields = line.split()
        if len(fields) < 5 or (fields[4].startswith("mb/") and not mbrola):
            continue
        lang, gender, name, ident = fields[1], fields[2].split("/")[-1], fields[3], fields[4]
        sex = {"M": "male", "F": "female"}.get(gender)
        voices.append(VoiceInfo(ident, name.replace("_", " "), lang, sex, ident == default))
    return english_first(voices)


class EspeakNgEngine(ProgramEngine):
    """The `espeak-ng` program: fast, robotic but very clear at a moderate rate."""

    NAME = "espeak-ng"
    PROGRAM = "espeak-ng"
    DEFAULT_VOICE = "gmw/en-US"
    DEFAULT_RATE = 150
    INSTALL = "sudo apt-get install espeak-ng"

    @classmethod
    def voices(cls):
        listing = run_bounded([cls.program(), "--voices"], PROBE_SECONDS,
                              "espeak-ng --voices").stdout  # fmt: skip
        return _espeak_voices(listing.splitlines(), cls.DEFAULT_VOICE)

    def _version(self):
        listing = run_bounded([self.program(), "--version"], PROBE_SECONDS,
                              "espeak-ng --version").stdout  # fmt: skip
        return _version_in(listing, r"text-to-speech: (\S+)")

    def command(self, text):
        # Its header on a pipe says "unknown length" (0x7ffff000): the samples run to the end.
        return [self.program(), "-v", self.voice, "-s", str(self.rate), "--stdout", "--", text]


class FliteEngine(ProgramEngine):
    """Debian's `flite` (CMU Flite): the slt, rms and awb voices sound the most natural here.

    Its voices speak at 16 kHz; the clips are resampled to SAMPLE_RATE. Flite has no
    words-per-minute setting: the rate becomes a duration stretch of its natural pace.
    """

    NAME = "flite"
    PROGRAM = "flite"
    DEFAULT_VOICE = "slt"
    DEFAULT_RATE = 150
    LANGUAGES = ("en",)
    NATURAL_RATE = 170
    """Flite's pace in words per minute at duration stretch 1."""
    INSTALL = "sudo apt-get install flite"
    _VOICES: ClassVar[dict[str, str]] = {
        "slt": "SLT (US English, female)",
        "rms": "RMS (US English, male)",
        "awb": "AWB (Scottish English, male)",
        "kal16": "Kal (US English, male, diphone)",
        "kal": "Kal (US English, male, diphone, 8 kHz)",
    }

    @classmethod
    def voices(cls):
        listing = run_bounded([cls.program(), "-lv"], PROBE_SECONDS, "flite -lv").stdout
        installed = listing.split(":", 1)[-1].split()
        return english_first([
            VoiceInfo(v, cls._VOICES[v], "en-us" if v != "awb" else "en-gb-scotland",
                      "female" if v == "slt" else "male", v == cls.DEFAULT_VOICE)
            for v in cls._VOICES
            if v in installed
        ])

    def _version(self):
        # `flite --version` exits with status 1
        listing = run_bounded([self.program(), "--version"], PROBE_SECONDS, "flite --version",
                       check=False).stdout  # fmt: skip
        return _version_in(listing, r"version: (\S+)")

    def command(self, text):
        stretch = f"{self.NATURAL_RATE / self.rate:.4f}"
        return [self.program(), "-voice", self.voice, "--setf", f"duration_stretch={stretch}",
                "-t", text, "-o", "/dev/stdout"]
