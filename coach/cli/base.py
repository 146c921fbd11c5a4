"""The command line's common ground: the app, error wording and exit codes, the session options
every session command takes, and the signals that stop a run like Ctrl-C (its consoles are
consoles.py's)."""

from __future__ import annotations

import errno
import functools
import inspect
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from coach.cli.consoles import OutputError, err, guard_streams
from coach.compose.options import SessionOptions
from coach.errors import (
    CoachError,
    ExitStatus,
    NoDrillsLeftError,
    OptionError,
    SessionTooLongError,
    UsageError,
    excerpt,
)
from coach.music.bed import DEFAULT_DUCK_DB, DEFAULT_LEVEL_DB, MusicChoice
from coach.session import Session, open_session
from coach.system.paths import user_path
from coach.tts import (
    DEFAULT_ENGINE,
    ENGINES,
    VoiceSettings,
)

app = typer.Typer(
    help="A voice-guided audio coach for a runner's leg-mobility warm-up.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="Look after the clip cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")

@dataclass
class _Flags:
    """Flags given before the command, for the whole run."""

    debug: bool = False


_flags = _Flags()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
) -> None:
    _flags.debug = debug


_FLAGS = {"only": "--only", "skip": "--skip", "without": "--without", "rest_seconds": "--rest",
          "pace": "--pace", "volume": "--volume", "cache_dir": "--cache-dir", "music": "--music",
          "music_duck": "--music-duck", "music_level": "--music-level"}  # fmt: skip
"""The flag of each session option, by the name the session gives it in an OptionError."""


def _worded(error: BaseException) -> str:
    """The message a user reads: the session's typed errors get the flags that set them."""
    if isinstance(error, OptionError):  # an argument (the drill to rehearse) speaks for itself
        flag = _FLAGS.get(error.option)
        return f"{flag}: {error.problem}" if flag else error.problem
    if isinstance(error, NoDrillsLeftError):
        return "No drills left to do: --only, --skip and --without removed them all."
    if isinstance(error, SessionTooLongError):
        return f"{error} Use fewer drills, a shorter --rest or a faster --pace."
    return str(error)


def _fail(error: BaseException, status: int) -> typer.Exit:
    """Print one line for `error` (and its traceback with --debug); the exit to raise."""
    if _flags.debug:
        traceback.print_exception(error, file=sys.stderr)
    # one line, even in a pipe
    err.print(f"coach: error: {_worded(error)}", markup=False, soft_wrap=True)
    return typer.Exit(status)


def _os_error(error: OSError) -> CoachError:
    name = excerpt(str(error.filename)) if error.filename is not None else "a file"
    if error.errno == errno.ENAMETOOLONG:
        return CoachError(f"{name}: the name is too long for the file system.")
    return CoachError(f"{name}: {error.strerror or error}.")


def _os_status(error: OSError) -> int:
    bad_name = error.errno in (errno.ENAMETOOLONG, errno.ENOTDIR, errno.ENOENT, errno.EISDIR)
    return ExitStatus.BAD_INPUT if bad_name else ExitStatus.ERROR


def command(func: Callable) -> Callable:
    """CoachErrors become one message and their exit status; any other error a short one."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CoachError as e:
            raise _fail(e, e.exit_status) from None
        except _Stopped as e:  # exit as the signal would have ended us: 128 + its number
            err.print(f"coach: stopped ({e}).")
            raise typer.Exit(128 + e.signum) from None
        except KeyboardInterrupt:
            err.print("coach: stopped.")
            raise typer.Exit(ExitStatus.CTRL_C) from None
        except typer.Exit:
            raise
        except BrokenPipeError:
            raise typer.Exit(ExitStatus.ERROR) from None
        except OSError as e:  # a file the command was pointed at: a name too long, no access
            raise _fail(_os_error(e), _os_status(e)) from None
        except Exception as e:  # a bug: say so briefly; --debug shows where
            error = RuntimeError(f"internal error ({type(e).__name__}: {e}); --debug shows where")
            error.__traceback__ = e.__traceback__
            raise _fail(error, ExitStatus.ERROR) from None

    return wrapper


# --- the options every session command takes ------------------------------

ENGINE_HELP = f"Speech engine: {', '.join(ENGINES)} (default {DEFAULT_ENGINE})."
VOICE_HELP = "Voice id (see `coach voices`); for piper also a path to a .onnx voice."
VOLUME_HELP = "Output level, 0 to 1 (1 is -16 LUFS; 0.5 is 6 dB quieter)."
MusicOption = Annotated[
    Path | None,
    typer.Option(help="Music under the voice: a track (any format ffmpeg reads) or a folder of "
                 "tracks, played in name order."),
]  # fmt: skip
ShuffleOption = Annotated[bool, typer.Option(help="Play the folder's tracks in a random order.")]
SeedOption = Annotated[int | None, typer.Option(help="The shuffle's seed, to hear an order again.")]
MusicDuckOption = Annotated[
    float, typer.Option(help="How far the music drops under every word and beep, dB (12 to 40).")
]
MusicLevelOption = Annotated[
    float, typer.Option(help="How far under the voice the music sits between words, dB (12 to 40).")
]
MUSIC_PARAMETERS: list[tuple[str, Any, Any]] = [
    ("music", MusicOption, None),
    ("shuffle", ShuffleOption, False),
    ("seed", SeedOption, None),
    ("music_duck", MusicDuckOption, DEFAULT_DUCK_DB),
    ("music_level", MusicLevelOption, DEFAULT_LEVEL_DB),
]
"""The music options: every session command takes them, and so does `rehearse`."""
RoutineOption = Annotated[
    Path | None,
    typer.Option(
        "--routine", "-r", help="A routine YAML file (default: the built-in leg-mobility routine)."
    ),
]
_SESSION_PARAMETERS: list[tuple[str, Any, Any]] = [
    ("routine", RoutineOption, None),
    (
        "only",
        Annotated[
            list[str] | None,
            typer.Option(help="Only these drill ids, comma-separated (or the option repeated)."),
        ],
        None,
    ),
    (
        "skip",
        Annotated[list[str] | None, typer.Option(help="Skip these drill ids, comma-separated.")],
        None,
    ),
    (
        "without",
        Annotated[
            list[str] | None,
            typer.Option(
                help="Skip drills that need this equipment, comma-separated (e.g. chin-up-bar)."
            ),
        ],
        None,
    ),
    ("rest", Annotated[float | None, typer.Option(help="Seconds of rest between drills.")], None),
    (
        "pace",
        Annotated[float, typer.Option(help="Tempo factor for every rep: 1.5 is slower.")],
        1.0,
    ),
    (
        "brief",
        Annotated[bool, typer.Option(help="Name, set and counts only; no instructions or cues.")],
        False,
    ),
    ("lower", Annotated[bool, typer.Option(help="Use the lower end of rep ranges.")], False),
    (
        "engine",
        Annotated[str, typer.Option(help=ENGINE_HELP)],
        DEFAULT_ENGINE,
    ),
    ("voice", Annotated[str | None, typer.Option(help=VOICE_HELP)], None),
    ("rate", Annotated[int | None, typer.Option(help="Speaking rate in words per minute.")], None),
    ("volume", Annotated[float, typer.Option(help=VOLUME_HELP)], 1.0),
    (
        "cache_dir",
        Annotated[
            str | None,
            typer.Option(help="Clip cache folder (default: $COACH_CACHE_DIR or ./audio_cache)."),
        ],
        None,
    ),
    *MUSIC_PARAMETERS,
]


class _RenderProgress:
    """A progress bar on standard error while clips render (or tracks decode); `close` on
    every way out."""

    def __init__(self, label: str = "Rendering speech") -> None:
        self.label = label
        self._bar: Progress | None = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = Progress(
                TextColumn(self.label),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("render", total=total)
        self._bar.update(self._task, completed=done, total=total)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


@contextmanager
def running(session: Session, progress: _RenderProgress) -> Iterator[Session]:
    """Stop rendering and clear the progress bar on every way out; then say if clips could not
    be cached."""
    try:
        yield session
    finally:
        session.close()
        progress.close()
        if isinstance(session.music_progress, _RenderProgress):
            session.music_progress.close()
        for text, drill in session.unspoken():
            where = f"drill {drill}" if drill else "the session"
            err.print(
                f"coach: warning: {where}: the {session.voice.engine} voice says nothing for "
                f"{excerpt(text, 40)!r}; write it in words, or try another --engine.",
                markup=False,
            )
        if session.unsaved:
            err.print(
                f"coach: warning: {len(session.unsaved)} clips could not be saved in the "
                f"cache ({session.unsaved[0]}); they will be rendered again next time.",
                markup=False,
            )


def _ids(flag: str, values: list[str] | None) -> tuple[str, ...]:
    """The names given to a repeatable, comma-separated option; none at all is bad input."""
    names = tuple(v.strip() for value in values or [] for v in value.split(",") if v.strip())
    if values and not names:
        raise UsageError(f"{flag}: no names given; list one or more, comma-separated.")
    return names


def make_session(
    routine: Path | None,
    only: list[str] | None,
    skip: list[str] | None,
    without: list[str] | None,
    rest: float | None,
    pace: float,
    brief: bool,
    lower: bool,
    engine: str,
    voice: str | None,
    rate: int | None,
    volume: float,
    cache_dir: str | None,
    music: Path | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    music_duck: float = DEFAULT_DUCK_DB,
    music_level: float = DEFAULT_LEVEL_DB,
    rehearse: bool = False,
) -> tuple[Session, _RenderProgress]:
    if volume == 0:
        err.print("coach: warning: --volume 0 is silence; the session will not be heard.")
    options = SessionOptions(
        only=_ids("--only", only),
        skip=_ids("--skip", skip),
        without=_ids("--without", without),
        rest_seconds=rest,
        pace=pace,
        brief=brief,
        lower=lower,
        rehearse=rehearse,
    )
    if music is None and (shuffle or seed is not None):
        raise UsageError("--shuffle and --seed order the tracks of --music; give --music too.")
    if music is not None:
        music = user_path(music, "--music")
    choice = None if music is None else MusicChoice(music, shuffle, seed, music_duck, music_level)
    progress = _RenderProgress()
    session = open_session(
        routine, options, VoiceSettings(engine=engine, voice=voice, rate=rate), cache_dir, volume,
        music=choice, progress=progress if err.is_terminal else None,
        music_progress=_RenderProgress("Decoding music") if err.is_terminal else None,
        skipped=lambda reason: err.print(f"coach: warning: --music: skipped {reason}",
                                         markup=False),
    )  # fmt: skip
    if session.playlist is not None and session.playlist.seed is not None:
        err.print(f"coach: music shuffled with --seed {session.playlist.seed}.", markup=False)
    return session, progress


def session_command(func: Callable) -> Callable:
    """Give a command every session option; it receives them as one `session` argument."""
    names = [name for name, _, _ in _SESSION_PARAMETERS]
    signature = inspect.signature(func, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "session"]
    extra = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
        )
        for name, annotation, default in _SESSION_PARAMETERS
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        chosen = {name: kwargs.pop(name) for name in names}
        with running(*make_session(**chosen)) as session:
            return func(*args, session=session, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + extra)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
    return command(wrapper)


# --- stopping, and the entry point -----------------------------------------------


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so they clean up exactly as Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def main() -> None:
    """The console script."""
    guard_streams()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    try:
        app()
    except OutputError as e:  # the help, written outside any command
        raise SystemExit(_fail(e, e.exit_status).exit_code) from None
