"""What an export must never do, tried on real parts in real `coach` processes: replace a good file
with a broken one (a full disk, an ffmpeg that lies or hangs), write over the user's music,
sweep a user's file, follow a link elsewhere, or write the audio and then fail on its captions.
Each case checks the exit status, the one line, the old file's bytes and what is left."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from support.routines import routine_bytes, routine_text
from support.runners import coach

from coach.audio.timeline import Timeline
from coach.compose.script import Script
from coach.errors import ExportError
from coach.output import encode
from coach.output.export import export_timeline
from coach.output.halves import cut_point
from coach.routine.loading import parse_routine

ROUTINE = routine_bytes("side-lunge-and-calf-raise.yaml")
"""Two drills with sides, a hold, a cue and equipment: the stand-in session's routine."""

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

TINY = routine_text("one-reach-19-seconds.yaml")
"""A 19-second session (with --brief), so a whole WAV fits in a small tmpfs."""
SESSION = ("-r", "tiny.yaml", "--brief", "--engine", "espeak-ng")


def run(*args: str, cwd: Path, cache: Path, **env: str) -> subprocess.CompletedProcess:
    """The real `coach` command with `args`, its clips in `cache`, `env` added."""
    return coach(*args, "--cache-dir", str(cache), cwd=cwd, env=env)


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def refused(result: subprocess.CompletedProcess, status: int, line: str) -> None:
    """The command failed with `status` and said exactly `line`, on one line."""
    assert (result.returncode, result.stderr) == (status, f"coach: error: {line}\n")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "tiny.yaml").write_text(TINY)
    return tmp_path


@pytest.fixture(scope="module")
def warm(tmp_path_factory) -> Path:
    """A clip cache holding the tiny session's clips."""
    folder = tmp_path_factory.mktemp("warm")
    (folder / "tiny.yaml").write_text(TINY)
    result = run("cache", "warm", *SESSION, cwd=folder, cache=folder / "cache")
    assert result.returncode == 0, result.stderr
    return folder / "cache"


def mounted(folder: Path, options: str) -> Path:
    """A tmpfs at `folder` with `options`; the test is skipped where mounting is not allowed."""
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    return folder


@pytest.fixture
def small(work: Path):
    """A 2 MB tmpfs in the working folder (a whole WAV of the tiny session is 0.9 MB)."""
    disk = mounted(work / "small", "size=2m")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path, leave: int) -> None:
    """Fill `disk` until only about `leave` bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    (disk / "filler").write_bytes(b"\0" * max(free - leave, 0))


# --- a full disk -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("ext", [".mp3", ".ogg", ".m4a", ".wav"])
@pytest.mark.parametrize("cache", ["warm", "cold"])
def test_a_full_disk_keeps_the_old_file(work, small, warm, ext, cache):
    """Warm: one ffmpeg writes the file; cold: the session is encoded as it renders, then
    copied. Either way ffmpeg 5.1 exits 0 when its trailer cannot be written."""
    good = run("export", f"good{ext}", *SESSION, cwd=work, cache=warm)
    assert good.returncode == 0, good.stderr
    old = (work / f"good{ext}").read_bytes()
    (small / f"s{ext}").write_bytes(old)
    fill(small, len(old) // 2)
    before = listing(small)
    result = run("export", f"small/s{ext}", *SESSION, cwd=work,
                 cache=warm if cache == "warm" else work / "cold")  # fmt: skip
    refused(result, 1, f"Cannot write small/s{ext}: no space left on {small}; free some space "
                       "there, or export elsewhere.")  # fmt: skip
    assert listing(small) == before  # the old file's bytes, nothing left behind


def test_a_full_disk_for_the_captions_keeps_the_audio_too(work, small, warm):
    (work / "s.mp3").write_bytes(b"old session")
    fill(small, 0)
    before = listing(small)
    result = run("export", "s.mp3", "--captions", "small/s.srt", *SESSION, cwd=work, cache=warm)
    refused(result, 1, f"Cannot write small/s.srt: no space left on {small}; free some space "
                       "there, or export elsewhere.")  # fmt: skip
    assert (work / "s.mp3").read_bytes() == b"old session"
    assert listing(small) == before
    assert sorted(p.name for p in work.iterdir()) == ["s.mp3", "small", "tiny.yaml"]


def test_a_full_temporary_folder_is_named(tmp_path, stand_in_session, monkeypatch):
    """Encoded as it renders (the stand-in engine cannot say it has every clip), a session goes
    through a scratch file in $TMPDIR first."""
    temporary = mounted(tmp_path / "tmp", "size=64k")
    session = stand_in_session(parse_routine(ROUTINE, "test.yaml"))
    try:
        monkeypatch.setattr("tempfile.tempdir", str(temporary))
        fill(temporary, 0)
        out = tmp_path / "s.mp3"
        out.write_bytes(b"old session")
        live = session.live()
        assert live.rendering
        with pytest.raises(ExportError) as raised:
            export_timeline(live, out)
        assert str(raised.value) == (f"Cannot write {out}: no space left on {temporary}; free "
                                     "some space there, or export elsewhere.")  # fmt: skip
        assert out.read_bytes() == b"old session"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mp3", "tmp"]
        assert [p.name for p in temporary.iterdir()] == ["filler"]
    finally:
        session.close()
        subprocess.run(["umount", "-l", str(temporary)], check=True)


# --- an ffmpeg that lies, or hangs --------------------------------------------------------------

BAD_FFMPEGS = {
    "exits 0, reads and writes nothing": ("exit 0\n", "having stopped reading before the end"),
    "exits 0, reads all, writes nothing": ("cat > /dev/null\n", "reads back as 0.0 s of 19.4 s"),
    "cuts its file in half": (
        'for last; do :; done\n"$REAL" "$@" || exit\n'
        'case "$last" in *.part) truncate -s $(($(stat -c %s "$last") / 2)) "$last";; esac\n',
        "reads back as 9.",
    ),
    "crashes": (
        'for last; do :; done\nprintf partial > "$last"\nhead -c 100000 > /dev/null\n'
        'echo "encoder exploded" >&2\nexit 1\n',
        "could not encode .mp3 (exit status 1): encoder exploded",
    ),
}
"""Stand-ins for ffmpeg (each a shell script's body; $REAL is the real ffmpeg), and what the
error says of each."""


def stand_in_ffmpeg(folder: Path, body: str) -> str:
    """A folder holding an `ffmpeg` script of `body`, as PATH with it first."""
    folder.mkdir(exist_ok=True)
    script = folder / "ffmpeg"
    script.write_text(f"#!/bin/sh\nREAL={shutil.which('ffmpeg')}\n{body}")
    script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


@pytest.mark.parametrize("ffmpeg", sorted(BAD_FFMPEGS))
def test_an_ffmpeg_that_fails_or_lies_leaves_the_old_file(work, warm, ffmpeg):
    body, said = BAD_FFMPEGS[ffmpeg]
    (work / "s.mp3").write_bytes(b"old session")
    result = run("export", "s.mp3", *SESSION, cwd=work, cache=warm,
                 PATH=stand_in_ffmpeg(work / "bin", body))  # fmt: skip
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("coach: error: Cannot write s.mp3: ffmpeg ")
    assert said in result.stderr and "Wrote" not in result.stdout
    assert (work / "s.mp3").read_bytes() == b"old session"
    assert sorted(p.name for p in work.iterdir()) == ["bin", "s.mp3", "tiny.yaml"]


# --- a session cut in two (output/halves.py): the built-in one, with eSpeak NG ----------------

LONG = ("--engine", "espeak-ng")
"""The built-in session (12 minutes) with a quick engine: its MP3 is encoded in two halves."""


@pytest.fixture(scope="module")
def warm_long(tmp_path_factory) -> Path:
    """A clip cache holding the built-in session's clips in eSpeak NG's voice."""
    folder = tmp_path_factory.mktemp("warm-long")
    result = run("cache", "warm", *LONG, cwd=folder, cache=folder / "cache")
    assert result.returncode == 0, result.stderr
    return folder / "cache"


def test_a_failed_half_leaves_the_old_file_and_no_scratch(work, warm_long):
    body = ('case "$*" in *second.mp3*) cat > /dev/null; echo "second half exploded" >&2; '
            'exit 1;; esac\nexec "$REAL" "$@"\n')  # fmt: skip
    (work / "s.mp3").write_bytes(b"old session")
    scratch = work / "tmp"
    scratch.mkdir()
    result = run("export", "s.mp3", *LONG, cwd=work, cache=warm_long, TMPDIR=str(scratch),
                 PATH=stand_in_ffmpeg(work / "bin", body))  # fmt: skip
    refused(result, 1, "Cannot write s.mp3: ffmpeg could not encode .mp3 (exit status 1): second "
                       "half exploded")  # fmt: skip
    assert (work / "s.mp3").read_bytes() == b"old session"
    assert sorted(p.name for p in work.iterdir()) == ["bin", "s.mp3", "tiny.yaml", "tmp"]
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("full", ["export folder", "temporary folder"])
def test_a_full_disk_under_a_session_cut_in_two_is_named(work, small, warm_long, full):
    """The halves are written in the temporary folder, then joined into the export's."""
    (work / "s.mp3").write_bytes(b"old session")
    if full == "export folder":  # the 2 MB disk cannot hold the 5.8 MB session
        out, env, where = "small/s.mp3", {}, small
    else:  # room for Python's look at TMPDIR, which takes a full one for unusable
        fill(small, 64 * 1024)
        out, env, where = "s.mp3", {"TMPDIR": str(small)}, small
    before = listing(small)
    result = run("export", out, *LONG, cwd=work, cache=warm_long, **env)
    refused(result, 1, f"Cannot write {out}: no space left on {where}; free some space there, "
                       "or export elsewhere.")  # fmt: skip
    assert (work / "s.mp3").read_bytes() == b"old session"
    assert listing(small) == before


def children() -> list[int]:
    """The processes this one has started and not yet reaped."""
    found = Path("/proc/self/task").glob("*/children")
    return [int(pid) for task in found for pid in task.read_text().split()]


def zeros(seconds: float) -> Timeline:
    samples = np.zeros(int(22050 * seconds), np.int16)
    return Timeline(Script("x", len(samples), (), ()), samples)


def test_ctrl_c_ends_ffmpeg_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "session.mp3"
    out.write_bytes(b"old session")

    def interrupt(done: int, total: int) -> None:
        assert children()  # ffmpeg runs
        if done > 0.3 * total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_timeline(zeros(60), out, progress=interrupt)
    assert children() == []
    assert out.read_bytes() == b"old session"
    assert [p.name for p in tmp_path.iterdir()] == ["session.mp3"]


def test_ctrl_c_ends_both_encoders_of_a_session_cut_in_two(tmp_path, stand_in_session):
    out = tmp_path / "session.mp3"
    out.write_bytes(b"old session")
    whole = stand_in_session(None).timeline()  # the built-in session: an MP3 cut in two
    assert cut_point(whole) is not None

    def interrupt(done: int, total: int) -> None:
        assert len(children()) == 2  # an ffmpeg for each half
        if done > 0.3 * total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_timeline(whole, out, progress=interrupt)
    assert children() == []
    assert out.read_bytes() == b"old session"
    assert [p.name for p in tmp_path.iterdir()] == ["session.mp3"]


def gone(pid: int) -> bool:
    """Whether process `pid` ends within a second (a zombie nobody reaps has ended too)."""
    for _ in range(100):
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] == "Z":
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.01)
    return False


HANGS = {
    "never reads": ("sleep 600 & echo $! > child\nwait\n", "took no audio for 1 s"),
    "never finishes": ("sleep 600 & echo $! > child\ncat > /dev/null\nwait\n",
                       "did not finish within 1 s"),
}  # fmt: skip
"""Stand-ins that hang, each leaving a child in its process group, and what the error says."""


@pytest.mark.parametrize("hang", sorted(HANGS))
def test_a_hung_ffmpeg_is_stopped_with_its_children(tmp_path, monkeypatch, hang):
    body, said = HANGS[hang]
    monkeypatch.setenv("PATH", stand_in_ffmpeg(tmp_path / "bin", body))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(encode, "STALL_SECONDS", 1.0)
    monkeypatch.setattr(encode, "SPEED", 1e9)
    out = tmp_path / "s.mp3"
    out.write_bytes(b"old session")
    started = time.monotonic()
    with pytest.raises(ExportError, match=f"Cannot write {out}: ffmpeg .* {said} and was stopped"):
        export_timeline(zeros(30), out)  # far more than a pipe holds
    assert time.monotonic() - started < 10
    assert gone(int((tmp_path / "child").read_text()))
    assert out.read_bytes() == b"old session"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "child", "s.mp3"]


# --- never over the user's music ----------------------------------------------------------------


@pytest.fixture
def tracks(work: Path) -> Path:
    folder = work / "music"
    folder.mkdir()
    for name in ("01 a.mp3", "02 b.ogg"):
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                        "sine=f=220:d=2", str(folder / name)], check=True)  # fmt: skip
    return folder


@pytest.mark.parametrize(
    ("args", "line"),
    [(("music/01 a.mp3", "--music", "music/01 a.mp3"), "music/01 a.mp3"),
     (("music/02 b.ogg", "--music", "music"), "music/02 b.ogg"),
     (("./music/../music/02 b.ogg", "--music", "music/"), "music/../music/02 b.ogg"),
     (("s.mp3", "--captions", "notes.srt", "--music", "music"), "notes.srt")],
)  # fmt: skip
def test_an_export_never_writes_over_the_music(work, tracks, args, line):
    os.link(tracks / "01 a.mp3", work / "notes.srt")  # the same file by another name
    what = "the captions" if "--captions" in args else "the output"
    before = listing(tracks)
    result = run("export", *args, *SESSION, cwd=work, cache=work / "cache")
    refused(result, 2, f"Cannot write {what} to {line}: it is one of the --music tracks.")
    assert listing(tracks) == before
    assert sorted(p.name for p in work.iterdir()) == ["music", "notes.srt", "tiny.yaml"]


# --- only the program's own files are swept --------------------------------------------------


def a_dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_the_programs_own_leftovers_are_swept(work, warm):
    scratch = work / "tmp"
    scratch.mkdir()
    dead = a_dead_pid()
    theirs = [".s.mp3.999999-notes.part", f".s.mp3.{dead}-0123abcd.part.bak",
              f".s.mp3.{dead}-0123ABCD.part", f".s.mp3.{dead}-0123abcde.part"]
    ours = [f".s.mp3.{dead}-0123abcd.part"]
    for name in theirs + ours:
        (work / name).write_text("mine")
    (scratch / "coach-export-999999-notes").mkdir()
    (scratch / f"coach-export-{dead}-notes").mkdir()
    (scratch / f"coach-export-{dead}-0123abcd").mkdir()
    result = run("export", "s.mp3", *SESSION, cwd=work, cache=warm, TMPDIR=str(scratch))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in work.iterdir()) == sorted([*theirs, "s.mp3", "tiny.yaml",
                                                             "tmp"])  # fmt: skip
    assert sorted(p.name for p in scratch.iterdir()) == [f"coach-export-{dead}-notes",
                                                         "coach-export-999999-notes"]


# --- links and ~ ------------------------------------------------------------------------------


def test_a_link_to_a_file_of_another_kind_is_refused(work):
    (work / "notes.txt").write_text("keep me")
    (work / "link.mp3").symlink_to("notes.txt")
    result = run("export", "link.mp3", *SESSION, cwd=work, cache=work / "cache")
    refused(result, 2, f"Cannot write the output to link.mp3: it is a link to {work}/notes.txt, "
                       "which is not a .mp3 file; remove the link or give another name.")
    assert (work / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in work.iterdir()) == ["link.mp3", "notes.txt", "tiny.yaml"]


def test_a_loop_of_links_is_refused(work):
    (work / "loop.srt").symlink_to("loop.srt")
    result = run("export", "s.mp3", "--captions", "loop.srt", *SESSION, cwd=work,
                 cache=work / "cache")  # fmt: skip
    refused(result, 2, "The captions: loop.srt: is a loop of symbolic links; remove one.")
    assert sorted(p.name for p in work.iterdir()) == ["loop.srt", "tiny.yaml"]


@pytest.mark.slow
def test_names_without_an_extension_and_dangling_links(work, warm):
    """The format and the name are what was typed: "link" (a link to a text file) means
    link.mp3; a link to a file of its own extension that does not exist yet makes that file."""
    (work / "notes").write_text("keep me")
    (work / "link").symlink_to("notes")
    (work / "new.ogg").symlink_to("made.ogg")
    for name in ("link", "new.ogg"):
        result = run("export", name, *SESSION, cwd=work, cache=warm)
        assert result.returncode == 0, result.stderr
    assert (work / "link.mp3").stat().st_size > 1000 and (work / "made.ogg").stat().st_size > 1000
    assert (work / "new.ogg").is_symlink() and (work / "notes").read_text() == "keep me"
    assert sorted(p.name for p in work.iterdir()) == ["link", "link.mp3", "made.ogg", "new.ogg",
                                                      "notes", "tiny.yaml"]  # fmt: skip


@pytest.mark.slow
def test_a_home_folder_is_expanded_and_an_unknown_user_named(work, warm):
    result = run("export", "~/s.mp3", "--captions", "~/s.srt", *SESSION, cwd=work, cache=warm,
                 HOME=str(work))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (work / "s.mp3").is_file() and (work / "s.srt").is_file()
    result = run("export", "~nobody-such/s.mp3", *SESSION, cwd=work, cache=warm)
    refused(result, 2, "The output: ~nobody-such/s.mp3: there is no user named 'nobody-such'; "
                       "write the path in full.")  # fmt: skip


# --- every target checked before rendering ------------------------------------------------------


@pytest.fixture
def read_only(work: Path):
    folder = mounted(work / "ro", "ro,size=64k")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def test_captions_into_a_read_only_folder_are_refused_before_rendering(work, read_only):
    (work / "s.mp3").write_bytes(b"old session")
    result = run("export", "s.mp3", "--captions", "ro/s.srt", *SESSION, cwd=work,
                 cache=work / "cache")  # fmt: skip
    refused(result, 1, "Cannot write ro/s.srt: the folder ro is on a read-only file system; "
                       "export elsewhere.")  # fmt: skip
    assert (work / "s.mp3").read_bytes() == b"old session"
    assert sorted(p.name for p in work.iterdir()) == ["ro", "s.mp3", "tiny.yaml"]  # no cache
