"""The options every session command takes, declared once as a table, and how a command gets
them: `session_command` gives it them all and an open session; `takes_options` gives it the
ones it names (`rehearse`) as a dict to open its own."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from coach.cache.store import CACHE_ENV, CacheSource, locate_cache
from coach.cli.config import Config, read_config
from coach.cli.consoles import err
from coach.cli.failures import command
from coach.cli.progress import ProgressBar, progress_bar
from coach.compose.options import SessionOptions
from coach.errors import OptionError, UsageError, excerpt
from coach.language.catalogue import known_tags
from coach.music.bed import DEFAULT_DUCK_DB, DEFAULT_LEVEL_DB, MusicChoice
from coach.routine.durations import NotADuration, seconds_of
from coach.session import Session, open_session
from coach.system.english import number_of, plural
from coach.system.paths import user_path
from coach.tts import DEFAULT_ENGINE, ENGINES, VoiceSettings

ENGINE_HELP = f"Speech engine: {', '.join(ENGINES)} (default {DEFAULT_ENGINE})."
LANGUAGES = ", ".join(known_tags())
CacheDirOption = Annotated[
    str | None,
    typer.Option(help="Clip cache folder (default: $COACH_CACHE_DIR, the config file's, or "
                 "~/.cache/coach)."),
]  # fmt: skip
ConfigOption = Annotated[
    Path | None,
    typer.Option(help="A config file of defaults (default: $COACH_CONFIG, or "
                 "~/.config/coach/config.toml; see `coach config`)."),
]  # fmt: skip
RoutineOption = Annotated[
    Path | None,
    typer.Option(
        "--routine", "-r", help="A routine YAML file (default: the built-in leg-mobility routine)."
    ),
]


_DEFAULTS = SessionOptions()


def _option(kind: Any, help: str) -> Any:
    return Annotated[kind, typer.Option(help=help)]


def rest_seconds(text: str) -> float:
    """`--rest` as typed: a number as before (its bounds are the session's to check, so "-1"
    and "nan" are refused as out of range), or a duration as a routine's rest may be written
    (durations.py), else a usage error with the reader's message, as any bad flag value."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return seconds_of(text)
    except NotADuration as error:
        raise typer.BadParameter(str(error)) from None


OPTIONS: dict[str, tuple[Any, Any]] = {
    "routine": (RoutineOption, None),
    "only": (_option(list[str] | None, "Drill ids or names to do alone, comma-separated (or "
                     "the option repeated); case and accents do not count."), None),
    "skip": (_option(list[str] | None, "Drill ids or names to skip, comma-separated."), None),
    "without": (_option(list[str] | None, "Skip drills that need this equipment, "
                        "comma-separated (e.g. chin-up-bar)."), None),
    "rest": (Annotated[float | None, typer.Option(
        parser=rest_seconds, metavar="SECONDS",
        help='Rest between drills: seconds, or a duration like "90s", "1m30s" or "1:30".')],
        None),
    "pace": (_option(float, "Tempo factor for every rep: 1.5 is slower."), _DEFAULTS.pace),
    "brief": (_option(bool, "Name, set and counts only; no instructions or cues."),
              _DEFAULTS.brief),
    "lower": (_option(bool, "Use the lower end of rep ranges."), _DEFAULTS.lower),
    "language": (_option(str | None, f"The language the coach speaks, over the routine's own: "
                         f"{LANGUAGES}."), None),
    "engine": (_option(str, ENGINE_HELP), DEFAULT_ENGINE),
    "voice": (_option(str | None,
                      "Voice id (see `coach voices`); for piper also a path to a .onnx voice."),
              None),
    "rate": (_option(int | None, "Speaking rate in words per minute."), None),
    "volume": (_option(float, "Output level, 0 to 1 (1 is -16 LUFS; 0.5 is 6 dB quieter)."), 1.0),
    "cache_dir": (CacheDirOption, None),
    "music": (_option(Path | None, "Music under the voice: a track (any format ffmpeg reads) or "
                      "a folder of tracks, played in name order."), None),
    "shuffle": (_option(bool, "Play the folder's tracks in a random order."), False),
    "seed": (_option(int | None, "The shuffle's seed, to hear an order again."), None),
    "music_duck": (_option(float, "How far the music drops under every word and beep, dB "
                           "(12 to 40)."), DEFAULT_DUCK_DB),
    "music_level": (_option(float, "How far under the voice the music sits between words, dB "
                            "(12 to 40)."), DEFAULT_LEVEL_DB),
    "config": (ConfigOption, None),
}  # fmt: skip
"""Every session option: its name (the parameter's, and the flag's with dashes), its typer
annotation and its default."""

REHEARSAL_OPTIONS = (
    "routine", "pace", "lower", "language", "engine", "voice", "rate", "volume", "cache_dir",
    "music", "shuffle", "seed", "music_duck", "music_level", "config",
)  # fmt: skip
"""What `rehearse` takes: a rehearsal is one set of one drill, so no drill choice, rest or
brevity."""


def _ids(flag: str, values: list[str] | None, split: bool = True) -> tuple[str, ...]:
    """The names given to a repeatable, comma-separated option; without `split`, each value as
    given, for compose's `select_drills` to read (a drill's name may hold a comma). None at all
    is bad input."""
    given = [name for value in values or [] for name in (value.split(",") if split else [value])]
    names = tuple(name.strip() for name in given if name.strip(" ,"))
    if values and not names:
        raise UsageError(f"{flag}: no names given; list one or more, comma-separated.")
    return names


def make_session(chosen: dict[str, Any], show_progress: bool, rehearse: bool = False) -> Session:
    """Open the session the options chosen describe (any left out take their defaults);
    `show_progress`: a bar while its clips render (export, cache warm; the player shows the
    session instead)."""
    chosen = {name: default for name, (_, default) in OPTIONS.items()} | chosen
    if chosen["volume"] == 0:
        err.print("coach: warning: --volume 0 is silence; the session will not be heard.")
    options = SessionOptions(
        only=_ids("--only", chosen["only"], split=False),
        skip=_ids("--skip", chosen["skip"], split=False),
        without=_ids("--without", chosen["without"]),
        rest_seconds=chosen["rest"],
        pace=chosen["pace"],
        brief=chosen["brief"],
        lower=chosen["lower"],
        rehearse=rehearse,
        language=chosen["language"],
    )
    music = chosen["music"]
    if music is None and (chosen["shuffle"] or chosen["seed"] is not None):
        raise UsageError("--shuffle and --seed order the tracks of --music; give --music too.")
    choice = None if music is None else MusicChoice(
        user_path(music, "--music"), chosen["shuffle"], chosen["seed"], chosen["music_duck"],
        chosen["music_level"],
    )  # fmt: skip
    voice = VoiceSettings(engine=chosen["engine"], voice=chosen["voice"], rate=chosen["rate"])
    session = open_session(
        chosen["routine"], options, voice, chosen["cache_dir"], chosen["volume"], music=choice,
        progress=progress_bar("Rendering speech") if show_progress else None,
        music_progress=progress_bar("Decoding music"),
        skipped=lambda reason: err.print(f"coach: warning: --music: skipped {reason}",
                                         markup=False),
    )  # fmt: skip
    for difference in session.differences:
        err.print(f"coach: warning: {difference}", markup=False)
    if session.voice_notice:
        err.print(f"coach: note: {session.voice_notice}", markup=False)
    if session.playlist is not None and session.playlist.seed is not None:
        err.print(f"coach: music shuffled with --seed {session.playlist.seed}.", markup=False)
    return session


@contextmanager
def running(session: Session) -> Iterator[Session]:
    """Stop rendering and clear the progress bars on every way out; then say if clips could
    not be cached."""
    try:
        yield session
    finally:
        session.close()
        for bar in (session.progress, session.music_progress):
            if isinstance(bar, ProgressBar):
                bar.close()
        for text, drill in session.unspoken():
            where = f"drill {drill}" if drill else "the session"
            err.print(
                f"coach: warning: {where}: the {session.voice.engine} voice says nothing for "
                f"{excerpt(text, 40)!r}; write it in words, or try another --engine.",
                markup=False,
            )
        if session.unsaved:
            err.print(
                f"coach: warning: {number_of(len(session.unsaved), 'clip')} could not be saved "
                f"in the cache ({session.unsaved[0]}); {plural(len(session.unsaved), 'it')} "
                "will be rendered again next time.",
                markup=False,
            )


CONTEXT = "_typer_context"
"""The parameter by which typer hands a command taking options its context (which flags were
typed), unless the command takes the context itself (typer gives it to one parameter only)."""


@dataclass(frozen=True)
class Resolved:
    """The options' values in force, and where each came from."""

    chosen: dict[str, Any]
    sources: dict[str, str]
    """By option: "flag", "$COACH_CACHE_DIR", "FILE, line N" or "default"."""
    config: Config


def resolve(given: dict[str, Any], context: typer.Context) -> Resolved:
    """The values of the options `given` (as typer gave them, with "config") once the config
    file's fill in those no flag gave: a flag, then a variable, then the config file, then the
    default (the routine's own values come after these, in the session). `context` tells which
    were typed."""
    chosen = dict(given)
    config = read_config(chosen.pop("config"), OPTIONS)
    typed = {name: context.get_parameter_source(name) for name in chosen}
    flagged = {name for name, source in typed.items() if source and source.name != "DEFAULT"}
    sources = {name: "flag" if name in flagged else "default" for name in chosen}
    for name, (value, _) in config.settings.items():
        if name in chosen and name not in flagged:
            chosen[name], sources[name] = value, config.where(name)
    if "cache_dir" in chosen:  # $COACH_CACHE_DIR comes between the flag and the config file
        explicit = chosen["cache_dir"] if "cache_dir" in flagged else None
        chosen["cache_dir"], sources["cache_dir"] = cache_location(explicit, config)
    return Resolved(chosen, sources, config)


def cache_location(flag: str | Path | None, config: Config) -> tuple[Path, str]:
    """The cache folder, and what chose it: "flag", "$COACH_CACHE_DIR", the config file's
    line, or "default" (see `locate_cache`)."""
    configured = config.settings.get("cache_dir", (None, 0))[0]
    folder, source = locate_cache(flag, configured)
    if source is CacheSource.CONFIG:
        return folder, config.where("cache_dir")
    return folder, {CacheSource.VARIABLE: f"${CACHE_ENV}", CacheSource.FLAG: "flag"}.get(
        source, "default")  # fmt: skip


def takes_options(names: Sequence[str]) -> Callable[[Callable], Callable]:
    """Give a command the session options `names` (from OPTIONS); it receives their values as
    one `chosen` dict, after its own parameters, with the config file's where no flag gave one
    (see `resolve`, when "config" is among `names`). A bad value from the config file is
    named by its place there."""

    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "chosen"]
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                   annotation=OPTIONS[name][0], default=OPTIONS[name][1])
                 for name in names]  # fmt: skip
        own_context = next((p.name for p in own if p.annotation is typer.Context), None)
        context = [] if own_context else [inspect.Parameter(
            CONTEXT, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)]  # fmt: skip

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in names}
            typed = kwargs[own_context] if own_context else kwargs.pop(CONTEXT)
            if "config" not in given:
                return func(*args, chosen=given, **kwargs)
            resolved = resolve(given, typed)
            taken = {name for name, source in resolved.sources.items()
                     if source.startswith(str(resolved.config.path))}  # fmt: skip
            try:
                return func(*args, chosen=resolved.chosen, **kwargs)
            except OptionError as error:
                located = resolved.config.located(error, taken)
                if located is None:
                    raise
                raise located from None

        parameters = [*own, *extra, *context]
        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return command(wrapper)

    return decorate


def session_command(show_progress: bool = True) -> Callable[[Callable], Callable]:
    """Give a command every session option; it receives the open session as `session`, closed
    (see `running`) however the command ends."""

    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func, eval_str=True)

        @functools.wraps(func)
        def opened(*args: Any, chosen: dict[str, Any], **kwargs: Any) -> Any:
            with running(make_session(chosen, show_progress)) as session:
                return func(*args, session=session, **kwargs)

        own = [p for p in signature.parameters.values() if p.name != "session"]
        chosen = inspect.Parameter("chosen", inspect.Parameter.KEYWORD_ONLY)
        opened.__signature__ = signature.replace(parameters=[*own, chosen])  # type: ignore[attr-defined]
        return takes_options(list(OPTIONS))(opened)

    return decorate
