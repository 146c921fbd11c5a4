"""The pyttsx3 engine: pyttsx3 2.99 driving libespeak-ng, one fresh forked child per clip.

The children are forked by one worker process (pyttsx3_worker.py), started in a session of its
own and ended with its whole group however the render ends. Every wait on it is bounded: each
clip has its time limit in the worker, and the worker itself must answer within that limit and
PROBE_SECONDS more, or it counts as hung. pyttsx3 writes its WAV files itself, in the temporary
folder; a full one is reported by the worker (`nospace`) as `no_space`, not as a hang.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path

from coach.errors import EngineError, excerpt
from coach.tts.engines import (
    PROBE_SECONDS,
    Engine,
    VoiceInfo,
    english_first,
    group_ended,
    no_space,
    read_wav,
    run_bounded,
)


class Pyttsx3Engine(Engine):
    """pyttsx3 2.99, which drives libespeak-ng on Linux (the same voices as `espeak-ng`).

    Each clip is rendered in a child forked from one worker process (see pyttsx3_worker.py),
    which makes pyttsx3 deterministic and fast.
    """

    NAME = "pyttsx3"
    DEFAULT_VOICE = "gmw/en-us"
    DEFAULT_RATE = 150
    INSTALL = "sudo apt-get install libespeak-ng1 (and `pip install pyttsx3==2.99`)"
    WORKER = Path(__file__).with_name("pyttsx3_worker.py")

    @classmethod
    def voices(cls):
        listing = json.loads(run_bounded([sys.executable, "-P", str(cls.WORKER), "voices"],
                                  3 * PROBE_SECONDS, "Listing the pyttsx3 voices").stdout)
        mbrola = shutil.which("mbrola") is not None
        return english_first([
            VoiceInfo(v["id"], v["name"], (v["languages"] or ["?"])[0], (v["gender"] or "").lower()
                      or None, v["id"] == cls.DEFAULT_VOICE)
            for v in listing
            if mbrola or not v["id"].startswith("mb/")
        ])

    def _version(self):
        try:
            return _pyttsx3_version()
        except (ImportError, OSError, RuntimeError):
            raise self._missing("libespeak-ng (or the pyttsx3 package)") from None

    def render(self, texts, *, timeout, workers):
        try:
            with tempfile.TemporaryDirectory(prefix="coach-tts-") as tmp, \
                    tempfile.TemporaryFile() as stderr:  # fmt: skip
                yield from self._render_in(Path(tmp), stderr, texts, timeout, workers)
        except OSError as e:  # making or removing the temporary folder
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise no_space(self.NAME) from None
            raise

    def _render_in(self, tmp: Path, stderr, texts, timeout, workers):
        wavs = [tmp / f"{i}.wav" for i in range(len(texts))]
        # A child spends most of its time asleep (in pyttsx3's 10 ms poll, waiting for
        # espeak's thread), so two children per worker keep the cores busy.
        jobs = [[text, str(wav)] for text, wav in zip(texts, wavs, strict=True)]
        request = {"voice": self.voice, "rate": self.rate, "timeout": timeout,
                   "workers": 2 * workers, "jobs": jobs}  # fmt: skip
        # Its own session: Ctrl-C reaches only us, and group_ended kills the whole group.
        proc = subprocess.Popen([sys.executable, "-P", str(self.WORKER), "render"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                start_new_session=True)  # fmt: skip
        with group_ended(proc):
            with contextlib.suppress(BrokenPipeError):  # a failed start is reported below
                proc.stdin.write(json.dumps(request).encode())
                proc.stdin.close()
            for line in _lines(proc.stdout, timeout + PROBE_SECONDS):
                index, status, *message = line.split(" ", 2)
                i = int(index)
                what = f"pyttsx3 rendering {excerpt(texts[i], 60)!r}"
                if status == "nospace":
                    raise no_space(self.NAME)
                if status != "ok":
                    raise EngineError(f"{what} failed: {message[0]}")
                yield i, read_wav(wavs[i], what)
            try:
                status = proc.wait(PROBE_SECONDS)
            except subprocess.TimeoutExpired:
                raise EngineError(f"The pyttsx3 worker did not end {PROBE_SECONDS} s after its"
                                  " last clip.") from None  # fmt: skip
            if status != 0:
                stderr.seek(0)
                said = stderr.read().decode(errors="replace").strip().splitlines()
                raise EngineError(f"The pyttsx3 worker failed: {(said or ['no message'])[-1]}")


def _lines(pipe, seconds: float) -> Iterator[str]:
    """The lines read from `pipe` as they come; EngineError when none comes for `seconds`."""
    fd, pending = pipe.fileno(), b""
    while True:
        if not select.select([fd], [], [], seconds)[0]:
            raise EngineError(f"The pyttsx3 worker gave no answer for {seconds:g} s; it hangs.")
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        *lines, pending = (pending + chunk).split(b"\n")
        yield from (line.decode(errors="replace") for line in lines)


@cache
def _pyttsx3_version() -> str:
    """pyttsx3's version and libespeak-ng's, loaded (not initialised: that starts a thread)."""
    from pyttsx3.drivers import _espeak

    return f"{package_version('pyttsx3')}/libespeak-ng {_espeak.Info(None).decode()}"



