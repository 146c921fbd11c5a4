"""The pyttsx3 render worker, run as a script: `python -P pyttsx3_worker.py (render | voices)`.

pyttsx3 2.99 drives libespeak-ng, which keeps state between utterances and runs a thread, so a
clip rendered in a long-lived process depends on what was rendered before it. This worker
imports pyttsx3 once, then forks a fresh child per clip: every child starts from the same state,
so its samples depend only on (voice, rate, text). It imports nothing from `coach` (no numpy):
it starts in about 80 ms.

`render` reads `{"voice", "rate", "timeout", "workers", "jobs": [[text, wav_path], ...]}` as JSON
on stdin and prints `<index> ok`, `<index> nospace <message>` (the WAV's disk is full) or
`<index> error <message>` per job as each one ends.
`voices` prints the voices as a JSON list.
"""
from __future__ import annotations

import errno
import json
import os
import signal
import sys
import threading
import time

import pyttsx3
from pyttsx3.drivers import _espeak
from pyttsx3.drivers.espeak import EspeakDriver


def render(text: str, path: str, voice: str, rate: int) -> None:
    """Render `text` to the WAV `path`; meant to run in a fresh child.

    pyttsx3 saves the WAV in espeak's callback, where an error (a full disk) is only reported
    to `sys.unraisablehook` and the utterance never finishes: the hook raises it here instead
    of a wait until the time limit.
    """
    done = threading.Event()
    failed: list[BaseException] = []

    def hook(unraisable) -> None:
        failed.append(unraisable.exc_value)
        done.set()

    sys.unraisablehook = hook
    engine = pyttsx3.init("espeak")
    engine.connect("finished-utterance", lambda **_: done.set())
    # Set on the driver and wait until espeak has applied them: pyttsx3 would queue them, and
    # its runAndWait cancels espeak's queue (dropping a pending rate) when it is not empty.
    # (espeak_Synchronize would do, but it sleeps in steps of 20 ms.)
    EspeakDriver.setProperty("voice", voice)
    if EspeakDriver.getProperty("voice") != voice:
        raise ValueError(f"voice {voice!r} did not load")
    EspeakDriver.setProperty("rate", rate)
    while _espeak.IsPlaying():
        time.sleep(0.0005)
    engine.save_to_file(text, path)
    engine.runAndWait()
    done.wait()  # runAndWait can return before the utterance is finished
    if failed:
        raise failed[0]


def serve(request: dict, out) -> None:
    """Render every job in its own forked child, `workers` at a time, each within `timeout`."""
    jobs = list(enumerate(request["jobs"]))
    running: dict[int, tuple[int, int]] = {}  # pid -> (job index, read end of its error pipe)
    while jobs or running:
        while jobs and len(running) < request["workers"]:
            index, (text, path) = jobs.pop(0)
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                signal.setitimer(signal.ITIMER_REAL, request["timeout"])  # SIGALRM kills
                try:
                    render(text, path, request["voice"], request["rate"])
                    os._exit(0)
                except BaseException as e:  # noqa: BLE001 - reported to the parent
                    os.write(w, f"{type(e).__name__}: {e}".encode()[:2000])
                    os._exit(2 if _is_full(e) else 1)
            os.close(w)
            running[pid] = (index, r)
        pid, status = os.wait()
        index, r = running.pop(pid)
        with os.fdopen(r, "rb") as err:
            message = err.read().decode(errors="replace").replace("\n", " ")
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
            message = f"timed out after {request['timeout']} s"
        elif status != 0 and not message:
            message = f"exited with status {status}"
        word = "nospace" if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 2 else "error"
        out.write(f"{index} {word} {message}\n" if message else f"{index} ok\n")
        out.flush()


def _is_full(error: BaseException | None) -> bool:
    """Whether `error`, or one it was raised from, says the disk is full (ENOSPC, EDQUOT)."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        error = error.__cause__ or error.__context__
    return False


def voices() -> list[dict]:
    """pyttsx3's voices as dicts (id, name, languages, gender)."""
    found = pyttsx3.init("espeak").getProperty("voices")
    return [
        {"id": v.id, "name": v.name, "languages": v.languages, "gender": v.gender} for v in found
    ]


def main() -> None:
    # Keep the protocol on a private copy of stdout; point fd 1 (where pyttsx3 prints
    # "Audio saved to ...") at /dev/null for this process and its children.
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    if sys.argv[1:] == ["voices"]:
        json.dump(voices(), out)
    else:
        serve(json.load(sys.stdin), out)
    out.flush()


if __name__ == "__main__":
    main()
